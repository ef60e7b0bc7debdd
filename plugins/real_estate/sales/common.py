"""What every service of the sales part needs: the branch's day and numbers, ids and
dates and amounts typed by people, and the refusal that changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal.plugin_api import TicketError, can, as_id, local_today, plugin_settings

from .. import NAME, messages

MAX_ID = 2**31 - 1
MAX_TEXT = 5000
#: Who sees the confidential contract register (and everything hanging off it).
CONTRACT_VIEW = "estate.contract.view"
#: Who keeps the register of projects, buildings and units.
PROPERTY_EDIT = "estate.property"
UNIT_VIEW = "estate.unit.view"


def settings_of(branch_id) -> dict | None:
    """The plugin's settings in the branch, or None where HQ has not switched it on."""
    return plugin_settings(NAME, branch_id)


def require_settings(branch_id) -> dict:
    found = settings_of(branch_id)
    if found is None:
        raise TicketError(_("The property sales office is not switched on in this branch."))
    return found


def refuse(problems) -> None:
    """Raise the rules' refusals as messages in the user's language (nothing changes)."""
    if problems:
        raise TicketError([messages.explain(p) for p in problems])


def may(code: str, user, branch_id) -> None:
    if not can(code, user, plugin=NAME, branch_id=branch_id):
        raise TicketError(_("Your role does not allow this step."))


def may_any(codes, user, branch_id) -> None:
    if not any(can(code, user, plugin=NAME, branch_id=branch_id) for code in codes):
        raise TicketError(_("Your role does not allow this step."))


def parse_date(raw, field: str, required: bool = True) -> date | None:
    if isinstance(raw, date):
        return raw
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise TicketError(_("Enter the date like 2026-03-10."), {field: "x"})
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise TicketError(_("Enter the date like 2026-03-10."), {field: "x"}) from None


def parse_money(raw, field: str, required: bool = True) -> Decimal | None:
    """An amount in yuan typed by a person: positive, at most two decimals."""
    if isinstance(raw, Decimal):
        value = raw
    else:
        text = (raw or "").strip().replace(",", "").replace("，", "")
        if not text:
            if required:
                raise TicketError(_("Enter the amount in yuan, like 12500.00."), {field: "x"})
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise TicketError(_("Enter the amount in yuan, like 12500.00."), {field: "x"}) from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")) or value >= Decimal("1e12"):
        raise TicketError(_("Enter the amount in yuan, like 12500.00."), {field: "x"})
    return value


def parse_int(raw, field: str, low: int, high: int) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise TicketError(_("Enter a whole number from %(low)s to %(high)s.", low=low, high=high), {field: "x"})
    return value


def text(raw, limit: int = MAX_TEXT) -> str:
    return (raw or "").strip()[:limit]
