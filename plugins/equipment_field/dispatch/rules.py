"""Pure rules of the dispatch part, next to the plugin's shared ``rules.py``: which
tickets the phone-guidance rule covers, the places of a trip, and the engineers' load."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date

#: Phone guidance first is about faults (003 §4.5.3.1): an installation, a planned
#: maintenance or a consultation goes to a visit without trying to fix it by phone.
GUIDANCE_KINDS = frozenset({"repair", "complaint", "return_exchange"})
#: Tickets the board never lists: nothing to do on site.
NO_VISIT_KINDS = frozenset({"consultation", "suggestion", "callback"})
#: How the work is done when it is not on site (the core's handlings).
OFF_SITE_HANDLINGS = ("parts_sent", "taken_for_repair", "sent_to_hq")

MAX_TRIP_DAYS = 60
MAX_KM = 20000


def guidance_applies(kind: str) -> bool:
    return kind in GUIDANCE_KINDS


def split_places(text: str | None) -> list[str]:
    """"郑州、洛阳, 开封" → ["郑州", "洛阳", "开封"]: the places a trip goes to, as a
    dispatcher types them with any of the usual separators."""
    parts = re.split(r"[,，、;；/\n]+", text or "")
    seen: dict[str, None] = {}
    for part in parts:
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


def trip_days(start: date, end: date) -> int:
    """Calendar days away, both ends counted (a same-day trip is one day)."""
    return (end - start).days + 1


def engineer_load(pairs: Iterable[tuple[int, date]], engineer_ids: Iterable[int], days: list[date]) -> dict:
    """{engineer id: [visits on each of ``days``]} from (engineer id, local day) pairs."""
    counts = Counter(pairs)
    return {eid: [counts[(eid, day)] for day in days] for eid in engineer_ids}
