"""Car-workshop rules (REQUIREMENTS §3.3): pure functions, no app needed."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.auto_workshop import messages
from plugins.auto_workshop import rules as r
from plugins.auto_workshop.rules import WorkOrderFacts, codes

SETTINGS = {
    "vehicle_file_days": 2,
    "first_call_min_days": 3,
    "first_call_max_days": 7,
    "second_call_days": 7,
    "invitation_weeks": 2,
    "letter_days": 2,
    "advisor_discount_percent": 10,
    "advisor_discounts_per_week": 5,
    "accident_min_margin_percent": 30,
    "claim_director_amount": Decimal("5000.00"),
    "purchase_quotes_required": 3,
}
D = Decimal


@pytest.fixture(autouse=True)
def _clean():
    """Overrides tests/conftest.py's database cleaner: pure rules need no app and no database."""
    yield


# ------------------------------------------------------------------ vehicle file


@pytest.mark.parametrize("completed_on,late", [
    (date(2026, 3, 30), False),  # the visit day itself
    (date(2026, 4, 1), False),  # day 2: still in time
    (date(2026, 4, 2), True),
])
def test_vehicle_file_is_due_two_days_after_the_first_visit(completed_on, late):
    visit = date(2026, 3, 30)
    assert r.vehicle_file_due(visit, SETTINGS) == date(2026, 4, 1)
    assert r.vehicle_file_late(visit, completed_on, date(2026, 5, 1), SETTINGS) is late


@pytest.mark.parametrize("today,late", [(date(2026, 4, 1), False), (date(2026, 4, 2), True)])
def test_an_open_vehicle_file_turns_late_on_the_dashboard_after_the_due_day(today, late):
    assert r.vehicle_file_late(date(2026, 3, 30), None, today, SETTINGS) is late


def test_a_branch_with_a_longer_deadline_is_not_late_yet():
    assert not r.vehicle_file_late(date(2026, 3, 30), None, date(2026, 4, 2), {**SETTINGS, "vehicle_file_days": 3})


def test_vehicle_file_names_its_missing_fields():
    values = {"plate": "粤B12345", "vin": "LSVAU2180N2123456", "model": "  ", "owner": "王先生", "mileage": 0,
              "service_items": ["机油"], "service_interval": (None, 10000), "next_service_date": None}
    assert r.vehicle_file_missing(values) == ["model", "next_service_date"]
    assert r.vehicle_file_missing({}) == list(r.VEHICLE_FILE_FIELDS)


def test_next_service_by_months_when_the_car_is_driven_little():
    nxt = r.next_service_date(date(2026, 11, 30), 3, 20000, 10000, D(20))  # 500 days by mileage
    assert (nxt.on, nxt.at_km, nxt.decided_by) == (date(2027, 2, 28), 30000, "months")


def test_next_service_by_mileage_when_the_car_is_driven_a_lot():
    nxt = r.next_service_date(date(2026, 1, 1), 6, 20000, 5000, D(60))  # 83.3 days, rounded down
    assert (nxt.on, nxt.at_km, nxt.decided_by) == (date(2026, 3, 25), 25000, "mileage")


def test_next_service_with_only_one_interval_or_none():
    assert r.next_service_date(date(2026, 1, 31), 1, None, None, None).on == date(2026, 2, 28)
    assert r.next_service_date(date(2026, 1, 1), None, 1000, 5000, D(50)).on == date(2026, 4, 11)
    assert r.next_service_date(date(2026, 1, 1), None, 1000, 5000, None) is None  # no average: cannot tell
    assert r.next_service_date(date(2026, 1, 1), None, None, None, None) is None


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(1, 24),
       st.integers(1000, 30000), st.integers(1, 300), st.integers(1, 300))
def test_driving_more_never_pushes_the_next_service_later(last, months, km, slow, extra):
    slow_car = r.next_service_date(last, months, 0, km, D(slow))
    fast_car = r.next_service_date(last, months, 0, km, D(slow + extra))
    assert fast_car.on <= slow_car.on <= r.add_months(last, months)


# ------------------------------------------------------------ work-order lifecycle

FULL_RUN = [
    ("draft", "started", WorkOrderFacts(jobs=1)),
    ("started", "parts_issued", WorkOrderFacts(jobs=1, issued_lines=1)),
    ("parts_issued", "work_done", WorkOrderFacts(jobs=1)),
    ("work_done", "quality_check", WorkOrderFacts()),
    ("quality_check", "delivered", WorkOrderFacts(quality_passed=True)),
    ("delivered", "closed", WorkOrderFacts(settled=True)),
]


