"""Rules of the property sales office (REQUIREMENTS §3.4, seed 004 regulations 6 and 12)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.real_estate import messages, portal_settings
from plugins.real_estate.rules import (
    CertificateStatus,
    add_months,
    certificate_deadline,
    certificate_status,
    check_contract,
    check_contract_step,
    check_handover,
    check_mortgage_step,
    check_notice_sent,
    check_unit_step,
    defects,
    dispute_needs_escalation,
    instalment_schedule,
    loan_days_late,
    mortgage_late,
    overdue,
    parse_checklist,
    reminders_due,
    units_for_move_in,
)

SETTINGS = {s.key: s.default for s in portal_settings()}


@pytest.fixture(autouse=True)
def _clean():
    """Replaces tests/conftest.py's database clean-up: pure rules need no app and no database."""
    yield


def codes(problems):
    return [p.code for p in problems]


# --- units --------------------------------------------------------------------


@pytest.mark.parametrize("state, target, allowed", [
    ("available", "reserved", True),
    ("available", "sold", True),  # contract signed on the spot
    ("reserved", "sold", True),
    ("reserved", "available", True),  # reservation cancelled
    ("sold", "handed_over", True),
    ("available", "handed_over", False),
    ("reserved", "handed_over", False),
    ("sold", "available", False),
    ("sold", "reserved", False),
    ("handed_over", "sold", False),
    ("handed_over", "available", False),
])
def test_unit_steps(state, target, allowed):
    assert (check_unit_step(state, target) == []) is allowed


# --- contract register --------------------------------------------------------

AGENT, OFFICER = {"sales_agent"}, {"aftersales_officer"}


@pytest.mark.parametrize("state, target, roles, expected", [
    (None, "registered", AGENT, []),
    ("registered", "handed_to_aftersales", AGENT, []),
    ("handed_to_aftersales", "confirmed", OFFICER, []),
    ("confirmed", "archived", OFFICER, []),
    # the right step by the wrong role
    (None, "registered", OFFICER, ["contract_step_needs_role"]),
    ("registered", "handed_to_aftersales", OFFICER, ["contract_step_needs_role"]),
    ("handed_to_aftersales", "confirmed", AGENT, ["contract_step_needs_role"]),
    ("confirmed", "archived", AGENT, ["contract_step_needs_role"]),
    ("confirmed", "archived", {"property_liaison"}, ["contract_step_needs_role"]),
    ("confirmed", "archived", set(), ["contract_step_needs_role"]),
    # skipping or going back, even by the right role
    ("registered", "confirmed", OFFICER, ["contract_step_not_allowed"]),
    ("registered", "archived", OFFICER, ["contract_step_not_allowed"]),
    (None, "handed_to_aftersales", AGENT, ["contract_step_not_allowed"]),
    ("archived", "registered", AGENT, ["contract_step_not_allowed"]),
    ("confirmed", "confirmed", OFFICER, ["contract_step_not_allowed"]),
    # both wrong: both said
    ("registered", "archived", AGENT, ["contract_step_not_allowed", "contract_step_needs_role"]),
])
def test_contract_steps_per_role(state, target, roles, expected):
    assert codes(check_contract_step(state, target, roles)) == expected


def test_someone_with_both_roles_may_do_every_step():
    both = AGENT | OFFICER
    state = None
    for target in ("registered", "handed_to_aftersales", "confirmed", "archived"):
        assert check_contract_step(state, target, both) == []
        state = target


TODAY = date(2026, 3, 10)
GOOD = dict(price=Decimal("1280000.00"), area=Decimal("98.60"), signing_date=TODAY, unit_state="reserved",
            payment_method="mortgage")


def test_a_complete_contract_on_an_available_or_reserved_unit_is_accepted():
    assert check_contract(**GOOD, today=TODAY) == []
    assert check_contract(**{**GOOD, "unit_state": "available"}, today=TODAY) == []


