"""The service-level sweep with a frozen clock: breaches are marked and escalate from the
assignee to the branch manager to HQ, each step recorded once, also when two servers sweep
at the same moment (issue 3 item 4)."""

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.core import sla, tickets
from portal.core.models import BranchPlugin, Product, SlaEscalation, Ticket, TicketEvent, User
from portal.core.sla_sweep import escalations_for, sweep
from portal.core.tickets import NewTicket, StepRequest
from portal.extensions import db

SH = ZoneInfo("Asia/Shanghai")
OPENED = datetime(2026, 11, 23, 10, 0, tzinfo=SH)        # a Monday
FIRST_ANSWER_DUE = datetime(2026, 11, 25, 16, 0, tzinfo=SH)  # 24 working hours later
ARRIVAL_DUE = datetime(2026, 11, 23, 18, 0, tzinfo=SH)     # 8 working hours later
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


@pytest.fixture
def ctx(app, world, monkeypatch):
    """Tickets are opened at OPENED; the sweep gets its own frozen ``now``."""
    monkeypatch.setattr(tickets, "utcnow", lambda: OPENED.astimezone(UTC))
    monkeypatch.setattr(sla, "utcnow", lambda: OPENED.astimezone(UTC))
    with app.app_context(), force_locale("en"):
        yield world


def user(name) -> User:
    return db.session.scalar(select(User).filter_by(username=name))


def open_repair(world, branch="A") -> int:
    clerk = f"{branch.lower()}_clerk"
    ticket = tickets.open_ticket(NewTicket(customer_id=world["customers"][branch], title="不制冷",
                                           product_id=world["products"][branch]), user(clerk))
    db.session.commit()
    return ticket.id


def step(ticket_id, name, by, **request):
    ticket = db.session.get(Ticket, ticket_id)
    tickets.transition(ticket, StepRequest(name, **request), user(by))
    db.session.commit()


def on_site(world, branch="A") -> int:
    """Triaged at once, assigned to the engineer, who has to be on site in 8 working hours."""
    ticket_id = open_repair(world, branch)
    b = branch.lower()
    db.session.get(Product, world["products"][branch]).warranty_end = date(2027, 6, 30)
    step(ticket_id, "triage", f"{b}_clerk", nature="product_quality")
    step(ticket_id, "assign", f"{b}_clerk", assignee_id=user(f"{b}_engineer").id)
    step(ticket_id, "start", f"{b}_engineer", handling="on_site")
    return ticket_id


def ticket(ticket_id) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id)


def escalations(ticket_id=None) -> list[tuple]:
    query = select(SlaEscalation.clock, SlaEscalation.level).order_by(SlaEscalation.clock, SlaEscalation.level)
    if ticket_id is not None:
        query = query.where(SlaEscalation.ticket_id == ticket_id)
    return [tuple(row) for row in db.session.execute(query)]


def entries(kind, ticket_id=None) -> list[dict]:
    query = select(TicketEvent).where(TicketEvent.kind == kind).order_by(TicketEvent.id)
    if ticket_id is not None:
        query = query.where(TicketEvent.ticket_id == ticket_id)
    return [e.data for e in db.session.scalars(query)]


def counts(result) -> dict:
    return {k: v for k, v in result.counts.items() if v}


# --- breach and escalation, level by level ------------------------------------------------------

def test_a_missed_first_answer_escalates_level_by_level(ctx):
    ticket_id = open_repair(ctx)
    version = ticket(ticket_id).version
    assert ticket(ticket_id).first_answer_due == FIRST_ANSWER_DUE

    assert counts(sweep(FIRST_ANSWER_DUE)) == {}  # due, not yet missed
    assert not ticket(ticket_id).sla_breached

    result = sweep(FIRST_ANSWER_DUE + MINUTE)
    assert counts(result) == {"tickets": 1, "breaches": 1, "escalations": 1, "L1": 1}
    assert (ticket(ticket_id).sla_breached, ticket(ticket_id).escalation_level) == (True, 1)
    assert escalations(ticket_id) == [("first_answer", 1)]
    assert entries("sla_breach", ticket_id) == [{"clock": "first_answer",
                                                 "due": FIRST_ANSWER_DUE.astimezone(UTC).isoformat()}]
    assert entries("escalation", ticket_id) == [{"clock": "first_answer", "level": 1}]

    # The manager hears of it escalate_manager_hours (4) wall-clock hours after the breach.
    assert counts(sweep(FIRST_ANSWER_DUE + 4 * HOUR - MINUTE)) == {"tickets": 1}
    assert counts(sweep(FIRST_ANSWER_DUE + 4 * HOUR)) == {"tickets": 1, "escalations": 1, "L2": 1}
    assert ticket(ticket_id).escalation_level == 2

    # HQ after escalate_hq_hours (24).
    assert counts(sweep(FIRST_ANSWER_DUE + 24 * HOUR - MINUTE)) == {"tickets": 1}
    assert counts(sweep(FIRST_ANSWER_DUE + 24 * HOUR)) == {"tickets": 1, "escalations": 1, "L3": 1}
    assert ticket(ticket_id).escalation_level == 3
    assert escalations(ticket_id) == [("first_answer", 1), ("first_answer", 2), ("first_answer", 3)]
    assert [e["level"] for e in entries("escalation", ticket_id)] == [1, 2, 3]
    assert len(entries("sla_breach", ticket_id)) == 1
    # The sweep never made a clerk's open form stale.
    assert ticket(ticket_id).version == version


