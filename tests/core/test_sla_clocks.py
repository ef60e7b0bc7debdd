"""Service-level clocks (portal.core.sla): provinces, the branch calendar, default and
plugin targets, due times with pauses and promises, and what each clock shows."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.core import sla
from portal.core.builtin import CORE_SETTINGS
from portal.core.models import Branch, BranchHoliday, Ticket, TicketPause

SH = ZoneInfo("Asia/Shanghai")
CORE = {s.key: s.default for s in CORE_SETTINGS}
SETTINGS = {"core": CORE}
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # a Monday


def sh(*args):
    return datetime(*args, tzinfo=SH)


def branch(**changes) -> Branch:
    values = dict(code="A", name="一店", province="上海", timezone="Asia/Shanghai", working_weekdays=[1, 2, 3, 4, 5],
                  work_start=time(9), work_end=time(18), holidays=[])
    values.update(changes)
    return Branch(**values)


def ticket(created=MONDAY_10, out_of_province=False, plugin_targets=None, the_branch=None, **changes) -> Ticket:
    the_branch = the_branch or branch()
    item = Ticket(state="received", created_at=created.astimezone(UTC), out_of_province=out_of_province,
                  arrival_required=False, sla_breached=False, escalation_level=0)
    sla.set_targets(item, the_branch, SETTINGS, plugin_targets)
    for key, value in changes.items():
        setattr(item, key, value)
    sla.recompute(item, sla.calendar_for(the_branch))
    return item


# --- provinces --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, key", [
    ("河南省", "河南"), ("河南", "河南"), ("上海市", "上海"), ("  上海 ", "上海"),
    ("新疆维吾尔自治区", "新疆"), ("广西壮族自治区", "广西"), ("宁夏回族自治区", "宁夏"),
    ("内蒙古自治区", "内蒙古"), ("香港特别行政区", "香港"), ("省", "省"), ("", ""), (None, ""),
])
def test_province_key(name, key):
    assert sla.province_key(name) == key


@pytest.mark.parametrize("customer, own, outside", [
    ("河南省", "河南", False), ("上海", "上海市", False), ("江苏省", "上海", True),
    ("", "上海", False), (None, "上海", False), ("河南", "", False),
])
def test_out_of_province_only_when_both_are_known_and_differ(customer, own, outside):
    assert sla.is_out_of_province(customer, own) is outside


# --- the branch calendar ----------------------------------------------------------------------

def test_calendar_for_takes_iso_weekdays_hours_and_time_zone():
    cal = sla.calendar_for(branch(working_weekdays=[1, 2, 3, 4, 5, 6], work_start=time(8, 30),
                                  work_end=time(17, 30), timezone="Asia/Urumqi"))
    assert cal.weekdays == frozenset({0, 1, 2, 3, 4, 5})
    assert cal.is_working_day(date(2026, 11, 28))  # Saturday works in this branch
    assert not cal.is_working_day(date(2026, 11, 29))  # Sunday (ISO 7) never listed
    assert (cal.start, cal.end, cal.tz) == (time(8, 30), time(17, 30), "Asia/Urumqi")


def test_calendar_for_knows_holidays_and_make_up_days():
    days = [BranchHoliday(day=date(2026, 10, 1), name="国庆", is_workday=False),
            BranchHoliday(day=date(2026, 10, 10), name="调休", is_workday=True)]
    cal = sla.calendar_for(branch(holidays=days))
    assert not cal.is_working_day(date(2026, 10, 1))  # a Thursday off
    assert cal.is_working_day(date(2026, 10, 10))  # a Saturday at work
    assert cal.is_working_day(date(2026, 10, 9)) and not cal.is_working_day(date(2026, 10, 11))


# --- targets ----------------------------------------------------------------------------------

def test_default_targets_in_province():
    targets = sla.default_targets(Ticket(out_of_province=False), branch(), CORE)
    assert targets == {"first_answer": timedelta(hours=24), "arrival": timedelta(hours=8),
                       "resolution": timedelta(hours=9 * 7)}


def test_default_targets_out_of_province_and_resolution_in_working_days_of_the_branch():
    core = dict(CORE, resolution_days=5, arrival_out_of_province_hours=30)
    targets = sla.default_targets(Ticket(out_of_province=True), branch(work_start=time(8), work_end=time(12)), core)
    assert targets["arrival"] == timedelta(hours=30)
    assert targets["resolution"] == timedelta(hours=4 * 5)


def test_a_branch_open_around_the_clock_has_24_hour_working_days():
    assert sla.working_day_length(branch(work_start=time(0), work_end=time(0))) == timedelta(hours=24)


def test_targets_are_frozen_in_minutes_and_a_plugin_overrides_some():
    item = ticket(plugin_targets={"arrival": timedelta(hours=2), "resolution": None, "coffee": timedelta(1)})
    assert item.first_answer_target_min == 24 * 60
    assert item.arrival_target_min == 120
    assert item.resolution_target_min == 63 * 60


# --- due times --------------------------------------------------------------------------------

def test_due_times_follow_working_hours():
    item = ticket()
    assert item.first_answer_due == sh(2026, 11, 25, 16, 0)  # Mon 8 h + Tue 9 h + Wed 7 h
    assert item.resolution_due == sh(2026, 12, 2, 10, 0)  # 63 working hours
    assert item.arrival_due is None  # nobody has to travel yet
    assert item.sla_next_due_at == item.first_answer_due


def test_arrival_clock_runs_once_someone_has_to_go():
    item = ticket(arrival_required=True)
    assert item.arrival_due == sh(2026, 11, 23, 18, 0)
    far = ticket(out_of_province=True, arrival_required=True)
    assert far.arrival_due == sh(2026, 11, 25, 16, 0)  # 24 working hours


def test_a_promised_arrival_overrides_the_target():
    promised = sh(2026, 11, 24, 15, 0)
    assert ticket(promised_arrival_at=promised).arrival_due == promised
    assert ticket(promised_arrival_at=promised, arrival_required=True).arrival_due == promised


def test_an_open_pause_removes_due_times_and_a_closed_one_moves_them():
    item = ticket()
    item.pauses.append(TicketPause(started_at=sh(2026, 11, 23, 12, 0).astimezone(UTC), ended_at=None))
    sla.recompute(item, sla.calendar_for(branch()))
    assert item.first_answer_due is None and item.resolution_due is None and item.sla_next_due_at is None
    item.pauses[0].ended_at = sh(2026, 11, 24, 12, 0).astimezone(UTC)  # 6 h Mon + 3 h Tue of working time
    sla.recompute(item, sla.calendar_for(branch()))
    assert item.first_answer_due == sh(2026, 11, 26, 16, 0)
    assert item.resolution_due == sh(2026, 12, 3, 10, 0)


# --- what a clock shows -----------------------------------------------------------------------

def status(item, clock, at):
    return sla.clock_status(item, clock, at, sla.calendar_for(branch())).status


def test_running_then_at_risk_then_breached():
    item = ticket()
    assert status(item, "first_answer", sh(2026, 11, 24, 10, 0)) == "running"
    assert status(item, "first_answer", sh(2026, 11, 25, 12, 0)) == "at_risk"  # 4 h before
    assert status(item, "first_answer", sh(2026, 11, 25, 16, 0)) == "at_risk"  # due, not yet past
    assert status(item, "first_answer", sh(2026, 11, 25, 16, 1)) == "breached"


def test_time_left_is_working_time():
    item = ticket()
    left = sla.clock_status(item, "first_answer", sh(2026, 11, 24, 18, 0), sla.calendar_for(branch())).working_left
    assert left == timedelta(hours=7)  # the night does not count


def test_met_and_missed_when_the_event_happened():
    item = ticket(first_answered_at=sh(2026, 11, 25, 15, 0).astimezone(UTC))
    assert status(item, "first_answer", sh(2026, 12, 9, 9, 0)) == "met"
    late = ticket(first_answered_at=sh(2026, 11, 25, 17, 0).astimezone(UTC))
    assert status(late, "first_answer", sh(2026, 12, 9, 9, 0)) == "missed"


def test_paused_while_waiting_for_the_customer():
    item = ticket()
    item.pauses.append(TicketPause(started_at=sh(2026, 11, 23, 12, 0).astimezone(UTC), ended_at=None))
    item.paused_since = item.pauses[0].started_at
    sla.recompute(item, sla.calendar_for(branch()))
    assert status(item, "resolution", sh(2026, 12, 30, 9, 0)) == "paused"


def test_not_applicable_without_a_trip_or_once_cancelled():
    assert status(ticket(), "arrival", sh(2026, 12, 30, 9, 0)) == "not_applicable"
    cancelled = ticket(state="cancelled")
    assert status(cancelled, "first_answer", sh(2026, 12, 30, 9, 0)) == "not_applicable"


def test_summary_columns_mark_a_breach_for_good():
    item = ticket()
    sla.refresh_summary(item, now=sh(2026, 11, 25, 17, 0).astimezone(UTC))
    assert item.sla_breached is True
    item.first_answered_at = sh(2026, 11, 25, 17, 30).astimezone(UTC)
    sla.refresh_summary(item, now=sh(2026, 11, 25, 17, 30).astimezone(UTC))
    assert item.sla_breached is True and item.sla_next_due_at == item.resolution_due


def test_no_running_clock_on_a_closed_ticket():
    item = ticket(state="closed")
    assert sla.running_dues(item) == []
    sla.refresh_summary(item, now=sh(2027, 1, 1, 9, 0))
    assert item.sla_next_due_at is None