@pytest.mark.parametrize("change, expected", [
    ({"price": Decimal("0")}, "price_not_positive"),
    ({"price": Decimal("-1.00")}, "price_not_positive"),
    ({"price": None}, "price_missing"),
    ({"price": Decimal("1000.005")}, "price_not_in_cents"),
    ({"area": Decimal("0")}, "area_not_positive"),
    ({"area": None}, "area_missing"),
    ({"signing_date": None}, "signing_date_missing"),
    ({"signing_date": TODAY + timedelta(days=1)}, "signing_date_in_future"),
    ({"unit_state": "sold"}, "unit_not_for_sale"),
    ({"unit_state": "handed_over"}, "unit_not_for_sale"),
    ({"payment_method": "cash_in_a_bag"}, "payment_method_unknown"),
    ({"payment_method": ""}, "payment_method_unknown"),
])
def test_contract_problems(change, expected):
    assert codes(check_contract(**{**GOOD, **change}, today=TODAY)) == [expected]


def test_a_float_price_is_a_programming_error_not_a_rounding_surprise():
    with pytest.raises(TypeError):
        check_contract(**{**GOOD, "price": 1280000.0})


# --- instalments --------------------------------------------------------------


def test_schedule_last_instalment_absorbs_the_cents():
    schedule = instalment_schedule(Decimal("100000.00"), date(2026, 1, 15), 3, 1)
    assert schedule == [
        (date(2026, 1, 15), Decimal("33333.33")),
        (date(2026, 2, 15), Decimal("33333.33")),
        (date(2026, 3, 15), Decimal("33333.34")),
    ]


def test_schedule_from_the_31st_comes_back_to_the_31st_after_short_months():
    dates = [d for d, _ in instalment_schedule(Decimal("600.00"), date(2024, 1, 31), 4, 1)]
    assert dates == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def test_schedule_every_three_months_over_a_year_end():
    dates = [d for d, _ in instalment_schedule(Decimal("400.00"), date(2025, 11, 30), 3, 3)]
    assert dates == [date(2025, 11, 30), date(2026, 2, 28), date(2026, 5, 30)]


def test_tiny_total_over_many_instalments_never_goes_negative():
    amounts = [a for _, a in instalment_schedule(Decimal("0.50"), date(2026, 1, 1), 100, 1)]
    assert all(a >= 0 for a in amounts)
    assert sum(amounts) == Decimal("0.50")


@given(
    total=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2),
    count=st.integers(1, 360),
    every=st.integers(1, 12),
)
def test_any_total_splits_to_the_cent_and_sums_back(total, count, every):
    schedule = instalment_schedule(total, date(2026, 1, 31), count, every)
    amounts = [a for _, a in schedule]
    assert len(schedule) == count
    assert sum(amounts) == total
    assert all(a == a.quantize(Decimal("0.01")) and a >= 0 for a in amounts)
    # all but the last are equal; the last differs by less than one cent per instalment
    assert len(set(amounts[:-1])) <= 1
    assert Decimal(0) <= amounts[-1] - amounts[0] < Decimal("0.01") * count
    dates = [d for d, _ in schedule]
    assert dates == sorted(dates) and len(set(dates)) == count


@pytest.mark.parametrize("total, count, every", [
    (Decimal("0"), 3, 1), (Decimal("-100.00"), 3, 1), (Decimal("100.001"), 3, 1),
    (Decimal("100.00"), 0, 1), (Decimal("100.00"), 3, 0),
])
def test_impossible_schedules_are_refused(total, count, every):
    with pytest.raises(ValueError):
        instalment_schedule(total, date(2026, 1, 1), count, every)


# Due on 2024-02-29 (leap day), 2024-03-31 and 2024-04-30.
LEAP = instalment_schedule(Decimal("3000.00"), date(2024, 2, 29), 3, 1)


def test_leap_schedule_dates():
    assert [d for d, _ in LEAP] == [date(2024, 2, 29), date(2024, 3, 29), date(2024, 4, 29)]


MONTH_END = instalment_schedule(Decimal("3000.00"), date(2024, 1, 31), 3, 1)  # 01-31, 02-29, 03-31


@pytest.mark.parametrize("today, expected", [
    (date(2024, 1, 23), []),  # 8 days before 01-31
    (date(2024, 1, 24), [0]),  # 7 days before: first reminder day
    (date(2024, 1, 31), [0]),  # the due day itself
    (date(2024, 2, 1), []),  # after it: overdue, not reminded
    (date(2024, 2, 21), []),  # 8 days before the leap day
    (date(2024, 2, 22), [1]),  # 7 days before 02-29
    (date(2024, 2, 29), [1]),
    (date(2024, 3, 1), []),
    (date(2024, 3, 24), [2]),  # 7 days before 03-31
    (date(2024, 3, 31), [2]),
])
def test_reminders_on_the_right_days(today, expected):
    assert reminders_due(MONTH_END, set(), today, SETTINGS) == expected


