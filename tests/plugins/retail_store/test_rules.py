"""Retail store rules (REQUIREMENTS §3.1): pure functions, no app, no database."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from plugins.retail_store import messages, portal_settings
from plugins.retail_store import rules
from plugins.retail_store.rules import (
    CONDITIONS, DECISIONS, REQUEST_REASONS, RuleInputError, RuleSettingsError, add_months,
    answer_due, care_allowance, check_step, clothing_warranty_end, day_summary, decide,
    depreciation, depreciation_percent, is_answer_overdue, late_notice_due, may_use_free_care,
    next_states, paid_return_refund, pickup_schedule, repair_due,
)

@pytest.fixture(autouse=True)
def _clean():
    """Replaces the suite's database clean-up: pure rules touch no app and no database."""
    yield


# The branch defaults exactly as HQ's form declares them, so a rule reading a key the
# plugin does not declare fails here.
DEFAULTS = {s.key: s.coerce(s.default) for s in portal_settings()}


def branch(**changes):
    return {**DEFAULTS, **changes}


def after(start, days):
    return start + timedelta(days=days)


P = date(2026, 3, 10)  # an ordinary purchase day


# --- the counter decision: day windows ----------------------------------------------


@pytest.mark.parametrize("day, expected", [(0, "return"), (7, "return"), (8, "refused"), (60, "refused")])
def test_no_reason_return_window_7_8(day, expected):
    result = decide(P, after(P, day), "no_reason", ["resellable"], DEFAULTS)
    assert result.decision == expected
    assert result.days == day
    assert result.rule == ("return_any_reason_7d" if expected == "return" else "no_fault_refused")


def test_no_reason_needs_a_resellable_item():
    result = decide(P, after(P, 3), "no_reason", [], DEFAULTS)
    assert result.decision == "refused"
    assert "not_resellable" in result.reasons


@pytest.mark.parametrize("day, expected, rule", [
    (0, "return", "quality_return"),
    (15, "return", "quality_return"),
    (16, "exchange", "quality_exchange"),
    (30, "exchange", "quality_exchange"),
    (31, "free_repair", "quality_free_repair"),
])
def test_quality_windows_15_16_30_31(day, expected, rule):
    result = decide(P, after(P, day), "quality", [], DEFAULTS)
    assert (result.decision, result.rule) == (expected, rule)


@pytest.mark.parametrize("purchase, last_free_day", [
    (date(2026, 1, 15), date(2026, 4, 15)),
    (date(2026, 11, 30), date(2027, 2, 28)),   # month end, clamped into a short February
    (date(2023, 11, 30), date(2024, 2, 29)),   # ... into a leap February
    (date(2027, 11, 29), date(2028, 2, 29)),
    (date(2024, 2, 29), date(2024, 5, 29)),    # bought on a leap day
    (date(2026, 12, 31), date(2027, 3, 31)),   # across the year
    (date(2026, 5, 31), date(2026, 8, 31)),
    (date(2026, 6, 30), date(2026, 9, 30)),
])
def test_free_repair_until_the_same_day_three_months_later(purchase, last_free_day):
    assert decide(purchase, last_free_day, "quality", [], DEFAULTS).decision == "free_repair"
    later = decide(purchase, after(last_free_day, 1), "quality", [], DEFAULTS)
    assert (later.decision, later.rule) == ("paid_repair", "quality_paid_repair")
    assert later.params["free_repair_until"] == last_free_day.isoformat()


@pytest.mark.parametrize("purchase, asked_on, day, expected", [
    # February 2024 has 29 days, so day 15 falls on 6 March; in 2025 on 7 March.
    (date(2024, 2, 20), date(2024, 3, 6), 15, "return"),
    (date(2024, 2, 20), date(2024, 3, 7), 16, "exchange"),
    (date(2025, 2, 20), date(2025, 3, 7), 15, "return"),
    (date(2025, 2, 20), date(2025, 3, 8), 16, "exchange"),
    (date(2024, 2, 29), date(2024, 3, 30), 30, "exchange"),
    (date(2024, 2, 29), date(2024, 3, 31), 31, "free_repair"),
    (date(2026, 12, 28), date(2027, 1, 12), 15, "return"),
])
def test_calendar_days_across_leap_days_and_years(purchase, asked_on, day, expected):
    result = decide(purchase, asked_on, "quality", [], DEFAULTS)
    assert (result.days, result.decision) == (day, expected)


