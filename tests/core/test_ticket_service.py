"""The ticket service layer (portal.core.tickets) end to end against the database: the
workflow with its guards, warranty on the boundaries, paused clocks, plugin hooks,
reassignment, stale edits, the append-only timeline, quotes and charges."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

import portal_example_plugin as example
from portal.core import sla, tickets
from portal.core.models import BranchPlugin, Charge, Product, Ticket, TicketAssignment, TicketEvent, User
from portal.core.tickets import NewTicket, StepRequest, TicketError
from portal.extensions import db

SH = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


class Clock:
    def __init__(self, at):
        self.now = at.astimezone(UTC)

    def set(self, at):
        self.now = at.astimezone(UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A frozen 'now' for the service layer and the clocks."""
    frozen = Clock(MONDAY_10)
    monkeypatch.setattr(tickets, "utcnow", frozen)
    monkeypatch.setattr(sla, "utcnow", frozen)
    return frozen


@pytest.fixture
def ctx(app, world, clock):
    # English messages whatever the catalogs say, so assertions read like the msgids.
    with app.app_context(), force_locale("en"):
        yield world


def user(name) -> User:
    return db.session.scalar(select(User).filter_by(username=name))


def enable_example(branch_id, **settings):
    db.session.add(BranchPlugin(branch_id=branch_id, plugin="example_plugin", enabled=True, settings=settings))
    db.session.commit()


def open_repair(world, branch="A", by="a_clerk", **changes) -> Ticket:
    data = NewTicket(customer_id=world["customers"][branch], title="洗衣机不脱水", description="响声很大",
                     product_id=world["products"][branch], **changes)
    ticket = tickets.open_ticket(data, user(by))
    db.session.commit()
    return ticket


def step(ticket, name, by, **request) -> Ticket:
    tickets.transition(ticket, StepRequest(name, **request), user(by))
    db.session.commit()
    return ticket


def refused(ticket, name, by, **request) -> TicketError:
    with pytest.raises(TicketError) as caught:
        tickets.transition(ticket, StepRequest(name, **request), user(by))
    db.session.rollback()
    return caught.value


def set_warranty(ticket, end, purchased=date(2026, 1, 10)):
    product = db.session.get(Product, ticket.product_id)
    product.warranty_end, product.purchase_date = end, purchased
    db.session.commit()


def to_work(ticket, handling="phone_guidance", warranty_end=date(2027, 1, 10)) -> Ticket:
    set_warranty(ticket, warranty_end)
    step(ticket, "triage", "a_clerk", nature="product_quality")
    step(ticket, "assign", "a_clerk", assignee_id=user("a_engineer").id)
    return step(ticket, "start", "a_engineer", handling=handling)


def timeline(ticket) -> list[str]:
    return list(db.session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
                                   .order_by(TicketEvent.id)))


# --- the happy path ---------------------------------------------------------------------------

def test_a_repair_goes_from_received_to_closed(ctx, clock):
    ticket = open_repair(ctx)
    assert ticket.number == "A-2026-000001" and ticket.state == "received"
    assert ticket.first_answer_due == datetime(2026, 11, 25, 16, 0, tzinfo=SH)
    set_warranty(ticket, date(2027, 1, 10))

    clock.set(MONDAY_10 + timedelta(hours=1))
    step(ticket, "triage", "a_clerk", nature="packaging_transport")
    assert (ticket.state, ticket.department, ticket.warranty_free, ticket.warranty_reason) == \
        ("triaged", "warehouse_logistics", True, "in_warranty")
    assert sla.clock_status(ticket, "first_answer", clock.now).status == "met"

    step(ticket, "assign", "a_clerk", assignee_id=user("a_engineer").id)
    assert ticket.state == "assigned" and ticket.assignee.username == "a_engineer"

    step(ticket, "start", "a_engineer", handling="on_site")
    assert ticket.state == "in_progress" and ticket.arrival_required
    assert ticket.arrival_due == datetime(2026, 11, 23, 18, 0, tzinfo=SH)  # 8 working hours after opening

    step(ticket, "resolve", "a_engineer", solution="更换排水泵")
    assert ticket.state == "resolved" and ticket.solution == "更换排水泵" and ticket.resolved_at == clock.now

    step(ticket, "close", "a_clerk")
    assert ticket.state == "closed" and ticket.closed_at == clock.now
    assert timeline(ticket) == ["created", "transition", "assignment", "transition", "transition", "transition",
                                "transition"]


