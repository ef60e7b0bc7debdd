"""Retail store rules (REQUIREMENTS §3.1) as pure functions.

Sources: seed ``000`` "售后服务管理制度" 第六–三十六条 (returns, exchanges, repairs, pickup
notices, out-of-stock registration) and seed ``001`` §4.2.3–4.2.4 (clothing warranty,
depreciation on a paid return, free dry cleaning and leather care).

Every function takes plain values and ``settings``, the branch's coerced settings of this
plugin (keys as declared in ``plugins/retail_store/__init__.py``). Results are codes;
``messages.py`` turns them into text for the staff.

Counting, the same everywhere in this module: the purchase (or receipt, registration,
notice) day is day 0, so "within 7 days" means up to and including day 7, and "within
3 months" means up to and including the same day 3 calendar months later (clamped to the
month's end: 2026-11-30 + 3 months = 2027-02-28). This is one day more than
``portal.core.warranty.warranty_end`` (anniversary minus one day); it is chosen so that
the day windows and the month windows of 第六–十条 count alike, and in the customer's
favour where the regulation is silent (第二十三条 顾客至上).
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

CENT = Decimal("0.01")

#: Decisions at the counter, most generous first (the order the property tests rely on).
DECISIONS = ("return", "exchange", "free_repair", "paid_repair", "refused")
REQUEST_REASONS = ("no_reason", "quality", "other")
CONDITIONS = (
    "resellable", "used", "made_to_order", "packaging_missing", "parts_missing",
    "no_warranty_card", "customer_damage", "sale_item", "gift",
)
MATERIALS = ("textile", "leather")

# 第十三–十五条 forbid return and exchange whatever the reason.
_ALWAYS_EXCLUDING = ("packaging_missing", "parts_missing", "no_warranty_card",
                     "customer_damage", "sale_item", "gift")
# 第十一、十二条 apply only when the item has no quality fault ("本身无质量问题").
_EXCLUDING_WITHOUT_FAULT = ("used", "made_to_order")

# 001 §4.2.4 "在购买当年": a fixed text of the regulation, not one of its blanks.
DRY_CLEAN_PERIOD_MONTHS = 12


class RuleInputError(ValueError):
    """A value given to a rule that cannot be judged (the API answers 422 with it).

    ``code`` names the problem, ``params`` its details (``messages.INPUT_ERRORS`` has the
    text); ``str(error)`` is a readable English summary naming the bad values.
    """

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        details = "; ".join(f"{key}: {_plain(value)}" for key, value in params.items())
        super().__init__(f"{code} ({details})" if details else code)


class RuleSettingsError(ValueError):
    """The branch's settings contradict each other (HQ must correct them)."""


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


# --- dates and money -----------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` shifted by calendar months, clamped to the month's last day."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _as_date(value: Any, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise RuleInputError("not_a_date", field=name, value=value)


def days_since(start: date, day: date, *, start_name: str = "purchase_date",
               day_name: str = "request_date") -> int:
    """Calendar days from ``start`` (day 0) to ``day``; a ``day`` before ``start`` is an input error."""
    start, day = _as_date(start, start_name), _as_date(day, day_name)
    if day < start:
        raise RuleInputError("date_before_start", field=day_name, value=day.isoformat(),
                             start=start.isoformat())
    return (day - start).days


def _money(value: Any, name: str) -> Decimal:
    # Floats would bring binary rounding into money: only Decimal, int or a decimal string.
    if isinstance(value, (float, bool)):
        raise RuleInputError("not_an_amount", field=name, value=value)
    try:
        amount = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        raise RuleInputError("not_an_amount", field=name, value=value) from None
    if not amount.is_finite() or amount < 0:
        raise RuleInputError("not_an_amount", field=name, value=value)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleInputError("not_a_count", field=name, value=value)
    return value


def _choice(value: Any, allowed: tuple[str, ...], code: str) -> str:
    if value not in allowed:
        raise RuleInputError(code, value=value, allowed=allowed)
    return value


