"""Rules of the equipment_field plugin (REQUIREMENTS §3.2), without app or database."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.equipment_field import messages
from plugins.equipment_field.rules import (
    Distance,
    DistanceVerdict,
    ExpenseLine,
    InstallFacts,
    SlipLine,
    accompaniment_end,
    add_months,
    arrival_target,
    check_departure,
    check_dispatch,
    check_expense_claim,
    check_install_step,
    check_promise,
    check_slip,
    check_slip_release,
    check_supplier_notice,
    distance_class,
    in_accompaniment,
    leave_site_penalty,
    maintenance_plan,
    needs_travel_approval,
    shortages,
    slip_charge,
    supplier_fault_overdue,
)

SETTINGS = {
    "arrival_hours_in_province": 8,
    "arrival_hours_out_of_province": 24,
    "travel_approval_km": 100,
    "accompaniment_days": 90,
    "maintenance_interval_months": 3,
    "phone_guidance_first": True,
}


def settings(**changes):
    return {**SETTINGS, **changes}


# --- distance class ---------------------------------------------------------------------


@pytest.mark.parametrize("customer,branch", [
    ("河南", "河南"), ("河南省", "河南"), (" 河南省 ", "河南省"), ("上海市", "上海"), ("上海", "上海市"),
    ("广西壮族自治区", "广西"), ("新疆维吾尔自治区", "新疆"), ("内蒙古自治区", "内蒙古"),
    ("香港特别行政区", "香港"), ("廣東省", "广东"), ("Henan", "河南"), ("Henan Province", "河南省"),
    ("河南省郑州市金水区", "河南"),
])
def test_spellings_of_the_same_province_are_in_province(customer, branch):
    verdict = distance_class(customer, branch)
    assert verdict.distance == Distance.IN_PROVINCE
    assert verdict.unknown is False


@pytest.mark.parametrize("customer,branch", [
    ("湖北省", "河南"), ("河北", "河南"), ("陕西", "山西"), ("Shaanxi", "Shanxi"), ("上海市", "北京市"),
    ("广西壮族自治区南宁市", "广东"),
])
def test_different_provinces_are_out_of_province(customer, branch):
    verdict = distance_class(customer, branch)
    assert verdict.distance == Distance.OUT_OF_PROVINCE
    assert verdict.unknown is False


@pytest.mark.parametrize("customer", ["", None, "   "])
def test_missing_customer_province_counts_as_in_province_but_is_flagged(customer):
    verdict = distance_class(customer, "河南")
    assert verdict.distance == Distance.IN_PROVINCE
    assert verdict.unknown is True


def test_unrecognised_province_is_flagged_for_the_dispatcher():
    verdict = distance_class("Atlantis", "河南")
    assert verdict.distance == Distance.OUT_OF_PROVINCE
    assert verdict.unknown is True
    # Two spellings of the same unrecognised name still match, flagged all the same.
    assert distance_class("火星市", "火星省") == DistanceVerdict(Distance.IN_PROVINCE, unknown=True)


# --- arrival targets --------------------------------------------------------------------


def test_arrival_defaults_by_distance_use_branch_settings():
    assert arrival_target("in_province", SETTINGS).working_time == timedelta(hours=8)
    assert arrival_target(Distance.OUT_OF_PROVINCE, SETTINGS).working_time == timedelta(hours=24)
    assert arrival_target("in_province", settings(arrival_hours_in_province=4)).working_time == timedelta(hours=4)


@pytest.mark.parametrize("hours_later", [1, 72])
def test_a_promised_time_replaces_the_default_earlier_or_later(hours_later):
    promised = datetime(2026, 3, 6, 9, tzinfo=UTC) + timedelta(hours=hours_later)
    target = arrival_target("out_of_province", SETTINGS, promised_at=promised)
    assert target.promised and target.promised_at == promised
    assert target.working_time is None
    assert target.default_working_time == timedelta(hours=24)


def test_promise_must_be_timezone_aware_and_not_before_the_request():
    with pytest.raises(ValueError):
        arrival_target("in_province", SETTINGS, promised_at=datetime(2026, 3, 6, 9))
    received = datetime(2026, 3, 6, 9, tzinfo=UTC)
    assert check_promise(received, received - timedelta(minutes=1)) == ["promise_before_request"]
    assert check_promise(received, received) == []
    assert check_promise(received, None) == []


# --- travel approval and departure ------------------------------------------------------


@pytest.mark.parametrize("distance,km,needed", [
    ("out_of_province", 5, True), ("out_of_province", None, True),
    ("in_province", 100, False), ("in_province", 101, True), ("in_province", None, False),
])
def test_travel_needs_approval_out_of_province_or_beyond_the_branch_distance(distance, km, needed):
    assert needs_travel_approval(distance, km, SETTINGS) is needed


def test_travel_distance_threshold_is_a_branch_setting():
    assert needs_travel_approval("in_province", 30, settings(travel_approval_km=20)) is True
    assert needs_travel_approval("in_province", 1, settings(travel_approval_km=0)) is True


def test_departure_is_blocked_until_travel_is_approved():
    assert check_departure(needs_approval=True, approved=False) == ["travel_not_approved"]
    assert check_departure(needs_approval=True, approved=True) == []
    assert check_departure(needs_approval=False, approved=False) == []


# --- phone guidance first ---------------------------------------------------------------


def test_dispatch_is_refused_without_phone_guidance_or_a_reason():
    assert check_dispatch(False, None, SETTINGS) == ["phone_guidance_missing"]
    assert check_dispatch(False, "   ", SETTINGS) == ["phone_guidance_missing"]


def test_dispatch_allowed_after_phone_guidance_or_with_a_written_reason():
    assert check_dispatch(True, None, SETTINGS) == []
    assert check_dispatch(False, "设备已冒烟，客户要求立即上门", SETTINGS) == []


def test_dispatch_allowed_when_the_branch_switched_phone_guidance_off():
    assert check_dispatch(False, None, settings(phone_guidance_first=False)) == []


# --- expense claims ---------------------------------------------------------------------

START, END = date(2026, 3, 2), date(2026, 3, 5)
PLACES = ["郑州", "武汉市"]


def line(day=date(2026, 3, 3), place="武汉", category="lodging", amount="300.00", receipts=1, to_place=""):
    return ExpenseLine(day, place, category, Decimal(amount), receipts, to_place)


def codes(check):
    return [p.code for p in check.problems]


def test_a_correct_claim_has_no_problems_and_settles_against_the_advance():
    lines = [line(date(2026, 3, 2), "郑州", "transport", "220.50", 1, to_place="武汉"), line(),
             line(date(2026, 3, 5), "武汉市", "allowance", "150", 0)]
    check = check_expense_claim(START, END, PLACES, lines, Decimal("500"))
    assert check.ok
    assert check.total == Decimal("670.50")
    assert check.settlement == Decimal("170.50")  # the company pays the engineer
    assert messages.settlement_text(check.settlement) == "Pay the engineer 170.50 yuan."


def test_an_advance_larger_than_the_claim_is_returned_by_the_engineer():
    check = check_expense_claim(START, END, PLACES, [line(amount="300.00")], Decimal("1000.00"))
    assert check.settlement == Decimal("-700.00")
    assert messages.settlement_text(check.settlement) == "The engineer returns 700.00 yuan."


@pytest.mark.parametrize("day,outside", [
    (date(2026, 3, 1), True), (START, False), (END, False), (date(2026, 3, 6), True),
])
def test_line_dated_outside_the_trip(day, outside):
    check = check_expense_claim(START, END, PLACES, [line(day=day)], Decimal("0"))
    assert ("date_outside_trip" in codes(check)) is outside


def test_place_not_on_the_trip_including_the_place_reached():
    check = check_expense_claim(START, END, PLACES, [
        line(place="长沙"), line(category="transport", place="郑州", to_place="广州"), line(place=" ")], Decimal("0"))
    places = [(p.params.get("line"), p.params.get("place")) for p in check.problems if p.code == "place_not_on_trip"]
    assert places == [(1, "长沙"), (2, "广州")]
    assert [p.params["line"] for p in check.problems if p.code == "place_missing"] == [3]


@pytest.mark.parametrize("amount", ["0", "-12.00"])
def test_non_positive_amount(amount):
    check = check_expense_claim(START, END, PLACES, [line(amount=amount)], Decimal("0"))
    assert codes(check) == ["amount_not_positive"]


@pytest.mark.parametrize("category,flagged", [
    ("transport", True), ("lodging", True), ("meals", True), ("other", True), ("allowance", False),
])
def test_every_line_needs_a_receipt_except_the_allowance(category, flagged):
    check = check_expense_claim(START, END, PLACES, [line(category=category, receipts=0)], Decimal("0"))
    assert ("receipt_missing" in codes(check)) is flagged


def test_unknown_category_empty_claim_and_reversed_trip():
    assert "unknown_category" in codes(check_expense_claim(START, END, PLACES, [line(category="gifts")], Decimal("0")))
    empty = check_expense_claim(START, END, PLACES, [], Decimal("200"))
    assert codes(empty) == ["no_lines"] and empty.settlement == Decimal("-200.00")
    assert codes(check_expense_claim(END, START, PLACES, [line()], Decimal("0"))) == ["trip_dates_reversed"]


def test_problem_text_names_the_line_and_category():
    check = check_expense_claim(START, END, PLACES, [line(), line(category="meals", receipts=0)], Decimal("0"))
    assert messages.describe(check.problems[0]) == "Line 2: no receipt attached for Meals."


def test_money_must_not_be_float():
    with pytest.raises(TypeError):
        check_expense_claim(START, END, PLACES, [line()], 100.0)


@given(st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2), max_size=8),
       st.decimals(min_value=Decimal("0"), max_value=Decimal("99999"), places=2))
def test_settlement_is_always_total_minus_advance(amounts, advance):
    check = check_expense_claim(START, END, PLACES, [line(amount=str(a)) for a in amounts], advance)
    assert check.total == sum(amounts, Decimal("0.00"))
    assert check.settlement + check.advance == check.total


# --- outbound slips and parts requests --------------------------------------------------

SLIP = [SlipLine("主轴轴承", 2, Decimal("125.50")), SlipLine("密封圈", 3, Decimal("8.333"))]


def test_out_of_warranty_slip_charges_parts_and_freight():
    # 2 × 125.50 + 3 × 8.333 = 275.999 → 276.00, + freight 18.50
    assert slip_charge(SLIP, in_warranty=False, freight=Decimal("18.50")) == Decimal("294.50")


def test_in_warranty_slip_is_free_including_freight():
    assert slip_charge(SLIP, in_warranty=True, freight=Decimal("18.50")) == Decimal("0.00")


def test_slip_leaves_only_after_approval():
    assert check_slip_release(False) == ["slip_not_approved"]
    assert check_slip_release(True) == []


def test_slip_must_name_customer_parts_quantities_and_shipping():
    assert check_slip("郑州重工", SLIP, "顺丰") == []
    problems = check_slip(" ", [SlipLine("", 0)], "")
    assert [p.code for p in problems] == [
        "slip_customer_missing", "slip_part_missing", "slip_qty_not_positive", "slip_shipping_missing"]
    assert [p.code for p in check_slip("郑州重工", [], "顺丰")] == ["slip_no_parts"]


def test_shortages_list_missing_quantities_with_the_needed_by_date():
    lines = [SlipLine("主轴轴承", 2), SlipLine("密封圈", 3), SlipLine("主轴轴承", 1), SlipLine("电机", 1)]
    needed = date(2026, 3, 20)
    result = shortages(lines, {"主轴轴承": 1, "密封圈": 5}, needed_by=needed)
    assert [(s.part, s.missing, s.needed_by) for s in result] == [("主轴轴承", 2, needed), ("电机", 1, needed)]
    assert shortages(lines, {"主轴轴承": 3, "密封圈": 3, "电机": 1}) == []


# --- installation and training ----------------------------------------------------------

READY = InstallFacts(agreed_date=date(2026, 4, 1), team_size=2, checklist_total=5, checklist_ticked=5,
                     training_material_ready=True, customer_signed=True, reason="客户取消")


@pytest.mark.parametrize("state,target", [
    ("requested", "approved"), ("requested", "rejected"), ("approved", "scheduled"), ("scheduled", "prepared"),
    ("prepared", "done"), ("scheduled", "approved"), ("prepared", "cancelled"), ("requested", "cancelled"),
])
def test_allowed_install_steps(state, target):
    assert check_install_step(state, target, READY) == []


@pytest.mark.parametrize("state,target", [
    ("requested", "scheduled"), ("approved", "done"), ("requested", "done"), ("done", "cancelled"),
    ("rejected", "approved"), ("cancelled", "requested"), ("approved", "rejected"),
])
def test_skipped_or_final_install_steps_are_refused(state, target):
    assert check_install_step(state, target, READY) == ["install_step_not_allowed"]


def test_scheduling_needs_an_agreed_date_and_a_team():
    assert check_install_step("approved", "scheduled", InstallFacts()) == ["agreed_date_missing", "team_missing"]


def test_preparation_needs_the_whole_checklist_material_and_travel_approval():
    material_only = InstallFacts(training_material_ready=True)
    assert check_install_step("scheduled", "prepared", material_only) == ["checklist_empty"]
    facts = InstallFacts(checklist_total=5, checklist_ticked=4, needs_travel_approval=True)
    assert check_install_step("scheduled", "prepared", facts) == [
        "checklist_incomplete", "training_material_missing", "travel_not_approved"]


def test_done_needs_the_customers_signature_and_cancelling_needs_a_reason():
    assert check_install_step("prepared", "done", InstallFacts()) == ["customer_signature_missing"]
    assert check_install_step("approved", "cancelled", InstallFacts(reason="  ")) == ["reason_missing"]
    assert check_install_step("requested", "rejected", InstallFacts()) == ["reason_missing"]


# --- major projects ---------------------------------------------------------------------


def test_maintenance_plan_every_interval_up_to_the_warranty_end_inclusive():
    start = date(2026, 1, 15)
    assert maintenance_plan(start, date(2027, 1, 15), SETTINGS) == [
        date(2026, 4, 15), date(2026, 7, 15), date(2026, 10, 15), date(2027, 1, 15)]
    assert maintenance_plan(start, date(2027, 1, 14), SETTINGS)[-1] == date(2026, 10, 15)


def test_maintenance_plan_stays_on_month_ends_without_drifting():
    assert maintenance_plan(date(2025, 11, 30), date(2026, 11, 30), SETTINGS) == [
        date(2026, 2, 28), date(2026, 5, 30), date(2026, 8, 30), date(2026, 11, 30)]
    assert maintenance_plan(date(2026, 1, 31), date(2026, 12, 31), settings(maintenance_interval_months=1))[:3] == [
        date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_no_maintenance_visits_when_warranty_ends_before_the_first_interval():
    assert maintenance_plan(date(2026, 1, 15), date(2026, 4, 14), SETTINGS) == []


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
       st.integers(min_value=0, max_value=1500), st.integers(min_value=1, max_value=24))
def test_maintenance_visits_lie_within_warranty_and_follow_the_interval(start, warranty_days, interval):
    end = start + timedelta(days=warranty_days)
    visits = maintenance_plan(start, end, settings(maintenance_interval_months=interval))
    assert all(start < v <= end for v in visits)
    assert visits == sorted(set(visits))
    assert add_months(start, interval * (len(visits) + 1)) > end  # none left out


def test_accompaniment_lasts_the_branch_days_from_start_up():
    start = date(2026, 3, 1)
    assert accompaniment_end(start, SETTINGS) == date(2026, 5, 30)
    assert in_accompaniment(date(2026, 5, 30), start, SETTINGS)
    assert not in_accompaniment(date(2026, 5, 31), start, SETTINGS)
    assert not in_accompaniment(date(2026, 2, 28), start, SETTINGS)


# --- supplier faults and the call to HQ -------------------------------------------------


@pytest.mark.parametrize("today,closed,overdue", [
    (date(2026, 3, 10), False, False), (date(2026, 3, 11), False, True), (date(2026, 4, 1), True, False),
])
def test_supplier_fault_overdue_after_the_deadline_until_closed(today, closed, overdue):
    assert supplier_fault_overdue(date(2026, 3, 1), date(2026, 3, 10), closed, today) is overdue


def test_supplier_notice_needs_a_deadline_and_a_cost_bearer():
    notified = date(2026, 3, 1)
    assert check_supplier_notice(notified, date(2026, 3, 10), "供应商") == []
    assert check_supplier_notice(notified, None, "") == ["supplier_deadline_missing", "supplier_cost_bearer_missing"]
    assert check_supplier_notice(notified, date(2026, 2, 28), "供应商") == ["supplier_deadline_before_notice"]


def test_leaving_without_calling_hq_proposes_the_penalty():
    assert leave_site_penalty(called_hq_before_leaving=False) is True
    assert leave_site_penalty(called_hq_before_leaving=True) is False


def test_every_code_the_rules_return_has_a_message():
    returned = {
        *check_dispatch(False, None, SETTINGS), *check_departure(True, False), *check_slip_release(False),
        *check_promise(datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
        *check_supplier_notice(date(2026, 1, 2), date(2026, 1, 1), None),
        *check_supplier_notice(date(2026, 1, 2), None, ""),
        *check_install_step("done", "requested", READY), *check_install_step("approved", "cancelled", InstallFacts()),
        *check_install_step("approved", "scheduled", InstallFacts()),
        *check_install_step("scheduled", "prepared", InstallFacts()),
        *check_install_step("scheduled", "prepared", InstallFacts(checklist_total=1, needs_travel_approval=True)),
        *check_install_step("prepared", "done", InstallFacts()),
        *(p.code for p in check_slip("", [SlipLine("", 0)], "")), *(p.code for p in check_slip("x", [], "y")),
        *(p.code for p in check_expense_claim(END, START, [], [], Decimal("0")).problems),
        *(p.code for p in check_expense_claim(START, END, PLACES, [
            line(day=date(2020, 1, 1), place="x", to_place="y", category="z", amount="-1", receipts=0),
            line(place="")], Decimal("0")).problems),
    }
    assert returned <= set(messages.MESSAGES)
    assert len(returned) == len(messages.MESSAGES)
