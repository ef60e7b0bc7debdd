"""Discount authority (004/2 一.5–6): the advisor's discounts on general repairs, reported
to the after-sales director; what exceeds the advisor's authority waits for the director.
Accident repairs are held to a minimum gross margin instead: below it, a written reason
and the director's approval before the car is delivered."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.plugin_api import TicketError, can, db, utcnow

from .. import NAME, rules
from ..messages import describe
from . import common
from .models import AutoDiscount, AutoMarginApproval

ACTIVE = ("given", "pending", "approved")
APPLIED = ("given", "approved")
#: Refusals that the director's approval lifts; anything else the advisor must correct.
DIRECTOR_LIFTS = {"over_advisor_percent", "weekly_limit_reached", "director_needed"}
FINISHED = ("delivered", "closed", "cancelled")
CENT = Decimal("0.01")


def active_discount(work_order_id):
    return db.session.scalars(select(AutoDiscount).where(
        AutoDiscount.work_order_id == work_order_id, AutoDiscount.state.in_(ACTIVE)).order_by(
        AutoDiscount.id.desc())).first()


def gross_figures(work_order) -> tuple[Decimal, Decimal]:
    """(list-price revenue, cost) over the order's lines."""
    revenue = sum((Decimal(l.quantity or 0) * Decimal(l.unit_price or 0) for l in work_order.lines), Decimal(0))
    cost = sum((Decimal(l.quantity or 0) * Decimal(l.unit_cost or 0) for l in work_order.lines), Decimal(0))
    return revenue.quantize(CENT), cost.quantize(CENT)


def figures(work_order) -> tuple[Decimal, Decimal]:
    """(revenue after the applied discount, cost): what the margin is judged on."""
    revenue, cost = gross_figures(work_order)
    discount = active_discount(work_order.id)
    if discount is not None and discount.state in APPLIED:
        revenue = (revenue * (Decimal(100) - discount.percent) / Decimal(100)).quantize(CENT)
    return revenue, cost


def advisor_count_this_week(advisor_id, branch_id, monday) -> int:
    """General-repair discounts the advisor gave on their own authority this ISO week."""
    return db.session.scalar(select(func.count()).select_from(AutoDiscount).where(
        AutoDiscount.branch_id == branch_id, AutoDiscount.advisor_id == advisor_id,
        AutoDiscount.week_start == monday, AutoDiscount.state == "given",
        AutoDiscount.job_type == rules.JobKind.GENERAL_REPAIR.value)) or 0


def give(work_order, form, user) -> AutoDiscount:
    """A discount on the order: within the advisor's authority it is given (and reported);
    beyond it, refused — or, when the advisor asks, sent to the director."""
    common.may("workshop.advise", user, work_order.branch_id)
    settings = common.require_settings(work_order.branch_id)
    if work_order.state in FINISHED:
        raise TicketError(_("This work order is finished; its price can no longer change."))
    if active_discount(work_order.id) is not None:
        raise TicketError(_("This work order already has a discount."))
    percent = common.number(form.get("percent"), "percent", low=Decimal("0"), high=Decimal("100"))
    if percent == 0:
        raise TicketError(_("Enter a discount greater than zero."), {"percent": "x"})
    reason = common.text(form.get("reason"))
    today = common.local_today(work_order.branch)
    monday, _sunday = rules.week_of(today)
    director = can("workshop.direct", user, plugin=NAME, branch_id=work_order.branch_id)
    count = advisor_count_this_week(user.id, work_order.branch_id, monday)
    refusals = rules.check_discount(work_order.job_type, percent, count, reason, director, settings)
    state = "approved" if director else "given"
    if refusals:
        if form.get("ask_director") and all(r.code in DIRECTOR_LIFTS for r in refusals):
            state = "pending"
        else:
            common.refuse(refusals)
    revenue, _cost = gross_figures(work_order)
    discount = AutoDiscount(
        branch_id=work_order.branch_id, work_order_id=work_order.id, advisor_id=user.id,
        job_type=work_order.job_type, percent=percent, amount=(revenue * percent / Decimal(100)).quantize(CENT),
        reason=reason, given_on=today, week_start=monday, state=state)
    if director:
        discount.director_id, discount.decided_at, discount.reviewed_at = user.id, utcnow(), utcnow()
    db.session.add(discount)
    db.session.flush()
    return discount


def decide(discount, approve: bool, note: str, user) -> None:
    common.may("workshop.direct", user, discount.branch_id)
    if discount.state != "pending":
        raise TicketError(_("This discount does not wait for a decision."))
    note = common.text(note)
    if not approve and not note:
        raise TicketError(_("Say why the discount is refused."), {"director_note": "x"})
    revenue, _cost = gross_figures(discount.work_order)
    discount.amount = (revenue * discount.percent / Decimal(100)).quantize(CENT)
    discount.state = "approved" if approve else "rejected"
    discount.director_id, discount.director_note = user.id, note
    discount.decided_at = discount.reviewed_at = utcnow()


