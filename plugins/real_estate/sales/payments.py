"""How the buyer pays (二、2–3): one payment, instalments on a schedule with reminders
before each due date and an overdue list, or a mortgage whose bank case is followed step
by step and chased when the loan is late. The dates come from ``today`` passed in, so the
lists can be checked on any day. Services never commit."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _

from portal.plugin_api import TicketError, db

from .. import rules
from .common import (
    as_id, local_today, may_any, parse_date, parse_int, parse_money, refuse, require_settings, settings_of, text,
)
from .models import Contract, Mortgage, Payment

WORKERS = ("estate.sell", "estate.aftersales")
MAX_INSTALMENTS = 120
LIST_LIMIT = 500
#: The widest reminder window a branch may set (the setting's maximum), to bound the query.
MAX_REMINDER_DAYS = 60
STEP_DATE = {
    rules.MortgageStep.DOCUMENTS_COLLECTED.value: "documents_collected_on",
    rules.MortgageStep.SUBMITTED.value: "submitted_on",
    rules.MortgageStep.APPROVED.value: "approved_on",
    rules.MortgageStep.LOAN_RECEIVED.value: "loan_received_on",
}


# --- setting up, at registration -------------------------------------------------------------

def set_up(contract: Contract, form) -> None:
    """The payments the contract's method asks for, from the registration form."""
    method = contract.payment_method
    if method == rules.PaymentMethod.ONE_PAYMENT.value:
        due = parse_date(form.get("due_on"), "due_on", required=False) or contract.signed_on
        db.session.add(Payment(branch_id=contract.branch_id, contract=contract, seq=0, due_on=due,
                               amount_due=contract.price))
    elif method == rules.PaymentMethod.INSTALMENTS.value:
        first_due = parse_date(form.get("first_due_on"), "first_due_on")
        count = parse_int(form.get("instalments"), "instalments", 2, MAX_INSTALMENTS)
        every = parse_int(form.get("every_months"), "every_months", 1, 24)
        if first_due < contract.signed_on:
            raise TicketError(_("The first instalment cannot fall due before the signing date."),
                              {"first_due_on": "x"})
        for seq, (due, amount) in enumerate(rules.instalment_schedule(contract.price, first_due, count, every)):
            db.session.add(Payment(branch_id=contract.branch_id, contract=contract, seq=seq, due_on=due,
                                   amount_due=amount))
    elif method == rules.PaymentMethod.MORTGAGE.value:
        bank = text(form.get("bank"), 120)
        if not bank:
            raise TicketError(_("Enter the bank of the mortgage."), {"bank": "x"})
        amount = parse_money(form.get("loan_amount"), "loan_amount")
        if amount > contract.price:
            raise TicketError(_("The loan cannot be more than the contract price."), {"loan_amount": "x"})
        expected = parse_date(form.get("expected_loan_on"), "expected_loan_on", required=False)
        db.session.add(Mortgage(branch_id=contract.branch_id, contract=contract, bank=bank, amount=amount,
                                expected_loan_on=expected))


# --- the schedule ---------------------------------------------------------------------------------

def schedule_of(contract: Contract) -> list[Payment]:
    return db.session.query(Payment).filter(Payment.contract_id == contract.id).order_by(Payment.seq).all()


def payment_in_scope(payment_id, contracts_query):
    """The payment of a contract the user may see (``contracts_query``: the register's scope)."""
    payment_id = as_id(payment_id)
    if payment_id is None:
        return None
    return db.session.query(Payment).filter(
        Payment.id == payment_id, Payment.contract_id.in_(contracts_query.with_entities(Contract.id))).one_or_none()


def _check(payment: Payment, user) -> None:
    may_any(WORKERS, user, payment.branch_id)
    require_settings(payment.branch_id)


def record_payment(payment: Payment, paid_on, amount, user, today: date | None = None) -> None:
    _check(payment, user)
    if payment.paid_on is not None:
        raise TicketError(_("This payment is recorded already."))
    today = today or local_today(payment.branch)
    paid_on = parse_date(paid_on, "paid_on")
    if paid_on > today:
        raise TicketError(_("The payment date is in the future."), {"paid_on": "x"})
    payment.paid_on = paid_on
    payment.amount_paid = parse_money(amount, "amount_paid")


def change_due(payment: Payment, due_on, user) -> None:
    """二、3 leaves the dates to the contract: an agreed new due date for an unpaid instalment."""
    _check(payment, user)
    if payment.paid_on is not None:
        raise TicketError(_("A paid instalment keeps its due date."))
    due = parse_date(due_on, "due_on")
    if due < payment.contract.signed_on:
        raise TicketError(_("An instalment cannot fall due before the signing date."), {"due_on": "x"})
    payment.due_on = due


def record_reminder(payment: Payment, user, today: date | None = None, note: str = "") -> None:
    _check(payment, user)
    if payment.paid_on is not None:
        raise TicketError(_("This instalment is paid; no reminder needed."))
    payment.reminded_on = today or local_today(payment.branch)
    if note:
        payment.note = text(note, 255)