def test_the_triage_department_proposal_can_be_overridden(ctx):
    ticket = open_repair(ctx)
    step(ticket, "triage", "a_clerk", nature="product_quality", department="senior_management")
    assert ticket.department == "senior_management"


def test_an_illegal_step_is_refused_with_a_readable_reason_and_changes_nothing(ctx):
    ticket = open_repair(ctx)
    error = refused(ticket, "close", "a_clerk")
    assert error.messages == ["This step is not possible from the ticket's current state."]
    assert refused(ticket, "fly", "a_clerk").messages == ["There is no such step."]
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.state == "received" and timeline(ticket) == ["created"]


def test_a_step_outside_the_role_is_refused(ctx):
    ticket = open_repair(ctx)
    assert refused(ticket, "triage", "a_engineer", nature="other").messages == ["Your role does not allow this step."]
    assert refused(ticket, "triage", "b_branch_manager", nature="other").messages == \
        ["Your role does not allow this step."]


def test_guards_speak_in_sentences(ctx):
    ticket = open_repair(ctx)
    assert refused(ticket, "triage", "a_clerk").messages == ["Judge the nature of the request first."]
    step(ticket, "triage", "a_clerk", nature="other")
    assert refused(ticket, "assign", "a_clerk").messages == ["Choose who takes the ticket."]
    step(ticket, "assign", "a_clerk", assignee_id=user("a_engineer").id)
    assert "Say how the work will be done" in refused(ticket, "start", "a_engineer").messages[0]
    step(ticket, "start", "a_engineer", handling="phone_guidance")
    assert refused(ticket, "resolve", "a_engineer").messages == ["Describe the solution before resolving."]


def test_a_ticket_for_another_branchs_customer_cannot_be_opened(ctx):
    with pytest.raises(TicketError) as caught:
        tickets.open_ticket(NewTicket(customer_id=ctx["customers"]["B"], title="x"), user("a_clerk"))
    assert caught.value.fields.keys() == {"customer"}


# --- warranty ---------------------------------------------------------------------------------

# 00:30 in Shanghai is still the previous day in UTC: the branch's own date decides.
JUST_AFTER_MIDNIGHT = datetime(2026, 11, 23, 0, 30, tzinfo=SH)


@pytest.mark.parametrize("end, free, reason", [
    (date(2026, 11, 23), True, "in_warranty"),   # the last day of warranty
    (date(2026, 11, 22), False, "expired"),      # the first day out of warranty
    (date(2026, 11, 24), True, "in_warranty"),
])
def test_warranty_on_the_boundary_uses_the_local_ticket_date(ctx, clock, end, free, reason):
    clock.set(JUST_AFTER_MIDNIGHT)
    ticket = open_repair(ctx)
    set_warranty(ticket, end)
    step(ticket, "triage", "a_clerk", nature="product_quality")
    assert (ticket.warranty_free, ticket.warranty_reason) == (free, reason)


@pytest.mark.parametrize("opened, free", [
    (datetime(2026, 11, 22, 0, 30, tzinfo=SH), True),   # last day: the day before the purchase anniversary
    (datetime(2026, 11, 23, 0, 30, tzinfo=SH), False),  # the anniversary itself is out
])
def test_without_an_end_on_file_warranty_runs_12_months_from_purchase(ctx, clock, opened, free):
    clock.set(opened)
    ticket = open_repair(ctx)
    set_warranty(ticket, None, purchased=date(2025, 11, 23))
    step(ticket, "triage", "a_clerk", nature="product_quality")
    assert ticket.warranty_free is free


def test_without_any_date_on_file_service_is_paid(ctx):
    ticket = open_repair(ctx)
    set_warranty(ticket, None, purchased=None)
    step(ticket, "triage", "a_clerk", nature="product_quality")
    assert (ticket.warranty_free, ticket.warranty_reason) == (False, "unknown_start")
    assert "No delivery or purchase date" in tickets.warranty_explanation(ticket)