def test_a_late_first_sweep_catches_up_all_levels_at_once(ctx):
    ticket_id = open_repair(ctx)
    result = sweep(FIRST_ANSWER_DUE + 30 * HOUR)
    assert counts(result) == {"tickets": 1, "breaches": 1, "escalations": 3, "L1": 1, "L2": 1, "L3": 1}
    assert ticket(ticket_id).escalation_level == 3


def test_sweeping_again_adds_nothing(ctx):
    ticket_id = open_repair(ctx)
    later = FIRST_ANSWER_DUE + 30 * HOUR
    sweep(later)
    before = (escalations(), entries("escalation"), entries("sla_breach"), ticket(ticket_id).version)
    again = sweep(later)
    assert counts(again) == {"tickets": 1}  # looked at, nothing to do
    assert (escalations(), entries("escalation"), entries("sla_breach"), ticket(ticket_id).version) == before


def test_escalation_hours_are_per_branch_settings(ctx):
    db.session.add(BranchPlugin(branch_id=ctx["A"], plugin="core", enabled=True,
                                settings={"escalate_manager_hours": 1, "escalate_hq_hours": 2}))
    db.session.commit()
    in_a, in_b = open_repair(ctx, "A"), open_repair(ctx, "B")
    sweep(FIRST_ANSWER_DUE + 2 * HOUR)
    assert escalations(in_a) == [("first_answer", 1), ("first_answer", 2), ("first_answer", 3)]
    assert escalations(in_b) == [("first_answer", 1)]


def test_each_clock_escalates_on_its_own(ctx):
    ticket_id = on_site(ctx)
    sweep(ARRIVAL_DUE + MINUTE)
    assert escalations(ticket_id) == [("arrival", 1)]
    # Resolution is due 63 working hours after opening: Wednesday 2 December 10:00.
    sweep(datetime(2026, 12, 2, 10, 1, tzinfo=SH))
    assert escalations(ticket_id) == [("arrival", 1), ("arrival", 2), ("arrival", 3), ("resolution", 1)]
    assert ticket(ticket_id).escalation_level == 3


# --- what is not escalated ----------------------------------------------------------------------

def test_a_ticket_waiting_for_the_customer_is_not_escalated(ctx):
    ticket_id = open_repair(ctx)
    db.session.get(Product, ctx["products"]["A"]).warranty_end = date(2027, 6, 30)
    step(ticket_id, "triage", "a_clerk", nature="other")
    step(ticket_id, "assign", "a_clerk", assignee_id=user("a_engineer").id)
    step(ticket_id, "start", "a_engineer", handling="phone_guidance")
    step(ticket_id, "wait", "a_engineer", reason="客户出国一个月")
    assert counts(sweep(datetime(2027, 1, 31, 12, 0, tzinfo=SH))) == {}
    assert escalations() == [] and not ticket(ticket_id).sla_breached


def test_waiting_for_the_customer_holds_further_escalation_until_work_resumes(ctx, monkeypatch):
    ticket_id = on_site(ctx)
    sweep(ARRIVAL_DUE + MINUTE)
    assert escalations(ticket_id) == [("arrival", 1)]
    monkeypatch.setattr(tickets, "utcnow", lambda: (ARRIVAL_DUE + HOUR).astimezone(UTC))
    step(ticket_id, "wait", "a_engineer", reason="客户要求改天上门")
    assert counts(sweep(ARRIVAL_DUE + 30 * HOUR)) == {}
    step(ticket_id, "resume", "a_engineer")
    sweep(ARRIVAL_DUE + 30 * HOUR)
    assert escalations(ticket_id) == [("arrival", 1), ("arrival", 2), ("arrival", 3)]


def test_a_ticket_answered_in_time_is_not_escalated(ctx):
    ticket_id = open_repair(ctx)
    step(ticket_id, "triage", "a_clerk", nature="other")  # answered at once
    assert counts(sweep(FIRST_ANSWER_DUE + 30 * HOUR)) == {}
    assert escalations() == [] and ticket(ticket_id).escalation_level == 0


def test_closed_cancelled_and_archived_tickets_are_left_alone(ctx):
    cancelled, archived = open_repair(ctx), open_repair(ctx)
    step(cancelled, "cancel", "a_branch_manager", reason="重复")
    ticket(archived).deleted_at = OPENED.astimezone(UTC)
    db.session.commit()
    assert counts(sweep(FIRST_ANSWER_DUE + 30 * HOUR)) == {}
    assert escalations() == []


def test_the_sweep_works_through_batches(ctx):
    ids = [open_repair(ctx, branch) for branch in "ABABA"]
    result = sweep(FIRST_ANSWER_DUE + MINUTE, batch_size=2)
    assert counts(result) == {"tickets": 5, "breaches": 5, "escalations": 5, "L1": 5}
    assert {ticket(i).escalation_level for i in ids} == {1}