# --- 1. the counter decision (第六–十五条) ----------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The answer at the counter.

    ``decision``: one of :data:`DECISIONS`; ``rule``: the code of the deciding rule;
    ``reasons``: codes of the steps of the judgement, in order (exclusions first, then
    the window); ``days``: calendar days since purchase; ``params``: the numbers the
    reasons' texts quote (days, the branch's windows, ``free_repair_until``).
    """

    decision: str
    rule: str
    reasons: tuple[str, ...]
    days: int
    params: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def ticket_kind(self) -> str | None:
        """The ticket the decision opens: "return", "exchange", "repair", or None if refused."""
        return {"return": "return", "exchange": "exchange", "free_repair": "repair",
                "paid_repair": "repair"}.get(self.decision)

    @property
    def charged(self) -> bool:
        """True when the customer pays (第五条 收费服务)."""
        return self.decision == "paid_repair"

    def as_json(self) -> dict[str, Any]:
        """The API's answer body (``POST /api/v1/retail/decision``)."""
        return {"decision": self.decision, "reasons": list(self.reasons), "rule": self.rule,
                "days": self.days}


def parse_conditions(conditions: Iterable[str]) -> frozenset[str]:
    """The condition codes as a set; unknown codes raise :class:`RuleInputError` naming them."""
    if isinstance(conditions, (str, bytes)) or conditions is None:
        raise RuleInputError("conditions_not_a_list", value=conditions)
    given = list(conditions)
    unknown = sorted({str(code) for code in given if code not in CONDITIONS})
    if unknown:
        raise RuleInputError("unknown_conditions", codes=unknown, allowed=CONDITIONS)
    return frozenset(given)


def exclusions(reason: str, conditions: Iterable[str]) -> tuple[str, ...]:
    """Reason codes ("excluded_<condition>") of 第十一–十五条 that forbid return and exchange."""
    conditions = parse_conditions(conditions)
    _choice(reason, REQUEST_REASONS, "unknown_reason")
    return tuple(
        f"excluded_{code}" for code in CONDITIONS
        if code in conditions and (code in _ALWAYS_EXCLUDING
                                   or (reason != "quality" and code in _EXCLUDING_WITHOUT_FAULT))
    )


def decide(purchase_date: date, request_date: date, reason: str, conditions: Iterable[str],
           settings: Mapping[str, Any]) -> Decision:
    """Decide an after-sales request at the counter (第六–十五条, REQUIREMENTS §3.1).

    ``reason`` is "no_reason", "quality" (the clerk judged a quality fault, 第十八条) or
    "other"; ``conditions`` are codes of :data:`CONDITIONS`. The windows are the branch's
    settings ``return_any_reason_days`` (7), ``quality_return_days`` (15),
    ``quality_exchange_days`` (30) and ``free_repair_months`` (3), each inclusive (see the
    module docstring).

    The judgement, in order:

    * ``customer_damage`` (第十四条): always a paid repair — the item can be repaired, but
      the damage is not a fault of the product, whatever reason was stated.
    * ``quality``: return within ``quality_return_days`` (第七条); exchange within
      ``quality_exchange_days`` (第八条); free repair up to ``free_repair_months``
      (第九条); paid repair after (第十条). Should a branch make the quality return window
      shorter than the no-reason one, a resellable item still gets the no-reason return
      (第六条): a fault never earns less than no reason. "used" and "made_to_order" do
      not exclude anything here (第十一、十二条 apply only without a quality fault).
      The other exclusions (第十三、十五条: packaging, parts, warranty card, sale item,
      gift) forbid return and exchange only — the regulation says "恕不退换", not "no
      repair" — so a quality fault on such an item gets the free repair of 第九条 from
      day 0 to the end of the free-repair period, and a paid repair after it. (Making
      these paid at once would also make an early complaint worse off than a later one.)
    * ``no_reason``: return within ``return_any_reason_days`` if the item is resellable
      and no exclusion applies (第六条, 第十一–十五条); otherwise refused: there is no
      fault, so nothing to repair (e.g. a gift returned without reason is refused).
    * ``other`` (a reason that is neither "no reason" nor a quality fault, e.g. wear):
      the same return window as ``no_reason``; otherwise a paid repair, never a free one,
      since only a quality fault is repaired free.

    Raises :class:`RuleInputError` for an unknown reason, unknown condition codes, or a
    request date before the purchase date.
    """
    conditions = parse_conditions(conditions)
    reason = _choice(reason, REQUEST_REASONS, "unknown_reason")
    days = days_since(purchase_date, request_date)
    request_date = _as_date(request_date, "request_date")
    any_reason_days = settings["return_any_reason_days"]
    free_repair_until = add_months(_as_date(purchase_date, "purchase_date"),
                                   settings["free_repair_months"])
    params = MappingProxyType({
        "days": days,
        "return_any_reason_days": any_reason_days,
        "quality_return_days": settings["quality_return_days"],
        "quality_exchange_days": settings["quality_exchange_days"],
        "free_repair_months": settings["free_repair_months"],
        "free_repair_until": free_repair_until.isoformat(),
    })
    excluded = exclusions(reason, conditions)

    def answer(decision: str, rule: str, *steps: str) -> Decision:
        return Decision(decision, rule, excluded + steps, days, params)

    if "customer_damage" in conditions:
        return answer("paid_repair", "customer_damage_paid_repair")

    resellable = "resellable" in conditions
    any_reason_return = not excluded and resellable and days <= any_reason_days

    if reason == "quality":
        if not excluded:
            if days <= settings["quality_return_days"]:
                return answer("return", "quality_return", "within_quality_return_window")
            if any_reason_return:
                return answer("return", "return_any_reason_7d", "within_any_reason_window")
            if days <= settings["quality_exchange_days"]:
                return answer("exchange", "quality_exchange", "within_quality_exchange_window")
        if request_date <= free_repair_until:
            return answer("free_repair", "quality_free_repair", "within_free_repair_period")
        return answer("paid_repair", "quality_paid_repair", "past_free_repair_period")

    if any_reason_return:
        return answer("return", "return_any_reason_7d", "within_any_reason_window")
    why = (() if resellable else ("not_resellable",)) + (
        ("past_any_reason_window",) if days > any_reason_days else ())
    if reason == "other":
        return answer("paid_repair", "no_fault_paid_repair", *why, "no_fault_repair_charged")
    return answer("refused", "no_fault_refused", *why, "no_fault_nothing_to_repair")


