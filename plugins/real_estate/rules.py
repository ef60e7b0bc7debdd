"""Pure rules of a property sales office's after-sales work (REQUIREMENTS §3.4).

Source: seed 004, 售后服务管理制度 6 and 12 (the same text twice), 二、工作要求 1–12.
Everything here takes plain values and the branch's settings (the keys declared in
``plugins/real_estate/__init__.py``) and returns machine codes; ``messages.py`` turns the
codes into text. No Flask, no database, no ``portal`` import.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any

CENT = Decimal("0.01")


# --- shared -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why something is refused or incomplete: a machine code plus its parameters.

    ``params`` is a tuple of (name, value) pairs so the problem stays hashable; use
    :attr:`kwargs` for the mapping that ``messages.explain`` formats into the text.
    """

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)


def _problem(code: str, **params: Any) -> Problem:
    return Problem(code, tuple(sorted(params.items())))


def add_months(d: date, months: int) -> date:
    """``d`` shifted by calendar months, clamped to the month's last day.

    2026-11-30 + 3 months -> 2027-02-28. Local copy: rules may not import ``portal``.
    """
    years, month0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + years, month0 + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def parse_list(text: str | None) -> list[str]:
    """Split a comma-separated setting (ASCII or Chinese commas) into distinct items.

    Blank items are dropped and the first occurrence of a repeated item wins, so
    "floor, ,walls，floor" gives ["floor", "walls"]. Items are kept as typed: a branch
    may add its own items (e.g. "阳台护栏") that have no built-in label.
    """
    items: list[str] = []
    for raw in (text or "").replace("，", ",").split(","):
        item = raw.strip()
        if item and item not in items:
            items.append(item)
    return items


# --- 1. units -----------------------------------------------------------------


class UnitState(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    SOLD = "sold"
    HANDED_OVER = "handed_over"


# A contract may be signed on the spot for an available unit (check_contract accepts
# both), so available -> sold is a step of its own; a reservation that falls through
# frees the unit again. Sold and handed-over units never go back: a cancelled sale is
# a matter for the contract, not a click on the unit.
UNIT_STEPS: dict[UnitState, frozenset[UnitState]] = {
    UnitState.AVAILABLE: frozenset({UnitState.RESERVED, UnitState.SOLD}),
    UnitState.RESERVED: frozenset({UnitState.SOLD, UnitState.AVAILABLE}),
    UnitState.SOLD: frozenset({UnitState.HANDED_OVER}),
    UnitState.HANDED_OVER: frozenset(),
}


def check_unit_step(state: str, target: str) -> list[Problem]:
    """Refusals for moving a unit from ``state`` to ``target`` (empty list: allowed)."""
    current, wanted = UnitState(state), UnitState(target)
    if wanted not in UNIT_STEPS[current]:
        return [_problem("unit_step_not_allowed", state=current.value, target=wanted.value)]
    return []


# --- 2. sales contract register (商品房买卖契约) ----------------------------------


class ContractState(StrEnum):
    REGISTERED = "registered"
    HANDED_TO_AFTERSALES = "handed_to_aftersales"
    CONFIRMED = "confirmed"
    ARCHIVED = "archived"


class PaymentMethod(StrEnum):
    ONE_PAYMENT = "one_payment"
    INSTALMENTS = "instalments"
    MORTGAGE = "mortgage"


SALES_AGENT = "sales_agent"
AFTERSALES_OFFICER = "aftersales_officer"

# 二、1: the sales agent signs and registers the contract and hands it over; the
# after-sales staff register it in the archive (登记存档). ``None`` is "no contract yet".
CONTRACT_STEPS: dict[ContractState | None, tuple[ContractState, str]] = {
    None: (ContractState.REGISTERED, SALES_AGENT),
    ContractState.REGISTERED: (ContractState.HANDED_TO_AFTERSALES, SALES_AGENT),
    ContractState.HANDED_TO_AFTERSALES: (ContractState.CONFIRMED, AFTERSALES_OFFICER),
    ContractState.CONFIRMED: (ContractState.ARCHIVED, AFTERSALES_OFFICER),
}


def check_contract_step(state: str | None, target: str, role_codes: Collection[str]) -> list[Problem]:
    """Refusals for moving a contract from ``state`` (``None``: new) to ``target``.

    Only the next step in the register is allowed, and only for the role that owns it:
    ``sales_agent`` registers and hands over, ``aftersales_officer`` confirms and
    archives. Both refusals are reported when both apply.
    """
    current = None if state is None else ContractState(state)
    wanted = ContractState(target)
    problems: list[Problem] = []
    step = CONTRACT_STEPS.get(current)
    if step is None or step[0] != wanted:
        problems.append(_problem("contract_step_not_allowed", state=current.value if current else "",
                                 target=wanted.value))
    owner = next((role for nxt, role in CONTRACT_STEPS.values() if nxt == wanted), None)
    if owner is not None and owner not in role_codes:
        problems.append(_problem("contract_step_needs_role", role=owner, target=wanted.value))
    return problems


def check_contract(
    price: Decimal | None,
    area: Decimal | None,
    signing_date: date | None,
    unit_state: str,
    payment_method: str,
    *,
    today: date | None = None,
) -> list[Problem]:
    """Problems with a contract about to be registered (empty list: it may be registered).

    Price in yuan (positive, whole cents), area in m² (positive), a signing date (not
    after ``today`` when given), a unit still available or reserved for this buyer, and
    one of the three payment methods of 二、2–3.
    """
    problems: list[Problem] = []
    if price is None:
        problems.append(_problem("price_missing"))
    else:
        price = _require_decimal("price", price)
        if price <= 0:
            problems.append(_problem("price_not_positive"))
        elif price != price.quantize(CENT):
            problems.append(_problem("price_not_in_cents"))
    if area is None:
        problems.append(_problem("area_missing"))
    else:
        area = _require_decimal("area", area)
        if area <= 0:
            problems.append(_problem("area_not_positive"))
    if signing_date is None:
        problems.append(_problem("signing_date_missing"))
    elif today is not None and signing_date > today:
        problems.append(_problem("signing_date_in_future"))
    unit = UnitState(unit_state)
    if unit not in (UnitState.AVAILABLE, UnitState.RESERVED):
        problems.append(_problem("unit_not_for_sale", state=unit.value))
    if payment_method not in set(PaymentMethod):
        problems.append(_problem("payment_method_unknown", method=payment_method))
    return problems


def _require_decimal(name: str, value: Any) -> Decimal:
    # A float would smuggle binary rounding into money and areas; ints are exact.
    if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value}")
    return value


