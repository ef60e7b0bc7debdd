"""The month's figures of the sales office, as SQL aggregates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from portal.plugin_api import db

from .. import rules
from .models import Contract, Payment


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def money(value) -> str:
    return format_decimal(value or Decimal("0"), "#,##0.00")


def month_rows(branch, month: date) -> list:
    """Contracts signed and their amount, payments received, and what was overdue at the
    month's end (unpaid then, due before then)."""
    start, end = month, _next_month(month)
    signed, amount = db.session.query(func.count(Contract.id), func.coalesce(func.sum(Contract.price), 0)).filter(
        Contract.branch_id == branch.id, Contract.deleted_at.is_(None),
        Contract.signed_on >= start, Contract.signed_on < end).one()
    received_count, received = db.session.query(
        func.count(Payment.id), func.coalesce(func.sum(Payment.amount_paid), 0)).filter(
        Payment.branch_id == branch.id, Payment.paid_on >= start, Payment.paid_on < end).one()
    overdue_count, overdue_amount = db.session.query(
        func.count(Payment.id), func.coalesce(func.sum(Payment.amount_due), 0)).join(
        Contract, Payment.contract_id == Contract.id).filter(
        Payment.branch_id == branch.id, Contract.deleted_at.is_(None), Payment.due_on < end,
        (Payment.paid_on.is_(None)) | (Payment.paid_on >= end)).one()
    mortgages = db.session.query(func.count(Contract.id)).filter(
        Contract.branch_id == branch.id, Contract.deleted_at.is_(None),
        Contract.payment_method == rules.PaymentMethod.MORTGAGE.value,
        Contract.signed_on >= start, Contract.signed_on < end).scalar()
    return [
        (_l("Contracts signed"), signed),
        (_l("Sales amount (yuan)"), money(amount)),
        (_l("Of them paid by mortgage"), mortgages),
        (_l("Payments received"), received_count),
        (_l("Amount received (yuan)"), money(received)),
        (_l("Payments overdue at the month's end"), overdue_count),
        (_l("Amount overdue at the month's end (yuan)"), money(overdue_amount)),
    ]