def review(discount, user) -> None:
    """The director has read the advisor's discount and its reason."""
    common.may("workshop.direct", user, discount.branch_id)
    if discount.state != "given" or discount.reviewed_at is not None:
        raise TicketError(_("This discount is already reviewed."))
    discount.reviewed_at, discount.director_id = utcnow(), user.id


def withdraw(discount, user) -> None:
    """The advisor takes back a discount still waiting for the director."""
    common.may("workshop.advise", user, discount.branch_id)
    if discount.state != "pending":
        raise TicketError(_("Only a discount waiting for the director can be withdrawn."))
    discount.state = "rejected"
    discount.director_note = _("Withdrawn by %(who)s.", who=common.who(user))
    discount.decided_at = utcnow()


def to_review_condition():
    from sqlalchemy import and_, or_

    D = AutoDiscount
    return or_(D.state == "pending", and_(D.state == "given", D.reviewed_at.is_(None)))


# --- accident margins ----------------------------------------------------------------------------

@dataclass
class MarginState:
    revenue: Decimal
    cost: Decimal
    margin: Decimal
    minimum: int
    approval: AutoMarginApproval | None
    approved: bool
    refusals: list

    @property
    def below(self) -> bool:
        return self.margin < self.minimum


def approval_of(work_order_id):
    return db.session.scalars(select(AutoMarginApproval).where(
        AutoMarginApproval.work_order_id == work_order_id)).first()


def margin_state(work_order) -> MarginState | None:
    """The accident repair's margin and what it still needs; None for other jobs or where
    the plugin is off."""
    settings = common.settings_of(work_order.branch_id)
    if settings is None or work_order.job_type != rules.JobKind.ACCIDENT_REPAIR.value:
        return None
    revenue, cost = figures(work_order)
    margin = rules.gross_margin(revenue, cost)
    approval = approval_of(work_order.id)
    # An approval covers the margin the director saw; a thinner one needs approving again.
    approved = bool(approval and approval.approved_at and approval.approved_margin is not None
                    and margin >= approval.approved_margin)
    refusals = rules.check_accident_margin(revenue, cost, approval.reason if approval else "", approved, settings)
    return MarginState(revenue, cost, margin, settings["accident_min_margin_percent"], approval, approved, refusals)


def _accident(work_order) -> MarginState:
    state = margin_state(work_order)
    if state is None:
        raise TicketError(_("Only accident repairs are held to the minimum gross margin."))
    if work_order.state in FINISHED:
        raise TicketError(_("This work order is finished; its price can no longer change."))
    return state


def write_reason(work_order, form, user) -> AutoMarginApproval:
    common.may("workshop.advise", user, work_order.branch_id)
    _accident(work_order)
    reason = common.text(form.get("margin_reason"))
    if not reason:
        raise TicketError(_("Write down why the margin is this low."), {"margin_reason": "x"})
    approval = approval_of(work_order.id)
    if approval is None:
        approval = AutoMarginApproval(branch_id=work_order.branch_id, work_order_id=work_order.id)
        db.session.add(approval)
    elif approval.reason != reason:
        # The director approved another reason: they read this one before it counts.
        approval.approved_at = approval.approved_by_id = approval.approved_margin = None
    approval.reason, approval.reason_by_id, approval.reason_at = reason, user.id, utcnow()
    db.session.flush()
    return approval


def approve_margin(work_order, user) -> None:
    common.may("workshop.direct", user, work_order.branch_id)
    state = _accident(work_order)
    if not state.below:
        raise TicketError(_("The margin is not below the minimum; there is nothing to approve."))
    if state.approval is None or not state.approval.reason.strip():
        raise TicketError(_("The service advisor must write down the reason first."))
    if state.approved:
        raise TicketError(_("The director has already approved this margin."))
    approval = state.approval
    approval.approved_margin, approval.approved_at, approval.approved_by_id = state.margin, utcnow(), user.id


def delivery_texts(work_order) -> list[str]:
    """Why the car may not be delivered yet, as sentences (empty: it may)."""
    texts = []
    state = margin_state(work_order)
    if state is not None:
        texts.extend(describe(r) for r in state.refusals)
    discount = active_discount(work_order.id)
    if discount is not None and discount.state == "pending" and common.settings_of(work_order.branch_id) is not None:
        texts.append(_("A discount of %(percent)s %% waits for the after-sales director's decision.",
                       percent=discount.percent))
    return texts


def margins_waiting_count(branch_id) -> int:
    """Accident margins with a reason but no approval yet (the director's card)."""
    A = AutoMarginApproval
    return db.session.scalar(select(func.count()).select_from(A).where(
        A.branch_id == branch_id, A.approved_at.is_(None), A.reason != "")) or 0