# --- 3. payments: instalments (二、3) ---------------------------------------------

Schedule = Sequence[tuple[date, Decimal]]


def instalment_schedule(total: Decimal, first_due: date, count: int, every_months: int) -> list[tuple[date, Decimal]]:
    """Split ``total`` into ``count`` instalments, one every ``every_months`` months.

    Due dates count from ``first_due`` (not from the previous instalment), so a schedule
    starting on the 31st comes back to the 31st after a short month: 01-31, 02-29, 03-31.
    Every instalment but the last is the share cut down to the cent; the last one takes
    the remainder, so the amounts sum to ``total`` exactly and none is negative.
    """
    total = _require_decimal("total", total)
    if total <= 0 or total != total.quantize(CENT):
        raise ValueError(f"total must be a positive amount in whole cents, got {total}")
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    if every_months < 1:
        raise ValueError(f"every_months must be >= 1, got {every_months}")
    # Rounding down (not half-up) keeps the remainder non-negative: half-up shares of
    # 0.50 over 100 instalments would be 0.01 each and leave the last one at -0.49.
    share = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    last = (total - share * (count - 1)).quantize(CENT)
    return [(add_months(first_due, i * every_months), last if i == count - 1 else share) for i in range(count)]


def _unpaid(schedule: Schedule, paid: Collection[int]) -> list[int]:
    unknown = [i for i in paid if not 0 <= i < len(schedule)]
    if unknown:
        raise ValueError(f"paid indexes {sorted(unknown)} are not in a schedule of {len(schedule)}")
    return [i for i in range(len(schedule)) if i not in paid]


