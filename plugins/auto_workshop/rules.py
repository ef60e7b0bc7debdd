"""Pure rules of the car workshop (REQUIREMENTS §3.3).

Sources: seed 000 "汽车售后服务管理制度" (vehicle files, follow-up calls) and seed 004
regulation 2 (一 discount authority, 三 parts management) and 3 (the director's duties).

Every function takes plain values and the branch's ``settings`` (the keys declared in
``plugins/auto_workshop/__init__.py``, already coerced) and returns values or a list of
:class:`Refusal` codes; ``messages.py`` turns the codes into text. An empty list means
"allowed". Nothing here touches Flask, the database or ``portal``.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


# --------------------------------------------------------------------------- basics


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: a machine ``code`` (a key of ``messages.REFUSALS``)
    and the values its message needs."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)


class Refused(ValueError):
    """Raised by helpers that return a new value instead of a list (``apply_movement``)."""

    def __init__(self, refusals: Sequence[Refusal]):
        self.refusals = tuple(refusals)
        super().__init__(", ".join(r.code for r in self.refusals))


def codes(refusals: Iterable[Refusal]) -> list[str]:
    """The codes alone, in order (handy for views and tests)."""
    return [r.code for r in refusals]


def money(value: Decimal | int | str) -> Decimal:
    """Yuan to the cent, ROUND_HALF_UP. Floats are refused: they cannot hold money exactly."""
    if isinstance(value, float):
        raise TypeError("money must be Decimal, int or str, not float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(d: date, months: int) -> date:
    """``d`` shifted by calendar months, clamped to the month's last day
    (2026-11-30 + 3 months = 2027-02-28)."""
    years, month0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + years, month0 + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


# --------------------------------------------------------------- 1. vehicle file

# 000 汽车 §(二).1: what the file (客户档案基本资料表) must hold; REQUIREMENTS §3.3 adds the VIN.
VEHICLE_FILE_FIELDS = (
    "plate", "vin", "model", "owner", "mileage", "service_items", "service_interval", "next_service_date",
)


def vehicle_file_due(first_visit: date, settings: Mapping[str, Any]) -> date:
    """Last day to complete the vehicle file: ``vehicle_file_days`` calendar days after the
    first visit, the visit day being day 0 (000 汽车 §(三).2 "两日内建立相应的客户档案")."""
    return first_visit + timedelta(days=settings["vehicle_file_days"])


def vehicle_file_late(
    first_visit: date, completed_on: date | None, today: date, settings: Mapping[str, Any]
) -> bool:
    """True when the file was completed after its due day, or is still open after it
    (the dashboard item "vehicle files not completed in time")."""
    return (completed_on or today) > vehicle_file_due(first_visit, settings)


def vehicle_file_missing(values: Mapping[str, Any]) -> list[str]:
    """Fields of :data:`VEHICLE_FILE_FIELDS` still empty; the file is complete when none are.

    ``service_interval`` counts as filled by either a months or a kilometre interval, so
    the caller passes whichever it has (or a tuple of both)."""
    def empty(v: Any) -> bool:
        if v is None:
            return True
        if isinstance(v, str):
            return not v.strip()
        if isinstance(v, (tuple, list, set, frozenset)):
            return all(empty(x) for x in v)
        return False

    return [name for name in VEHICLE_FILE_FIELDS if empty(values.get(name))]


@dataclass(frozen=True)
class NextService:
    """The next service: the date to invite the customer, the odometer reading it is due
    at (if a kilometre interval is known), and which interval decided the date."""

    on: date
    at_km: int | None
    decided_by: str  # "months" or "mileage"


def next_service_date(
    last_service: date,
    interval_months: int | None,
    last_mileage: int | None,
    interval_km: int | None,
    avg_km_per_day: Decimal | int | None,
) -> NextService | None:
    """Next service from the last one: whichever comes first of the calendar interval and
    the day the car is expected to reach ``last_mileage + interval_km`` at its average
    daily distance (a car is due at "X months or Y km, whichever comes first").

    The mileage estimate rounds down (invite a day early rather than a day late); it is
    used only when both ``interval_km`` and a positive ``avg_km_per_day`` are known. On
    a tie the months interval is named. None when neither interval is known.
    """
    by_months = add_months(last_service, interval_months) if interval_months else None
    at_km = last_mileage + interval_km if (interval_km and last_mileage is not None) else None

    by_mileage = None
    if interval_km and avg_km_per_day and avg_km_per_day > 0:
        if isinstance(avg_km_per_day, float):
            raise TypeError("avg_km_per_day must be Decimal or int, not float")
        days = int(Decimal(interval_km) / Decimal(avg_km_per_day))  # positive: int() floors
        try:
            by_mileage = last_service + timedelta(days=days)
        except OverflowError:
            by_mileage = None  # a car that hardly moves: the months interval decides

    if by_months is None and by_mileage is None:
        return None
    if by_mileage is None or (by_months is not None and by_months <= by_mileage):
        return NextService(by_months, at_km, "months")
    return NextService(by_mileage, at_km, "mileage")


# ------------------------------------------------------------ 2. work-order lifecycle


class WorkOrderState(StrEnum):
    """States of a work order; "started" is 开工 in the dealer system (004/2 三.2)."""

    DRAFT = "draft"
    STARTED = "started"
    PARTS_ISSUED = "parts_issued"
    WORK_DONE = "work_done"
    QUALITY_CHECK = "quality_check"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"


_S = WorkOrderState

_NEXT: dict[WorkOrderState, tuple[WorkOrderState, ...]] = {
    _S.DRAFT: (_S.STARTED, _S.CANCELLED),
    # A labour-only order (no parts lines) goes straight from started to work done.
    _S.STARTED: (_S.PARTS_ISSUED, _S.WORK_DONE, _S.CANCELLED),
    _S.PARTS_ISSUED: (_S.WORK_DONE,),
    _S.WORK_DONE: (_S.QUALITY_CHECK,),
    # A failed check keeps the order in quality_check while the car is reworked (parts can
    # still be issued there); it leaves only with a passing check.
    _S.QUALITY_CHECK: (_S.DELIVERED,),
    _S.DELIVERED: (_S.CLOSED,),
    _S.CLOSED: (),
    _S.CANCELLED: (),
}

# Parts may be issued while the car is being worked on, including rework after a failed check.
ISSUABLE_STATES = frozenset({_S.STARTED, _S.PARTS_ISSUED, _S.WORK_DONE, _S.QUALITY_CHECK})


def next_states(state: str) -> tuple[WorkOrderState, ...]:
    """The states a work order in ``state`` may move to, in lifecycle order."""
    return _NEXT[WorkOrderState(state)]


@dataclass(frozen=True)
class WorkOrderFacts:
    """What the step checks need to know about the order (the view fills it in).

    - ``jobs``: jobs on the order; ``jobs_open``: jobs not yet marked done.
    - ``lines_not_issued``: parts lines whose quantity is not yet fully issued;
      ``issued_lines``: parts lines with anything issued.
    - ``issued_unsettled``: issued quantities neither marked used nor returned to stock.
    - ``quality_passed``: result of the latest quality check, None when there is none.
    - ``settled``: the bill is paid or charged to warranty/insurance.
    - ``cancel_reason``: why the order is cancelled.
    """

    jobs: int = 0
    jobs_open: int = 0
    lines_not_issued: int = 0
    issued_lines: int = 0
    issued_unsettled: int = 0
    quality_passed: bool | None = None
    settled: bool = False
    cancel_reason: str = ""


def check_work_order_step(state: str, target: str, facts: WorkOrderFacts) -> list[Refusal]:
    """Refusals for moving a work order from ``state`` to ``target``; [] means go ahead.

    - any step not in :func:`next_states`: "step_not_allowed";
    - started: at least one job ("no_jobs");
    - parts_issued: something was issued ("nothing_issued");
    - work_done: every job done ("jobs_open"); every parts line issued ("parts_not_issued"),
      lines no longer needed are removed by the advisor first;
    - delivered: the latest quality check passed ("quality_not_checked"/"quality_failed");
    - closed: the bill settled ("not_settled"), every issued part used or back in stock
      ("issued_parts_unsettled"), so stock is right when the order disappears from view;
    - cancelled: a reason ("cancel_reason_missing").
    """
    current, wanted = WorkOrderState(state), WorkOrderState(target)
    if wanted not in _NEXT[current]:
        return [Refusal("step_not_allowed", {"state": current.value, "target": wanted.value})]

    refusals: list[Refusal] = []
    if wanted is _S.STARTED and facts.jobs < 1:
        refusals.append(Refusal("no_jobs"))
    elif wanted is _S.PARTS_ISSUED and facts.issued_lines < 1:
        refusals.append(Refusal("nothing_issued"))
    elif wanted is _S.WORK_DONE:
        if facts.jobs_open:
            refusals.append(Refusal("jobs_open", {"count": facts.jobs_open}))
        if facts.lines_not_issued:
            refusals.append(Refusal("parts_not_issued", {"count": facts.lines_not_issued}))
    elif wanted is _S.DELIVERED:
        if facts.quality_passed is None:
            refusals.append(Refusal("quality_not_checked"))
        elif not facts.quality_passed:
            refusals.append(Refusal("quality_failed"))
    elif wanted is _S.CLOSED:
        if not facts.settled:
            refusals.append(Refusal("not_settled"))
        if facts.issued_unsettled:
            refusals.append(Refusal("issued_parts_unsettled", {"count": facts.issued_unsettled}))
    elif wanted is _S.CANCELLED and not facts.cancel_reason.strip():
        refusals.append(Refusal("cancel_reason_missing"))
    return refusals


# ------------------------------------------------------------------ 3. parts issuance


def check_issue(
    order_state: str,
    line_on_order: bool,
    requested_qty: int,
    line_qty: int,
    already_issued: int,
    stock_qty: int,
) -> list[Refusal]:
    """Refusals for the parts keeper issuing ``requested_qty`` of a part (004/2 三.1–2:
    "见单发料", and only after the order is started (开工) in the system).

    - the order is still a draft: "order_not_started";
    - the order is delivered, closed or cancelled: "order_not_open";
    - the part is not a line on the order: "not_on_order" (additional parts go through the
      service advisor first, 三.4/三.6);
    - quantity not positive: "quantity_not_positive";
    - more than the line still needs (``line_qty - already_issued``): "exceeds_line";
    - more than the branch has in stock: "stock_short".
    """
    refusals: list[Refusal] = []
    state = WorkOrderState(order_state)
    if state is _S.DRAFT:
        refusals.append(Refusal("order_not_started"))
    elif state not in ISSUABLE_STATES:
        refusals.append(Refusal("order_not_open", {"state": state.value}))
    if not line_on_order:
        refusals.append(Refusal("not_on_order"))
    if requested_qty <= 0:
        refusals.append(Refusal("quantity_not_positive"))
        return refusals
    remaining = max(line_qty - already_issued, 0)
    if line_on_order and requested_qty > remaining:
        refusals.append(Refusal("exceeds_line", {"remaining": remaining}))
    if requested_qty > stock_qty:
        refusals.append(Refusal("stock_short", {"in_stock": max(stock_qty, 0)}))
    return refusals


def check_return(issued_qty: int, used: bool, physically_received: bool, qty: int) -> list[Refusal]:
    """Refusals for returning ``qty`` issued parts to stock.

    ``issued_qty`` is what is still out on this issue (issued, not yet returned); ``used``
    says whether the issue was fitted to the car.

    - used parts are never taken back: "used_part_no_return" (004/2 三.7);
    - the keeper has not confirmed the part is physically back: "not_physically_received"
      (三.11: the system return only after the part is in the store);
    - quantity not positive: "quantity_not_positive";
    - more than is out: "exceeds_issued".
    """
    refusals: list[Refusal] = []
    if used:
        refusals.append(Refusal("used_part_no_return"))
    if not physically_received:
        refusals.append(Refusal("not_physically_received"))
    if qty <= 0:
        refusals.append(Refusal("quantity_not_positive"))
    elif qty > issued_qty:
        refusals.append(Refusal("exceeds_issued", {"issued": max(issued_qty, 0)}))
    return refusals


def apply_movement(stock: Mapping[str, int], part: str, delta: int) -> dict[str, int]:
    """A new stock dict with ``part`` moved by ``delta`` (issue negative, return or
    delivery positive); ``stock`` itself is untouched. A part not listed has 0.

    Raises :class:`Refused` ("stock_short") when the level would fall below zero.
    """
    have = stock.get(part, 0)
    if have + delta < 0:
        raise Refused([Refusal("stock_short", {"in_stock": max(have, 0)})])
    new = dict(stock)
    new[part] = have + delta
    return new


# ------------------------------------------------------- 4. accident-car quotations


def check_order_parts(quotation_signed_version: int | None, current_version: int) -> list[Refusal]:
    """Refusals for ordering the parts of an accident-car quotation (004/2 三.3–4).

    Parts are ordered only once the responsible person signed the current version. Adding
    a part during the repair makes a new version, so an older signature no longer counts:
    "quotation_not_signed" when nothing is signed, "quotation_changed" when the signature
    is on an earlier version.
    """
    if quotation_signed_version is None:
        return [Refusal("quotation_not_signed")]
    if quotation_signed_version > current_version:
        raise ValueError("a quotation cannot be signed in a version it has not reached")
    if quotation_signed_version < current_version:
        return [Refusal("quotation_changed",
                        {"signed": quotation_signed_version, "current": current_version})]
    return []


# -------------------------------------------------------- 5. warranty-claim orders

WORKSHOP_MANAGER = "workshop_manager"
AFTERSALES_DIRECTOR = "aftersales_director"


def claim_signatures_needed(amount: Decimal, settings: Mapping[str, Any]) -> set[str]:
    """Roles that must sign a claim order (004/2 三.9): always the workshop manager; also
    the after-sales director when the amount is above ``claim_director_amount`` (at exactly
    the amount the manager alone signs)."""
    needed = {WORKSHOP_MANAGER}
    if money(amount) > money(settings["claim_director_amount"]):
        needed.add(AFTERSALES_DIRECTOR)
    return needed


def check_claim_order(
    deposit_received: bool, signatures: Iterable[str], amount: Decimal, settings: Mapping[str, Any]
) -> list[Refusal]:
    """Refusals for placing a warranty-claim parts order: the customer's deposit
    ("deposit_missing", 三.8: so claimed parts do not lie unfitted) and each missing
    signature ("manager_signature_missing", "director_signature_missing")."""
    refusals: list[Refusal] = []
    if not deposit_received:
        refusals.append(Refusal("deposit_missing"))
    missing = claim_signatures_needed(amount, settings) - set(signatures)
    if WORKSHOP_MANAGER in missing:
        refusals.append(Refusal("manager_signature_missing"))
    if AFTERSALES_DIRECTOR in missing:
        refusals.append(Refusal("director_signature_missing", {"amount": money(settings["claim_director_amount"])}))
    return refusals


def check_deposit_refund(fitted: bool, already_refunded: bool) -> list[Refusal]:
    """Refusals for recording the deposit refund: only after the part is fitted
    ("part_not_fitted"), and only once ("deposit_already_refunded")."""
    refusals: list[Refusal] = []
    if not fitted:
        refusals.append(Refusal("part_not_fitted"))
    if already_refunded:
        refusals.append(Refusal("deposit_already_refunded"))
    return refusals


# ------------------------------------------------------------------ 6. own purchases

Quote = tuple[str, Decimal]


def _supplier_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _valid_quotes(quotes: Iterable[Quote]) -> list[Quote]:
    return [(s, a) for s, a in quotes if s and s.strip() and a > 0]


def check_own_purchase(quotes: Iterable[Quote], settings: Mapping[str, Any]) -> list[Refusal]:
    """Refusals for an own purchase (自采, 004/2 三.10 "三家价格对比"): at least
    ``purchase_quotes_required`` quotes from different suppliers, each with a positive
    amount. Supplier names are compared ignoring case and spacing, so two quotes from one
    supplier count once; blank names and non-positive amounts do not count."""
    needed = settings["purchase_quotes_required"]
    distinct = {_supplier_key(s) for s, _a in _valid_quotes(quotes)}
    if len(distinct) < needed:
        return [Refusal("too_few_quotes", {"count": len(distinct), "needed": needed})]
    return []


def cheapest(quotes: Iterable[Quote]) -> Quote | None:
    """The lowest valid quote (the first recorded on a tie), or None when there is none."""
    valid = _valid_quotes(quotes)
    return min(valid, key=lambda q: q[1]) if valid else None


# ------------------------------------------------------------------ 7. special tools


def tool_overdue(lent_at: datetime, due_back: datetime, returned_at: datetime | None, now: datetime) -> bool:
    """True when a lent special tool is out past its due time, or came back after it
    (004/2 三.5 "用完即还"). The dashboard lists the first kind: unreturned and overdue."""
    if due_back < lent_at:
        raise ValueError("a tool cannot be due back before it was lent")
    return (returned_at or now) > due_back


def lost_tool_charge(price: Decimal) -> Decimal:
    """What the borrower pays for a lost tool: its original price (三.5 "原价赔偿"),
    unless they buy the same model instead, which is recorded as a replacement."""
    charge = money(price)
    if charge < 0:
        raise ValueError("a tool price cannot be negative")
    return charge


# ---------------------------------------------------------------- 8. discount authority


class JobKind(StrEnum):
    GENERAL_REPAIR = "general_repair"
    MAINTENANCE = "maintenance"
    ACCIDENT_REPAIR = "accident_repair"
    WARRANTY_CLAIM = "warranty_claim"


def week_of(d: date) -> tuple[date, date]:
    """The ISO week holding ``d``: (Monday, Sunday), both inclusive. The weekly discount
    count is taken over this range."""
    monday = d - timedelta(days=d.weekday())
    return monday, monday + timedelta(days=6)


def check_discount(
    kind: str,
    percent: Decimal,
    advisor_discounts_this_week: int,
    reason: str,
    director_approved: bool,
    settings: Mapping[str, Any],
) -> list[Refusal]:
    """Refusals for a discount of ``percent`` % on a work order (004/2 一.5).

    ``advisor_discounts_this_week``: discounted general-repair orders the same advisor
    already gave in this ISO week (:func:`week_of`), not counting this one.

    - no discount (0 %): nothing to check;
    - a percentage outside 0–100: "percent_invalid";
    - general repair: a reason is always required ("reason_missing": it is reported to the
      service director); above ``advisor_discount_percent`` ("over_advisor_percent") or
      beyond ``advisor_discounts_per_week`` orders ("weekly_limit_reached") the director
      must approve;
    - accident repair: the advisor's authority is the gross margin, see
      :func:`check_accident_margin`; nothing is refused here;
    - maintenance and warranty claims: the advisor has no discount authority, the director
      approves ("director_needed").
    """
    job = JobKind(kind)
    if percent < 0 or percent > HUNDRED:
        return [Refusal("percent_invalid")]
    if percent == 0 or job is JobKind.ACCIDENT_REPAIR:
        return []
    if job is not JobKind.GENERAL_REPAIR:
        return [] if director_approved else [Refusal("director_needed")]

    refusals: list[Refusal] = []
    if not reason.strip():
        refusals.append(Refusal("reason_missing"))
    if not director_approved:
        limit = settings["advisor_discount_percent"]
        if percent > limit:
            refusals.append(Refusal("over_advisor_percent", {"limit": limit}))
        per_week = settings["advisor_discounts_per_week"]
        if advisor_discounts_this_week >= per_week:
            refusals.append(Refusal("weekly_limit_reached", {"limit": per_week}))
    return refusals


def gross_margin(revenue: Decimal, cost: Decimal) -> Decimal:
    """Gross margin in percent of revenue, to 0.01 (ROUND_HALF_UP). No revenue means no
    margin: 0.00. Negative revenue is refused (a credit note is not an order)."""
    revenue, cost = money(revenue), money(cost)
    if revenue < 0:
        raise ValueError("revenue cannot be negative")
    if revenue == 0:
        return Decimal("0.00")
    return ((revenue - cost) * HUNDRED / revenue).quantize(CENT, rounding=ROUND_HALF_UP)


def check_accident_margin(
    revenue: Decimal, cost: Decimal, reason: str, director_approved: bool, settings: Mapping[str, Any]
) -> list[Refusal]:
    """Refusals for an accident repair priced below ``accident_min_margin_percent`` gross
    margin (004/2 一.6): it needs a written reason ("margin_reason_missing") and the
    director's approval ("margin_needs_director"). The margin is compared as shown to the
    user, rounded to 0.01 %; exactly the minimum passes."""
    margin = gross_margin(revenue, cost)
    minimum = settings["accident_min_margin_percent"]
    if margin >= minimum:
        return []
    params = {"margin": margin, "minimum": minimum}
    refusals: list[Refusal] = []
    if not reason.strip():
        refusals.append(Refusal("margin_reason_missing", params))
    if not director_approved:
        refusals.append(Refusal("margin_needs_director", params))
    return refusals


# ------------------------------------------------------------------ 9. follow-up calls


def first_call_window(delivered_on: date, settings: Mapping[str, Any]) -> tuple[date, date]:
    """First follow-up call: from ``first_call_min_days`` to ``first_call_max_days`` days
    after the car left, both inclusive (000 汽车 §(三).4 "三天至一周内")."""
    earliest = delivered_on + timedelta(days=settings["first_call_min_days"])
    latest = delivered_on + timedelta(days=settings["first_call_max_days"])
    if latest < earliest:
        raise ValueError("first_call_max_days is before first_call_min_days")
    return earliest, latest


def second_call_due(first_call_on: date, settings: Mapping[str, Any]) -> date:
    """Last day for the second call: ``second_call_days`` after the first (§(三).5)."""
    return first_call_on + timedelta(days=settings["second_call_days"])


def invitation_due(event_date: date, settings: Mapping[str, Any]) -> date:
    """Last day to phone the invitation to an event: ``invitation_weeks`` before it
    (§(三).6 "提前两周")."""
    return event_date - timedelta(weeks=settings["invitation_weeks"])


def letter_due(call_on: date, settings: Mapping[str, Any]) -> date:
    """Last day to post the letter that follows a call: ``letter_days`` after it (§(三).6)."""
    return call_on + timedelta(days=settings["letter_days"])


# ---------------------------------------------------------------- 10. monthly figures


def order_margin(
    parts_revenue: Decimal, labour_revenue: Decimal, parts_cost: Decimal, labour_cost: Decimal
) -> tuple[Decimal, Decimal]:
    """(gross profit in yuan, gross margin in %) of a work order or a month's orders."""
    revenue = money(parts_revenue) + money(labour_revenue)
    cost = money(parts_cost) + money(labour_cost)
    return money(revenue - cost), gross_margin(revenue, cost)
