"""The store's figures: the end-of-day summary (第二十二条 汇总整理), the month's section of
the monthly statistics, and the counts on the dashboard. Every figure is a SQL aggregate
over the day's or month's rows (local dates are stored, so no time-zone arithmetic in
SQL); ``rules.day_summary`` lays out the decision lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.plugin_api import db

from . import rules
from .models import RetailCareUse, RetailCounterRequest, RetailOutOfStock, RetailPickupNotice, RetailRepair

R = RetailCounterRequest


def _bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The branch-local day [start, end) as UTC instants, for columns that store moments."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def decision_items(rows):
    """Grouped rows (decision, count, refunds) as the items ``rules.day_summary`` sums: the
    group's refund total once, then no refund for the rest of its count."""
    for decision, count, refunds in rows:
        if not count:
            continue
        yield decision, refunds
        for _ in range(int(count) - 1):
            yield decision, None


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count(model.id)).where(*conditions)) or 0


@dataclass
class DayReport:
    day: date
    summary: rules.DaySummary
    figures: list = field(default_factory=list)  # (code, label, value)
    requests: list = field(default_factory=list)


def day_report(branch, day: date) -> DayReport:
    """One page for the day: the requests and their decisions with refunds (by the day they
    came in), and what was done that day — refunds paid, exchanges, repairs, notices."""
    mine = (R.branch_id == branch.id) & R.deleted_at.is_(None)
    rows = db.session.execute(
        select(R.final_decision, func.count(R.id), func.sum(R.refund_amount))
        .where(mine, R.request_date == day).group_by(R.final_decision)).all()
    summary = rules.day_summary(decision_items(rows))
    start, end = _bounds(day, branch.timezone)
    refunds_paid = db.session.execute(
        select(func.count(R.id), func.sum(R.refund_amount)).where(mine, R.refunded_on == day)).one()
    repair = (RetailRepair.branch_id == branch.id) & RetailRepair.deleted_at.is_(None)
    stock = (RetailOutOfStock.branch_id == branch.id) & RetailOutOfStock.deleted_at.is_(None)
    figures = [
        ("requests", _l("Requests at the counter"), summary.count),
        ("escalated", _l("Still waiting for the store manager"),
         _count(R, mine, R.request_date == day, R.state == "escalated")),
        ("overridden", _l("Decisions overridden by the store manager"),
         _count(R, mine, R.overridden_at >= start, R.overridden_at < end)),
        ("refunds_paid", _l("Refunds paid"), int(refunds_paid[0] or 0)),
        ("refunds_paid_amount", _l("Refunds paid (yuan)"), money(refunds_paid[1])),
        ("exchanges", _l("Exchanges handed over"), _count(R, mine, R.exchanged_at >= start, R.exchanged_at < end)),
        ("repairs_received", _l("Items received for repair"), _count(RetailRepair, repair,
                                                                   RetailRepair.received_on == day)),
        ("repairs_back", _l("Repaired items back in store"), _count(RetailRepair, repair,
                                                                   RetailRepair.back_on == day)),
        ("notices", _l("Pickup notices sent"), _count(RetailPickupNotice, RetailPickupNotice.branch_id == branch.id,
                                                      RetailPickupNotice.sent_on == day)),
        ("collected", _l("Repaired items collected"), _count(RetailRepair, repair, RetailRepair.collected_at >= start,
                                                            RetailRepair.collected_at < end)),
        ("mailed", _l("Repaired items mailed"), _count(RetailRepair, repair, RetailRepair.mailed_at >= start,
                                                      RetailRepair.mailed_at < end)),
        ("care", _l("Free care services given"), _count(RetailCareUse, RetailCareUse.branch_id == branch.id,
                                                        RetailCareUse.service_date == day)),
        ("stock_registered", _l("Out-of-stock registrations"), _count(RetailOutOfStock, stock,
                                                                      RetailOutOfStock.registered_on == day)),
    ]
    requests = db.session.scalars(select(R).where(mine, R.request_date == day).order_by(R.id).limit(500)).all()
    return DayReport(day, summary, figures, requests)


def money(value) -> str:
    return format_decimal(Decimal(value or 0), "#,##0.00")


def month_rows(branch, month: date) -> list:
    """The month's figures of the store for the monthly statistics (REQUIREMENTS §2.9)."""
    end = rules.add_months(month, 1)
    mine = (R.branch_id == branch.id) & R.deleted_at.is_(None)
    in_month = (R.request_date >= month) & (R.request_date < end)
    by_decision = dict(db.session.execute(
        select(R.final_decision, func.count(R.id)).where(mine, in_month, R.state != "escalated")
        .group_by(R.final_decision)).all())
    refunds = db.session.execute(select(func.count(R.id), func.sum(R.refund_amount)).where(
        mine, R.refunded_on >= month, R.refunded_on < end)).one()
    repair = (RetailRepair.branch_id == branch.id) & RetailRepair.deleted_at.is_(None)
    stock = (RetailOutOfStock.branch_id == branch.id) & RetailOutOfStock.deleted_at.is_(None)
    return [
        (_l("Counter requests"), _count(R, mine, in_month)),
        (_l("Returns"), int(by_decision.get("return", 0))),
        (_l("Exchanges"), int(by_decision.get("exchange", 0))),
        (_l("Free repairs"), int(by_decision.get("free_repair", 0))),
        (_l("Paid repairs"), int(by_decision.get("paid_repair", 0))),
        (_l("Refused"), int(by_decision.get("refused", 0))),
        (_l("Decisions overridden by the store manager"), _count(R, mine, in_month, R.override_decision.isnot(None))),
        (_l("Refunds paid"), int(refunds[0] or 0)),
        (_l("Refunds paid (yuan)"), str(Decimal(refunds[1] or 0).quantize(Decimal("0.01")))),
        (_l("Repaired items mailed after unanswered notices"),
         _count(RetailRepair, repair, RetailRepair.state == "mailed", RetailRepair.back_on >= month,
                RetailRepair.back_on < end)),
        (_l("Out-of-stock registrations"), _count(RetailOutOfStock, stock, RetailOutOfStock.registered_on >= month,
                                                  RetailOutOfStock.registered_on < end)),
    ]