def reminders_due(schedule: Schedule, paid: Collection[int], today: date, settings: Mapping[str, Any]) -> list[int]:
    """Indexes of unpaid instalments the customer should be reminded of today.

    二、3 (通知其将款项及时付清): from ``instalment_reminder_days`` before the due date up
    to the due date itself, both included. A window rather than a single day, so a
    reminder missed on one day still shows the next; the view records what was sent.
    After the due date the instalment is on the :func:`overdue` list instead.
    """
    days = int(settings["instalment_reminder_days"])
    return [i for i in _unpaid(schedule, paid) if schedule[i][0] - timedelta(days=days) <= today <= schedule[i][0]]


def overdue(schedule: Schedule, paid: Collection[int], today: date) -> list[int]:
    """Indexes of unpaid instalments whose due date has passed (paying on the due day is on time)."""
    return [i for i in _unpaid(schedule, paid) if schedule[i][0] < today]


# --- 3. payments: mortgage (二、2: 代办按揭手续，并督促银行尽快安排款项到帐) -----------


class MortgageStep(StrEnum):
    DOCUMENTS_COLLECTED = "documents_collected"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    LOAN_RECEIVED = "loan_received"


MORTGAGE_STEPS: tuple[MortgageStep, ...] = tuple(MortgageStep)


def check_mortgage_step(current: str | None, target: str) -> list[Problem]:
    """Refusals for recording mortgage step ``target`` after ``current`` (``None``: none yet).

    The steps are taken in order, one at a time: no skipping, no going back, no repeat.
    """
    position = -1 if current is None else MORTGAGE_STEPS.index(MortgageStep(current))
    wanted = MortgageStep(target)
    if position + 1 >= len(MORTGAGE_STEPS):
        return [_problem("mortgage_finished")]
    expected = MORTGAGE_STEPS[position + 1]
    if wanted != expected:
        return [_problem("mortgage_step_out_of_order", target=wanted.value, expected=expected.value)]
    return []


def loan_days_late(expected_loan_date: date | None, loan_received_on: date | None, today: date) -> int:
    """Days the loan is past its expected date (0 when received, not yet due, or no date)."""
    if loan_received_on is not None or expected_loan_date is None:
        return 0
    return max(0, (today - expected_loan_date).days)


def mortgage_late(
    expected_loan_date: date | None, loan_received_on: date | None, today: date, settings: Mapping[str, Any]
) -> bool:
    """Is the loan late enough to put the bank on the chase list?

    The setting reads "chase the bank when the loan is late by (days)" (催办 after the
    loan is overdue by more than N days), so: not received and more than
    ``mortgage_chase_days`` days past the expected date. On day expected + N it is not
    yet on the list; on expected + N + 1 it is. No expected date, no chase.
    """
    return loan_days_late(expected_loan_date, loan_received_on, today) > int(settings["mortgage_chase_days"])


# --- 4. move-in notices (入住通知单, 二、9) ----------------------------------------


class NoticeMethod(StrEnum):
    REGISTERED_MAIL = "registered_mail"  # 挂号信
    FAX = "fax"  # 传真


def units_for_move_in(units: Iterable[tuple[Any, str]], building_accepted: bool) -> list[Any]:
    """Ids of the units that get a move-in notice, in the order given.

    二、4 and 9: only after the building's completion acceptance (竣工验收), and only for
    sold units — available ones have no owner, handed-over ones have moved in already.
    """
    if not building_accepted:
        return []
    return [unit_id for unit_id, state in units if UnitState(state) == UnitState.SOLD]


def check_notice_sent(
    method: str | None, tracking_number: str | None, sent_at: date | datetime | None, *, today: date | None = None
) -> list[Problem]:
    """Problems with recording how a move-in notice was sent.

    Registered mail or fax only (二、9); registered mail needs its tracking number so the
    delivery can be proved; the sending date is required and not after ``today`` when given.
    """
    problems: list[Problem] = []
    if method not in set(NoticeMethod):
        problems.append(_problem("notice_method_unknown", method=method or ""))
    elif method == NoticeMethod.REGISTERED_MAIL and not (tracking_number or "").strip():
        problems.append(_problem("tracking_number_missing"))
    if sent_at is None:
        problems.append(_problem("sent_at_missing"))
    elif today is not None and (sent_at.date() if isinstance(sent_at, datetime) else sent_at) > today:
        problems.append(_problem("sent_at_in_future"))
    return problems