def test_an_interrupted_sweep_leaves_no_escalation_without_its_timeline_entry(ctx, monkeypatch):
    first, second = open_repair(ctx), open_repair(ctx)
    log = tickets.log

    def dies_on_the_second_ticket(ticket, *args, **kwargs):
        if ticket.id == second:
            raise RuntimeError("the server went down")
        return log(ticket, *args, **kwargs)

    monkeypatch.setattr(tickets, "log", dies_on_the_second_ticket)
    with pytest.raises(RuntimeError):
        sweep(FIRST_ANSWER_DUE + MINUTE)
    db.session.rollback()
    assert escalations() == [] and entries("escalation") == []
    assert not ticket(first).sla_breached

    monkeypatch.setattr(tickets, "log", log)
    assert counts(sweep(FIRST_ANSWER_DUE + MINUTE))["escalations"] == 2
    assert len(entries("escalation")) == 2


def test_sweep_wants_an_aware_time(ctx):
    with pytest.raises(ValueError, match="timezone-aware"):
        sweep(datetime(2026, 11, 30, 9, 0))


# --- who hears of it ----------------------------------------------------------------------------

def shown_to(username) -> set[int]:
    return {t.id for t in db.session.scalars(escalations_for(user(username)))}


def test_escalations_reach_the_assignee_then_the_manager_then_hq(ctx):
    ticket_id = on_site(ctx)
    everyone = ["a_engineer", "a_clerk", "a_branch_manager", "b_branch_manager", "b_engineer", "admin"]
    assert {name for name in everyone if shown_to(name)} == set()

    sweep(ARRIVAL_DUE + MINUTE)
    assert {name for name in everyone if ticket_id in shown_to(name)} == {"a_engineer"}

    sweep(ARRIVAL_DUE + 4 * HOUR)
    assert {name for name in everyone if ticket_id in shown_to(name)} == {"a_engineer", "a_branch_manager"}

    sweep(ARRIVAL_DUE + 24 * HOUR)
    assert {name for name in everyone if ticket_id in shown_to(name)} == {"a_engineer", "a_branch_manager", "admin"}

    step(ticket_id, "resolve", "a_engineer", solution="上门更换压缩机")
    assert {name for name in everyone if shown_to(name)} == set()  # settled tickets drop off


# --- the command ----------------------------------------------------------------------------------

def test_the_command_prints_one_summary_line(ctx, runner):
    ticket_id = open_repair(ctx)
    version = ticket(ticket_id).version
    result = runner.invoke(args=["sla", "sweep", "--now", "2026-11-26T16:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert result.output == "swept 1 tickets: 1 breaches marked, 3 escalations (L1 1, L2 1, L3 1)\n"
    again = runner.invoke(args=["sla", "sweep", "--now", "2026-11-26T16:00:00+08:00"])
    assert again.output == "swept 1 tickets: 0 breaches marked, 0 escalations (L1 0, L2 0, L3 0)\n"
    assert ticket(ticket_id).escalation_level == 3 and ticket(ticket_id).version == version


def test_the_command_runs_without_a_time(ctx, runner):
    result = runner.invoke(args=["sla", "sweep"])
    assert result.exit_code == 0 and result.output.startswith("swept ")


@pytest.mark.parametrize("raw, message", [("yesterday", "not an ISO time"),
                                          ("2026-11-26T16:00:00", "has no offset"),
                                          ("2026-13-01T00:00:00+08:00", "not an ISO time")])
def test_a_malformed_time_is_a_usage_error_not_a_traceback(ctx, runner, raw, message):
    result = runner.invoke(args=["sla", "sweep", "--now", raw])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert escalations() == []


# --- two servers at once ------------------------------------------------------------------------

def test_two_sweeps_at_the_same_moment_record_each_escalation_once(app, ctx):
    ids = [open_repair(ctx, branch) for branch in "AABBAB"] + [on_site(ctx)]
    now = FIRST_ANSWER_DUE + 30 * HOUR
    start = threading.Barrier(2)
    results, errors = [], []

    def server():
        try:
            with app.app_context():
                start.wait()
                results.append(sweep(now, batch_size=3))
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=server) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    # 6 first answers and 1 arrival, each at levels 1-3.
    expected = 7 * 3
    recorded = db.session.execute(
        select(SlaEscalation.ticket_id, SlaEscalation.clock, SlaEscalation.level)).all()
    assert len(recorded) == len(set(recorded)) == expected
    announced = [(e.ticket_id, e.data["clock"], e.data["level"])
                 for e in db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "escalation"))]
    assert sorted(announced) == sorted(tuple(r) for r in recorded)
    assert db.session.scalar(select(func.count()).where(TicketEvent.kind == "sla_breach")) == 7
    assert sum(r.counts["escalations"] for r in results) == expected
    assert sum(r.counts["breaches"] for r in results) == 7
    assert {ticket(i).escalation_level for i in ids} == {3}