@pytest.mark.parametrize("exclusion", ["misuse", "force_majeure", "modification"])
def test_each_exclusion_makes_warranty_work_paid(ctx, exclusion):
    ticket = open_repair(ctx)
    set_warranty(ticket, date(2027, 6, 30))
    step(ticket, "triage", "a_clerk", nature="product_quality", exclusions=(exclusion,))
    assert (ticket.warranty_free, ticket.warranty_reason, ticket.exclusions) == (False, "excluded", [exclusion])
    assert str(tickets.EXCLUSION_LABELS[exclusion]) in tickets.warranty_explanation(ticket)


def test_an_unknown_exclusion_is_refused(ctx):
    ticket = open_repair(ctx)
    error = refused(ticket, "triage", "a_clerk", nature="other", exclusions=("bad_luck",))
    assert error.fields == {"exclusions": "Choose exclusions from the list."}


# --- clocks pause while waiting for the customer ----------------------------------------------

def test_waiting_pauses_the_clocks_and_resuming_moves_them_by_the_paused_working_time(ctx, clock):
    ticket = to_work(open_repair(ctx))
    due_before = ticket.resolution_due
    assert due_before == datetime(2026, 12, 2, 10, 0, tzinfo=SH)

    clock.set(datetime(2026, 11, 23, 12, 0, tzinfo=SH))
    assert refused(ticket, "wait", "a_engineer").messages == ["Give a reason."]
    step(ticket, "wait", "a_engineer", reason="客户出差，下周二再约")
    assert ticket.state == "waiting_customer"
    assert ticket.resolution_due is None and ticket.sla_next_due_at is None
    assert sla.clock_status(ticket, "resolution", datetime(2026, 12, 31, tzinfo=SH)).status == "paused"

    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=SH))  # Monday 12-18 + Tuesday 9-12: 9 working hours
    step(ticket, "resume", "a_engineer")
    calendar = sla.calendar_for(ticket.branch)
    assert ticket.resolution_due == calendar.add_working_time(due_before, timedelta(hours=9))
    assert ticket.resolution_due == datetime(2026, 12, 3, 10, 0, tzinfo=SH)
    assert ticket.sla_next_due_at == ticket.resolution_due and ticket.paused_since is None
    assert [(p.started_at, p.ended_at) for p in ticket.pauses] == [
        (datetime(2026, 11, 23, 4, 0, tzinfo=UTC), datetime(2026, 11, 24, 4, 0, tzinfo=UTC))]


# --- cancel and reopen --------------------------------------------------------------------------

def test_cancel_needs_a_reason_and_the_permission(ctx):
    ticket = open_repair(ctx)
    assert refused(ticket, "cancel", "a_branch_manager").messages == ["Give a reason."]
    assert refused(ticket, "cancel", "a_clerk", reason="dup").messages == ["Your role does not allow this step."]
    step(ticket, "cancel", "a_branch_manager", reason="重复登记")
    assert ticket.state == "cancelled" and ticket.closed_at is not None and not ticket.is_open
    assert refused(ticket, "reopen", "a_branch_manager", reason="x").messages == [
        "This step is not possible from the ticket's current state."]


def test_reopen_needs_a_reason_and_clears_the_resolution(ctx):
    ticket = to_work(open_repair(ctx))
    step(ticket, "resolve", "a_engineer", solution="重新设置程序")
    step(ticket, "close", "a_clerk")
    assert refused(ticket, "reopen", "a_branch_manager", reason=" ").messages == ["Give a reason."]
    step(ticket, "reopen", "a_branch_manager", reason="客户反映问题复现")
    assert ticket.state == "in_progress" and ticket.resolved_at is None and ticket.closed_at is None
    assert ticket.sla_next_due_at == ticket.resolution_due


# --- plugins ------------------------------------------------------------------------------------

def test_portal_check_transition_lets_a_plugin_veto_a_step(ctx):
    enable_example(ctx["A"], strict=True)
    ticket = open_repair(ctx)
    error = refused(ticket, "triage", "a_clerk", nature="other")
    assert error.messages == ["limit reached"]
    assert db.session.get(Ticket, ticket.id).state == "received"


def test_portal_check_transition_vetoes_only_where_the_plugin_runs(ctx):
    enable_example(ctx["A"], strict=True)
    ticket = open_repair(ctx, branch="B", by="b_clerk")
    step(ticket, "triage", "b_clerk", nature="other")
    assert ticket.state == "triaged"