def more_generous(a: str, b: str) -> bool:
    """True when decision ``a`` gives the customer more than decision ``b``."""
    return DECISIONS.index(_choice(a, DECISIONS, "unknown_decision")) < DECISIONS.index(
        _choice(b, DECISIONS, "unknown_decision"))


# --- 2. clothing (001 §4.2.3–4.2.4) ----------------------------------------------------


def clothing_warranty_end(purchase_date: date, material: str,
                          settings: Mapping[str, Any]) -> date | None:
    """Last day of the clothing warranty (包修, 001 §4.2.3), or None when there is none.

    ``material`` is "textile" (``textile_warranty_months``) or "leather"
    (``leather_warranty_months``). The end is the same day N months after the purchase,
    inclusive like every window here; 0 months means no warranty at all.
    """
    material = _choice(material, MATERIALS, "unknown_material")
    months = settings[f"{material}_warranty_months"]
    if months <= 0:
        return None
    return add_months(_as_date(purchase_date, "purchase_date"), months)


def depreciation_percent(days: int, settings: Mapping[str, Any]) -> int:
    """Depreciation percent on a paid return on day ``days`` after the sale (001 §4.2.3).

    ``depreciation_days`` are inclusive upper bounds (7,15,30: day 0–7, 8–15, 16–30) and
    ``depreciation_percent`` gives one percentage per range. Beyond the last range the
    depreciation is 100 %: nothing is refunded any more, so in effect no paid return
    (the regulation lists only its ranges; what lies beyond them is not returnable).
    """
    days = _count(days, "days")
    bounds, percents = list(settings["depreciation_days"]), list(settings["depreciation_percent"])
    if len(percents) != len(bounds):
        raise RuleSettingsError(
            f"depreciation_percent has {len(percents)} values for {len(bounds)} day ranges")
    for bound, percent in zip(bounds, percents):
        if days <= bound:
            return percent
    return 100


