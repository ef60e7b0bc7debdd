"""Pure rules of the equipment_field plugin (REQUIREMENTS §3.2).

Sources: seed 000 §1–2 (arrival by distance, major projects), 003 (phone guidance first,
outbound slips, installation and training), 004 regulation 1 (arrival at the promised time,
expense claims, parts requests to the factory, penalties), 5 (supplier faults) and 8.

Every function takes plain values and the branch's ``settings`` dict (the keys declared in
``portal_settings()``, already coerced). Nothing here touches Flask or the database, and
nothing does working-calendar arithmetic: arrival targets are returned as a
``timedelta`` of *working* time (or an absolute promised datetime) for the core's
calendar to turn into a due time. Results carry machine codes; ``messages.py`` turns the
codes into text.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Protocol

CENT = Decimal("0.01")


def _money(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal):
        # Floats would silently lose cents; callers must convert at the form boundary.
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, clamped to the last day of the target month
    (2026-11-30 + 3 months = 2027-02-28)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Problem:
    """A machine code with the values its message needs (``messages.PROBLEMS``)."""

    code: str
    # Left out of the hash so a Problem stays hashable although params is a dict.
    params: dict[str, Any] = field(default_factory=dict, hash=False)


# --- 1. Distance class (000 §1.3: 省内 8 小时, 省外 24 小时) ----------------------------


class Distance(StrEnum):
    IN_PROVINCE = "in_province"
    OUT_OF_PROVINCE = "out_of_province"


# Short names of the 34 province-level divisions, with traditional-character and pinyin
# spellings, so "河南省", "河南", "Henan Province" all mean the same province.
_PROVINCES: dict[str, tuple[str, ...]] = {
    "北京": ("beijing",), "天津": ("tianjin",), "上海": ("shanghai",),
    "重庆": ("重慶", "chongqing"), "河北": ("hebei",), "山西": ("shanxi",),
    "辽宁": ("遼寧", "liaoning"), "吉林": ("jilin",), "黑龙江": ("黑龍江", "heilongjiang"),
    "江苏": ("江蘇", "jiangsu"), "浙江": ("zhejiang",), "安徽": ("anhui",),
    "福建": ("fujian",), "江西": ("jiangxi",), "山东": ("山東", "shandong"),
    "河南": ("henan",), "湖北": ("hubei",), "湖南": ("hunan",),
    "广东": ("廣東", "guangdong"), "海南": ("hainan",), "四川": ("sichuan",),
    "贵州": ("貴州", "guizhou"), "云南": ("雲南", "yunnan"), "陕西": ("陝西", "shaanxi"),
    "甘肃": ("甘肅", "gansu"), "青海": ("qinghai",), "台湾": ("臺灣", "台灣", "taiwan"),
    "内蒙古": ("內蒙古", "innermongolia", "neimenggu", "neimongol"),
    "广西": ("廣西", "guangxi"), "西藏": ("tibet", "xizang"), "宁夏": ("寧夏", "ningxia"),
    "新疆": ("xinjiang",), "香港": ("hongkong", "xianggang"),
    "澳门": ("澳門", "macau", "macao", "aomen"),
}
_ALIASES: dict[str, str] = {alias: short for short, aliases in _PROVINCES.items() for alias in (short, *aliases)}
# Longest first, so "壮族自治区" is removed whole rather than leaving "广西壮族".
_SUFFIXES = sorted(
    ("省", "市", "自治区", "自治區", "特别行政区", "特別行政區", "壮族自治区", "壯族自治區",
     "回族自治区", "回族自治區", "维吾尔自治区", "維吾爾自治區",
     "province", "municipality", "autonomousregion", "sar", "city", "shi", "sheng"),
    key=len, reverse=True,
)


def normalise_province(name: str | None) -> tuple[str, bool]:
    """The canonical short name of a province and whether it was recognised.

    Whitespace, case and the administrative suffix are ignored; a full address such as
    "河南省郑州市" is recognised by its leading province. An unrecognised name is returned
    stripped of whitespace and suffix, so two identical spellings still match.
    """
    text = re.sub(r"[\s\u3000\-_.·]", "", name or "").casefold()
    if text in _ALIASES:
        return _ALIASES[text], True
    stripped = text
    for suffix in _SUFFIXES:
        if stripped.endswith(suffix) and len(stripped) > len(suffix):
            stripped = stripped[: -len(suffix)]
            break
    if stripped in _ALIASES:
        return _ALIASES[stripped], True
    # An address that begins with the province ("河南省郑州市…", "广西壮族自治区南宁市").
    for alias in sorted(_ALIASES, key=len, reverse=True):
        if not alias.isascii() and text.startswith(alias):
            return _ALIASES[alias], True
    return stripped, False


@dataclass(frozen=True)
class DistanceVerdict:
    """The distance class and whether it rests on a guess (a province missing or not
    recognised): the dispatch board flags those for the dispatcher to check."""

    distance: Distance
    unknown: bool = False


def distance_class(customer_province: str | None, branch_province: str | None) -> DistanceVerdict:
    """In-province when the customer's province is the branch's, else out-of-province.

    A missing customer province counts as in-province with ``unknown=True``: that gives the
    shorter (stricter) arrival target and does not by itself demand travel approval, so a
    gap in the customer file never makes a visit late by default (decision, documents silent).
    """
    customer, customer_known = normalise_province(customer_province)
    branch, branch_known = normalise_province(branch_province)
    if not customer or not branch:
        return DistanceVerdict(Distance.IN_PROVINCE, unknown=True)
    distance = Distance.IN_PROVINCE if customer == branch else Distance.OUT_OF_PROVINCE
    return DistanceVerdict(distance, unknown=not (customer_known and branch_known))


# --- 2. Arrival target (000 §1.3; 004/1 三.4) -------------------------------------------


@dataclass(frozen=True)
class ArrivalTarget:
    """When the engineer must be on site: either ``working_time`` after the request (the
    branch default by distance, for the core's working calendar) or the absolute
    ``promised_at``. ``default_working_time`` is always the distance default, so a page
    can show what a promise replaced."""

    working_time: timedelta | None
    promised_at: datetime | None
    default_working_time: timedelta

    @property
    def promised(self) -> bool:
        return self.promised_at is not None


def arrival_target(distance: str, settings: Mapping[str, Any], promised_at: datetime | None = None) -> ArrivalTarget:
    """The arrival target for a field visit.

    A time promised to the customer replaces the default, earlier or later: 004/1 三.4 says
    the engineer arrives "在客户规定的时间内", so the agreed time is the commitment. A promise
    later than the default is allowed (a customer may ask for next Monday); the default is
    kept in ``default_working_time`` for display.
    """
    if distance not in (Distance.IN_PROVINCE, Distance.OUT_OF_PROVINCE):
        raise ValueError(f"unknown distance class {distance!r}")
    key = "arrival_hours_in_province" if distance == Distance.IN_PROVINCE else "arrival_hours_out_of_province"
    default = timedelta(hours=int(settings[key]))
    if promised_at is None:
        return ArrivalTarget(working_time=default, promised_at=None, default_working_time=default)
    if promised_at.tzinfo is None or promised_at.utcoffset() is None:
        raise ValueError("promised_at must be timezone-aware")
    return ArrivalTarget(working_time=None, promised_at=promised_at, default_working_time=default)


def check_promise(requested_at: datetime, promised_at: datetime | None) -> list[str]:
    """Refusal codes for a promised arrival time: it cannot lie before the request."""
    if promised_at is not None and promised_at < requested_at:
        return ["promise_before_request"]
    return []


# --- 3. Travel approval (003 §3.3, §4.3.2 e) --------------------------------------------


def needs_travel_approval(
    distance: str, distance_km: int | float | Decimal | None, settings: Mapping[str, Any]
) -> bool:
    """True for a trip out of the province, or farther than ``travel_approval_km``
    (strictly more). An unknown distance (None) is judged on the province alone."""
    if distance == Distance.OUT_OF_PROVINCE:
        return True
    return distance_km is not None and distance_km > settings["travel_approval_km"]


def check_departure(needs_approval: bool, approved: bool) -> list[str]:
    """Refusal codes for an engineer pressing "depart": a trip that needs the general
    manager's approval waits for it (003 §3.3)."""
    return ["travel_not_approved"] if needs_approval and not approved else []


# --- 4. Phone guidance first (003 §4.5.3.1) ---------------------------------------------


def check_dispatch(phone_guidance_recorded: bool, skip_reason: str | None, settings: Mapping[str, Any]) -> list[str]:
    """Refusal codes for dispatching a visit: with ``phone_guidance_first`` on, a phone
    guidance attempt must be recorded first, or the dispatcher writes why it was skipped."""
    if not settings["phone_guidance_first"] or phone_guidance_recorded:
        return []
    if skip_reason and skip_reason.strip():
        return []
    return ["phone_guidance_missing"]


# --- 5. Expense claims (004/1 四.3, 五.1–2) ----------------------------------------------

EXPENSE_CATEGORIES = ("transport", "lodging", "meals", "allowance", "other")
# The per-diem allowance is paid by the travel rules' standard, not against a receipt.
RECEIPT_FREE_CATEGORIES = frozenset({"allowance"})


@dataclass(frozen=True)
class ExpenseLine:
    """One line of a 差旅费报销单: date, place (and for transport the place reached:
    起讫地点), category, amount and the number of receipts attached."""

    day: date
    place: str
    category: str
    amount: Decimal
    receipt_count: int = 0
    to_place: str = ""


@dataclass(frozen=True)
class ExpenseCheck:
    """Problems found in a claim and the settlement against the travel advance.

    ``settlement`` > 0: the company pays the engineer; < 0: the engineer returns money."""

    problems: tuple[Problem, ...]
    total: Decimal
    advance: Decimal
    settlement: Decimal

    @property
    def ok(self) -> bool:
        return not self.problems


def _place_key(place: str) -> str:
    text = re.sub(r"\s", "", place or "").casefold()
    return text[:-1] if len(text) > 1 and text[-1] in "市县區区" else text


def check_expense_claim(
    trip_start: date, trip_end: date, trip_places: Iterable[str], lines: Sequence[ExpenseLine], advance: Decimal
) -> ExpenseCheck:
    """Check a claim against its approved trip before the manager approves it.

    004/1 四.3: receipts must be genuine and match the places travelled, otherwise they are
    not reimbursed; 五.1: date, places, category and amount filled in truthfully with the
    receipts attached. Lines are numbered from 1 in the problems.
    """
    problems: list[Problem] = []
    dates_valid = trip_start <= trip_end
    if not dates_valid:
        problems.append(Problem("trip_dates_reversed", {"start": trip_start, "end": trip_end}))
    if not lines:
        problems.append(Problem("no_lines"))
    places = {_place_key(p) for p in trip_places}
    total = Decimal("0")
    for number, line in enumerate(lines, start=1):
        total += line.amount
        if dates_valid and not trip_start <= line.day <= trip_end:
            problems.append(Problem("date_outside_trip",
                                    {"line": number, "date": line.day, "start": trip_start, "end": trip_end}))
        place, to_place = (line.place or "").strip(), (line.to_place or "").strip()
        if not place:
            problems.append(Problem("place_missing", {"line": number}))
        for visited in (place, to_place):
            if visited and _place_key(visited) not in places:
                problems.append(Problem("place_not_on_trip", {"line": number, "place": visited}))
        if line.category not in EXPENSE_CATEGORIES:
            problems.append(Problem("unknown_category", {"line": number, "category": line.category}))
        if line.amount <= 0:
            problems.append(Problem("amount_not_positive", {"line": number, "amount": _money(line.amount)}))
        if line.category not in RECEIPT_FREE_CATEGORIES and line.receipt_count < 1:
            problems.append(Problem("receipt_missing", {"line": number, "category": line.category}))
    total = _money(total)
    advance = _money(advance)
    return ExpenseCheck(tuple(problems), total, advance, total - advance)


# --- 6. Outbound slips and parts requests (003 §4.5.3.2; 004/1 五.4) -------------------


class _PartLine(Protocol):
    part: str
    qty: int


@dataclass(frozen=True)
class SlipLine:
    """One part on an outbound slip (出库单)."""

    part: str
    qty: int
    unit_price: Decimal = Decimal("0.00")


def check_slip(customer: str | None, lines: Sequence[_PartLine], shipping_method: str | None) -> list[Problem]:
    """Problems with a slip's content: 003 §4.5.3.2 requires the customer, each part's
    name and quantity, and the shipping method (出货方式)."""
    problems = []
    if not (customer or "").strip():
        problems.append(Problem("slip_customer_missing"))
    if not lines:
        problems.append(Problem("slip_no_parts"))
    for number, line in enumerate(lines, start=1):
        if not (line.part or "").strip():
            problems.append(Problem("slip_part_missing", {"line": number}))
        if line.qty < 1:
            problems.append(Problem("slip_qty_not_positive", {"line": number, "qty": line.qty}))
    if not (shipping_method or "").strip():
        problems.append(Problem("slip_shipping_missing"))
    return problems


def check_slip_release(approved: bool) -> list[str]:
    """Refusal codes for releasing parts from the store: the after-sales manager signs
    the slip first (003 §4.5.3.2)."""
    return [] if approved else ["slip_not_approved"]


def slip_charge(lines: Iterable[SlipLine], in_warranty: bool, freight: Decimal) -> Decimal:
    """What the customer pays for a slip: nothing inside warranty (000 §1.2); beyond it
    each part's price × quantity plus the freight (003 §4.5.3.2)."""
    if in_warranty:
        return Decimal("0.00")
    parts = sum((line.unit_price * line.qty for line in lines), Decimal("0"))
    return _money(parts + _money(freight))


@dataclass(frozen=True)
class Shortage:
    """A part to request from the factory (售后配件生产需求, 004/1 五.4)."""

    part: str
    missing: int
    needed_by: date | None = None


def shortages(lines: Iterable[_PartLine], stock: Mapping[str, int], needed_by: date | None = None) -> list[Shortage]:
    """Parts the store cannot cover, in slip order, with the quantity missing. Lines
    naming the same part are added up; a part absent from ``stock`` has none."""
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.part] = wanted.get(line.part, 0) + line.qty
    result = []
    for part, qty in wanted.items():
        missing = qty - max(stock.get(part, 0), 0)
        if missing > 0:
            result.append(Shortage(part, missing, needed_by))
    return result