@pytest.mark.parametrize("state,target,facts", FULL_RUN)
def test_a_work_order_runs_from_draft_to_closed(state, target, facts):
    assert target in r.next_states(state)
    assert r.check_work_order_step(state, target, facts) == []


def test_labour_only_order_goes_from_started_to_work_done():
    assert r.check_work_order_step("started", "work_done", WorkOrderFacts(jobs=1)) == []


@pytest.mark.parametrize("state,target", [
    ("draft", "parts_issued"), ("draft", "delivered"), ("work_done", "delivered"),
    ("parts_issued", "cancelled"), ("delivered", "cancelled"), ("closed", "started"), ("cancelled", "started"),
])
def test_skipping_steps_or_leaving_a_final_state_is_refused(state, target):
    assert codes(r.check_work_order_step(state, target, WorkOrderFacts(jobs=1, quality_passed=True,
                                                                      settled=True, cancel_reason="x"))) \
        == ["step_not_allowed"]


def test_cancelling_is_possible_from_draft_and_started_only_with_a_reason():
    assert set(r.next_states("closed")) == set() and set(r.next_states("cancelled")) == set()
    for state in ("draft", "started"):
        assert codes(r.check_work_order_step(state, "cancelled", WorkOrderFacts(cancel_reason=" "))) \
            == ["cancel_reason_missing"]
        assert r.check_work_order_step(state, "cancelled", WorkOrderFacts(cancel_reason="customer left")) == []


@pytest.mark.parametrize("state,target,facts,expected", [
    ("draft", "started", WorkOrderFacts(jobs=0), ["no_jobs"]),
    ("started", "parts_issued", WorkOrderFacts(jobs=1), ["nothing_issued"]),
    ("parts_issued", "work_done", WorkOrderFacts(jobs_open=2, lines_not_issued=1),
     ["jobs_open", "parts_not_issued"]),
    ("started", "work_done", WorkOrderFacts(lines_not_issued=1), ["parts_not_issued"]),
    ("quality_check", "delivered", WorkOrderFacts(quality_passed=None), ["quality_not_checked"]),
    ("quality_check", "delivered", WorkOrderFacts(quality_passed=False), ["quality_failed"]),
    ("delivered", "closed", WorkOrderFacts(settled=False, issued_unsettled=1),
     ["not_settled", "issued_parts_unsettled"]),
])
def test_work_order_steps_are_refused_until_their_facts_hold(state, target, facts, expected):
    assert codes(r.check_work_order_step(state, target, facts)) == expected


# --------------------------------------------------------------- parts issuance


def issue(**kw):
    args = dict(order_state="started", line_on_order=True, requested_qty=2, line_qty=4, already_issued=0,
                stock_qty=10)
    return codes(r.check_issue(**{**args, **kw}))


@pytest.mark.parametrize("state", ["started", "parts_issued", "work_done", "quality_check"])
def test_parts_are_issued_against_a_started_order(state):
    assert issue(order_state=state) == []


def test_parts_on_an_unstarted_order_are_refused():
    assert issue(order_state="draft") == ["order_not_started"]


@pytest.mark.parametrize("state", ["delivered", "closed", "cancelled"])
def test_parts_on_a_finished_order_are_refused(state):
    assert issue(order_state=state) == ["order_not_open"]


def test_a_part_that_is_not_a_line_on_the_order_is_refused():
    assert issue(line_on_order=False, line_qty=0) == ["not_on_order"]


@pytest.mark.parametrize("already,requested,ok", [(0, 4, True), (1, 3, True), (1, 4, False), (4, 1, False)])
def test_no_more_than_the_line_still_needs(already, requested, ok):
    result = r.check_issue("started", True, requested, 4, already, 10)
    assert (result == []) is ok
    if not ok:
        assert result[0].code == "exceeds_line" and result[0].params["remaining"] == 4 - already


@pytest.mark.parametrize("stock,ok", [(2, True), (1, False), (0, False)])
def test_no_more_than_the_stock(stock, ok):
    assert (issue(stock_qty=stock) == []) is ok


def test_zero_quantity_is_refused():
    assert issue(requested_qty=0) == ["quantity_not_positive"]


def test_every_reason_is_given_at_once():
    assert issue(order_state="draft", line_on_order=False, stock_qty=0) == ["order_not_started", "not_on_order",
                                                                            "stock_short"]


def test_unused_part_physically_back_is_returned():
    assert r.check_return(issued_qty=3, used=False, physically_received=True, qty=3) == []


