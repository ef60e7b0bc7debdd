import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.calendar import WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")

# Data only: the 2026 National Day week plus a Saturday make-up day.
NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 8))
CN = WorkingCalendar(
    holidays=NATIONAL_DAY, extra_workdays=frozenset({date(2026, 10, 10)})
)
DEFAULT = WorkingCalendar()  # Asia/Shanghai, Mon-Fri 09:00-18:00


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def hours(n):
    return timedelta(hours=n)


# --- construction -----------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"tz": "Mars/Olympus"}, "time zone"),
        ({"weekdays": frozenset({0, 7})}, "weekdays"),
        ({"start": time(18), "end": time(9)}, "before"),
        ({"start": time(9), "end": time(9)}, "before"),
    ],
)
def test_invalid_calendar_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(**kwargs)


def test_calendar_accepts_plain_sets_and_stays_hashable():
    cal = WorkingCalendar(weekdays={0, 1}, holidays=[date(2026, 1, 1)])
    assert cal.weekdays == frozenset({0, 1})
    assert hash(cal) == hash(
        WorkingCalendar(
            weekdays=frozenset({0, 1}), holidays=frozenset({date(2026, 1, 1)})
        )
    )


def test_naive_datetimes_rejected():
    naive = datetime(2026, 3, 2, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        DEFAULT.add_working_time(naive, hours(1))
    with pytest.raises(ValueError, match="timezone-aware"):
        DEFAULT.is_working_time(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        DEFAULT.working_time_between(sh(2026, 3, 2, 10), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        DEFAULT.add_working_time(sh(2026, 3, 2, 10), hours(1), [(naive, None)])


def test_calendar_without_working_time_raises_instead_of_looping():
    cal = WorkingCalendar(weekdays=frozenset())
    with pytest.raises(ValueError, match="calendar has no working time"):
        cal.add_working_time(sh(2026, 3, 2, 10), hours(1))
    with pytest.raises(ValueError, match="calendar has no working time"):
        cal.next_working_day(date(2026, 3, 2))


def test_scan_limit_when_only_past_make_up_days_remain():
    cal = WorkingCalendar(
        weekdays=frozenset(), extra_workdays=frozenset({date(2020, 1, 4)})
    )
    with pytest.raises(ValueError, match="limit"):
        cal.add_working_time(sh(2026, 3, 2, 10), hours(1))
    with pytest.raises(ValueError, match="no working day"):
        cal.next_working_day(date(2026, 3, 2))


def test_negative_duration_rejected():
    with pytest.raises(ValueError, match="negative"):
        DEFAULT.add_working_time(sh(2026, 3, 2, 10), timedelta(seconds=-1))


# --- days and hours ---------------------------------------------------------


def test_holiday_beats_make_up_day_beats_weekday_rule():
    cal = WorkingCalendar(
        holidays=frozenset({date(2026, 10, 1), date(2026, 10, 11)}),
        extra_workdays=frozenset({date(2026, 10, 10), date(2026, 10, 11)}),
    )
    assert cal.is_working_day(date(2026, 9, 30))  # Wednesday
    assert not cal.is_working_day(date(2026, 10, 1))  # Thursday, holiday
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday, make-up
    assert not cal.is_working_day(date(2026, 10, 11))  # Sunday, both: holiday wins
    assert not cal.is_working_day(date(2026, 10, 17))  # plain Saturday


def test_working_hours_are_half_open():
    assert not DEFAULT.is_working_time(sh(2026, 3, 2, 8, 59, 59, 999999))
    assert DEFAULT.is_working_time(sh(2026, 3, 2, 9))
    assert DEFAULT.is_working_time(sh(2026, 3, 2, 17, 59, 59, 999999))
    assert not DEFAULT.is_working_time(sh(2026, 3, 2, 18))
    assert not DEFAULT.is_working_time(sh(2026, 3, 7, 10))  # Saturday


def test_is_working_time_uses_calendar_zone_for_utc_input():
    # 2026-03-02 01:00 UTC is Monday 09:00 in Shanghai, Sunday 19:00 in New York.
    assert DEFAULT.is_working_time(datetime(2026, 3, 2, 1, tzinfo=UTC))
    assert not DEFAULT.is_working_time(datetime(2026, 3, 2, 0, 59, tzinfo=UTC))


def test_next_working_day_is_strictly_after():
    assert DEFAULT.next_working_day(date(2026, 3, 2)) == date(2026, 3, 3)
    assert DEFAULT.next_working_day(date(2026, 3, 6)) == date(2026, 3, 9)  # Fri -> Mon
    assert CN.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)


# --- add_working_time -------------------------------------------------------


def test_result_is_utc():
    result = DEFAULT.add_working_time(sh(2026, 3, 2, 10), hours(1))
    assert result.utcoffset() == timedelta(0)
    assert result == sh(2026, 3, 2, 11)


def test_start_exactly_at_opening():
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 9), hours(1)) == sh(2026, 3, 2, 10)


