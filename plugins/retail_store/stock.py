"""Out-of-stock registration (缺货登记, 第三十三–三十六条): register the customer's wish,
arrange a transfer from another store or HQ, confirm with the customer before it, answer
the customer within ``out_of_stock_answer_days`` whatever happens, notify on arrival,
close when collected or cancelled. The order of the steps is ``rules.check_step``'s.

The answer's due day is frozen at registration, like a ticket's service levels: a later
change of the setting does not move a promise already made. Nothing here commits.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func

from portal.plugin_api import TicketError, can, db, scope, utcnow

from . import NAME, messages, rules
from .counter import as_id, customer_in_scope, local_today, require_settings
from .models import RetailOutOfStock

STEP_STAMPS = {
    "transfer_arranged": "transfer_arranged_at", "customer_confirmed": "customer_confirmed_at",
    "arrived": "arrived_at", "notified": "notified_at", "collected": "closed_at", "cancelled": "closed_at",
}
# Steps in which the store speaks with the customer: each is an answer (第三十五条).
ANSWERING_STEPS = ("customer_confirmed", "notified", "collected")
MAX_TEXT = 255


def _may(user, branch_id) -> None:
    if not can("retail.stock", user, plugin=NAME, branch_id=branch_id):
        raise TicketError(_("Your role does not allow this step."))


def _text(form, name, limit, label=None, required=False) -> str:
    value = str(form.get(name) or "").strip()
    if required and not value:
        raise TicketError(label, {name: "x"})
    if len(value) > limit:
        raise TicketError(_("Keep it under %(n)s characters.", n=limit), {name: "x"})
    return value


def register(form: dict, user, branch) -> RetailOutOfStock:
    """The customer's wish: product, size or variant, quantity and how to reach them."""
    _may(user, branch.id)
    settings = require_settings(branch.id)
    customer = None
    if str(form.get("customer_id") or "").strip():
        customer = customer_in_scope(form.get("customer_id"))
        if customer is None or customer.branch_id != branch.id:
            raise TicketError(_("Choose a customer of the branch."), {"customer_id": "x"})
    product_name = _text(form, "product_name", 120, _("Name the product the customer wants."), True)
    variant = _text(form, "variant", 80)
    contact_name = _text(form, "contact_name", 120) or (customer.name if customer else "")
    contact_phone = _text(form, "contact_phone", 40) or (customer.phone if customer else "")
    if not contact_name or not contact_phone:
        raise TicketError(_("Give the customer's name and phone, to answer them."),
                          {"contact_phone": "x"} if contact_name else {"contact_name": "x"})
    try:
        quantity = int(str(form.get("quantity") or "1").strip())
    except ValueError:
        quantity = 0
    if not 1 <= quantity <= 9999:
        raise TicketError(_("Enter a quantity from 1 to 9999."), {"quantity": "x"})
    today = local_today(branch)
    record = RetailOutOfStock(
        branch_id=branch.id, customer_id=customer.id if customer else None, contact_name=contact_name,
        contact_phone=contact_phone, product_name=product_name, variant=variant, quantity=quantity,
        source=_text(form, "source", 120), registered_on=today, answer_due_on=rules.answer_due(today, settings),
        created_by_id=user.id, state="registered",
    )
    db.session.add(record)
    db.session.flush()
    return record


def step(record: RetailOutOfStock, target: str, note: str, user) -> None:
    """Move the registration one step (or cancel it), in the regulation's order."""
    _may(user, record.branch_id)
    require_settings(record.branch_id)
    if target not in rules.STOCK_STATES:
        raise TicketError(messages.input_error_text(rules.RuleInputError("unknown_state", value=target)))
    refusals = rules.check_step(record.state, target)
    if refusals:
        raise TicketError(messages.texts(refusals, messages.STOCK_REFUSALS))
    note = (note or "").strip()[:MAX_TEXT]
    if target == "cancelled" and not note:
        raise TicketError(_("Say why the registration is cancelled."), {"note": "x"})
    if target == "transfer_arranged" and note:
        record.source = note[:120]
    now = utcnow()
    setattr(record, STEP_STAMPS[target], now)
    record.state = target
    if target in ("collected", "cancelled") and note:
        record.close_note = note
    if target in ANSWERING_STEPS and record.answered_at is None:
        record.answered_at = now
        record.answer_note = record.answer_note or note


def answer(record: RetailOutOfStock, note: str, user) -> None:
    """The customer has been answered (第三十五条: within the days, whatever happens)."""
    _may(user, record.branch_id)
    if record.state in rules.STOCK_CLOSED:
        raise TicketError(messages.texts(["already_closed"], messages.STOCK_REFUSALS))
    note = (note or "").strip()[:MAX_TEXT]
    if not note:
        raise TicketError(_("Write what the customer was told."), {"answer_note": "x"})
    record.answered_at = record.answered_at or utcnow()
    record.answer_note = note


def stock_query():
    return scope(db.session.query(RetailOutOfStock), RetailOutOfStock).filter(RetailOutOfStock.deleted_at.is_(None))


def record_in_scope(record_id):
    record_id = as_id(record_id)
    if record_id is None:
        return None
    return stock_query().filter(RetailOutOfStock.id == record_id).one_or_none()


def overdue_condition(today: date):
    """Open registrations whose customer has had no answer past the due day."""
    return (RetailOutOfStock.state.notin_(rules.STOCK_CLOSED)) & RetailOutOfStock.answered_at.is_(None) & (
        RetailOutOfStock.answer_due_on < today)


def is_overdue(record: RetailOutOfStock) -> bool:
    return record.state not in rules.STOCK_CLOSED and rules.is_answer_overdue(
        record.registered_on, local_today(record.branch), record.answered_at is not None,
        {"out_of_stock_answer_days": (record.answer_due_on - record.registered_on).days})


def count_overdue(today: date) -> int:
    return stock_query().with_entities(func.count(RetailOutOfStock.id)).filter(overdue_condition(today)).scalar() or 0