@pytest.mark.parametrize("purchase, asked_on, expected", [
    (date(2024, 2, 29), date(2024, 3, 7), "return"),
    (date(2024, 2, 29), date(2024, 3, 8), "refused"),
    (date(2026, 11, 30), date(2026, 12, 7), "return"),
    (date(2026, 11, 30), date(2026, 12, 8), "refused"),
])
def test_no_reason_window_at_leap_day_and_month_end(purchase, asked_on, expected):
    assert decide(purchase, asked_on, "no_reason", ["resellable"], DEFAULTS).decision == expected


# --- exclusions (第十一–十五条) -----------------------------------------------------


@pytest.mark.parametrize("condition", ["used", "made_to_order", "packaging_missing", "parts_missing",
                                       "no_warranty_card", "sale_item", "gift"])
def test_every_exclusion_refuses_a_no_reason_return(condition):
    result = decide(P, after(P, 1), "no_reason", ["resellable", condition], DEFAULTS)
    assert result.decision == "refused"
    assert f"excluded_{condition}" in result.reasons


@pytest.mark.parametrize("condition", ["used", "made_to_order", "packaging_missing", "parts_missing",
                                       "no_warranty_card", "sale_item", "gift"])
def test_every_exclusion_gives_a_paid_repair_for_another_reason(condition):
    result = decide(P, after(P, 1), "other", ["resellable", condition], DEFAULTS)
    assert (result.decision, result.rule) == ("paid_repair", "no_fault_paid_repair")


@pytest.mark.parametrize("condition", ["packaging_missing", "parts_missing", "no_warranty_card",
                                       "sale_item", "gift"])
@pytest.mark.parametrize("day", [0, 15, 16, 30, 31])
def test_exclusions_forbid_return_and_exchange_of_a_faulty_item_but_not_its_free_repair(condition, day):
    result = decide(P, after(P, day), "quality", ["resellable", condition], DEFAULTS)
    assert result.decision == "free_repair"
    assert result.reasons == (f"excluded_{condition}", "within_free_repair_period")


def test_excluded_faulty_item_is_repaired_for_a_charge_after_three_months():
    result = decide(P, add_months(P, 3) + timedelta(days=1), "quality", ["sale_item"], DEFAULTS)
    assert result.decision == "paid_repair"


@pytest.mark.parametrize("condition", ["used", "made_to_order"])
@pytest.mark.parametrize("day, expected", [(3, "return"), (20, "exchange")])
def test_use_and_made_to_order_exclude_only_without_a_quality_fault(condition, day, expected):
    # 第十一、十二条: "本身无质量问题" / "无质量问题".
    result = decide(P, after(P, day), "quality", [condition], DEFAULTS)
    assert result.decision == expected
    assert not any(code.startswith("excluded_") for code in result.reasons)


@pytest.mark.parametrize("reason", REQUEST_REASONS)
@pytest.mark.parametrize("day", [0, 20, 400])
def test_customer_damage_is_always_a_paid_repair(reason, day):
    result = decide(P, after(P, day), reason, ["resellable", "customer_damage"], DEFAULTS)
    assert (result.decision, result.rule) == ("paid_repair", "customer_damage_paid_repair")
    assert "excluded_customer_damage" in result.reasons


def test_other_reason_returns_like_no_reason_and_is_never_a_free_repair():
    assert decide(P, after(P, 7), "other", ["resellable"], DEFAULTS).decision == "return"
    for day in (8, 40, 200):
        assert decide(P, after(P, day), "other", ["resellable"], DEFAULTS).decision == "paid_repair"


def test_several_exclusions_are_all_named_in_order():
    result = decide(P, P, "no_reason", ["gift", "parts_missing", "resellable"], DEFAULTS)
    assert result.reasons[:2] == ("excluded_parts_missing", "excluded_gift")


# --- the branch's settings change the outcome ----------------------------------------


@pytest.mark.parametrize("reason, conditions, day, changes, default_answer, branch_answer", [
    ("no_reason", ["resellable"], 9, {"return_any_reason_days": 10}, "refused", "return"),
    ("no_reason", ["resellable"], 1, {"return_any_reason_days": 0}, "return", "refused"),
    ("quality", [], 20, {"quality_return_days": 20}, "exchange", "return"),
    ("quality", [], 40, {"quality_exchange_days": 45}, "free_repair", "exchange"),
    ("quality", [], 100, {"free_repair_months": 6}, "paid_repair", "free_repair"),
    ("quality", [], 31, {"free_repair_months": 0}, "free_repair", "paid_repair"),
    # A branch whose fault-return window is shorter still honours the no-reason return.
    ("quality", ["resellable"], 5, {"quality_return_days": 3}, "return", "return"),
    ("quality", [], 5, {"quality_return_days": 3}, "return", "exchange"),
])
def test_branch_settings_change_the_decision(reason, conditions, day, changes, default_answer, branch_answer):
    request = after(P, day)
    assert decide(P, request, reason, conditions, DEFAULTS).decision == default_answer
    assert decide(P, request, reason, conditions, branch(**changes)).decision == branch_answer