# --- 5. handover (交房) ------------------------------------------------------------


class Judgement(StrEnum):
    OK = "ok"
    DEFECT = "defect"


DEFAULT_CHECKLIST = "doors_windows,walls_ceiling,floor,plumbing,electrical,kitchen,bathroom,balcony"
# Water, electricity and gas are what a Chinese home is handed over with; a branch whose
# buildings have no gas (or add heating) changes the ``handover_meters`` setting.
DEFAULT_METERS = "water,electricity,gas"


def parse_checklist(text: str | None) -> list[str]:
    """The branch's handover checklist template (setting ``handover_checklist``) as item codes."""
    return parse_list(text)


def check_handover(
    checklist: Mapping[str, str | None],
    owner_signed: bool,
    keys_handed: int | None,
    meter_readings: Mapping[str, Decimal | int | None],
    settings: Mapping[str, Any],
) -> list[Problem]:
    """Refusals for completing a handover; an empty list lets the unit become handed over.

    Every checklist item judged "ok" or "defect" (defects do not block: they become repair
    tickets, see :func:`defects`), the owner's signature, at least one key recorded, and a
    reading for every meter of the branch's ``handover_meters`` setting.
    """
    problems: list[Problem] = []
    if not checklist:
        problems.append(_problem("checklist_empty"))
    for item, judgement in checklist.items():
        if judgement is None or judgement == "":
            problems.append(_problem("checklist_item_unjudged", item=item))
        elif judgement not in set(Judgement):
            raise ValueError(f"checklist item {item!r}: unknown judgement {judgement!r}")
    if not owner_signed:
        problems.append(_problem("owner_signature_missing"))
    if keys_handed is None or keys_handed < 1:
        problems.append(_problem("keys_not_recorded"))
    for meter in parse_list(settings.get("handover_meters", DEFAULT_METERS)):
        reading = meter_readings.get(meter)
        if reading is None:
            problems.append(_problem("meter_not_read", meter=meter))
        else:
            if _require_decimal("meter reading", reading) < 0:
                problems.append(_problem("meter_reading_negative", meter=meter))
    return problems


def defects(checklist: Mapping[str, str | None]) -> list[str]:
    """Checklist items judged "defect", in checklist order: one repair ticket each for the
    property-management company."""
    return [item for item, judgement in checklist.items() if judgement == Judgement.DEFECT]


# --- 6. property certificate (产权证, 二、5 and 10) ---------------------------------


class CertificateStatus(StrEnum):
    OK = "ok"
    WARN = "warn"
    OVERDUE = "overdue"
    DONE = "done"


def certificate_deadline(handover_on: date, settings: Mapping[str, Any]) -> date:
    """Last day to get the property certificate: ``certificate_months`` after handover.

    二、10 "在房屋交付后三个月内". Counted like a legal period (民法典 第二百零一、二百零二条):
    the handover day is day 0 and the period ends on the same day of the last month, or
    that month's last day when it has no such day: 2026-11-30 -> 2027-02-28.
    """
    return add_months(handover_on, int(settings["certificate_months"]))


def certificate_status(
    handover_on: date, today: date, done_on: date | None, settings: Mapping[str, Any]
) -> CertificateStatus:
    """"done" once the certificate is obtained; otherwise "overdue" after the deadline,
    "warn" from ``certificate_warning_days`` before it up to the deadline day (both
    included), and "ok" before that."""
    if done_on is not None:
        return CertificateStatus.DONE
    deadline = certificate_deadline(handover_on, settings)
    if today > deadline:
        return CertificateStatus.OVERDUE
    if today >= deadline - timedelta(days=int(settings["certificate_warning_days"])):
        return CertificateStatus.WARN
    return CertificateStatus.OK


# --- 7. disputes (二、11) -----------------------------------------------------------


def dispute_needs_escalation(answered: bool, customer_accepts: bool | None) -> bool:
    """Goes to the branch leader (汇报给分管领导) when the office could not answer it, or
    answered and the customer does not accept. ``None``: the customer has not replied yet,
    so nothing to escalate yet."""
    if not answered:
        return True
    return customer_accepts is False