def test_return_of_a_used_part_is_refused():
    assert codes(r.check_return(3, used=True, physically_received=True, qty=1)) == ["used_part_no_return"]


def test_return_before_physical_receipt_is_refused():
    assert codes(r.check_return(3, used=False, physically_received=False, qty=1)) == ["not_physically_received"]


@pytest.mark.parametrize("qty,expected", [(4, ["exceeds_issued"]), (0, ["quantity_not_positive"])])
def test_return_quantity_within_what_is_out(qty, expected):
    assert codes(r.check_return(3, used=False, physically_received=True, qty=qty)) == expected


def test_stock_moves_with_issue_and_return_without_changing_the_original():
    stock = {"机油滤芯": 5}
    after_issue = r.apply_movement(stock, "机油滤芯", -2)
    after_return = r.apply_movement(after_issue, "机油滤芯", +1)
    new_part = r.apply_movement(after_return, "刹车片", +4)
    assert stock == {"机油滤芯": 5}
    assert after_issue == {"机油滤芯": 3} and after_return == {"机油滤芯": 4}
    assert new_part == {"机油滤芯": 4, "刹车片": 4}
    assert r.apply_movement(stock, "机油滤芯", -5) == {"机油滤芯": 0}


@pytest.mark.parametrize("stock,part,delta", [({"A": 1}, "A", -2), ({}, "B", -1)])
def test_stock_never_goes_negative(stock, part, delta):
    with pytest.raises(r.Refused) as refused:
        r.apply_movement(stock, part, delta)
    assert codes(refused.value.refusals) == ["stock_short"]


@given(st.integers(0, 50), st.lists(st.integers(-20, 20), max_size=30))
def test_stock_equals_start_plus_accepted_movements_and_stays_non_negative(start, deltas):
    stock, expected = {"P": start}, start
    for delta in deltas:
        try:
            stock = r.apply_movement(stock, "P", delta)
            expected += delta
        except r.Refused:
            assert expected + delta < 0
        assert stock["P"] == expected >= 0


# --------------------------------------------------------- accident quotations


def test_ordering_without_a_quotation_signature_is_refused():
    assert codes(r.check_order_parts(None, 1)) == ["quotation_not_signed"]


def test_ordering_after_an_added_part_needs_a_new_signature():
    assert r.check_order_parts(1, 1) == []
    assert codes(r.check_order_parts(1, 2)) == ["quotation_changed"]  # part added: version 2
    assert r.check_order_parts(2, 2) == []


# ------------------------------------------------------------ claim orders


def test_claim_order_with_deposit_and_manager_signature_goes_ahead():
    assert r.check_claim_order(True, {"workshop_manager"}, D("1200.00"), SETTINGS) == []


def test_claim_order_without_deposit_or_signature_is_refused():
    assert codes(r.check_claim_order(False, set(), D("1200.00"), SETTINGS)) == ["deposit_missing",
                                                                               "manager_signature_missing"]


@pytest.mark.parametrize("amount,needed", [
    (D("5000.00"), {"workshop_manager"}),
    (D("5000.01"), {"workshop_manager", "aftersales_director"}),
])
def test_director_signs_above_the_amount_not_at_it(amount, needed):
    assert r.claim_signatures_needed(amount, SETTINGS) == needed


def test_claim_above_the_amount_without_the_director_is_refused():
    assert codes(r.check_claim_order(True, {"workshop_manager"}, D("8000"), SETTINGS)) == ["director_signature_missing"]
    assert r.check_claim_order(True, {"workshop_manager", "aftersales_director"}, D("8000"), SETTINGS) == []
    # the director alone does not replace the workshop manager
    assert codes(r.check_claim_order(True, {"aftersales_director"}, D("8000"), SETTINGS)) \
        == ["manager_signature_missing"]


def test_deposit_is_refunded_once_after_fitting():
    assert r.check_deposit_refund(fitted=True, already_refunded=False) == []
    assert codes(r.check_deposit_refund(fitted=False, already_refunded=False)) == ["part_not_fitted"]
    assert codes(r.check_deposit_refund(fitted=True, already_refunded=True)) == ["deposit_already_refunded"]


# ----------------------------------------------------------- own purchases


def test_three_quotes_from_different_suppliers_allow_the_purchase():
    quotes = [("甲汽配", D("120.00")), ("乙汽配", D("118.50")), ("丙汽配", D("130.00"))]
    assert r.check_own_purchase(quotes, SETTINGS) == []
    assert r.cheapest(quotes) == ("乙汽配", D("118.50"))