def test_start_exactly_at_closing_continues_next_morning():
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 18), hours(1)) == sh(2026, 3, 3, 10)


def test_just_before_closing_spills_into_next_day():
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 17, 59), timedelta(minutes=2)) == sh(
        2026, 3, 3, 9, 1
    )


def test_deadline_may_be_exactly_closing_time():
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 17), hours(1)) == sh(2026, 3, 2, 18)
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 9), hours(9)) == sh(2026, 3, 2, 18)


def test_zero_duration_starts_clock_at_next_working_moment():
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 10, 30), timedelta(0)) == sh(
        2026, 3, 2, 10, 30
    )
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 7), timedelta(0)) == sh(
        2026, 3, 2, 9
    )
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 18), timedelta(0)) == sh(
        2026, 3, 3, 9
    )
    assert DEFAULT.add_working_time(sh(2026, 3, 7, 12), timedelta(0)) == sh(
        2026, 3, 9, 9
    )


def test_weekend_is_skipped():
    # Friday 17:00 + 2h -> Monday 10:00
    assert DEFAULT.add_working_time(sh(2026, 3, 6, 17), hours(2)) == sh(2026, 3, 9, 10)
    # started on a Saturday
    assert DEFAULT.add_working_time(sh(2026, 3, 7, 12), hours(2)) == sh(2026, 3, 9, 11)


def test_holidays_are_skipped():
    # Wednesday before National Day -> first day back is Thursday 2026-10-08
    assert CN.add_working_time(sh(2026, 9, 30, 17), hours(2)) == sh(2026, 10, 8, 10)


def test_make_up_saturday_is_worked():
    # Friday 2026-10-09 17:00 + 2h -> Saturday 2026-10-10 10:00, not Monday
    assert CN.add_working_time(sh(2026, 10, 9, 17), hours(2)) == sh(2026, 10, 10, 10)
    assert DEFAULT.add_working_time(sh(2026, 10, 9, 17), hours(2)) == sh(
        2026, 10, 12, 10
    )


def test_multi_day_duration():
    # 9h per day: 20h from Monday 09:00 = two full days + 2h on Wednesday
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 9), hours(20)) == sh(2026, 3, 4, 11)


def test_shanghai_calendar_with_utc_input():
    # 00:30 UTC is 08:30 in Shanghai: the clock starts at 09:00 local (01:00 UTC).
    result = DEFAULT.add_working_time(datetime(2026, 3, 2, 0, 30, tzinfo=UTC), hours(1))
    assert result == datetime(2026, 3, 2, 2, tzinfo=UTC)
    # 10:00 UTC Monday is 18:00 Shanghai: already closed.
    result = DEFAULT.add_working_time(datetime(2026, 3, 2, 10, tzinfo=UTC), hours(1))
    assert result == datetime(2026, 3, 3, 2, tzinfo=UTC)


def test_berlin_dst_weekend():
    cal = WorkingCalendar(tz="Europe/Berlin")
    # Friday 17:00 CET (16:00 UTC); clocks jump on Sunday 2026-03-29.
    start = datetime(2026, 3, 27, 17, tzinfo=BERLIN)
    result = cal.add_working_time(start, hours(2))
    assert result == datetime(2026, 3, 30, 10, tzinfo=BERLIN)
    assert result == datetime(2026, 3, 30, 8, tzinfo=UTC)  # CEST = UTC+2
    assert cal.working_time_between(start, result) == hours(2)


def test_always_open_across_berlin_dst_counts_real_hours():
    cal = WorkingCalendar.always_open("Europe/Berlin")
    sunday = datetime(2026, 3, 29, tzinfo=BERLIN)
    monday = datetime(2026, 3, 30, tzinfo=BERLIN)
    assert cal.working_time_between(sunday, monday) == hours(23)
    assert cal.add_working_time(sunday, hours(23)) == monday
    autumn = datetime(2026, 10, 25, tzinfo=BERLIN)
    assert cal.working_time_between(autumn, autumn + timedelta(days=1)) == hours(25)


def test_open_until_midnight():
    cal = WorkingCalendar(weekdays=frozenset(range(7)), start=time(20), end=time(0))
    assert cal.is_working_time(sh(2026, 3, 2, 23, 59))
    assert not cal.is_working_time(sh(2026, 3, 3, 0))
    assert cal.add_working_time(sh(2026, 3, 2, 23), hours(1)) == sh(2026, 3, 3, 0)
    assert cal.add_working_time(sh(2026, 3, 2, 23), hours(2)) == sh(2026, 3, 3, 21)
    assert cal.end_of_nth_working_day(sh(2026, 3, 2, 21), 0) == sh(2026, 3, 3, 0)


