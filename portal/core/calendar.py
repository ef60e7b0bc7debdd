"""Working-time arithmetic for service-level clocks.

All datetimes going in must be timezone-aware; all datetimes coming out are in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIDNIGHT = time(0, 0)
# Guard against calendars that (almost) never work, e.g. only past make-up days.
MAX_SCAN_DAYS = 20 * 366
# Stands in for the end of an open pause, so it sorts after every real instant.
_FOREVER = datetime.max.replace(tzinfo=UTC)

Pause = tuple[datetime, datetime | None]


def _utc(at: datetime, name: str = "datetime") -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {at!r}")
    return at.astimezone(UTC)


def _merge_pauses(pauses: Iterable[Pause]) -> list[tuple[datetime, datetime]]:
    """Sorted, disjoint, non-empty UTC intervals; an open pause ends at _FOREVER."""
    spans = []
    for begin, end in pauses:
        begin = _utc(begin, "pause start")
        end = _FOREVER if end is None else _utc(end, "pause end")
        if end < begin:
            raise ValueError(f"pause ends before it starts: {begin} > {end}")
        if end > begin:
            spans.append((begin, end))
    merged: list[tuple[datetime, datetime]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


@dataclass(frozen=True)
class WorkingCalendar:
    """A branch's working time: weekdays and daily hours in a time zone, with holidays
    and make-up working days (调休). Precedence: holiday > make-up day > weekday rule.

    ``end == time(0, 0)`` means midnight at the end of the day (open until 24:00).
    """

    tz: str = "Asia/Shanghai"
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # Callers pass lists/sets; freezing keeps the calendar hashable.
        for name in ("weekdays", "holidays", "extra_workdays"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        if not self.weekdays <= set(range(7)):
            raise ValueError(
                f"weekdays must be within 0..6 (Mon..Sun), got {sorted(self.weekdays)}"
            )
        if self.end != MIDNIGHT and not self.start < self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")

    @classmethod
    def always_open(cls, tz: str = "UTC") -> WorkingCalendar:
        """Every day, 00:00-24:00: working time equals elapsed time."""
        return cls(tz=tz, weekdays=frozenset(range(7)), start=MIDNIGHT, end=MIDNIGHT)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)  # ZoneInfo caches instances, so this is cheap

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.extra_workdays or day.weekday() in self.weekdays

    def is_working_time(self, at: datetime) -> bool:
        at = _utc(at)
        day = at.astimezone(self.zone).date()
        if not self.is_working_day(day):
            return False
        opens, closes = self._bounds(day)
        return opens <= at < closes

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        self._require_working_time()
        for offset in range(1, MAX_SCAN_DAYS + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {MAX_SCAN_DAYS} days after {day}")

    def add_working_time(
        self, start: datetime, duration: timedelta, pauses: Iterable[Pause] = ()
    ) -> datetime | None:
        """The instant at which ``duration`` of working time has elapsed since ``start``.

        Time outside working hours and inside ``pauses`` does not count. A zero
        duration yields the first working, unpaused moment at or after ``start``.
        The result may be exactly the closing time of a working period.
        Returns None only if an open pause (end None) stops the clock before
        ``duration`` has elapsed.
        """
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        remaining = duration
        for begin, end in self._segments(_utc(start, "start"), pauses):
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        return None

    def working_time_between(
        self, a: datetime, b: datetime, pauses: Iterable[Pause] = ()
    ) -> timedelta:
        """Working time in [a, b) outside the pauses; zero if b <= a."""
        a, b = _utc(a, "a"), _utc(b, "b")
        total = timedelta(0)
        if b <= a:
            return total
        for begin, end in self._segments(a, pauses):
            if begin >= b:
                break
            total += min(end, b) - begin
        return total

    def end_of_nth_working_day(self, start: datetime, n: int) -> datetime:
        """Closing time of the n-th working day after start's local date.

        n == 0 means start's own date if it is a working day (even if that closing
        time has already passed), else the next working day.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = _utc(start, "start").astimezone(self.zone).date()
        if n == 0 and not self.is_working_day(day):
            n = 1
        for _ in range(n):
            day = self.next_working_day(day)
        return self._bounds(day)[1]

    def _bounds(self, day: date) -> tuple[datetime, datetime]:
        """Opening and closing instant (UTC) of ``day``'s hours, working day or not.

        Local times that fall into a DST gap resolve like zoneinfo does (fold=0).
        """
        close_day = day + timedelta(days=1) if self.end == MIDNIGHT else day
        opens = datetime.combine(day, self.start, self.zone)
        closes = datetime.combine(close_day, self.end, self.zone)
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def _require_working_time(self) -> None:
        if not self.weekdays and not self.extra_workdays:
            raise ValueError("calendar has no working time")

    def _periods(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods from start's local date onwards, in order."""
        self._require_working_time()
        first = start.astimezone(self.zone).date()
        for offset in range(MAX_SCAN_DAYS):
            day = first + timedelta(days=offset)
            if self.is_working_day(day):
                opens, closes = self._bounds(day)
                if opens < closes:  # a DST gap can swallow very short hours
                    yield opens, closes
        raise ValueError(f"working time exceeds the {MAX_SCAN_DAYS}-day scan limit")

    def _segments(
        self, start: datetime, pauses: Iterable[Pause]
    ) -> Iterator[tuple[datetime, datetime]]:
        """Non-empty running-clock intervals from ``start`` on; stops at an open pause."""
        paused = _merge_pauses(pauses)
        i = 0
        for begin, end in self._periods(start):
            begin = max(begin, start)
            while begin < end:
                while i < len(paused) and paused[i][1] <= begin:
                    i += 1
                if i < len(paused) and paused[i][0] <= begin:
                    if paused[i][1] == _FOREVER:
                        return
                    begin = paused[i][1]
                    continue
                stop = min(end, paused[i][0]) if i < len(paused) else end
                yield begin, stop
                begin = stop
