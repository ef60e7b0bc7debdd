"""Reading what people typed or ticked, the same way in every form and endpoint."""

from __future__ import annotations

YES = frozenset({"y", "yes", "1", "true", "on"})
NO = frozenset({"n", "no", "0", "false", "off"})


def yes_no(raw) -> bool | None:
    """A ticked box or a yes/no answer; None when the question was not answered."""
    if isinstance(raw, bool) or raw is None:
        return raw
    text = str(raw).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None