def test_portal_workflow_steps_add_a_second_opinion_for_the_plugins_kind(ctx):
    enable_example(ctx["A"])
    ticket = to_work(open_repair(ctx, kind="example_kind"))
    step(ticket, "resolve", "a_engineer", solution="done")
    names = {t.name for t in tickets.available_steps(ticket, user("a_clerk"))}
    assert {"second_opinion", "close"} <= names
    step(ticket, "second_opinion", "a_clerk")
    assert ticket.state == "second_opinion"
    assert tickets.state_label(ticket.state, tickets.workflow_for(ctx["A"])) == "Second opinion"
    step(ticket, "confirm", "a_clerk")
    assert ticket.state == "closed" and ticket.closed_at is not None  # closed by the plugin's own step
    # A core kind never sees the plugin's step.
    other = to_work(open_repair(ctx))
    step(other, "resolve", "a_engineer", solution="done")
    assert "second_opinion" not in {t.name for t in tickets.available_steps(other, user("a_clerk"))}
    assert "not possible" in refused(other, "second_opinion", "a_clerk").messages[0]


def test_plugin_kinds_are_offered_only_where_the_plugin_runs(ctx):
    with pytest.raises(TicketError) as caught:
        open_repair(ctx, kind="example_kind")
    assert "kind" in caught.value.fields
    db.session.rollback()
    enable_example(ctx["A"])
    assert open_repair(ctx, kind="example_kind").kind == "example_kind"


def test_portal_ticket_event_hears_creation_and_every_step(ctx):
    enable_example(ctx["A"])
    seen = len(example.CALLS)
    ticket = open_repair(ctx)
    step(ticket, "triage", "a_clerk", nature="other")
    step(ticket, "cancel", "a_branch_manager", reason="客户撤回")
    assert example.CALLS[seen:] == [("portal_ticket_event", "created"), ("portal_ticket_event", "transitioned:triaged"),
                                    ("portal_ticket_event", "transitioned:cancelled")]
    quiet = len(example.CALLS)
    open_repair(ctx, branch="B", by="b_clerk")
    assert example.CALLS[quiet:] == []  # not enabled in branch B


def test_portal_sla_targets_sets_the_first_answer_target(ctx):
    enable_example(ctx["A"], limit=3)
    ticket = open_repair(ctx)
    assert ticket.first_answer_target_min == 3 * 60
    assert ticket.first_answer_due == datetime(2026, 11, 23, 13, 0, tzinfo=SH)
    assert ticket.resolution_target_min == 63 * 60  # the plugin left the others alone
    plain = open_repair(ctx, branch="B", by="b_clerk")
    assert plain.first_answer_target_min == 24 * 60


# --- holders ------------------------------------------------------------------------------------

def test_reassignment_keeps_who_held_the_ticket_when(ctx, clock):
    ticket = to_work(open_repair(ctx))
    clock.set(datetime(2026, 11, 24, 9, 30, tzinfo=SH))
    manager = user("a_branch_manager")
    with pytest.raises(TicketError, match="Give a reason"):
        tickets.reassign(ticket, manager.id, user("a_clerk"), " ")
    with pytest.raises(TicketError, match="active colleague"):
        tickets.reassign(ticket, user("b_engineer").id, user("a_clerk"), "病假")
    with pytest.raises(TicketError, match="already with this person"):
        tickets.reassign(ticket, user("a_engineer").id, user("a_clerk"), "病假")
    with pytest.raises(TicketError, match="role does not allow"):
        tickets.reassign(ticket, manager.id, user("a_engineer"), "病假")
    db.session.rollback()
    tickets.reassign(ticket, manager.id, user("a_clerk"), "工程师病假，由经理代办")
    db.session.commit()
    rows = db.session.scalars(select(TicketAssignment).where(TicketAssignment.ticket_id == ticket.id)
                              .order_by(TicketAssignment.id)).all()
    assert [(r.user.username, r.since, r.until) for r in rows] == [
        ("a_engineer", MONDAY_10.astimezone(UTC), clock.now),
        ("a_branch_manager", clock.now, None),
    ]
    assert rows[1].reason == "工程师病假，由经理代办" and rows[1].assigned_by.username == "a_clerk"
    assert ticket.assignee_id == manager.id
    assert timeline(ticket).count("assignment") == 2


