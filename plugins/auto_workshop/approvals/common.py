"""What every service of the approvals part shares: the plugin's settings in a branch,
the branch's calendar day, scoped look-ups (another branch's id is simply not found) and
the parsing of what people type. Services never commit; refusals raise ``TicketError``."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from portal.plugin_api import TicketError, User, can, db, scope, as_id, local_today, plugin_settings, check_version

from .. import NAME
from ..messages import describe
from ..workshop.models import WorkOrder

MAX_TEXT = 2000
MAX_ID = 2**31 - 1


def settings_of(branch_id) -> dict | None:
    """The plugin's settings in the branch, or None where HQ has not switched it on."""
    return plugin_settings(NAME, branch_id)


def require_settings(branch_id) -> dict:
    found = settings_of(branch_id)
    if found is None:
        raise TicketError(_("The car workshop is not switched on in this branch."))
    return found


def tz_of(branch) -> ZoneInfo:
    return ZoneInfo(getattr(branch, "timezone", None) or "Asia/Shanghai")


def local_midnight_utc(branch, day: date) -> datetime:
    return datetime.combine(day, time(0), tz_of(branch)).astimezone(timezone.utc)


def may(code: str, user, branch_id) -> None:
    if not can(code, user, plugin=NAME, branch_id=branch_id):
        raise TicketError(_("Your role does not allow this step."))


def refuse(refusals) -> None:
    """Turn the rules' refusal codes into one readable refusal."""
    if refusals:
        raise TicketError([describe(r) for r in refusals])


def text(raw, limit: int = MAX_TEXT) -> str:
    return str(raw or "").strip()[:limit]


def amount(raw, field: str, *, allow_zero: bool = False) -> Decimal:
    """Yuan typed by a person (a comma as decimal point allowed), to the cent."""
    cleaned = str(raw or "").strip().replace("，", ".").replace(",", ".").replace("¥", "").replace("元", "")
    try:
        value = Decimal(cleaned)
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise TicketError(_("Enter an amount in yuan, like 1280.50."), {field: "x"}) from None
    if value < 0 or (value == 0 and not allow_zero) or value >= Decimal("100000000"):
        raise TicketError(_("Enter an amount greater than zero."), {field: "x"})
    return value.quantize(Decimal("0.01"))


def number(raw, field: str, *, low=Decimal("0"), high=Decimal("100000")) -> Decimal:
    cleaned = str(raw or "").strip().replace(",", ".").replace("%", "")
    try:
        value = Decimal(cleaned)
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise TicketError(_("Enter a number, like 2 or 1.5."), {field: "x"}) from None
    if value < low or value > high:
        raise TicketError(_("Enter a number between %(low)s and %(high)s.", low=low, high=high), {field: "x"})
    return value.quantize(Decimal("0.01"))


def parse_date(raw, field: str) -> date:
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise TicketError(_("Enter the date like 2026-03-10."), {field: "x"}) from None


def parse_local_datetime(raw, branch, field: str) -> datetime:
    """A moment typed in the branch's local time (``2026-03-10T17:30`` or with a space)."""
    value = str(raw or "").strip().replace(" ", "T")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TicketError(_("Enter the time like 2026-03-10 17:30."), {field: "x"}) from None
    try:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz_of(branch))
        moment = moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise TicketError(_("Enter the time like 2026-03-10 17:30."), {field: "x"}) from None
    if not 2000 <= moment.year <= 2999:
        raise TicketError(_("Enter the time like 2026-03-10 17:30."), {field: "x"})
    return moment


def work_orders():
    """Live work orders the user may see."""
    return scope(db.session.query(WorkOrder), WorkOrder).filter(WorkOrder.deleted_at.is_(None))


def work_order_in_scope(work_order_id):
    found = as_id(work_order_id)
    if found is None:
        return None
    return work_orders().filter(WorkOrder.id == found).one_or_none()


def in_scope(model, record_id):
    found = as_id(record_id)
    if found is None:
        return None
    query = scope(db.session.query(model), model).filter(model.id == found)
    if hasattr(model, "deleted_at"):
        query = query.filter(model.deleted_at.is_(None))
    return query.one_or_none()


def who(user) -> str:
    if user is None:
        return ""
    return user.full_name or user.username


def branch_colleagues(branch_id) -> list:
    """Active users of the branch (e.g. the borrowers of tools)."""
    rows = db.session.query(User).filter(User.branch_id == branch_id, User.active.is_(True)).order_by(
        User.username).limit(500).all()
    return rows


