"""Service levels of tickets on the branch's working calendar (REQUIREMENTS §2.3).

Three clocks per ticket: first answer, on-site arrival, resolution. Each has a target of
working time frozen on the ticket at creation, runs from the ticket's creation, pauses
while the ticket waits for the customer and stops when its event happens (triage answers,
the first arrival on site, the resolution). ``portal.core.calendar`` does the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .calendar import WorkingCalendar
from .models import Branch, Ticket
from .models.ticket import CLOCKS
from .models.types import utcnow

_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def province_key(name: str | None) -> str:
    """"河南省" and "河南" are the same province; so are "上海市" and "上海"."""
    name = (name or "").strip()
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def is_out_of_province(customer_province: str | None, branch_province: str | None) -> bool:
    """Unknown provinces count as in-province: the stricter target protects the customer."""
    a, b = province_key(customer_province), province_key(branch_province)
    return bool(a and b and a != b)


def calendar_for(branch: Branch) -> WorkingCalendar:
    """The branch's working calendar (weekdays stored ISO 1..7, the calendar wants 0..6)."""
    days = branch.holidays or []
    return WorkingCalendar(
        tz=branch.timezone,
        weekdays=frozenset(int(d) - 1 for d in (branch.working_weekdays or [])),
        start=branch.work_start,
        end=branch.work_end,
        holidays=frozenset(h.day for h in days if not h.is_workday),
        extra_workdays=frozenset(h.day for h in days if h.is_workday),
    )


def working_day_length(branch: Branch) -> timedelta:
    start = datetime.combine(datetime.min, branch.work_start)
    end = datetime.combine(datetime.min, branch.work_end)
    return (end - start) if end > start else (end - start + timedelta(days=1))


def default_targets(ticket: Ticket, branch: Branch, core: dict) -> dict[str, timedelta]:
    """Branch defaults: answer, arrival by distance class, resolution in working days."""
    arrival_hours = core["arrival_out_of_province_hours"] if ticket.out_of_province else core["arrival_in_province_hours"]
    return {
        "first_answer": timedelta(hours=core["first_answer_hours"]),
        "arrival": timedelta(hours=arrival_hours),
        "resolution": working_day_length(branch) * core["resolution_days"],
    }


def set_targets(ticket: Ticket, branch: Branch, settings: dict, plugin_targets: dict | None) -> None:
    """Freeze the targets on the ticket: branch defaults, overridden per ticket by the first
    plugin that answers ``portal_sla_targets``."""
    targets = default_targets(ticket, branch, settings["core"])
    targets.update({k: v for k, v in (plugin_targets or {}).items() if k in targets and v is not None})
    ticket.first_answer_target_min = _minutes(targets["first_answer"])
    ticket.arrival_target_min = _minutes(targets["arrival"])
    ticket.resolution_target_min = _minutes(targets["resolution"])


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def _pauses(ticket: Ticket):
    return [(p.started_at, p.ended_at) for p in ticket.pauses]


def recompute(ticket: Ticket, calendar: WorkingCalendar) -> None:
    """Due times from the frozen targets and the pauses so far; the summary columns the
    lists filter on. A clock inside an open pause has no due time until it resumes."""
    start, pauses = ticket.created_at, _pauses(ticket)

    def due(minutes):
        if minutes is None:
            return None
        return calendar.add_working_time(start, timedelta(minutes=minutes), pauses)

    ticket.first_answer_due = due(ticket.first_answer_target_min)
    if ticket.promised_arrival_at is not None:
        ticket.arrival_due = ticket.promised_arrival_at  # a promise to the customer counts (004/1 三.4)
    else:
        ticket.arrival_due = due(ticket.arrival_target_min) if ticket.arrival_required else None
    ticket.resolution_due = due(ticket.resolution_target_min)
    refresh_summary(ticket)


@dataclass(frozen=True)
class ClockStatus:
    clock: str
    due: datetime | None
    stopped_at: datetime | None
    status: str  # not_applicable, paused, running, at_risk, breached, met, missed
    working_left: timedelta | None = None


def _stop(ticket: Ticket, clock: str) -> datetime | None:
    return {"first_answer": ticket.first_answered_at, "arrival": ticket.arrived_at,
            "resolution": ticket.resolved_at}[clock]


def _due(ticket: Ticket, clock: str) -> datetime | None:
    return getattr(ticket, f"{clock}_due")


def _applies(ticket: Ticket, clock: str) -> bool:
    if clock == "arrival":
        return ticket.arrival_required or ticket.promised_arrival_at is not None
    return True


def clock_status(ticket: Ticket, clock: str, now: datetime, calendar: WorkingCalendar | None = None,
                 at_risk: timedelta = timedelta(hours=4)) -> ClockStatus:
    if not _applies(ticket, clock) or ticket.state == "cancelled":
        return ClockStatus(clock, None, None, "not_applicable")
    due, stopped = _due(ticket, clock), _stop(ticket, clock)
    if stopped is not None:
        return ClockStatus(clock, due, stopped, "met" if due is None or stopped <= due else "missed")
    if due is None:
        return ClockStatus(clock, None, None, "paused" if ticket.paused_since else "not_applicable")
    if now > due:
        return ClockStatus(clock, due, None, "breached")
    left = calendar.working_time_between(now, due) if calendar else due - now
    return ClockStatus(clock, due, None, "at_risk" if due - now <= at_risk else "running", left)


def clock_statuses(ticket: Ticket, now: datetime, branch: Branch, at_risk: timedelta) -> list[ClockStatus]:
    """The three clocks as the ticket page and the API show them. Only a running clock counts working
    hours left, so the branch's calendar (its holidays are a statement) is read only then:
    most tickets on file are closed and need none."""
    calendar = None
    found = []
    for clock in CLOCKS:
        status = clock_status(ticket, clock, now, calendar, at_risk)
        if status.working_left is not None and calendar is None:
            calendar = calendar_for(branch)
            status = clock_status(ticket, clock, now, calendar, at_risk)
        found.append(status)
    return found


def running_dues(ticket: Ticket) -> list[tuple[str, datetime]]:
    if not ticket.is_open:
        return []
    return [(c, _due(ticket, c)) for c in ("first_answer", "arrival", "resolution")
            if _applies(ticket, c) and _stop(ticket, c) is None and _due(ticket, c) is not None]


def refresh_summary(ticket: Ticket, now: datetime | None = None) -> None:
    """``sla_next_due_at``: earliest due of a running clock; ``sla_breached``: any clock
    missed (a stop after its due time, or a running clock past due)."""
    now = now or utcnow()
    running = running_dues(ticket)
    ticket.sla_next_due_at = min((d for _c, d in running), default=None)
    missed = any(
        _stop(ticket, c) is not None and _due(ticket, c) is not None and _stop(ticket, c) > _due(ticket, c)
        for c in ("first_answer", "arrival", "resolution") if _applies(ticket, c)
    )
    ticket.sla_breached = bool(ticket.sla_breached or missed or any(d < now for _c, d in running))