def _unpaid(contracts_query):
    return db.session.query(Payment).join(Contract, Payment.contract_id == Contract.id).filter(
        Payment.paid_on.is_(None), Contract.id.in_(contracts_query.with_entities(Contract.id)))


def reminders_due(contracts_query, today: date) -> list[Payment]:
    """Unpaid instalments the customer should be reminded of on ``today`` (rules.reminders_due
    with each branch's ``instalment_reminder_days``), soonest first."""
    rows = _unpaid(contracts_query).filter(
        Contract.payment_method == rules.PaymentMethod.INSTALMENTS.value,
        Payment.due_on >= today, Payment.due_on <= today + timedelta(days=MAX_REMINDER_DAYS),
    ).order_by(Payment.due_on, Payment.id).limit(LIST_LIMIT).all()
    found = []
    for row in rows:
        settings = settings_of(row.branch_id)
        if settings is not None and rules.reminders_due([(row.due_on, row.amount_due)], (), today, settings):
            found.append(row)
    return found


def overdue(contracts_query, today: date) -> list[Payment]:
    """Unpaid amounts past their due date (rules.overdue), oldest first."""
    rows = _unpaid(contracts_query).filter(Payment.due_on < today).order_by(
        Payment.due_on, Payment.id).limit(LIST_LIMIT).all()
    return [row for row in rows if rules.overdue([(row.due_on, row.amount_due)], (), today)]


def days_overdue(payment: Payment, today: date) -> int:
    return max(0, (today - payment.due_on).days)


# --- the mortgage ------------------------------------------------------------------------------------

def next_mortgage_step(mortgage: Mortgage) -> str | None:
    for step in rules.MORTGAGE_STEPS:
        if not rules.check_mortgage_step(mortgage.step, step.value):
            return step.value
    return None


def mortgage_step(mortgage: Mortgage, target: str, on_date, user, today: date | None = None) -> None:
    """Record the next step of the bank case with its day; steps go in order, one at a time."""
    may_any(WORKERS, user, mortgage.branch_id)
    require_settings(mortgage.branch_id)
    if target not in STEP_DATE:
        raise TicketError(_("There is no such step."))
    refuse(rules.check_mortgage_step(mortgage.step, target))
    today = today or local_today(mortgage.branch)
    day = parse_date(on_date, "on_date")
    if day > today:
        raise TicketError(_("The date of the step is in the future."), {"on_date": "x"})
    previous = STEP_DATE.get(mortgage.step) if mortgage.step else None
    if previous and getattr(mortgage, previous) and day < getattr(mortgage, previous):
        raise TicketError(_("A step cannot be dated before the step before it."), {"on_date": "x"})
    setattr(mortgage, STEP_DATE[target], day)
    mortgage.step = target


def change_expected(mortgage: Mortgage, expected, user) -> None:
    may_any(WORKERS, user, mortgage.branch_id)
    require_settings(mortgage.branch_id)
    if mortgage.loan_received_on is not None:
        raise TicketError(_("The loan has been received; the mortgage case has no further steps."))
    mortgage.expected_loan_on = parse_date(expected, "expected_loan_on")


def record_chase(mortgage: Mortgage, note, user, today: date | None = None) -> None:
    """二、2 督促银行: the day the bank was chased and what it said."""
    may_any(WORKERS, user, mortgage.branch_id)
    require_settings(mortgage.branch_id)
    if mortgage.loan_received_on is not None:
        raise TicketError(_("The loan has been received; the mortgage case has no further steps."))
    mortgage.last_chased_on = today or local_today(mortgage.branch)
    mortgage.chase_note = text(note, 255)


def mortgage_in_scope(mortgage_id, contracts_query):
    mortgage_id = as_id(mortgage_id)
    if mortgage_id is None:
        return None
    return db.session.query(Mortgage).filter(
        Mortgage.id == mortgage_id, Mortgage.contract_id.in_(contracts_query.with_entities(Contract.id))).one_or_none()


def late_mortgages(contracts_query, today: date) -> list[Mortgage]:
    """The chase list: loans not received and late by more than the branch's ``mortgage_chase_days``."""
    rows = db.session.query(Mortgage).filter(
        Mortgage.loan_received_on.is_(None), Mortgage.expected_loan_on < today,
        Mortgage.contract_id.in_(contracts_query.with_entities(Contract.id)),
    ).order_by(Mortgage.expected_loan_on, Mortgage.id).limit(LIST_LIMIT).all()
    found = []
    for row in rows:
        settings = settings_of(row.branch_id)
        if settings is not None and rules.mortgage_late(row.expected_loan_on, row.loan_received_on, today, settings):
            found.append(row)
    return found


def days_late(mortgage: Mortgage, today: date) -> int:
    return rules.loan_days_late(mortgage.expected_loan_on, mortgage.loan_received_on, today)

