from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core.warranty import (
    Exclusion,
    Quote,
    WarrantyDecision,
    add_months,
    decide,
    warranty_end,
)

# --- add_months / warranty_end ------------------------------------------------


@pytest.mark.parametrize(
    "start, months, expected",
    [
        (date(2025, 3, 10), 12, date(2026, 3, 10)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 10, 31), 4, date(2026, 2, 28)),  # crosses the year
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2025, 5, 20), 0, date(2025, 5, 20)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


@given(st.dates(date(1900, 1, 1), date(2100, 12, 31)), st.integers(-240, 240))
def test_add_months_keeps_day_unless_clamped(start, months):
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day == start.day or (
        result.day < start.day and (result + timedelta(days=1)).day == 1
    )


def test_warranty_end_is_last_covered_day():
    assert warranty_end(date(2025, 3, 10)) == date(2026, 3, 9)
    assert warranty_end(date(2025, 3, 10), 24) == date(2027, 3, 9)
    assert warranty_end(date(2025, 1, 1)) == date(2025, 12, 31)


def test_warranty_end_clamps_anniversary_before_subtracting():
    assert warranty_end(date(2024, 2, 29)) == date(2025, 2, 27)


@pytest.mark.parametrize("months", [0, -12])
def test_warranty_end_rejects_non_positive_months(months):
    with pytest.raises(ValueError, match="months"):
        warranty_end(date(2025, 3, 10), months)


# --- decide -------------------------------------------------------------------

END = date(2026, 3, 9)


def test_last_covered_day_is_free():
    decision = decide(END, warranty_end=END)
    assert decision == WarrantyDecision(
        free=True,
        reason="in_warranty",
        warranty_end=END,
        exclusions=(),
        needs_quote=False,
    )


def test_first_day_after_warranty_is_paid():
    decision = decide(END + timedelta(days=1), warranty_end=END)
    assert (decision.free, decision.reason, decision.needs_quote) == (
        False,
        "expired",
        True,
    )


def test_ticket_before_delivery_end_is_free():
    assert decide(date(2025, 3, 10), warranty_end=END).free


@pytest.mark.parametrize("code", ["misuse", "force_majeure", "modification"])
def test_each_exclusion_makes_warranty_repair_paid(code):
    decision = decide(date(2025, 6, 1), warranty_end=END, exclusions=[code])
    assert (decision.free, decision.reason, decision.needs_quote) == (
        False,
        "excluded",
        True,
    )
    assert decision.exclusions == (Exclusion(code),)


def test_exclusions_accept_enum_members_and_deduplicate():
    decision = decide(
        date(2025, 6, 1),
        warranty_end=END,
        exclusions=[Exclusion.MODIFICATION, "misuse", "modification"],
    )
    assert decision.exclusions == (Exclusion.MODIFICATION, Exclusion.MISUSE)


def test_expiry_outranks_exclusion_but_exclusion_is_kept():
    decision = decide(END + timedelta(days=1), warranty_end=END, exclusions=["misuse"])
    assert decision.reason == "expired"
    assert decision.exclusions == (Exclusion.MISUSE,)


def test_unknown_exclusion_code_is_named():
    with pytest.raises(ValueError, match="'wear_and_tear'"):
        decide(
            date(2025, 6, 1), warranty_end=END, exclusions=["misuse", "wear_and_tear"]
        )


def test_exclusion_codes_are_case_sensitive():
    with pytest.raises(ValueError, match="MISUSE"):
        decide(date(2025, 6, 1), warranty_end=END, exclusions=["MISUSE"])


def test_no_product_is_paid():
    decision = decide(date(2025, 6, 1), warranty_end=END, has_product=False)
    assert (decision.free, decision.reason, decision.needs_quote) == (
        False,
        "no_product",
        True,
    )


def test_unknown_start_is_paid():
    decision = decide(date(2025, 6, 1), warranty_end=None)
    assert (decision.free, decision.reason, decision.needs_quote) == (
        False,
        "unknown_start",
        True,
    )
    assert decision.warranty_end is None


def test_warranty_end_is_keyword_only():
    with pytest.raises(TypeError):
        decide(date(2025, 6, 1), END)


def test_decision_rejects_inconsistent_quote_flag():
    with pytest.raises(ValueError, match="needs_quote"):
        WarrantyDecision(
            free=False,
            reason="expired",
            warranty_end=END,
            exclusions=(),
            needs_quote=False,
        )


@given(
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    st.dates(date(2020, 1, 1), date(2030, 12, 31)),
)
def test_free_exactly_up_to_warranty_end(ticket, end):
    decision = decide(ticket, warranty_end=end)
    assert decision.free == (ticket <= end)
    assert decision.needs_quote == (not decision.free)


# --- Quote ------------------------------------------------------------------


def test_quote_total_is_exact():
    quote = Quote(
        parts=Decimal("0.10") * 3, labour=Decimal("0.10"), travel=Decimal("0.20")
    )
    assert quote.total == Decimal("0.60")
    assert str(quote.total) == "0.60"


def test_quote_total_rounds_half_up_to_cents():
    assert Quote(Decimal("0.005"), Decimal(0), Decimal(0)).total == Decimal("0.01")
    assert Quote(Decimal("1.0049"), Decimal(0), Decimal(0)).total == Decimal("1.00")
    assert Quote(
        Decimal("0.0025"), Decimal("0.0025"), Decimal("0.0000")
    ).total == Decimal("0.01")
    assert Quote(Decimal(1200), Decimal("350.5"), Decimal(80)).total == Decimal(
        "1630.50"
    )


def test_quote_accepts_zero():
    assert Quote(Decimal(0), Decimal(0), Decimal(0)).total == Decimal("0.00")


@pytest.mark.parametrize("field", ["parts", "labour", "travel"])
def test_quote_rejects_negative_amounts(field):
    amounts = {
        "parts": Decimal(1),
        "labour": Decimal(1),
        "travel": Decimal(1),
        field: Decimal("-0.01"),
    }
    with pytest.raises(ValueError, match=field):
        Quote(**amounts)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity")])
def test_quote_rejects_non_finite_amounts(bad):
    with pytest.raises(ValueError, match="finite"):
        Quote(Decimal(1), bad, Decimal(1))


@pytest.mark.parametrize("bad", [0.1, 1, "1.00"])
def test_quote_rejects_non_decimal_amounts(bad):
    with pytest.raises(TypeError, match="Decimal"):
        Quote(bad, Decimal(1), Decimal(1))