# --- pauses -----------------------------------------------------------------


def test_closed_pause_stops_the_clock():
    pause = (sh(2026, 3, 2, 10), sh(2026, 3, 2, 11))
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 9), hours(2), [pause]) == sh(
        2026, 3, 2, 12
    )


def test_pause_outside_working_hours_changes_nothing():
    pause = (sh(2026, 3, 2, 19), sh(2026, 3, 3, 8))
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 17), hours(2), [pause]) == sh(
        2026, 3, 3, 10
    )


def test_pause_spanning_closing_time():
    pause = (sh(2026, 3, 2, 17), sh(2026, 3, 3, 10))
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 16), hours(2), [pause]) == sh(
        2026, 3, 3, 11
    )


def test_zero_duration_inside_pause_starts_at_pause_end():
    pause = (sh(2026, 3, 2, 8), sh(2026, 3, 2, 10, 15))
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 9), timedelta(0), [pause]) == sh(
        2026, 3, 2, 10, 15
    )


def test_overlapping_pauses_count_once():
    pauses = [
        (sh(2026, 3, 2, 10), sh(2026, 3, 2, 12)),
        (sh(2026, 3, 2, 11), sh(2026, 3, 2, 13)),
        (sh(2026, 3, 2, 11, 30), sh(2026, 3, 2, 11, 45)),  # nested
    ]
    a, b = sh(2026, 3, 2, 9), sh(2026, 3, 2, 18)
    assert DEFAULT.working_time_between(a, b, pauses) == hours(6)
    assert DEFAULT.add_working_time(a, hours(2), pauses) == sh(2026, 3, 2, 14)


def test_open_pause_stops_the_clock_forever():
    pause = (sh(2026, 3, 2, 10), None)
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 9), hours(2), [pause]) is None
    assert DEFAULT.working_time_between(
        sh(2026, 3, 2, 9), sh(2026, 3, 9, 9), [pause]
    ) == hours(1)


def test_open_pause_after_deadline_is_irrelevant():
    pause = (sh(2026, 3, 2, 12), None)
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 9), hours(2), [pause]) == sh(
        2026, 3, 2, 11
    )
    # reaching the pause exactly is still a deadline, not "never"
    assert DEFAULT.add_working_time(sh(2026, 3, 2, 9), hours(3), [pause]) == sh(
        2026, 3, 2, 12
    )


def test_pause_ending_before_it_starts_rejected():
    with pytest.raises(ValueError, match="before it starts"):
        DEFAULT.add_working_time(
            sh(2026, 3, 2, 9), hours(1), [(sh(2026, 3, 2, 11), sh(2026, 3, 2, 10))]
        )


# --- working_time_between ---------------------------------------------------


def test_working_time_between_over_weekend():
    assert DEFAULT.working_time_between(
        sh(2026, 3, 6, 17), sh(2026, 3, 9, 10)
    ) == hours(2)


def test_working_time_between_empty_or_reversed_is_zero():
    a = sh(2026, 3, 2, 10)
    assert DEFAULT.working_time_between(a, a) == timedelta(0)
    assert DEFAULT.working_time_between(a, a - hours(1)) == timedelta(0)


def test_working_time_between_mixed_zones():
    a = datetime(2026, 3, 2, 1, tzinfo=UTC)  # Monday 09:00 Shanghai
    b = datetime(2026, 3, 2, 5, 0, tzinfo=BERLIN)  # 04:00 UTC = 12:00 Shanghai
    assert DEFAULT.working_time_between(a, b) == hours(3)


# --- end_of_nth_working_day -------------------------------------------------


def test_end_of_nth_working_day_over_weekend():
    friday = sh(2026, 3, 6, 15)
    assert DEFAULT.end_of_nth_working_day(friday, 1) == sh(2026, 3, 9, 18)
    assert DEFAULT.end_of_nth_working_day(friday, 3) == sh(2026, 3, 11, 18)  # Wednesday


def test_end_of_nth_working_day_over_holiday_and_make_up_day():
    done = sh(2026, 9, 30, 16)  # Wednesday before National Day
    assert CN.end_of_nth_working_day(done, 1) == sh(2026, 10, 8, 18)
    assert CN.end_of_nth_working_day(done, 3) == sh(
        2026, 10, 10, 18
    )  # make-up Saturday


def test_end_of_zeroth_working_day():
    assert DEFAULT.end_of_nth_working_day(sh(2026, 3, 2, 10), 0) == sh(2026, 3, 2, 18)
    assert DEFAULT.end_of_nth_working_day(sh(2026, 3, 7, 10), 0) == sh(2026, 3, 9, 18)