def test_staff_of_another_branch_cannot_be_assigned(ctx):
    ticket = open_repair(ctx)
    step(ticket, "triage", "a_clerk", nature="other")
    error = refused(ticket, "assign", "a_clerk", assignee_id=user("b_engineer").id)
    assert error.fields == {"assignee": "Choose an active colleague of the ticket's branch."}
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.assignee_id is None and ticket.state == "triaged"


# --- two people at once -------------------------------------------------------------------------

def test_a_stale_form_is_refused_and_nothing_changes(ctx):
    ticket = open_repair(ctx)
    seen = ticket.version
    step(ticket, "triage", "a_clerk", nature="other", seen_version=seen)  # the first person saves
    assert ticket.version > seen
    with pytest.raises(TicketError) as caught:
        tickets.transition(ticket, StepRequest("cancel", seen_version=seen, reason="dup"), user("a_branch_manager"))
    db.session.rollback()
    assert caught.value.conflict and "Someone else changed this ticket" in caught.value.messages[0]
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.state == "triaged" and timeline(ticket) == ["created", "transition"]
    with pytest.raises(TicketError, match="Someone else"):
        tickets.reassign(ticket, user("a_engineer").id, user("a_clerk"), "x", seen_version=seen)


# --- the record principle -----------------------------------------------------------------------

def test_the_timeline_is_never_edited(ctx):
    ticket = open_repair(ctx)
    tickets.add_entry(ticket, "call", "客户来电催问进度", user("a_clerk"))
    db.session.commit()
    entry = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "call"))
    entry.body = "改过的记录"
    with pytest.raises(TicketError, match="never edited"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(TicketEvent, entry.id).body == "客户来电催问进度"


def test_the_timeline_is_never_shortened(ctx):
    ticket = open_repair(ctx)
    entry = db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    db.session.delete(entry)
    with pytest.raises(TicketError, match="never edited"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count(TicketEvent.id))) == 1


def test_timeline_entries_need_words_and_the_permission(ctx):
    ticket = open_repair(ctx)
    with pytest.raises(TicketError, match="Write what was said"):
        tickets.add_entry(ticket, "note", "  ", user("a_clerk"))
    with pytest.raises(TicketError, match="kind of entry"):
        tickets.add_entry(ticket, "sla_breach", "fake", user("a_clerk"))
    with pytest.raises(TicketError, match="role does not allow"):
        tickets.add_entry(ticket, "note", "来自别的分公司", user("b_clerk"))
    db.session.rollback()
    assert timeline(ticket) == ["created"]


# --- quotes and charges -------------------------------------------------------------------------

def test_paid_on_site_work_waits_for_an_accepted_quote_and_closing_for_the_charge(ctx):
    ticket = open_repair(ctx)
    set_warranty(ticket, date(2026, 1, 9))
    step(ticket, "triage", "a_clerk", nature="product_quality")
    assert (ticket.warranty_free, ticket.warranty_reason) == (False, "expired")
    assert "2026-01-09" in tickets.warranty_explanation(ticket)
    step(ticket, "assign", "a_clerk", assignee_id=user("a_engineer").id)
    quote_first = "Out of warranty: the customer must accept a quote before work starts."
    assert refused(ticket, "start", "a_engineer", handling="on_site").messages == [quote_first]

    quote = tickets.propose_quote(ticket, "120.00", "80.50", "50", "更换电机", user("a_clerk"))
    db.session.commit()
    assert quote.total == Decimal("250.50") and quote.state == "proposed"
    assert refused(ticket, "start", "a_engineer", handling="on_site").messages == [quote_first]
    with pytest.raises(TicketError, match="how the customer answered"):
        tickets.decide_quote(ticket, quote.id, True, "", user("a_clerk"))
    tickets.decide_quote(ticket, quote.id, True, "客户签字确认", user("a_clerk"))
    db.session.commit()
    step(ticket, "start", "a_engineer", handling="on_site")
    step(ticket, "resolve", "a_engineer", solution="更换电机")

    assert refused(ticket, "close", "a_clerk").messages == [
        "Record the charge with its invoice number before closing."]
    with pytest.raises(TicketError) as caught:
        tickets.record_charge(ticket, "250.50", "  ", False, user("a_clerk"))
    assert set(caught.value.fields) == {"invoice_number", "fee_standard_shown"}
    with pytest.raises(TicketError) as caught:
        tickets.record_charge(ticket, "250.50", "INV-0001", False, user("a_clerk"))
    assert set(caught.value.fields) == {"fee_standard_shown"}
    with pytest.raises(TicketError, match="two decimals"):
        tickets.record_charge(ticket, "250.505", "INV-0001", True, user("a_clerk"))
    with pytest.raises(TicketError, match="role does not allow"):
        tickets.record_charge(ticket, "250.50", "INV-0001", True, user("a_engineer"))
    db.session.rollback()
    assert db.session.scalar(select(func.count(Charge.id))) == 0

    tickets.record_charge(ticket, "250.50", "INV-0001", True, user("a_clerk"))
    db.session.commit()
    charge = db.session.scalar(select(Charge))
    assert charge.amount == Decimal("250.50") and charge.invoice_number == "INV-0001"
    step(ticket, "close", "a_clerk")
    assert ticket.state == "closed"


