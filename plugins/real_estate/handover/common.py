"""What every page and service of the handover part shares: the branch's day and
settings, ids and dates typed by people, and look-ups in the user's scope (another
branch's id is simply not found)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from portal.plugin_api import TicketError, can, db, scope, as_id, local_today, branch_zone as zone_of, plugin_settings, check_version

from .. import NAME, messages

MAX_ID = 2**31 - 1


def settings_of(branch_id) -> dict | None:
    """The plugin's settings in the branch, or None where HQ has not switched it on."""
    return plugin_settings(NAME, branch_id)


def require_settings(branch_id) -> dict:
    found = settings_of(branch_id)
    if found is None:
        raise TicketError(_("The property sales office is not switched on in this branch."))
    return found


def may(code: str, user, branch_id) -> None:
    if not can(code, user, plugin=NAME, branch_id=branch_id):
        raise TicketError(_("Your role does not allow this step."))


def parse_date(raw, field: str, required: bool = True) -> date | None:
    text = (raw or "").strip() if isinstance(raw, str) else raw
    if not text:
        if required:
            raise TicketError(_("Enter the date like 2026-03-10."), {field: "x"})
        return None
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TicketError(_("Enter the date like 2026-03-10."), {field: "x"}) from None


def text(raw, field: str, limit: int, required: bool = False, label: str = "") -> str:
    value = str(raw or "").strip()
    if required and not value:
        raise TicketError(_("Fill in: %(field)s.", field=label or field), {field: "x"})
    if len(value) > limit:
        raise TicketError(_("Keep %(field)s under %(n)s characters.", field=label or field, n=limit), {field: "x"})
    return value


def refuse(problems) -> None:
    """Raise the rules' problems as one refusal in the user's language."""
    if problems:
        raise TicketError([messages.explain(p) for p in problems], {p.code: "x" for p in problems})


def in_scope(model, record_id, live: bool = True):
    """The record if the user may see it; None for a bad id or another branch's."""
    record_id = as_id(record_id)
    if record_id is None:
        return None
    query = scope(db.session.query(model), model).filter(model.id == record_id)
    if live and hasattr(model, "deleted_at"):
        query = query.filter(model.deleted_at.is_(None))
    return query.one_or_none()