@pytest.mark.parametrize("quotes,count", [
    ([("甲汽配", D(120)), ("乙汽配", D(118))], 2),
    ([("甲汽配", D(120)), ("乙汽配", D(118)), (" 甲汽配 ", D(115))], 2),  # two from one supplier
    ([("甲汽配", D(120)), ("乙汽配", D(118)), ("丙汽配", D(0))], 2),  # no price, no quote
    ([("甲汽配", D(120)), ("乙汽配", D(118)), ("", D(99))], 2),
])
def test_own_purchase_with_fewer_than_three_real_quotes_is_refused(quotes, count):
    [refusal] = r.check_own_purchase(quotes, SETTINGS)
    assert refusal.code == "too_few_quotes" and refusal.params == {"count": count, "needed": 3}


def test_cheapest_ignores_invalid_quotes():
    assert r.cheapest([("甲", D(0)), ("乙", D(50)), ("丙", D(50))]) == ("乙", D(50))
    assert r.cheapest([]) is None


# ----------------------------------------------------------- special tools

LENT = datetime(2026, 1, 31, 9, 0)
DUE = datetime(2026, 1, 31, 17, 0)


@pytest.mark.parametrize("returned_at,now,overdue", [
    (None, DUE, False),
    (None, DUE + timedelta(minutes=1), True),
    (DUE - timedelta(hours=1), DUE + timedelta(days=3), False),
    (DUE + timedelta(hours=1), DUE + timedelta(days=3), True),  # came back late
])
def test_tool_is_overdue_only_after_its_due_time(returned_at, now, overdue):
    assert r.tool_overdue(LENT, DUE, returned_at, now) is overdue


def test_lost_tool_is_charged_at_its_price():
    assert r.lost_tool_charge(D("1299.995")) == D("1300.00")
    with pytest.raises(ValueError):
        r.lost_tool_charge(D("-1"))


# ----------------------------------------------------------- discount authority


def discount(percent, this_week=0, reason="老客户", approved=False, kind="general_repair"):
    return codes(r.check_discount(kind, D(percent), this_week, reason, approved, SETTINGS))


@pytest.mark.parametrize("percent,expected", [("10", []), ("10.00", []), ("10.01", ["over_advisor_percent"])])
def test_advisor_discount_up_to_ten_percent(percent, expected):
    assert discount(percent) == expected


@pytest.mark.parametrize("this_week,expected", [(4, []), (5, ["weekly_limit_reached"])])
def test_fifth_discount_of_the_week_is_allowed_the_sixth_is_not(this_week, expected):
    assert discount("5", this_week=this_week) == expected


def test_beyond_the_advisor_limits_the_director_approves():
    assert discount("15", this_week=7, approved=True) == []


def test_every_discount_needs_a_reason_even_when_approved():
    assert discount("5", reason="  ") == ["reason_missing"]
    assert discount("15", reason="", approved=True) == ["reason_missing"]


def test_no_discount_needs_nothing():
    assert discount("0", this_week=9, reason="") == []


def test_other_job_kinds_need_the_director():
    assert discount("5", kind="maintenance") == ["director_needed"]
    assert discount("5", kind="maintenance", approved=True) == []
    assert discount("5", kind="accident_repair") == []  # judged by the gross margin instead


def test_percent_out_of_range_is_refused():
    assert discount("101") == ["percent_invalid"]
    assert discount("-1") == ["percent_invalid"]


def test_the_limits_are_the_branch_settings():
    generous = {**SETTINGS, "advisor_discount_percent": 15, "advisor_discounts_per_week": 8}
    assert codes(r.check_discount("general_repair", D(15), 7, "x", False, generous)) == []


@given(st.decimals(min_value=0, max_value=100, places=2), st.decimals(min_value=0, max_value=100, places=2),
       st.integers(0, 10))
def test_a_bigger_discount_is_never_easier_to_give(small, big, this_week):
    small, big = min(small, big), max(small, big)
    if small > 0 and discount(big, this_week) == []:
        assert discount(small, this_week) == []


@pytest.mark.parametrize("d,monday", [
    (date(2026, 3, 2), date(2026, 3, 2)),  # Monday
    (date(2026, 3, 8), date(2026, 3, 2)),  # Sunday: same week
    (date(2026, 3, 9), date(2026, 3, 9)),
    (date(2026, 1, 1), date(2025, 12, 29)),  # the ISO week crosses the new year
])
def test_weeks_start_on_monday(d, monday):
    assert r.week_of(d) == (monday, monday + timedelta(days=6))