def test_a_declined_quote_does_not_open_the_door(ctx):
    ticket = open_repair(ctx)
    set_warranty(ticket, date(2026, 1, 9))
    step(ticket, "triage", "a_clerk", nature="product_quality")
    step(ticket, "assign", "a_clerk", assignee_id=user("a_engineer").id)
    quote = tickets.propose_quote(ticket, "100", "0", "0", "", user("a_clerk"))
    tickets.decide_quote(ticket, quote.id, False, "客户电话拒绝", user("a_clerk"))
    db.session.commit()
    assert "accept a quote" in refused(ticket, "start", "a_engineer", handling="parts_sent").messages[0]
    with pytest.raises(TicketError, match="decided already"):
        tickets.decide_quote(ticket, quote.id, True, "改主意", user("a_clerk"))
    step(ticket, "start", "a_engineer", handling="phone_guidance")  # advice on the phone costs nothing
    assert ticket.state == "in_progress"


def test_one_step_is_one_change_of_the_ticket(app, world):
    """A step bumps the version once and writes one audit entry for the ticket, so the
    audit trail reads like what people did."""
    from portal.core import tickets
    from portal.core.models import AuditEntry, Ticket, User
    from portal.extensions import db

    with app.test_request_context():
        clerk = db.session.get(User, world["users"]["a_clerk"])
        ticket = tickets.open_ticket(tickets.NewTicket(customer_id=world["customers"]["A"], title="一步一次"), clerk)
        db.session.commit()
        assert ticket.version == 1
        tickets.transition(ticket, tickets.StepRequest("triage", nature="other"), clerk)
        db.session.commit()
        assert ticket.version == 2
        entries = db.session.scalars(db.select(AuditEntry).filter_by(table_name="ticket", row_id=str(ticket.id))).all()
        assert [e.action for e in entries] == ["create", "update"]


def test_the_facts_a_page_counts_from_what_it_shows_equal_the_databases(ctx, clock):
    """The ticket page counts quotes, charges and open visits from the lists it shows
    instead of asking again; both ways must give the workflow the same facts."""
    from portal.core import ticket_page, visits

    ticket = open_repair(ctx)
    set_warranty(ticket, date(2020, 1, 10))  # out of warranty: the work needs an accepted quote
    step(ticket, "triage", "a_clerk", nature="product_quality")
    step(ticket, "assign", "a_clerk", assignee_id=user("a_engineer").id)
    shown = lambda: ticket_page.around(ticket.id).shown  # noqa: E731 - what the ticket page reads
    assert tickets.facts(ticket, shown()) == tickets.facts(ticket)
    quote = tickets.propose_quote(ticket, "100", "50", "0", "", user("a_branch_manager"))
    tickets.decide_quote(ticket, quote.id, True, "phone", user("a_branch_manager"))
    step(ticket, "start", "a_engineer", handling="on_site")
    visits.schedule_visit(ticket, clock.now + timedelta(hours=2), [user("a_engineer").id], "上海",
                          user("a_branch_manager"))
    db.session.flush()
    counted, asked = tickets.facts(ticket, shown()), tickets.facts(ticket)
    assert counted == asked
    assert counted.accepted_quote and counted.open_visits == 1
