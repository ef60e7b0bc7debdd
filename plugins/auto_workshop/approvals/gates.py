"""What the approvals part requires before a work order may move on (the workshop part asks)."""

from __future__ import annotations


def delivery_refusals(work_order) -> list[str]:
    """Readable reasons why ``work_order`` may not be delivered yet (empty: it may).

    An accident repair below the branch's minimum gross margin needs the advisor's written
    reason and the after-sales director's approval (004/2 一.6); a discount still waiting
    for the director must be decided first, so the bill is known when the car leaves."""
    from .discounts import delivery_texts

    return delivery_texts(work_order)