def test_no_reminder_for_a_paid_instalment():
    assert reminders_due(MONTH_END, {1}, date(2024, 2, 25), SETTINGS) == []


def test_reminder_days_follow_the_branch_setting():
    assert reminders_due(MONTH_END, set(), date(2024, 1, 21), {**SETTINGS, "instalment_reminder_days": 10}) == [0]
    assert reminders_due(MONTH_END, set(), date(2024, 1, 29), {**SETTINGS, "instalment_reminder_days": 1}) == []


def test_reminder_windows_may_overlap_for_short_intervals():
    weekly = [(date(2026, 1, 10), Decimal("1.00")), (date(2026, 1, 15), Decimal("1.00"))]
    assert reminders_due(weekly, set(), date(2026, 1, 9), SETTINGS) == [0, 1]


@pytest.mark.parametrize("today, paid, expected", [
    (date(2024, 1, 31), set(), []),  # paying on the due day is on time
    (date(2024, 2, 1), set(), [0]),
    (date(2024, 2, 29), set(), [0]),
    (date(2024, 3, 1), set(), [0, 1]),  # the day after the leap day
    (date(2024, 3, 1), {0}, [1]),
    (date(2024, 4, 1), {1}, [0, 2]),
    (date(2024, 4, 1), {0, 1, 2}, []),
])
def test_overdue_list(today, paid, expected):
    assert overdue(MONTH_END, paid, today) == expected


def test_a_paid_index_outside_the_schedule_is_a_bug():
    with pytest.raises(ValueError):
        overdue(MONTH_END, {3}, date(2024, 4, 1))


# --- mortgage -----------------------------------------------------------------

STEPS = ["documents_collected", "submitted", "approved", "loan_received"]


def test_mortgage_steps_in_order_are_accepted():
    current = None
    for step in STEPS:
        assert check_mortgage_step(current, step) == []
        current = step


@pytest.mark.parametrize("current, target", [
    (None, "submitted"),
    (None, "loan_received"),
    ("documents_collected", "approved"),
    ("submitted", "loan_received"),
    ("approved", "submitted"),  # no going back
    ("submitted", "submitted"),  # no repeat
])
def test_mortgage_skips_and_steps_back_are_refused(current, target):
    assert codes(check_mortgage_step(current, target)) == ["mortgage_step_out_of_order"]


def test_nothing_follows_the_loan():
    assert codes(check_mortgage_step("loan_received", "loan_received")) == ["mortgage_finished"]


EXPECTED_LOAN = date(2026, 1, 31)


@pytest.mark.parametrize("today, late", [
    (EXPECTED_LOAN, False),
    (EXPECTED_LOAN + timedelta(days=29), False),
    (EXPECTED_LOAN + timedelta(days=30), False),  # late by exactly 30 days: not yet
    (EXPECTED_LOAN + timedelta(days=31), True),  # by more than 30: chase the bank
    (date(2026, 12, 31), True),
])
def test_mortgage_chase_boundary(today, late):
    assert mortgage_late(EXPECTED_LOAN, None, today, SETTINGS) is late


def test_a_received_loan_or_one_without_an_expected_date_is_never_chased():
    far = date(2027, 1, 1)
    assert mortgage_late(EXPECTED_LOAN, date(2026, 6, 1), far, SETTINGS) is False
    assert mortgage_late(None, None, far, SETTINGS) is False
    assert loan_days_late(EXPECTED_LOAN, None, EXPECTED_LOAN - timedelta(days=5)) == 0


def test_chase_days_follow_the_branch_setting():
    assert mortgage_late(EXPECTED_LOAN, None, EXPECTED_LOAN + timedelta(days=8),
                         {**SETTINGS, "mortgage_chase_days": 7}) is True


# --- move-in notices ----------------------------------------------------------

UNITS = [(1, "available"), (2, "sold"), (3, "reserved"), (4, "handed_over"), (5, "sold")]


def test_move_in_notices_only_for_sold_units_of_an_accepted_building():
    assert units_for_move_in(UNITS, building_accepted=True) == [2, 5]