# --- wrong input ------------------------------------------------------------------


def test_unknown_condition_codes_are_named():
    with pytest.raises(RuleInputError, match="broken_screen") as caught:
        decide(P, P, "quality", ["resellable", "broken_screen", "dirty"], DEFAULTS)
    assert caught.value.code == "unknown_conditions"
    assert caught.value.params["codes"] == ["broken_screen", "dirty"]
    assert messages.input_error_text(caught.value) == "Unknown condition codes: broken_screen, dirty."


@pytest.mark.parametrize("args, code", [
    ((P, P - timedelta(days=1), "quality", []), "date_before_start"),
    ((P, P, "refund_please", []), "unknown_reason"),
    ((P, P, "quality", "resellable"), "conditions_not_a_list"),
    (("2026-03-10", P, "quality", []), "not_a_date"),
])
def test_bad_input_is_a_rule_input_error(args, code):
    with pytest.raises(RuleInputError) as caught:
        decide(*args, DEFAULTS)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


# --- properties -------------------------------------------------------------------

RANK = {decision: rank for rank, decision in enumerate(DECISIONS)}  # 0 = most generous

branch_settings = st.fixed_dictionaries({
    "return_any_reason_days": st.integers(0, 90),
    "quality_return_days": st.integers(0, 180),
    "quality_exchange_days": st.integers(0, 365),
    "free_repair_months": st.integers(0, 60),
}).map(lambda changes: branch(**changes))
purchases = st.dates(date(2020, 1, 1), date(2030, 12, 31))
condition_sets = st.sets(st.sampled_from(CONDITIONS), max_size=3)
# Most windows end within a few months: draw there more often than across the years.
request_days = st.integers(0, 120) | st.integers(0, 2000)


@hypothesis_settings(max_examples=200, deadline=None)
@given(purchases, request_days, request_days, st.sampled_from(REQUEST_REASONS),
       condition_sets, branch_settings)
def test_a_later_request_is_never_more_generous(purchase, day_a, day_b, reason, conditions, settings):
    earlier, later = sorted((day_a, day_b))
    first = decide(purchase, after(purchase, earlier), reason, conditions, settings)
    second = decide(purchase, after(purchase, later), reason, conditions, settings)
    assert RANK[second.decision] >= RANK[first.decision]


@hypothesis_settings(max_examples=200, deadline=None)
@given(purchases, request_days, condition_sets, branch_settings)
def test_a_quality_fault_never_gets_less_than_another_reason_and_that_never_less_than_none(
        purchase, day, conditions, settings):
    request = after(purchase, day)
    quality, other, no_reason = (decide(purchase, request, reason, conditions, settings).decision
                                 for reason in ("quality", "other", "no_reason"))
    assert RANK[quality] <= RANK[other] <= RANK[no_reason]


# --- clothing: warranty, depreciation, care (001 §4.2.3–4.2.4) -----------------------


@pytest.mark.parametrize("material, purchase, expected", [
    ("textile", date(2026, 11, 30), date(2027, 2, 28)),
    ("leather", date(2026, 11, 30), date(2027, 5, 30)),
    ("leather", date(2023, 8, 31), date(2024, 2, 29)),
])
def test_clothing_warranty_by_material(material, purchase, expected):
    assert clothing_warranty_end(purchase, material, DEFAULTS) == expected


def test_clothing_warranty_follows_the_branch_and_zero_means_none():
    assert clothing_warranty_end(P, "textile", branch(textile_warranty_months=12)) == date(2027, 3, 10)
    assert clothing_warranty_end(P, "leather", branch(leather_warranty_months=0)) is None
    with pytest.raises(RuleInputError):
        clothing_warranty_end(P, "silk", DEFAULTS)


@pytest.mark.parametrize("days, percent", [(0, 10), (7, 10), (8, 20), (15, 20), (16, 30), (30, 30), (31, 100)])
def test_depreciation_percent_per_day_range(days, percent):
    assert depreciation_percent(days, DEFAULTS) == percent


def test_depreciation_amounts_are_rounded_half_up_to_cents():
    assert depreciation(Decimal("999.99"), 3, DEFAULTS) == Decimal("100.00")  # 99.999
    assert depreciation(Decimal("0.05"), 3, DEFAULTS) == Decimal("0.01")      # 0.005
    assert paid_return_refund(Decimal("1280.00"), 20, DEFAULTS) == Decimal("896.00")
    assert paid_return_refund(Decimal("1280.00"), 31, DEFAULTS) == Decimal("0.00")