def test_end_of_nth_working_day_uses_local_date():
    # Thursday 20:00 UTC is already Friday 04:00 in Shanghai.
    assert DEFAULT.end_of_nth_working_day(
        datetime(2026, 3, 5, 20, tzinfo=UTC), 1
    ) == sh(2026, 3, 9, 18)


def test_end_of_nth_working_day_rejects_negative():
    with pytest.raises(ValueError):
        DEFAULT.end_of_nth_working_day(sh(2026, 3, 2, 10), -1)


# --- scale --------------------------------------------------------------------


def test_long_duration_is_fast():
    holidays = frozenset(
        date(2026, 1, 1) + timedelta(days=d) for d in range(0, 2000, 9)
    )
    cal = WorkingCalendar(holidays=holidays)
    start = sh(2026, 1, 5, 9)
    began = clock.perf_counter()
    result = cal.add_working_time(start, timedelta(days=400))
    elapsed = clock.perf_counter() - began
    assert cal.working_time_between(start, result) == timedelta(days=400)
    assert elapsed < 0.5


# --- properties -------------------------------------------------------------

ZONES = [
    "UTC",
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
]
LO, HI = datetime(2025, 1, 1), datetime(2027, 12, 31)
SETTINGS = settings(max_examples=200, deadline=None)

clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def calendars(draw):
    first, second = sorted(
        draw(st.lists(clock_times, min_size=2, max_size=2, unique=True))
    )
    end = draw(st.sampled_from([second, time(0)]))
    days = st.dates(LO.date(), HI.date())
    return WorkingCalendar(
        tz=draw(st.sampled_from(ZONES)),
        weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        start=first,
        end=end,
        holidays=draw(st.frozensets(days, max_size=30)),
        extra_workdays=draw(st.frozensets(days, max_size=10)),
    )


instants = st.datetimes(LO, HI, timezones=st.sampled_from([UTC, *map(ZoneInfo, ZONES)]))
# A random calendar may work only 15 minutes a week, so 3 days of working time
# can already span years; longer durations are covered by test_long_duration_is_fast.
durations = st.timedeltas(timedelta(0), timedelta(days=3))


@st.composite
def pause_lists(draw):
    pauses = []
    for begin in draw(st.lists(instants, max_size=3)):
        length = draw(st.timedeltas(timedelta(0), timedelta(days=3)))
        # elapsed time: wall-clock arithmetic across a DST change could end a pause
        # before it begins (Hypothesis found one at Lord Howe's half-hour shift)
        pauses.append((begin, (begin.astimezone(UTC) + length).astimezone(begin.tzinfo)))
    return pauses


def is_period_end(cal, at):
    """Independent of the implementation: ``at`` equals some working day's closing time."""
    local = at.astimezone(ZoneInfo(cal.tz)).date()
    for day in (local - timedelta(days=1), local):
        close_day = day + timedelta(days=1) if cal.end == time(0) else day
        if (
            cal.is_working_day(day)
            and datetime.combine(close_day, cal.end, ZoneInfo(cal.tz)) == at
        ):
            return True
    return False


@SETTINGS
@given(calendars(), instants, durations)
def test_result_lies_in_working_time_or_at_closing(cal, start, duration):
    result = cal.add_working_time(start, duration)
    assert cal.is_working_time(result) or is_period_end(cal, result)
    assert result >= start


@SETTINGS
@given(calendars(), instants, durations, durations)
def test_monotonic_in_duration(cal, start, d1, d2):
    d1, d2 = sorted((d1, d2))
    assert cal.add_working_time(start, d1) <= cal.add_working_time(start, d2)


@SETTINGS
@given(calendars(), instants, instants, durations)
def test_monotonic_in_start(cal, s1, s2, duration):
    s1, s2 = sorted((s1, s2))
    assert cal.add_working_time(s1, duration) <= cal.add_working_time(s2, duration)


@SETTINGS
@given(calendars(), instants, durations, pause_lists())
def test_round_trip_is_exact_to_the_microsecond(cal, start, duration, pauses):
    result = cal.add_working_time(start, duration, pauses)
    assert result >= start
    assert cal.working_time_between(start, result, pauses) == duration


@SETTINGS
@given(instants, durations, st.sampled_from(ZONES))
def test_always_open_is_plain_arithmetic(start, duration, zone):
    cal = WorkingCalendar.always_open(zone)
    end = start.astimezone(UTC) + duration  # elapsed time, not wall-clock arithmetic
    assert cal.add_working_time(start, duration) == end
    assert cal.working_time_between(start, end) == duration
