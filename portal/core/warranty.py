"""Warranty rules: is a repair free, and if not, why."""

from __future__ import annotations

from calendar import monthrange  # stdlib, not portal.core.calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")


class Exclusion(StrEnum):
    """Causes that make a repair paid even inside warranty."""

    MISUSE = "misuse"  # 操作不当 / 人为
    FORCE_MAJEURE = "force_majeure"  # 不可抗力
    MODIFICATION = "modification"  # 改造、分解、组装 by the customer


@dataclass(frozen=True)
class WarrantyDecision:
    """Outcome of :func:`decide`; ``reason`` is a machine code, see :func:`decide`."""

    free: bool
    reason: str
    warranty_end: date | None
    exclusions: tuple[Exclusion, ...]
    needs_quote: bool

    def __post_init__(self) -> None:
        if self.needs_quote == self.free:
            raise ValueError(
                "needs_quote must be True exactly when the repair is not free"
            )


def add_months(d: date, months: int) -> date:
    """``d`` shifted by calendar months (may be negative), clamped to the month's last day."""
    years, month0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + years, month0 + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def warranty_end(start: date, months: int = 12) -> date:
    """Last covered day: the day before the ``months`` anniversary of ``start``.

    2025-03-10 + 12 months -> 2026-03-09. The anniversary is clamped to month end
    first, so 2024-02-29 -> anniversary 2025-02-28 -> last covered day 2025-02-27.
    """
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    return add_months(start, months) - timedelta(days=1)


def _parse_exclusions(codes: Iterable[str | Exclusion]) -> tuple[Exclusion, ...]:
    parsed: list[Exclusion] = []
    for code in codes:
        try:
            exclusion = Exclusion(code)
        except ValueError:
            raise ValueError(f"unknown exclusion code {code!r}") from None
        if exclusion not in parsed:
            parsed.append(exclusion)
    return tuple(parsed)


def decide(
    ticket_date: date,
    *,
    warranty_end: date | None,
    exclusions: Iterable[str | Exclusion] = (),
    has_product: bool = True,
) -> WarrantyDecision:
    """Decide whether the repair reported on ``ticket_date`` is free.

    Reasons, checked in this order: "no_product", "unknown_start" (no warranty end
    known), "expired" (ticket after the last covered day), "excluded" (any
    exclusion applies), otherwise "in_warranty" (free). Everything but
    "in_warranty" is paid and needs an accepted quote before work starts.
    """
    found = _parse_exclusions(exclusions)
    if not has_product:
        reason = "no_product"
    elif warranty_end is None:
        reason = "unknown_start"
    elif ticket_date > warranty_end:
        reason = "expired"
    elif found:
        reason = "excluded"
    else:
        reason = "in_warranty"
    free = reason == "in_warranty"
    return WarrantyDecision(free, reason, warranty_end, found, needs_quote=not free)


@dataclass(frozen=True)
class Quote:
    """Cost estimate for a paid repair; amounts are non-negative Decimals."""

    parts: Decimal
    labour: Decimal
    travel: Decimal

    def __post_init__(self) -> None:
        for name in ("parts", "labour", "travel"):
            amount = getattr(self, name)
            # Floats would smuggle binary rounding errors into money.
            if not isinstance(amount, Decimal):
                raise TypeError(
                    f"{name} must be a Decimal, got {type(amount).__name__}"
                )
            if not amount.is_finite() or amount < 0:
                raise ValueError(
                    f"{name} must be a finite, non-negative amount, got {amount}"
                )

    @property
    def total(self) -> Decimal:
        """Sum of all amounts, rounded half-up to cents."""
        return (self.parts + self.labour + self.travel).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