def depreciation(price: Decimal, days: int, settings: Mapping[str, Any]) -> Decimal:
    """The depreciation charged on a paid return (收折旧费), in yuan, rounded half-up to cents."""
    price = _money(price, "price")
    percent = depreciation_percent(days, settings)
    return (price * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def paid_return_refund(price: Decimal, days: int, settings: Mapping[str, Any]) -> Decimal:
    """What the customer gets back on a paid return: the price less the depreciation."""
    price = _money(price, "price")
    return price - depreciation(price, days, settings)


def care_allowance(price: Decimal, material: str, used_count: int,
                   settings: Mapping[str, Any]) -> int:
    """Free care services left on one purchase (001 §4.2.4).

    Textiles: ``free_dry_cleanings`` when the price is above ``dry_clean_price_threshold``
    (strictly, as the setting's label "above price" says; at or below it there is none).
    Leather: ``free_leather_care`` whatever the price ("所有皮衣均可免费护理").
    """
    material = _choice(material, MATERIALS, "unknown_material")
    price = _money(price, "price")
    used_count = _count(used_count, "used_count")
    if material == "leather":
        allowed = settings["free_leather_care"]
    elif price > settings["dry_clean_price_threshold"]:
        allowed = settings["free_dry_cleanings"]
    else:
        allowed = 0
    return max(allowed - used_count, 0)


def may_use_free_care(purchase_date: date, service_date: date, price: Decimal, material: str,
                      used_count: int, settings: Mapping[str, Any]) -> list[str]:
    """Refusal codes for one more free dry cleaning / leather care; empty means allowed.

    Codes: "care_price_not_above_threshold" (textile at or below the threshold),
    "care_period_over" (dry cleaning is free "在购买当年": within
    :data:`DRY_CLEAN_PERIOD_MONTHS` of the purchase, inclusive; leather care has no
    period), "care_used_up" (all free services of the purchase are used).
    """
    days_since(purchase_date, service_date, day_name="service_date")
    purchase_date = _as_date(purchase_date, "purchase_date")
    service_date = _as_date(service_date, "service_date")
    material = _choice(material, MATERIALS, "unknown_material")
    refusals = []
    if material == "textile":
        if _money(price, "price") <= settings["dry_clean_price_threshold"]:
            return ["care_price_not_above_threshold"]
        if service_date > add_months(purchase_date, DRY_CLEAN_PERIOD_MONTHS):
            refusals.append("care_period_over")
    if care_allowance(price, material, used_count, settings) == 0:
        refusals.append("care_used_up")
    return refusals


# --- 3. repairs and pickup notices (第十六、二十六–二十八条) ------------------------------


def repair_due(received_on: date, settings: Mapping[str, Any]) -> date:
    """The day the repair must be done: ``repair_days`` after it was received (第十六条)."""
    return _as_date(received_on, "received_on") + timedelta(days=settings["repair_days"])


def late_notice_due(received_on: date, settings: Mapping[str, Any]) -> date:
    """The day by which a customer must hear that the repair will be late: the day before
    the due date (第二十六条 "提前通知"), so the task falls due while there is still time."""
    return repair_due(received_on, settings) - timedelta(days=1)


@dataclass(frozen=True)
class PickupStep:
    """What to do next for a repaired item waiting in the store.

    ``action`` is "notify" (``notice`` is its number, 1-based) or "mail" (``notice`` is
    None); ``due`` is the day it falls due.
    """

    action: str
    due: date
    notice: int | None = None


def pickup_schedule(first_notice_on: date, notices_sent: int,
                    settings: Mapping[str, Any]) -> PickupStep:
    """The next step after ``notices_sent`` unanswered pickup notices (第二十七、二十八条).

    The first notice is sent the day the repaired item is back; notice k is due
    ``(k - 1) * pickup_notice_interval_days`` after it. After
    ``pickup_notices_before_mailing`` notices the item is mailed; the mailing falls due one
    interval after the last notice, giving the customer the same time to answer the last
    notice as the others (defaults: notices on days 0, 3, 6, mailing on day 9).
    """
    first_notice_on = _as_date(first_notice_on, "first_notice_on")
    notices_sent = _count(notices_sent, "notices_sent")
    interval = timedelta(days=settings["pickup_notice_interval_days"])
    limit = settings["pickup_notices_before_mailing"]
    if notices_sent >= limit:
        return PickupStep("mail", first_notice_on + limit * interval)
    return PickupStep("notify", first_notice_on + notices_sent * interval, notices_sent + 1)


# --- 4. out-of-stock registration (缺货登记, 第三十三–三十六条) ----------------------------

#: The open states in their order; "collected" and "cancelled" close a registration.
STOCK_FLOW = ("registered", "transfer_arranged", "customer_confirmed", "arrived", "notified",
              "collected")
STOCK_STATES = STOCK_FLOW + ("cancelled",)
STOCK_CLOSED = ("collected", "cancelled")

# The step each state needs before it; its code says what is missing.
_MISSING_STEP = {
    "transfer_arranged": "transfer_not_arranged",  # 第三十三条 组织调货
    "customer_confirmed": "customer_not_confirmed",  # 第三十四条 调货前再次确认
    "arrived": "not_arrived",
    "notified": "customer_not_notified",  # 第三十六条 到店立即通知
}


def answer_due(registered_on: date, settings: Mapping[str, Any]) -> date:
    """The day by which the customer must have had an answer, whatever happened (第三十五条)."""
    return _as_date(registered_on, "registered_on") + timedelta(
        days=settings["out_of_stock_answer_days"])


def is_answer_overdue(registered_on: date, today: date, answered: bool,
                      settings: Mapping[str, Any]) -> bool:
    """True when the customer has had no answer and the due day has passed (dashboard)."""
    return not answered and _as_date(today, "today") > answer_due(registered_on, settings)


def next_states(state: str) -> tuple[str, ...]:
    """The states a registration may move to: the next step, or cancelled; none when closed."""
    state = _choice(state, STOCK_STATES, "unknown_state")
    if state in STOCK_CLOSED:
        return ()
    return (STOCK_FLOW[STOCK_FLOW.index(state) + 1], "cancelled")


def check_step(state: str, target: str) -> list[str]:
    """Refusal codes for moving a registration from ``state`` to ``target``; empty = allowed.

    Codes: "already_closed", "same_state", "cannot_go_back", or the first missing step
    ("transfer_not_arranged", "customer_not_confirmed" — the transfer must wait for the
    customer's confirmation, 第三十四条 —, "not_arrived", "customer_not_notified").
    """
    state = _choice(state, STOCK_STATES, "unknown_state")
    target = _choice(target, STOCK_STATES, "unknown_state")
    if state in STOCK_CLOSED:
        return ["already_closed"]
    if target == state:
        return ["same_state"]
    if target == "cancelled":
        return []
    here, there = STOCK_FLOW.index(state), STOCK_FLOW.index(target)
    if there < here:
        return ["cannot_go_back"]
    if there > here + 1:
        return [_MISSING_STEP[STOCK_FLOW[here + 1]]]
    return []


# --- 5. end of day (第二十二条 汇总整理) ------------------------------------------------


@dataclass(frozen=True)
class SummaryLine:
    """One decision's line in the day's summary."""

    decision: str
    count: int
    refunds: Decimal


@dataclass(frozen=True)
class DaySummary:
    """The day's after-sales summary: one line per decision (all of them, in
    :data:`DECISIONS` order, zeros included) and the totals."""

    lines: tuple[SummaryLine, ...]
    count: int
    refunds: Decimal

    def line(self, decision: str) -> SummaryLine:
        """The line of one decision."""
        return next(line for line in self.lines if line.decision == decision)


def day_summary(items: Iterable[tuple[str, Decimal | None]]) -> DaySummary:
    """Sum the day's ``(decision, refund_amount)`` items per decision (None = no refund).

    Each amount is rounded to cents first, so the lines add up to the total.
    """
    counts = dict.fromkeys(DECISIONS, 0)
    refunds = dict.fromkeys(DECISIONS, Decimal("0.00"))
    for decision, amount in items:
        decision = _choice(decision, DECISIONS, "unknown_decision")
        counts[decision] += 1
        if amount is not None:
            refunds[decision] += _money(amount, "refund_amount")
    lines = tuple(SummaryLine(d, counts[d], refunds[d]) for d in DECISIONS)
    return DaySummary(lines, sum(counts.values()), sum(refunds.values(), Decimal("0.00")))