def test_depreciation_follows_the_branch_ranges():
    settings = branch(depreciation_days=[10, 60], depreciation_percent=[0, 50])
    assert depreciation(Decimal("200"), 10, settings) == Decimal("0.00")
    assert depreciation(Decimal("200"), 11, settings) == Decimal("100.00")
    assert depreciation(Decimal("200"), 61, settings) == Decimal("200.00")


def test_depreciation_refuses_floats_and_mismatched_settings():
    with pytest.raises(RuleInputError):
        depreciation(99.9, 3, DEFAULTS)
    with pytest.raises(RuleSettingsError):
        depreciation(Decimal("100"), 3, branch(depreciation_percent=[10, 20]))


@pytest.mark.parametrize("price, material, used, left", [
    (Decimal("1000.01"), "textile", 0, 2),
    (Decimal("1000.01"), "textile", 1, 1),
    (Decimal("1000.01"), "textile", 2, 0),
    (Decimal("1000.01"), "textile", 5, 0),
    (Decimal("1000.00"), "textile", 0, 0),   # not above the threshold
    (Decimal("80.00"), "leather", 0, 2),      # 所有皮衣: leather whatever the price
    (Decimal("80.00"), "leather", 2, 0),
])
def test_care_allowance(price, material, used, left):
    assert care_allowance(price, material, used, DEFAULTS) == left


def test_care_allowance_follows_the_branch():
    settings = branch(dry_clean_price_threshold=Decimal("500.00"), free_dry_cleanings=4, free_leather_care=0)
    assert care_allowance(Decimal("600"), "textile", 1, settings) == 3
    assert care_allowance(Decimal("600"), "leather", 0, settings) == 0


@pytest.mark.parametrize("material, price, used, service_day, refusals", [
    ("textile", Decimal("1500"), 0, date(2026, 6, 1), []),
    ("textile", Decimal("1500"), 2, date(2026, 6, 1), ["care_used_up"]),
    ("textile", Decimal("900"), 0, date(2026, 6, 1), ["care_price_not_above_threshold"]),
    ("textile", Decimal("1500"), 0, date(2027, 3, 10), []),                   # the year's last day
    ("textile", Decimal("1500"), 0, date(2027, 3, 11), ["care_period_over"]),
    ("leather", Decimal("900"), 1, date(2029, 1, 1), []),                    # leather care has no period
    ("leather", Decimal("900"), 2, date(2026, 6, 1), ["care_used_up"]),
])
def test_may_use_free_care(material, price, used, service_day, refusals):
    assert may_use_free_care(P, service_day, price, material, used, DEFAULTS) == refusals


def test_care_refusals_quote_the_branch_threshold():
    codes = may_use_free_care(P, P, Decimal("900"), "textile", 0, DEFAULTS)
    assert messages.care_refusal_texts(codes, DEFAULTS) == [
        "Free dry cleaning is only for items sold above 1000.00 yuan."]


# --- repairs and pickup notices (第十六、二十六–二十八条) --------------------------------


@pytest.mark.parametrize("received, due", [
    (date(2026, 3, 10), date(2026, 3, 17)),
    (date(2026, 12, 28), date(2027, 1, 4)),
    (date(2024, 2, 25), date(2024, 3, 3)),
])
def test_repair_due_in_seven_days_and_late_notice_the_day_before(received, due):
    assert repair_due(received, DEFAULTS) == due
    assert late_notice_due(received, DEFAULTS) == due - timedelta(days=1)


def test_repair_days_follow_the_branch():
    assert repair_due(P, branch(repair_days=14)) == date(2026, 3, 24)
    assert late_notice_due(P, branch(repair_days=1)) == P


@pytest.mark.parametrize("first, sent, action, notice, due", [
    (date(2026, 3, 10), 0, "notify", 1, date(2026, 3, 10)),
    (date(2026, 3, 10), 1, "notify", 2, date(2026, 3, 13)),
    (date(2026, 3, 10), 2, "notify", 3, date(2026, 3, 16)),
    (date(2026, 3, 10), 3, "mail", None, date(2026, 3, 19)),
    (date(2026, 3, 10), 4, "mail", None, date(2026, 3, 19)),
    (date(2024, 2, 27), 1, "notify", 2, date(2024, 3, 1)),     # leap February
    (date(2024, 2, 27), 3, "mail", None, date(2024, 3, 7)),
])
def test_three_pickup_notices_then_mailing(first, sent, action, notice, due):
    step = pickup_schedule(first, sent, DEFAULTS)
    assert (step.action, step.notice, step.due) == (action, notice, due)