# --- 7. Installation and training requests (003 §4.3) -----------------------------------


class InstallState(StrEnum):
    REQUESTED = "requested"      # 客户服务需求申请表 filled in by sales
    APPROVED = "approved"        # 总经理批准
    SCHEDULED = "scheduled"      # 4.3.2 a, b: date agreed with the customer, team named
    PREPARED = "prepared"        # 4.3.2 c, d, e: material, checklist, travel approved
    DONE = "done"                # 4.3.3: training record signed by the customer
    REJECTED = "rejected"
    CANCELLED = "cancelled"


INSTALL_TRANSITIONS: dict[InstallState, frozenset[InstallState]] = {
    InstallState.REQUESTED: frozenset({InstallState.APPROVED, InstallState.REJECTED, InstallState.CANCELLED}),
    InstallState.APPROVED: frozenset({InstallState.SCHEDULED, InstallState.CANCELLED}),
    # Back to approved when the customer moves the date or the team changes.
    InstallState.SCHEDULED: frozenset({InstallState.PREPARED, InstallState.APPROVED, InstallState.CANCELLED}),
    InstallState.PREPARED: frozenset({InstallState.DONE, InstallState.SCHEDULED, InstallState.CANCELLED}),
    InstallState.DONE: frozenset(),
    InstallState.REJECTED: frozenset(),
    InstallState.CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class InstallFacts:
    """What is known about a request when someone tries to move it on."""

    agreed_date: date | None = None
    team_size: int = 0
    checklist_total: int = 0
    checklist_ticked: int = 0
    training_material_ready: bool = False
    needs_travel_approval: bool = False
    travel_approved: bool = False
    customer_signed: bool = False
    reason: str = ""


def check_install_step(state: str, target: str, facts: InstallFacts) -> list[str]:
    """Refusal codes for moving an installation & training request from ``state`` to
    ``target``. Who may approve is a permission question for the view (field.install /
    GM), not for this rule."""
    current, wanted = InstallState(state), InstallState(target)
    if wanted not in INSTALL_TRANSITIONS[current]:
        return ["install_step_not_allowed"]
    refusals = []
    if wanted in (InstallState.REJECTED, InstallState.CANCELLED) and not facts.reason.strip():
        refusals.append("reason_missing")
    if wanted == InstallState.SCHEDULED:
        if facts.agreed_date is None:
            refusals.append("agreed_date_missing")
        if facts.team_size < 1:
            refusals.append("team_missing")
    if wanted == InstallState.PREPARED:
        if facts.checklist_total < 1:
            refusals.append("checklist_empty")
        elif facts.checklist_ticked < facts.checklist_total:
            refusals.append("checklist_incomplete")
        if not facts.training_material_ready:
            refusals.append("training_material_missing")
        if facts.needs_travel_approval and not facts.travel_approved:
            refusals.append("travel_not_approved")
    if wanted == InstallState.DONE and not facts.customer_signed:
        refusals.append("customer_signature_missing")
    return refusals


# --- 8. Major projects (000 §2.3) --------------------------------------------------------


def maintenance_plan(start_up: date, warranty_end: date, settings: Mapping[str, Any]) -> list[date]:
    """Planned free maintenance visits during warranty (000 §2.3.2–2.3.3): one every
    ``maintenance_interval_months`` after start-up, up to and including ``warranty_end``.

    Each date is counted from start-up, not from the previous visit, so a month-end
    start-up stays at month ends (Jan 31 → Apr 30 → Jul 31) instead of drifting."""
    interval = int(settings["maintenance_interval_months"])
    if interval < 1:
        raise ValueError("maintenance_interval_months must be at least 1")
    visits = []
    step = 1
    while (visit := add_months(start_up, interval * step)) <= warranty_end:
        visits.append(visit)
        step += 1
    return visits


def accompaniment_end(start_up: date, settings: Mapping[str, Any]) -> date:
    """The last day of on-site accompaniment (连续跟班服务, 000 §2.3.4), counted from the
    start-up day as day 0, like every day count in the portal."""
    return start_up + timedelta(days=int(settings["accompaniment_days"]))


def in_accompaniment(day: date, start_up: date, settings: Mapping[str, Any]) -> bool:
    """Whether an engineer may still be on accompaniment duty on ``day``."""
    return start_up <= day <= accompaniment_end(start_up, settings)


# --- 9. Supplier faults (004/5 二.3) -----------------------------------------------------


def check_supplier_notice(notified_on: date, deadline: date | None, cost_bearer: str | None) -> list[str]:
    """Problems with a written notice to a supplier: it names the date by which the
    supplier must solve the fault and who bears the cost (004/5 二.3)."""
    problems = []
    if deadline is None:
        problems.append("supplier_deadline_missing")
    elif deadline < notified_on:
        problems.append("supplier_deadline_before_notice")
    if not (cost_bearer or "").strip():
        problems.append("supplier_cost_bearer_missing")
    return problems


def supplier_fault_overdue(notified_on: date, deadline: date, closed: bool, today: date) -> bool:
    """True when an open supplier fault is past its deadline (the deadline day itself is
    still in time); chased until closed (004/5 二.3 second paragraph)."""
    if deadline < notified_on:
        raise ValueError("deadline before the notice date")
    return not closed and today > deadline


# --- 10. Leaving the site without calling HQ (004/1 四.4) -------------------------------


def leave_site_penalty(called_hq_before_leaving: bool) -> bool:
    """Whether finishing a visit proposes the "left the site without calling HQ" penalty.
    The amount is a core staff-performance setting; a manager confirms the proposal."""
    return not called_hq_before_leaving
