"""The demo data (issue 3): every demo branch has tickets in every state, some of them past
their service levels, each with a history that reads like a month of work; the README's
logins work."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.models import (
    Branch, Charge, Quote, RepairReceipt, SlaEscalation, Ticket, TicketAssignment, TicketEvent, Visit,
)
from portal.core.models.types import utcnow
from portal.core.workflow import CORE_STATES, OPEN_STATES
from portal.demo import BRANCHES, DEMO_PASSWORD, load_demo
from portal.extensions import db

DEMO_CODES = [code for code, *_rest in BRANCHES]


@pytest.fixture
def demo(app):
    with app.app_context():
        summary = load_demo()
        db.session.commit()
    return summary


@pytest.fixture
def loaded_between(app):
    """(before, after) the demo load: a clock due in between may or may not count as missed."""
    before = utcnow()
    with app.app_context():
        load_demo()
        db.session.commit()
    return before, utcnow()


def _tickets_by_branch():
    rows = db.session.execute(select(Branch.code, Ticket).join(Ticket, Ticket.branch_id == Branch.id)).all()
    by_branch = defaultdict(list)
    for code, ticket in rows:
        by_branch[code].append(ticket)
    return by_branch


def test_every_demo_branch_has_tickets_in_every_state_some_breached(app, demo):
    now = utcnow()
    with app.app_context():
        by_branch = _tickets_by_branch()
        assert set(by_branch) == set(DEMO_CODES)  # HQ opens none of its own
        for code, branch_tickets in by_branch.items():
            assert {t.state for t in branch_tickets} == set(CORE_STATES), code
            open_tickets = [t for t in branch_tickets if t.state in OPEN_STATES]
            breached = [t for t in open_tickets if t.sla_breached or (t.sla_next_due_at and t.sla_next_due_at < now)]
            fine = [t for t in open_tickets if not t.sla_breached]
            assert breached and fine, code
            # the sweep ran: missed clocks are escalated
            escalated = db.session.scalar(select(func.count(SlaEscalation.id)).where(
                SlaEscalation.branch_id == branch_tickets[0].branch_id))
            assert escalated > 0 and any(t.escalation_level > 0 for t in breached), code
        rows = db.session.execute(select(Ticket.number, Branch.code).join(Branch, Ticket.branch_id == Branch.id)).all()
    numbers = [number for number, _code in rows]
    assert len(numbers) == len(set(numbers))
    assert all(number.startswith(f"{code}-{now.year}-") for number, code in rows)
    assert f"{len(numbers)} tickets" in demo


def test_tickets_arrived_over_the_past_month_with_a_history_in_order(app, loaded_between):
    before, now = loaded_between
    with app.app_context():
        tickets = db.session.scalars(select(Ticket)).all()
        created = sorted(t.created_at for t in tickets)
        assert created[0] < now - timedelta(days=20) and created[-1] > now - timedelta(days=1)
        assert all(now - timedelta(days=35) < c <= now for c in created)
        events = defaultdict(list)
        for event in db.session.scalars(select(TicketEvent).order_by(TicketEvent.id)):
            events[event.ticket_id].append(event)
        for ticket in tickets:
            timeline = events[ticket.id]
            assert timeline[0].kind == "created" and timeline[0].at == ticket.created_at, ticket.number
            moments = [e.at for e in timeline]
            assert moments == sorted(moments), ticket.number  # written in the order it happened
            assert all(e.user_id for e in timeline if e.kind not in ("sla_breach", "escalation")), ticket.number
            # missed service levels are those of the story, not of the moment it was written down
            missed = any(stop is not None and due is not None and stop > due for stop, due in (
                (ticket.first_answered_at, ticket.first_answer_due), (ticket.arrived_at, ticket.arrival_due),
                (ticket.resolved_at, ticket.resolution_due)))
            running = ticket.state in OPEN_STATES and ticket.sla_next_due_at is not None
            if missed or (running and ticket.sla_next_due_at < before):
                assert ticket.sla_breached, ticket.number
            elif not running or ticket.sla_next_due_at > now:
                assert not ticket.sla_breached, ticket.number
        # a triaged ticket of the story was answered after it arrived, not when the demo was
        # loaded (the plugins' demo records, e.g. a defect found at handover, are of today)
        answered = [t for t in tickets if t.first_answered_at is not None and t.created_at < before]
        assert answered and all(t.created_at <= t.first_answered_at < now - timedelta(minutes=1) for t in answered)


def test_paid_service_substitutes_visits_and_repair_register_are_shown(app, demo):
    with app.app_context():
        for code in DEMO_CODES:
            branch_id = db.session.scalar(select(Branch.id).where(Branch.code == code))
            closed_paid = db.session.scalars(
                select(Ticket).join(Charge, Charge.ticket_id == Ticket.id)
                .where(Ticket.branch_id == branch_id, Ticket.state == "closed", Ticket.warranty_free.is_(False))).all()
            assert closed_paid, code
            for ticket in closed_paid:
                quote = db.session.scalar(select(Quote).where(Quote.ticket_id == ticket.id, Quote.state == "accepted"))
                charge = db.session.scalar(select(Charge).where(Charge.ticket_id == ticket.id))
                assert quote is not None and charge.amount == quote.total and charge.invoice_number
            assert db.session.scalar(select(func.count(Quote.id)).where(
                Quote.branch_id == branch_id, Quote.state == "declined")), code
            handed_over = db.session.scalars(
                select(TicketAssignment.ticket_id).join(Ticket).where(Ticket.branch_id == branch_id)
                .group_by(TicketAssignment.ticket_id).having(func.count(TicketAssignment.id) > 1)).all()
            assert len(handed_over) >= 2, code
            holders = db.session.scalars(select(TicketAssignment).where(
                TicketAssignment.ticket_id == handed_over[0]).order_by(TicketAssignment.id)).all()
            assert holders[0].until is not None and holders[0].until == holders[1].since and holders[-1].until is None
        signed = db.session.scalars(select(Visit).where(Visit.state == "finished")).all()
        assert signed and all(v.signature.startswith("data:image/png;base64,") and v.signed_by for v in signed)
        assert {v.ticket.state for v in signed} <= {"resolved", "closed"}
        in_register = db.session.scalars(select(RepairReceipt).where(RepairReceipt.state != "returned")).all()
        assert in_register and all(r.ticket.state in OPEN_STATES + ("resolved",) for r in in_register)


README_LOGINS = ["admin", "sh_manager", "sh_clerk", "zz_engineer", "gz_manager", "cd_clerk", "sh_store_clerk",
                 "zz_dispatcher", "gz_technician", "cd_property_liaison"]


def test_readme_demo_logins_work_and_a_clerk_sees_the_branch_tickets(app, web, demo):
    # one test for all logins: loading the demo is the expensive part
    for username in README_LOGINS:
        response = web.login(username, DEMO_PASSWORD)
        assert response.status_code == 302 and response.headers["Location"] == "/admin/", username
        assert web.get("/admin/").status_code == 200, username
        web.logout()
    web.login("sh_clerk", DEMO_PASSWORD)
    listing = web.get("/admin/ticket/").text
    assert "羊毛西服开线" in listing
    assert "数控机床主轴异响" not in listing
    # every demo ticket of the branch opens, whatever its state and history
    with app.app_context():
        branch_tickets = db.session.execute(select(Ticket.id, Ticket.number).join(Branch, Ticket.branch_id == Branch.id)
                                            .where(Branch.code == "SH")).all()
    for ticket_id, number in branch_tickets:
        page = web.get(f"/admin/ticket/details/?id={ticket_id}")
        assert page.status_code == 200 and number in page.text, number
