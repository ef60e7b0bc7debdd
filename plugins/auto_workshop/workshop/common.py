"""Small helpers every workshop service shares: the branch's day and settings, ids from
requests, and refusals turned into messages. Nothing here commits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal.plugin_api import TicketError, can, as_id, local_today, plugin_settings

from .. import NAME, messages

MAX_ID = 2**31 - 1
WORKSHOP_PERMISSIONS = ("workshop.advise", "workshop.manage", "workshop.parts", "workshop.repair",
                        "workshop.direct")


def settings_of(branch_id) -> dict | None:
    """The plugin's settings in the branch, or None where HQ has not switched it on."""
    return plugin_settings(NAME, branch_id)


def require_settings(branch_id) -> dict:
    found = settings_of(branch_id)
    if found is None:
        raise TicketError(_("The car workshop is not switched on in this branch."))
    return found


def may(codes, user, branch_id) -> None:
    """Refuse unless ``user`` holds one of ``codes`` in the branch."""
    if isinstance(codes, str):
        codes = (codes,)
    if not any(can(code, user, plugin=NAME, branch_id=branch_id) for code in codes):
        raise TicketError(_("Your role does not allow this step."))


def may_any(codes, user=None, branch_id=None) -> bool:
    return any(can(code, user, plugin=NAME, branch_id=branch_id) for code in codes)


def refuse(refusals) -> None:
    """Raise the rules' refusals as one readable TicketError (no-op when there are none)."""
    if refusals:
        raise TicketError([messages.describe(r) for r in refusals])


def text(form, name: str, limit: int, required_message: str | None = None) -> str:
    value = str(form.get(name) or "").strip()
    if required_message and not value:
        raise TicketError(required_message, {name: "x"})
    if len(value) > limit:
        raise TicketError(_("Keep it under %(n)s characters.", n=limit), {name: "x"})
    return value


def whole_number(raw, name: str, required: bool = False, minimum: int = 0, maximum: int = 9_999_999) -> int | None:
    """A whole number typed in a form, or None when left empty (unless required)."""
    raw = str(raw if raw is not None else "").strip()
    if not raw:
        if required:
            raise TicketError(_("Enter a whole number."), {name: "x"})
        return None
    try:
        value = int(raw)
    except ValueError:
        raise TicketError(_("Enter a whole number."), {name: "x"}) from None
    if not minimum <= value <= maximum:
        raise TicketError(_("Enter a number from %(min)s to %(max)s.", min=minimum, max=maximum), {name: "x"})
    return value


def amount(raw, name: str) -> Decimal:
    """Yuan typed in a form (empty: 0)."""
    raw = str(raw if raw is not None else "").strip()
    if not raw:
        return Decimal("0.00")
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise TicketError(_("Enter an amount in yuan, e.g. 120.50."), {name: "x"}) from None
    if not value.is_finite() or value < 0 or value > Decimal("99999999.99") or value != value.quantize(Decimal("0.01")):
        raise TicketError(_("Enter an amount in yuan, e.g. 120.50."), {name: "x"})
    return value


def parse_date(raw, name: str, required: bool = False) -> date | None:
    raw = str(raw or "").strip()
    if not raw:
        if required:
            raise TicketError(_("Enter the date like 2026-03-10."), {name: "x"})
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise TicketError(_("Enter the date like 2026-03-10."), {name: "x"}) from None


def user_name(user) -> str:
    if user is None:
        return ""
    return user.full_name or user.username
