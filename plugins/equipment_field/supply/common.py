"""Small helpers every supply service shares: the branch's day, the plugin's settings,
reading what people type (ids, dates, money, text) into refusals they can read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal.plugin_api import Customer, TicketError, can, db, scope, as_id, local_today, plugin_settings, check_version

NAME = "equipment_field"
MAX_ID = 2**31 - 1


def settings_of(branch_id) -> dict | None:
    """The plugin's settings in the branch, or None where HQ has not switched it on."""
    return plugin_settings(NAME, branch_id)


def require_settings(branch_id) -> dict:
    found = settings_of(branch_id)
    if found is None:
        raise TicketError(_("Field equipment service is not switched on in this branch."))
    return found


def may(code: str, user, branch_id) -> None:
    if not can(code, user, plugin=NAME, branch_id=branch_id):
        raise TicketError(_("Your role does not allow this step."))


def parse_date(raw, field: str, required_message: str | None = None) -> date | None:
    raw = (raw or "").strip() if isinstance(raw, str) else raw
    if not raw:
        if required_message:
            raise TicketError(required_message, {field: "x"})
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise TicketError(_("Enter the date like 2026-03-10."), {field: "x"}) from None


def parse_money(raw, field: str) -> Decimal:
    text = str(raw or "").strip().replace(",", "").replace("，", "")
    if not text:
        return Decimal("0.00")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value >= Decimal("10000000000"):
        raise TicketError(_("Enter an amount in yuan, like 120.50."), {field: "x"})
    return value.quantize(Decimal("0.01"))


def parse_int(raw, field: str, low: int, high: int, message: str) -> int:
    try:
        value = int(str(raw or "").strip())
    except ValueError:
        raise TicketError(message, {field: "x"}) from None
    if not low <= value <= high:
        raise TicketError(message, {field: "x"})
    return value


def text(form, name: str, limit: int, required_message: str | None = None) -> str:
    value = str(form.get(name) or "").strip()
    if required_message and not value:
        raise TicketError(required_message, {name: "x"})
    if len(value) > limit:
        raise TicketError(_("Keep it under %(n)s characters.", n=limit), {name: "x"})
    return value


def customer_in_scope(customer_id):
    customer_id = as_id(customer_id)
    if customer_id is None:
        return None
    query = scope(db.session.query(Customer), Customer).filter(Customer.id == customer_id)
    if hasattr(Customer, "deleted_at"):
        query = query.filter(Customer.deleted_at.is_(None))
    return query.one_or_none()


def find_customers(words: str, branch_id=None, limit: int = 20) -> list:
    """Customers whose name or phone contains ``words`` (the pickers of the forms)."""
    words = (words or "").strip()[:60]
    if not words:
        return []
    like = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = scope(db.session.query(Customer), Customer).filter(
        Customer.name.ilike(like, escape="\\") | Customer.phone.ilike(like, escape="\\"))
    if hasattr(Customer, "deleted_at"):
        query = query.filter(Customer.deleted_at.is_(None))
    if branch_id is not None:
        query = query.filter(Customer.branch_id == branch_id)
    return query.order_by(Customer.name).limit(limit).all()


def address_of(customer) -> str:
    if customer is None:
        return ""
    return "".join(p for p in (customer.province, customer.city, customer.address) if p)