def test_no_move_in_notices_before_completion_acceptance():
    assert units_for_move_in(UNITS, building_accepted=False) == []


SENT = datetime(2026, 3, 9, 15, 30)


@pytest.mark.parametrize("method, tracking, sent_at, expected", [
    ("registered_mail", "XA123456789CN", SENT, []),
    ("fax", None, SENT, []),
    ("fax", "", date(2026, 3, 10), []),
    ("registered_mail", None, SENT, ["tracking_number_missing"]),
    ("registered_mail", "   ", SENT, ["tracking_number_missing"]),
    ("email", "x", SENT, ["notice_method_unknown"]),
    (None, None, SENT, ["notice_method_unknown"]),
    ("fax", None, None, ["sent_at_missing"]),
    ("fax", None, datetime(2026, 3, 11, 8, 0), ["sent_at_in_future"]),
])
def test_notice_sent(method, tracking, sent_at, expected):
    assert codes(check_notice_sent(method, tracking, sent_at, today=date(2026, 3, 10))) == expected


# --- handover -----------------------------------------------------------------

TEMPLATE = parse_checklist(SETTINGS["handover_checklist"])
ALL_OK = {item: "ok" for item in TEMPLATE}
METERS_READ = {"water": Decimal("0.0"), "electricity": Decimal("12.5"), "gas": 3}


def test_default_checklist_items_all_have_labels():
    assert TEMPLATE and all(item in messages.CHECKLIST_ITEMS for item in TEMPLATE)


def test_a_complete_handover_passes_even_with_defects():
    checklist = {**ALL_OK, "kitchen": "defect", "balcony": "defect"}
    assert check_handover(checklist, True, 3, METERS_READ, SETTINGS) == []
    assert defects(checklist) == ["kitchen", "balcony"]


def test_handover_is_blocked_without_the_owner_signature():
    assert codes(check_handover(ALL_OK, False, 3, METERS_READ, SETTINGS)) == ["owner_signature_missing"]


def test_handover_is_blocked_by_unjudged_items_naming_each():
    checklist = {**ALL_OK, "floor": None, "plumbing": ""}
    problems = check_handover(checklist, True, 3, METERS_READ, SETTINGS)
    assert [(p.code, p.kwargs["item"]) for p in problems] == [
        ("checklist_item_unjudged", "floor"), ("checklist_item_unjudged", "plumbing")]


def test_handover_is_blocked_with_an_empty_checklist():
    assert codes(check_handover({}, True, 3, METERS_READ, SETTINGS)) == ["checklist_empty"]


@pytest.mark.parametrize("keys", [0, None, -1])
def test_handover_needs_the_keys_recorded(keys):
    assert codes(check_handover(ALL_OK, True, keys, METERS_READ, SETTINGS)) == ["keys_not_recorded"]


def test_handover_needs_every_meter_of_the_branch_read():
    problems = check_handover(ALL_OK, True, 2, {"water": Decimal("1"), "gas": Decimal("-1")}, SETTINGS)
    assert [(p.code, p.kwargs["meter"]) for p in problems] == [
        ("meter_not_read", "electricity"), ("meter_reading_negative", "gas")]


def test_a_branch_without_gas_does_not_ask_for_it():
    settings = {**SETTINGS, "handover_meters": "water，electricity"}
    assert check_handover(ALL_OK, True, 2, {"water": 1, "electricity": 2}, settings) == []


def test_everything_missing_is_said_at_once():
    problems = check_handover({"floor": None}, False, 0, {}, SETTINGS)
    assert codes(problems) == ["checklist_item_unjudged", "owner_signature_missing", "keys_not_recorded",
                               "meter_not_read", "meter_not_read", "meter_not_read"]


@pytest.mark.parametrize("text, items", [
    ("floor,walls_ceiling", ["floor", "walls_ceiling"]),
    (" floor , ,kitchen，阳台护栏,floor ", ["floor", "kitchen", "阳台护栏"]),
    ("", []),
    (None, []),
])
def test_parse_checklist(text, items):
    assert parse_checklist(text) == items


def test_checklist_setting_refuses_an_empty_template():
    setting = next(s for s in portal_settings() if s.key == "handover_checklist")
    assert setting.validate(" , ，") is not None
    assert setting.validate("floor") is None


# --- property certificate -----------------------------------------------------


