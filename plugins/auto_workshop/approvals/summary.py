"""The month's margins and discounts for the statistics page, and the dashboard cards.
Figures are SQL aggregates over the month's rows, never loops over records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.plugin_api import Card, User, can, db

from .. import NAME, rules
from ..workshop.models import WorkOrder, WorkOrderLine
from . import claims, common, discounts, labels, quotes, tools
from .models import AutoClaimOrder, AutoDiscount


def _month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    return start, rules.add_months(start, 1)


def _yuan(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def margin_rows(branch, month: date) -> list:
    """Revenue (after applied discounts), cost and gross margin of the orders delivered in
    the month, by job type and in total."""
    start, end = _month_bounds(month)
    since, until = common.local_midnight_utc(branch, start), common.local_midnight_utc(branch, end)
    delivered = (WorkOrder.branch_id == branch.id, WorkOrder.deleted_at.is_(None),
                 WorkOrder.delivered_at >= since, WorkOrder.delivered_at < until)
    lines = db.session.execute(
        select(WorkOrder.job_type, func.count(func.distinct(WorkOrder.id)),
               func.coalesce(func.sum(WorkOrderLine.quantity * WorkOrderLine.unit_price), 0),
               func.coalesce(func.sum(WorkOrderLine.quantity * WorkOrderLine.unit_cost), 0))
        .select_from(WorkOrder).join(WorkOrderLine, WorkOrderLine.work_order_id == WorkOrder.id)
        .where(*delivered).group_by(WorkOrder.job_type)).all()
    off = dict(db.session.execute(
        select(WorkOrder.job_type, func.coalesce(func.sum(AutoDiscount.amount), 0))
        .select_from(AutoDiscount).join(WorkOrder, WorkOrder.id == AutoDiscount.work_order_id)
        .where(*delivered, AutoDiscount.state.in_(discounts.APPLIED)).group_by(WorkOrder.job_type)).all())
    rows, total_revenue, total_cost = [], Decimal("0.00"), Decimal("0.00")
    for job_type, count, revenue, cost in sorted(lines, key=lambda r: r[0]):
        revenue, cost = _yuan(revenue) - _yuan(off.get(job_type)), _yuan(cost)
        total_revenue, total_cost = total_revenue + revenue, total_cost + cost
        rows.append((_("%(job)s: %(count)s orders delivered", job=labels.JOB_TYPES.get(job_type, job_type),
                       count=count),
                     _("revenue %(revenue)s · cost %(cost)s · gross margin %(margin)s %%", revenue=revenue,
                       cost=cost, margin=rules.gross_margin(max(revenue, Decimal(0)), cost))))
    rows.append((_("All delivered orders"),
                 _("revenue %(revenue)s · cost %(cost)s · gross margin %(margin)s %%", revenue=total_revenue,
                   cost=total_cost, margin=rules.gross_margin(max(total_revenue, Decimal(0)), total_cost))))
    return rows


def discount_rows(branch, month: date) -> list:
    """Discounts given or approved in the month: count and total, then by advisor."""
    start, end = _month_bounds(month)
    where = (AutoDiscount.branch_id == branch.id, AutoDiscount.given_on >= start, AutoDiscount.given_on < end,
             AutoDiscount.state.in_(discounts.APPLIED))
    count, total = db.session.execute(select(func.count(AutoDiscount.id),
                                             func.coalesce(func.sum(AutoDiscount.amount), 0)).where(*where)).one()
    rows = [(_("Discounted orders"), str(count)), (_("Discounts in total (yuan)"), str(_yuan(total)))]
    per_advisor = db.session.execute(
        select(User.username, User.full_name, func.count(AutoDiscount.id),
               func.coalesce(func.sum(AutoDiscount.amount), 0))
        .select_from(AutoDiscount).join(User, User.id == AutoDiscount.advisor_id).where(*where)
        .group_by(User.id, User.username, User.full_name).order_by(User.username)).all()
    for username, full_name, n, amount in per_advisor:
        rows.append((_("Advisor %(name)s", name=full_name or username),
                     _("%(count)s orders · %(amount)s yuan", count=n, amount=_yuan(amount))))
    return rows


def dashboard_cards(user, branch) -> list:
    if branch is None or branch.is_hq or common.settings_of(branch.id) is None:
        return []
    settings = common.settings_of(branch.id)
    cards = []
    if can("workshop.advise", user, plugin=NAME):
        waiting = len(quotes.waiting_for_signature(branch.id))
        cards.append(Card(_("Quotations waiting for a signature"), str(waiting),
                          url_for("approvals_orders.index", show="unsigned"), "warning" if waiting else "info"))
    if can("workshop.manage", user, plugin=NAME) or can("workshop.direct", user, plugin=NAME):
        waiting = db.session.scalar(select(func.count()).select_from(AutoClaimOrder).where(
            AutoClaimOrder.branch_id == branch.id, claims.waiting_condition(settings))) or 0
        cards.append(Card(_("Claim orders waiting for signatures"), str(waiting),
                          url_for("approvals_claims.index", show="waiting"), "warning" if waiting else "info"))
    if can("workshop.tools", user, plugin=NAME):
        overdue = tools.count_overdue(branch.id)
        cards.append(Card(_("Special tools overdue"), str(overdue), url_for("approvals_tools.index", show="overdue"),
                          "danger" if overdue else "info"))
    if can("workshop.direct", user, plugin=NAME):
        review = db.session.scalar(select(func.count()).select_from(AutoDiscount).where(
            AutoDiscount.branch_id == branch.id, discounts.to_review_condition())) or 0
        cards.append(Card(_("Discounts to review"), str(review), url_for("approvals_discounts.index", show="review"),
                          "warning" if review else "info"))
        margins = discounts.margins_waiting_count(branch.id)
        cards.append(Card(_("Accident margins waiting for approval"), str(margins),
                          url_for("approvals_orders.index", show="accident"), "warning" if margins else "info"))
    return cards