def test_pickup_notices_follow_the_branch():
    settings = branch(pickup_notice_interval_days=5, pickup_notices_before_mailing=2)
    assert pickup_schedule(P, 1, settings).due == date(2026, 3, 15)
    mail = pickup_schedule(P, 2, settings)
    assert (mail.action, mail.due) == ("mail", date(2026, 3, 20))
    assert messages.pickup_text(mail).startswith("Mail the repaired item to the customer, due 2026-03-20")


# --- out-of-stock registration (第三十三–三十六条) -------------------------------------


def test_answer_due_in_seven_days_and_overdue_the_day_after():
    assert answer_due(P, DEFAULTS) == date(2026, 3, 17)
    assert not is_answer_overdue(P, date(2026, 3, 17), False, DEFAULTS)
    assert is_answer_overdue(P, date(2026, 3, 18), False, DEFAULTS)
    assert not is_answer_overdue(P, date(2026, 4, 30), True, DEFAULTS)
    assert not is_answer_overdue(P, date(2026, 3, 18), False, branch(out_of_stock_answer_days=8))


def test_out_of_stock_happy_path():
    path = ["registered", "transfer_arranged", "customer_confirmed", "arrived", "notified", "collected"]
    for state, target in zip(path, path[1:]):
        assert check_step(state, target) == []
        assert next_states(state) == (target, "cancelled")
    assert next_states("collected") == ()


@pytest.mark.parametrize("state", ["registered", "transfer_arranged", "customer_confirmed", "arrived", "notified"])
def test_an_open_registration_can_be_cancelled(state):
    assert check_step(state, "cancelled") == []


@pytest.mark.parametrize("state, target, refusal", [
    ("transfer_arranged", "arrived", "customer_not_confirmed"),   # 第三十四条
    ("registered", "arrived", "transfer_not_arranged"),
    ("registered", "customer_confirmed", "transfer_not_arranged"),
    ("customer_confirmed", "notified", "not_arrived"),
    ("arrived", "collected", "customer_not_notified"),
    ("arrived", "transfer_arranged", "cannot_go_back"),
    ("notified", "notified", "same_state"),
    ("collected", "cancelled", "already_closed"),
    ("cancelled", "registered", "already_closed"),
])
def test_out_of_stock_refusals(state, target, refusal):
    assert check_step(state, target) == [refusal]
    assert messages.texts([refusal], messages.STOCK_REFUSALS)


def test_unknown_state_is_an_input_error():
    with pytest.raises(RuleInputError):
        check_step("lost", "registered")


# --- end of day (第二十二条) ------------------------------------------------------------


def test_day_summary_sums_per_decision():
    summary = day_summary([
        ("return", Decimal("199.00")), ("return", Decimal("0.005")), ("exchange", None),
        ("paid_repair", None), ("refused", None), ("return", Decimal("50")),
    ])
    assert summary.line("return").count == 3
    assert summary.line("return").refunds == Decimal("249.01")
    assert summary.line("free_repair").count == 0
    assert (summary.count, summary.refunds) == (6, Decimal("249.01"))
    assert [line.decision for line in summary.lines] == list(DECISIONS)


def test_day_summary_refuses_unknown_decisions_and_floats():
    with pytest.raises(RuleInputError):
        day_summary([("refund", Decimal("1"))])
    with pytest.raises(RuleInputError):
        day_summary([("return", 19.9)])


# --- texts ------------------------------------------------------------------------


def test_every_code_the_rules_can_return_has_a_text():
    codes = set()
    for day in (0, 8, 20, 40, 200):
        for reason in REQUEST_REASONS:
            for condition in CONDITIONS + ("",):
                result = decide(P, after(P, day), reason, [condition] if condition else [], DEFAULTS)
                assert result.rule in messages.RULES
                codes.update(result.reasons)
                assert all(text for text in messages.explain(result))
    assert codes == set(messages.REASONS)
    assert set(messages.DECISIONS) == set(DECISIONS)
    assert set(messages.CONDITIONS) == set(CONDITIONS)
    assert set(messages.STOCK_STATES) == set(rules.STOCK_STATES)


def test_explanation_quotes_the_days_and_the_branch_window():
    result = decide(P, after(P, 20), "quality", [], branch(quality_exchange_days=25))
    assert messages.explain(result) == [
        "Quality fault on day 20 since purchase: past the 15 days for a return, "
        "within the 25 days for an exchange (art. 8)."]