@pytest.mark.parametrize("revenue,cost,margin", [
    ("1000", "700", "30.00"), ("1000", "700.01", "30.00"), ("1000", "701", "29.90"), ("0", "0", "0.00"),
    ("300", "400", "-33.33"),
])
def test_gross_margin(revenue, cost, margin):
    assert r.gross_margin(D(revenue), D(cost)) == D(margin)


def test_margin_of_thirty_percent_needs_nothing():
    assert r.check_accident_margin(D(1000), D(700), "", False, SETTINGS) == []


def test_margin_below_thirty_percent_needs_a_reason_and_the_director():
    assert codes(r.check_accident_margin(D(1000), D(701), "", False, SETTINGS)) == ["margin_reason_missing",
                                                                                   "margin_needs_director"]
    assert codes(r.check_accident_margin(D(1000), D(701), "保险定损价低", False, SETTINGS)) == ["margin_needs_director"]
    assert codes(r.check_accident_margin(D(1000), D(701), "", True, SETTINGS)) == ["margin_reason_missing"]
    assert r.check_accident_margin(D(1000), D(701), "保险定损价低", True, SETTINGS) == []


# ----------------------------------------------------------- follow-up calls


@pytest.mark.parametrize("delivered,earliest,latest", [
    (date(2026, 3, 10), date(2026, 3, 13), date(2026, 3, 17)),
    (date(2026, 1, 28), date(2026, 1, 31), date(2026, 2, 4)),
    (date(2028, 2, 26), date(2028, 2, 29), date(2028, 3, 4)),  # leap year
    (date(2026, 12, 29), date(2027, 1, 1), date(2027, 1, 5)),
])
def test_first_call_three_to_seven_days_after_delivery(delivered, earliest, latest):
    assert r.first_call_window(delivered, SETTINGS) == (earliest, latest)


@pytest.mark.parametrize("first,due", [(date(2026, 4, 27), date(2026, 5, 4)), (date(2027, 2, 25), date(2027, 3, 4))])
def test_second_call_within_seven_days_after_the_first(first, due):
    assert r.second_call_due(first, SETTINGS) == due


@pytest.mark.parametrize("event,due", [(date(2026, 3, 10), date(2026, 2, 24)), (date(2026, 1, 5), date(2025, 12, 22))])
def test_invitations_two_weeks_before_the_event(event, due):
    assert r.invitation_due(event, SETTINGS) == due


@pytest.mark.parametrize("call,due", [(date(2026, 1, 30), date(2026, 2, 1)), (date(2026, 12, 31), date(2027, 1, 2))])
def test_letter_within_two_days_after_the_call(call, due):
    assert r.letter_due(call, SETTINGS) == due


def test_call_deadlines_follow_the_branch_settings():
    custom = {**SETTINGS, "first_call_min_days": 1, "first_call_max_days": 3, "invitation_weeks": 3}
    assert r.first_call_window(date(2026, 3, 10), custom) == (date(2026, 3, 11), date(2026, 3, 13))
    assert r.invitation_due(date(2026, 3, 31), custom) == date(2026, 3, 10)


# ----------------------------------------------------------- monthly figures


def test_order_margin_in_yuan_and_percent():
    assert r.order_margin(D("800.00"), D("400.00"), D("560.00"), D("100.005")) == (D("539.99"), D("45.00"))
    assert r.order_margin(D(0), D(0), D(0), D(0)) == (D("0.00"), D("0.00"))


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        r.money(0.1)


# ----------------------------------------------------------- messages


def test_every_refusal_code_has_a_message_that_formats():
    samples = [
        *r.check_work_order_step("draft", "closed", WorkOrderFacts()),
        *r.check_work_order_step("delivered", "closed", WorkOrderFacts(issued_unsettled=1)),
        *r.check_issue("closed", True, 5, 4, 0, 1),
        *r.check_return(1, True, False, 2),
        *r.check_order_parts(1, 2),
        *r.check_claim_order(False, set(), D(9000), SETTINGS),
        *r.check_own_purchase([], SETTINGS),
        *r.check_discount("general_repair", D(20), 9, "", False, SETTINGS),
        *r.check_accident_margin(D(100), D(90), "", False, SETTINGS),
    ]
    for refusal in samples:
        text = messages.describe(refusal)
        assert "%(" not in text and text.strip()
    assert "Closed" in messages.describe(samples[0])  # states are named, not coded
    assert "5000.00" in messages.describe(r.Refusal("director_signature_missing", {"amount": D("5000.00")}))