@pytest.mark.parametrize("handover, deadline", [
    (date(2026, 1, 15), date(2026, 4, 15)),
    (date(2026, 11, 30), date(2027, 2, 28)),
    (date(2027, 11, 30), date(2028, 2, 29)),  # leap year
    (date(2026, 3, 31), date(2026, 6, 30)),
])
def test_certificate_deadline(handover, deadline):
    assert certificate_deadline(handover, SETTINGS) == deadline


HANDOVER = date(2026, 11, 30)  # deadline 2027-02-28, warnings from 2027-02-14


@pytest.mark.parametrize("today, status", [
    (HANDOVER, "ok"),
    (date(2027, 2, 13), "ok"),  # 15 days before
    (date(2027, 2, 14), "warn"),  # 14 days before: first warning day
    (date(2027, 2, 28), "warn"),  # the deadline day itself is still in time
    (date(2027, 3, 1), "overdue"),
])
def test_certificate_warning_boundaries(today, status):
    assert certificate_status(HANDOVER, today, None, SETTINGS) == status


def test_certificate_done_is_done_whatever_the_date():
    assert certificate_status(HANDOVER, date(2027, 6, 1), date(2027, 3, 5), SETTINGS) == CertificateStatus.DONE


def test_certificate_follows_the_branch_settings():
    settings = {**SETTINGS, "certificate_months": 6, "certificate_warning_days": 30}
    assert certificate_deadline(HANDOVER, settings) == date(2027, 5, 30)
    assert certificate_status(HANDOVER, date(2027, 4, 29), None, settings) == "ok"
    assert certificate_status(HANDOVER, date(2027, 4, 30), None, settings) == "warn"


@given(st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.integers(0, 200))
def test_certificate_status_only_gets_worse_as_days_pass(handover, days):
    order = ["ok", "warn", "overdue"]
    today = handover + timedelta(days=days)
    before = certificate_status(handover, today, None, SETTINGS)
    after = certificate_status(handover, today + timedelta(days=1), None, SETTINGS)
    assert order.index(after) >= order.index(before)


def test_add_months_clamps():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


# --- disputes -----------------------------------------------------------------


@pytest.mark.parametrize("answered, accepts, escalate", [
    (False, None, True),  # could not answer: to the branch leader
    (False, False, True),
    (True, False, True),  # answered, customer does not accept
    (True, True, False),
    (True, None, False),  # waiting for the customer
])
def test_dispute_escalation(answered, accepts, escalate):
    assert dispute_needs_escalation(answered, accepts) is escalate


# --- messages -----------------------------------------------------------------


def test_every_problem_code_has_a_message():
    samples = [
        *check_unit_step("sold", "available"),
        *check_contract_step("registered", "archived", set()),
        *check_contract(None, None, None, "sold", "x"),
        *check_contract(Decimal("-1"), Decimal("-1"), TODAY + timedelta(days=1), "sold", "x", today=TODAY),
        *check_contract(Decimal("1.001"), Decimal("1"), TODAY, "sold", "x"),
        *check_mortgage_step(None, "approved"), *check_mortgage_step("loan_received", "approved"),
        *check_notice_sent("registered_mail", None, None),
        *check_notice_sent("pigeon", None, datetime(2030, 1, 1), today=TODAY),
        *check_handover({}, False, 0, {}, SETTINGS), *check_handover({"x": None}, True, 1, {"gas": -1}, SETTINGS),
    ]
    assert {p.code for p in samples} == set(messages.REASONS)


def test_explain_names_the_state_in_words(app_free_babel):
    with app_free_babel:
        text = messages.explain(check_unit_step("sold", "available")[0])
    assert text == "A unit that is “Sold” cannot be set to “Available”."


def test_explain_shows_a_branch_own_checklist_item_as_typed(app_free_babel):
    problem = check_handover({"阳台护栏": None}, True, 1, METERS_READ, SETTINGS)[0]
    with app_free_babel:
        assert "“阳台护栏”" in messages.explain(problem)


@pytest.fixture
def app_free_babel():
    """A bare Flask app with Babel, English: enough for lazy strings, nothing of the portal."""
    from flask import Flask
    from flask_babel import Babel

    bare = Flask(__name__)
    Babel(bare, locale_selector=lambda: "en")
    return bare.app_context()
