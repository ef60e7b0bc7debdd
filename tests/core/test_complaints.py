"""Complaints in eight steps (issue 4 item 2, REQUIREMENTS §2.7): the pure step rules, the
service against the database, the guided page, the lists, the monthly figures and who
may see what."""

import sys
import types
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

import portal.core
from portal import plugin_api
from portal.core import complaints as C
from portal.core import sla, tickets
from portal.core.complaints import ComplaintState, check_approval, check_order, check_step, next_step
from portal.core.models import BranchPlugin, Ticket, TicketEvent, User
from portal.core.models.complaint import Complaint, ComplaintStep
from portal.core.provisioning import create_user
from portal.core.tickets import NewTicket, TicketError
from portal.extensions import db
from tests.conftest import PASSWORD

SH = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)

# Complete input for each step, as the service receives it (times already typed).
STEP_INPUT = {
    1: {"complainant": "王女士", "contact": "13800000001", "received_at": datetime(2026, 11, 23, 9, 0, tzinfo=SH),
        "against_kind": "person", "against": "维修工程师小李", "demand": "道歉并重新上门"},
    2: {"nature": "service_attitude", "justified": "yes"},
    3: {"responsible_department": "after_sales", "responsible_unit_note": "上门组"},
    4: {"cause": "工程师迟到且态度生硬", "responsible_name": "小李"},
    5: {"solution": "上门道歉，赠送一次保养", "amount": "200.00"},
    6: {"notified_how": "phone", "notified_at": datetime(2026, 11, 23, 9, 30, tzinfo=SH), "customer_reply": "接受"},
    7: {"attribution": "工程师个人责任", "penalty_amount": "50", "penalty_demerit": "demerit"},
    8: {"improvement": "上门前电话确认到达时间"},
}


# --- pure rules -----------------------------------------------------------------------------------

FULL = {**{k: v for step in STEP_INPUT.values() for k, v in step.items()}, "justified": True,
        "now": MONDAY_10}


@pytest.mark.parametrize("last, closed, expected", [(0, False, 1), (1, False, 2), (7, False, 8), (8, True, None),
                                                    (2, True, None), (8, False, None)])
def test_next_step_is_the_one_after_the_last_done(last, closed, expected):
    assert next_step(ComplaintState(last_step=last, closed=closed)) == expected


@pytest.mark.parametrize("last, target", [(last, target) for last in range(0, 8) for target in range(1, 9)
                                          if target != last + 1])
def test_steps_cannot_be_skipped_or_reordered(last, target):
    codes = check_step(ComplaintState(last_step=last), target, FULL)
    assert codes == (["step_done"] if target <= last else ["step_skipped"])


@pytest.mark.parametrize("target", range(1, 9))
def test_the_current_step_with_its_fields_is_allowed(target):
    assert check_step(ComplaintState(last_step=target - 1), target, FULL) == []


@pytest.mark.parametrize("target, missing", [
    (1, {"complainant_required", "received_required", "against_kind_required", "against_required",
         "demand_required"}),
    (2, {"nature_required", "justified_required"}),
    (3, {"unit_required"}),
    (4, {"cause_required", "responsible_required"}),
    (5, {"solution_required"}),
    (6, {"notified_how_required", "notified_required"}),
    (7, {"attribution_required"}),
    (8, {"improvement_required"}),
])
def test_each_step_names_its_missing_fields(target, missing):
    assert set(check_step(ComplaintState(last_step=target - 1), target, {"now": MONDAY_10})) == missing


def test_unjustified_needs_the_explanation_given_to_the_customer():
    state = ComplaintState(last_step=1)
    assert check_step(state, 2, {"nature": "quality", "justified": False}) == ["explanation_required"]
    assert check_step(state, 2, {"nature": "quality", "justified": False, "explanation": "已过保修期"}) == []
    assert check_step(ComplaintState(last_step=2, closed=True), 3, FULL) == ["closed"]


def test_times_cannot_be_in_the_future_or_notified_before_received():
    later = MONDAY_10 + timedelta(hours=1)
    assert "received_in_future" in check_step(ComplaintState(), 1, {**FULL, "received_at": later})
    facts = {**FULL, "notified_at": MONDAY_10 - timedelta(days=2), "received_at": MONDAY_10 - timedelta(days=1)}
    assert check_step(ComplaintState(last_step=5), 6, facts) == ["notified_before_received"]


def test_approval_is_needed_above_the_amount_and_not_by_the_proposer():
    assert C.needs_approval(Decimal("1000.01"), Decimal("1000")) and not C.needs_approval(Decimal("1000"),
                                                                                       Decimal("1000"))
    waiting = ComplaintState(last_step=5, approval_needed=True)
    assert check_order(waiting, 6) == ["approval_required"]
    assert check_order(ComplaintState(last_step=5, approval_needed=True, approved=True), 6) == []
    assert check_approval(waiting, 7, 7) == ["own_proposal"]
    assert check_approval(waiting, 8, 7) == []
    assert check_approval(ComplaintState(last_step=5), 8, 7) == ["no_approval_pending"]


# --- the service ----------------------------------------------------------------------------------

class Clock:
    def __init__(self, at):
        self.now = at.astimezone(UTC)

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock(MONDAY_10)
    for module in (tickets, sla, C):
        monkeypatch.setattr(module, "utcnow", frozen)
    return frozen


@pytest.fixture
def ctx(app, world, clock):
    with app.app_context(), force_locale("en"):
        yield world


@pytest.fixture
def penalties(monkeypatch):
    """Staff performance (another feature) stood in for: records what step 7 hands it."""
    calls = []
    fake = types.ModuleType("portal.core.performance")
    fake.propose_from_complaint = lambda complaint: calls.append((complaint.id, complaint.penalty_amount,
                                                                  complaint.penalty_demerit))
    monkeypatch.setitem(sys.modules, "portal.core.performance", fake)
    monkeypatch.setattr(portal.core, "performance", fake, raising=False)
    return calls


def user(name) -> User:
    return db.session.scalar(select(User).filter_by(username=name))


def open_ticket(world, kind="complaint", branch="A", by="a_clerk") -> Ticket:
    ticket = tickets.open_ticket(NewTicket(customer_id=world["customers"][branch], title="投诉上门迟到", kind=kind,
                                           description="工程师迟到半天"), user(by))
    db.session.commit()
    return ticket


def complaint_for(ticket) -> Complaint:
    return db.session.scalar(select(Complaint).where(Complaint.ticket_id == ticket.id))


def do(complaint, step, by="a_clerk", **changes):
    row = C.record_step(complaint, step, {**STEP_INPUT[step], **changes}, user(by))
    db.session.commit()
    return row


def walk(complaint, upto, by="a_clerk"):
    for step in range(complaint.last_step + 1, upto + 1):
        do(complaint, step, by)


def test_a_complaint_ticket_gets_its_file_when_opened(ctx):
    ticket = open_ticket(ctx)
    complaint = complaint_for(ticket)
    assert complaint is not None and complaint.branch_id == ctx["A"] and complaint.last_step == 0
    assert complaint.complainant == "客户A" and complaint.contact == "13800000001"
    assert complaint.received_at == ticket.created_at and complaint.demand == "工程师迟到半天"
    notes = db.session.scalars(select(TicketEvent).filter_by(ticket_id=ticket.id, kind="note")).all()
    assert len(notes) == 1 and "eight steps" in notes[0].body and notes[0].user_id == ctx["users"]["a_clerk"]
    opened = db.session.scalar(select(ComplaintStep).filter_by(complaint_id=complaint.id))
    assert (opened.step, opened.action, opened.user_id) == (0, "opened", ctx["users"]["a_clerk"])
    repair = open_ticket(ctx, kind="repair")
    assert complaint_for(repair) is None


def test_a_complaint_file_is_started_for_an_existing_ticket_once(ctx):
    repair = open_ticket(ctx, kind="repair")
    with pytest.raises(TicketError, match="role"):
        C.start_complaint(repair, user("a_engineer"))
    complaint = C.start_complaint(repair, user("a_clerk"))
    db.session.commit()
    assert complaint.ticket_id == repair.id and repair.kind == "repair"
    with pytest.raises(TicketError, match="already"):
        C.start_complaint(repair, user("a_clerk"))
    assert plugin_api.open_complaint(repair) is complaint  # what plugins call is idempotent


def test_each_step_records_who_and_when_and_writes_on_the_ticket(ctx, clock, penalties):
    ticket = open_ticket(ctx)
    complaint = complaint_for(ticket)
    who = {1: "a_clerk", 2: "a_clerk", 3: "a_branch_manager", 4: "a_clerk", 5: "a_branch_manager",
           6: "a_clerk", 7: "a_branch_manager", 8: "a_clerk"}
    for step in range(1, 9):
        clock.now = (MONDAY_10 + timedelta(minutes=step)).astimezone(UTC)
        do(complaint, step, who[step])
    rows = db.session.scalars(select(ComplaintStep).filter_by(complaint_id=complaint.id, action="done")
                              .order_by(ComplaintStep.id)).all()
    assert [r.step for r in rows] == list(range(1, 9))
    assert [r.user_id for r in rows] == [ctx["users"][who[n]] for n in range(1, 9)]
    assert [r.at for r in rows] == [MONDAY_10 + timedelta(minutes=n) for n in range(1, 9)]
    assert rows[4].data["amount"] == "200.00" and rows[0].data["complainant"] == "王女士"
    assert complaint.closed_at == MONDAY_10 + timedelta(minutes=8) and complaint.outcome == "resolved"
    assert complaint.responsible_department == "after_sales" and complaint.penalty_amount == Decimal("50.00")
    notes = db.session.scalars(select(TicketEvent).filter_by(ticket_id=ticket.id, kind="note")
                               .order_by(TicketEvent.id)).all()
    assert len(notes) == 9 and [n.data.get("complaint_step") for n in notes] == list(range(0, 9))
    assert notes[8].user_id == ctx["users"]["a_clerk"] and "Improvement measure" in notes[8].body
    assert penalties == [(complaint.id, Decimal("50.00"), "demerit")]
    assert ticket.state == "received"  # the ticket keeps its own workflow
    with pytest.raises(TicketError, match="closed"):
        do(complaint, 8)


@pytest.mark.parametrize("last, target", [(0, 2), (0, 8), (2, 1), (2, 2), (3, 5), (4, 6)])
def test_the_service_refuses_a_skipped_or_repeated_step_and_changes_nothing(ctx, penalties, last, target):
    complaint = complaint_for(open_ticket(ctx))
    walk(complaint, last)
    version = complaint.version
    with pytest.raises(TicketError, match="skipped|done already"):
        C.record_step(complaint, target, STEP_INPUT[target], user("a_clerk"))
    db.session.rollback()
    assert complaint.last_step == last and complaint.version == version


def test_missing_fields_are_refused_with_every_reason(ctx):
    complaint = complaint_for(open_ticket(ctx))
    with pytest.raises(TicketError) as refused:
        C.record_step(complaint, 1, {"complainant": " ", "received_at": None, "against_kind": "alien"},
                      user("a_clerk"))
    assert {"complainant", "received_at", "against_kind", "against", "demand"} <= set(refused.value.fields)
    db.session.rollback()
    assert complaint.last_step == 0


def test_an_unjustified_complaint_closes_at_step_2_with_the_explanation(ctx):
    ticket = open_ticket(ctx)
    complaint = complaint_for(ticket)
    do(complaint, 1)
    with pytest.raises(TicketError, match="explanation"):
        do(complaint, 2, justified="no", explanation="")
    db.session.rollback()
    do(complaint, 2, justified="no", explanation="产品已过保修期，按规定收费")
    assert complaint.closed_at == MONDAY_10 and complaint.outcome == "unjustified" and complaint.justified is False
    assert complaint.explanation == "产品已过保修期，按规定收费"
    note = db.session.scalars(select(TicketEvent.body).filter_by(ticket_id=ticket.id, kind="note")
                              .order_by(TicketEvent.id.desc())).first()
    assert "not justified" in note and "产品已过保修期" in note
    with pytest.raises(TicketError, match="closed"):
        do(complaint, 3)


def set_approval_amount(branch_id, amount):
    db.session.add(BranchPlugin(branch_id=branch_id, plugin="core", enabled=True,
                                settings={"complaint_approval_amount": amount}))
    db.session.commit()


def test_a_solution_above_the_amount_is_approved_by_someone_else_before_step_6(ctx):
    set_approval_amount(ctx["A"], "500.00")
    create_user("a_manager2", PASSWORD, "A", ["branch_manager"])
    db.session.commit()
    complaint = complaint_for(open_ticket(ctx))
    walk(complaint, 4)
    do(complaint, 5, "a_branch_manager", amount="800.00")
    assert complaint.approval_needed and complaint.awaiting_approval
    with pytest.raises(TicketError, match="approved first"):
        do(complaint, 6)
    db.session.rollback()
    with pytest.raises(TicketError, match="role"):
        C.decide_solution(complaint, True, user("a_clerk"))
    with pytest.raises(TicketError, match="other than the person who proposed"):
        C.decide_solution(complaint, True, user("a_branch_manager"))
    with pytest.raises(TicketError, match="role"):
        C.decide_solution(complaint, True, user("b_branch_manager"))  # another branch
    C.decide_solution(complaint, True, user("a_manager2"))
    db.session.commit()
    assert complaint.approved_by_id == user("a_manager2").id and complaint.approved_at == MONDAY_10
    do(complaint, 6)
    assert complaint.last_step == 6
    actions = db.session.scalars(select(ComplaintStep.action).filter_by(complaint_id=complaint.id, step=5)).all()
    assert actions == ["done", "approved"]


def test_a_solution_at_the_amount_needs_no_approval_and_one_sent_back_is_proposed_again(ctx):
    set_approval_amount(ctx["A"], "500.00")
    complaint = complaint_for(open_ticket(ctx))
    walk(complaint, 4)
    do(complaint, 5, amount="500.00")
    assert not complaint.approval_needed
    complaint2 = complaint_for(open_ticket(ctx))
    walk(complaint2, 4)
    do(complaint2, 5, "a_clerk", amount="500.01")
    with pytest.raises(TicketError, match="reason"):
        C.decide_solution(complaint2, False, user("a_branch_manager"), note="")
    C.decide_solution(complaint2, False, user("a_branch_manager"), note="金额过高")
    db.session.commit()
    assert complaint2.last_step == 4 and not complaint2.awaiting_approval
    do(complaint2, 5, amount="300")
    assert complaint2.last_step == 5 and not complaint2.approval_needed


def test_serious_complaints_reach_hq_quality_and_no_other_branch(ctx):
    quality = create_user("q", PASSWORD, "HQ", ["hq_quality"])
    db.session.commit()
    complaint = complaint_for(open_ticket(ctx))
    do(complaint, 1)
    do(complaint, 2, serious="y")
    assert complaint.serious and complaint.serious_at == MONDAY_10
    assert C.serious_open_count(quality) == 1
    assert C.serious_open_count(user("b_branch_manager")) == 0
    assert C.serious_open_count(user("a_clerk")) == 0  # the clerk has no complaint.quality
    other = complaint_for(open_ticket(ctx))
    C.set_serious(other, True, user("a_branch_manager"), "媒体曝光")
    db.session.commit()
    assert C.serious_open_count(quality) == 2
    with pytest.raises(TicketError, match="reason"):
        C.set_serious(other, False, user("a_clerk"))
    with pytest.raises(TicketError, match="role"):
        C.set_serious(other, False, quality, "误报")  # HQ quality reads; the branch works
    C.set_serious(other, False, user("a_clerk"), "误报")
    db.session.commit()
    assert C.serious_open_count(quality) == 1


def test_a_stale_page_cannot_record_a_step(ctx):
    complaint = complaint_for(open_ticket(ctx))
    seen = complaint.version
    do(complaint, 1)
    with pytest.raises(TicketError, match="Someone else") as refused:
        C.record_step(complaint, 2, STEP_INPUT[2], user("a_clerk"), seen_version=seen)
    assert refused.value.conflict


def test_the_step_record_is_append_only(ctx):
    complaint = complaint_for(open_ticket(ctx))
    do(complaint, 1)
    row = db.session.scalar(select(ComplaintStep).filter_by(complaint_id=complaint.id, step=1))
    row.data = {"forged": True}
    with pytest.raises(TicketError, match="never edited"):
        db.session.flush()


def test_step_7_still_records_without_the_staff_performance_feature(ctx, monkeypatch):
    monkeypatch.setitem(sys.modules, "portal.core.performance", None)
    monkeypatch.delattr(portal.core, "performance", raising=False)
    complaint = complaint_for(open_ticket(ctx))
    walk(complaint, 7)
    assert complaint.last_step == 7 and complaint.penalty_demerit == "demerit"


def test_step_7_hands_the_penalty_to_staff_performance_when_installed(ctx):
    performance = pytest.importorskip("portal.core.performance")
    if not hasattr(performance, "propose_from_complaint"):
        pytest.skip("staff performance does not take complaints yet")
    from portal.core.models.performance import StaffRecord

    complaint = complaint_for(open_ticket(ctx))
    walk(complaint, 3)
    do(complaint, 4, responsible_name="", responsible_user_id=str(ctx["users"]["a_engineer"]))
    assert complaint.responsible_user_id == ctx["users"]["a_engineer"]
    walk(complaint, 7)
    proposals = db.session.scalars(select(StaffRecord).filter_by(complaint_id=complaint.id)).all()
    assert [(p.user_id, p.amount, p.state) for p in proposals] == [(ctx["users"]["a_engineer"], Decimal("50.00"),
                                                                    "proposed")]


# --- monthly figures ------------------------------------------------------------------------------

def _month(app_world, branch, created, kind="repair", deleted=False, **complaint):
    ticket = open_ticket(app_world, kind=kind, branch=branch, by=f"{branch.lower()}_clerk")
    ticket.created_at = created
    if deleted:
        ticket.deleted_at = created
    if kind == "complaint":
        row = complaint_for(ticket)
        row.received_at = complaint.pop("received_at", created)
        for key, value in complaint.items():
            setattr(row, key, value)
    db.session.commit()
    return ticket


def test_monthly_figures_match_a_set_computed_by_hand(ctx):
    nov = datetime(2026, 11, 1, tzinfo=SH)
    dec = datetime(2026, 12, 1, tzinfo=SH)
    a, b = "A", "B"
    # Branch A, November: 3 complaint tickets and 1 repair; an archived repair does not count.
    _month(ctx, a, nov + timedelta(days=2), "complaint", nature="quality", justified=True,
           responsible_department="quality", closed_at=dec + timedelta(days=1))  # closed in December
    _month(ctx, a, nov + timedelta(days=3), "complaint", nature="quality", justified=True,
           responsible_department="quality", serious=True)
    _month(ctx, a, nov + timedelta(days=4), "complaint", nature="service_attitude", justified=False,
           closed_at=nov + timedelta(days=4))
    _month(ctx, a, nov + timedelta(days=5))
    _month(ctx, a, nov + timedelta(days=6), deleted=True)
    # Received half an hour before the month (Shanghai time), closed in it.
    _month(ctx, a, nov - timedelta(minutes=30), "complaint", nature="transport", justified=True,
           responsible_department="warehouse_logistics", closed_at=nov + timedelta(days=1))
    # Branch B: one complaint received in the last minute of the month, one repair.
    _month(ctx, b, nov + timedelta(days=1), "complaint", received_at=dec - timedelta(minutes=1),
           nature="transport", justified=True, responsible_department="warehouse_logistics")
    _month(ctx, b, nov + timedelta(days=9))
    _month(ctx, b, dec)  # the first instant of December is not November

    figures = C.monthly_figures(nov.astimezone(UTC), dec.astimezone(UTC))
    fa, fb = figures["branches"][ctx["A"]], figures["branches"][ctx["B"]]
    assert (fa["received"], fa["justified"], fa["unjustified"], fa["serious"], fa["closed"], fa["tickets"]) \
        == (3, 2, 1, 1, 2, 4)
    assert fa["by_nature"] == {"quality": 2, "service_attitude": 1}
    assert fa["by_unit"] == {"quality": 2, None: 1}
    assert fa["rate_by_unit"] == {"quality": Decimal("0.5000"), None: Decimal("0.2500")}
    assert fa["rate"] == Decimal("0.7500")
    assert (fb["received"], fb["closed"], fb["tickets"]) == (1, 0, 2)
    assert fb["rate_by_unit"] == {"warehouse_logistics": Decimal("0.5000")}
    assert (figures["received"], figures["justified"], figures["closed"], figures["tickets"]) == (4, 3, 2, 6)
    assert figures["rate_by_unit"] == {"quality": Decimal("0.3333"), None: Decimal("0.1667"),
                                       "warehouse_logistics": Decimal("0.1667")}
    only_b = C.monthly_figures(nov.astimezone(UTC), dec.astimezone(UTC), branch_id=ctx["B"])
    assert list(only_b["branches"]) == [ctx["B"]] and only_b["received"] == 1 and only_b["tickets"] == 2


# --- the pages ------------------------------------------------------------------------------------

def _setup_complaint(app, world, branch="A", upto=0):
    with app.app_context(), force_locale("en"):
        ticket = open_ticket(world, branch=branch, by=f"{branch.lower()}_clerk")
        complaint = complaint_for(ticket)
        for step in range(1, upto + 1):
            data = dict(STEP_INPUT[step])
            for key in ("received_at", "notified_at"):
                if key in data:
                    data[key] = data[key] - timedelta(days=1)  # safely in the past whatever today is
            C.record_step(complaint, step, data, user(f"{branch.lower()}_clerk"))
        db.session.commit()
        return complaint.id, ticket.id, ticket.number


def _complaint(app, complaint_id) -> Complaint:
    with app.app_context():
        return db.session.get(Complaint, complaint_id)


def _post_step(web, complaint_id, step, version, **data):
    return web.submit(f"/admin/complaint/details/?id={complaint_id}", {"step": str(step), "seen_version": str(version),
                                                                        **data},
                      post_url=f"/admin/complaint/step/{complaint_id}", follow=True)


def test_the_guided_page_walks_a_complaint_through_its_steps(app, web, world):
    complaint_id, ticket_id, number = _setup_complaint(app, world)
    web.login("a_clerk")
    page = web.get(f"/admin/complaint/details/?id={complaint_id}").text
    assert 'data-step="1" data-status="current"' in page and 'data-step="2" data-status="later"' in page
    assert number in page and 'name="complainant"' in page
    c = _complaint(app, complaint_id)
    page = _post_step(web, complaint_id, 1, c.version, complainant="王女士", contact="138", against_kind="person",
                      against="工程师", demand="道歉", received_at="2026-01-05T09:00")
    c = _complaint(app, complaint_id)
    assert c.last_step == 1 and c.received_at == datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    assert 'data-step="1" data-status="done"' in page.text and 'data-testid="who-1"' in page.text
    assert 'data-step="2" data-status="current"' in page.text
    # A later step posted out of turn is refused with a message; nothing changes.
    page = _post_step(web, complaint_id, 3, c.version, responsible_department="quality")
    assert ("skipped" in page.text or "跳过" in page.text) and _complaint(app, complaint_id).last_step == 1
    # A refused step keeps what was typed.
    page = _post_step(web, complaint_id, 2, c.version, nature="quality", justified="no", explanation="")
    assert _complaint(app, complaint_id).last_step == 1
    assert 'value="no" checked' in page.text and "is-invalid" in page.text
    page = _post_step(web, complaint_id, 2, c.version, nature="quality", justified="yes", serious="y")
    c = _complaint(app, complaint_id)
    assert c.last_step == 2 and c.serious and 'data-testid="serious"' in page.text
    # A stale page (the old version) cannot record the next step.
    _post_step(web, complaint_id, 3, c.version - 1, responsible_department="quality")
    assert _complaint(app, complaint_id).last_step == 2
    _post_step(web, complaint_id, 3, c.version, responsible_department="quality")
    assert _complaint(app, complaint_id).responsible_department == "quality"
    with app.app_context():
        notes = db.session.scalars(select(TicketEvent).filter_by(ticket_id=ticket_id, kind="note")
                                   .order_by(TicketEvent.id)).all()
    assert [n.data.get("complaint_step") for n in notes] == [0, 1, None, 2, 3]  # None: flagged serious
    assert all(n.user_id == world["users"]["a_clerk"] for n in notes[1:])
    assert "道歉" in web.get(f"/admin/ticket/details/?id={ticket_id}").text  # step 1 shows on the ticket


def test_a_closed_complaint_reads_as_the_written_form_with_every_step_signed(app, web, world):
    complaint_id, _, number = _setup_complaint(app, world, upto=8)
    web.login("a_branch_manager")
    page = web.get(f"/admin/complaint/details/?id={complaint_id}").text
    assert all(f'data-step="{n}" data-status="done"' in page and f'data-testid="who-{n}"' in page
               for n in range(1, 9))
    assert 'data-testid="closed"' in page and 'data-testid="step-form"' not in page
    assert "上门前电话确认到达时间" in page and "200.00" in page and page.count('data-action="done"') == 8


def test_an_unjustified_complaint_is_closed_on_the_page_with_later_steps_not_needed(app, web, world):
    complaint_id, _, _ = _setup_complaint(app, world, upto=1)
    web.login("a_clerk")
    c = _complaint(app, complaint_id)
    page = _post_step(web, complaint_id, 2, c.version, nature="suggestion", justified="no",
                      explanation="按合同约定不属于保修范围").text
    c = _complaint(app, complaint_id)
    assert c.closed_at is not None and c.outcome == "unjustified"
    assert 'data-step="3" data-status="skipped"' in page and 'data-testid="step-form"' not in page


def test_approval_on_the_page(app, web, world):
    with app.app_context():
        set_approval_amount(world["A"], "100.00")
    complaint_id, _, _ = _setup_complaint(app, world, upto=4)
    web.login("a_branch_manager")
    c = _complaint(app, complaint_id)
    page = _post_step(web, complaint_id, 5, c.version, solution="赔偿", amount="150").text
    assert 'data-testid="approve"' not in page  # the proposer does not approve
    web.logout()
    web.login("a_clerk")
    assert 'data-testid="approve"' not in web.get(f"/admin/complaint/details/?id={complaint_id}").text
    web.logout()
    with app.app_context():
        create_user("a_manager2", PASSWORD, "A", ["branch_manager"])
        db.session.commit()
    web.login("a_manager2")
    c = _complaint(app, complaint_id)
    web.submit(f"/admin/complaint/details/?id={complaint_id}", {"decision": "approve", "seen_version": str(c.version)},
               post_url=f"/admin/complaint/approve/{complaint_id}")
    c = _complaint(app, complaint_id)
    assert c.approved_by_id is not None and c.approved_by_id != c.proposed_by_id


def test_starting_a_complaint_file_for_an_existing_ticket(app, web, world):
    with app.app_context():
        repair = open_ticket(world, kind="repair")
        repair_id, number = repair.id, repair.number
        b_ticket = open_ticket(world, kind="repair", branch="B", by="b_clerk")
        b_number, b_id = b_ticket.number, b_ticket.id
    web.login("a_clerk")
    page = web.submit("/admin/complaint/start/", {"ticket_number": b_number}, follow=True)
    assert page.status_code == 200
    assert web.get(f"/admin/complaint/for_ticket/?ticket_id={b_id}").status_code == 404
    assert web.get(f"/admin/complaint/start/?ticket_id={b_id}").status_code == 404
    page = web.submit("/admin/complaint/start/", {"ticket_number": number}, follow=True)
    with app.app_context():
        made = db.session.scalar(select(Complaint).filter_by(ticket_id=repair_id))
        assert made is not None and db.session.scalar(select(func.count(Complaint.id))) == 1
    assert 'data-step="1" data-status="current"' in page.text
    again = web.get(f"/admin/complaint/for_ticket/?ticket_id={repair_id}")
    assert again.status_code == 302 and f"id={made.id}" in again.headers["Location"]


# --- lists ----------------------------------------------------------------------------------------

def test_list_filters_search_and_export(app, web, world):
    first, _, number1 = _setup_complaint(app, world, upto=2)  # justified service_attitude
    second, _, number2 = _setup_complaint(app, world, upto=0)
    with app.app_context():
        row = db.session.get(Complaint, second)
        row.serious = True
        row.received_at = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
        db.session.commit()
    web.login("a_clerk")
    listing = web.get("/admin/complaint/").text
    assert number1 in listing and number2 in listing
    by_step = web.get("/admin/complaint/?flt0_0=3").text  # waiting for step 3
    assert number1 in by_step and number2 not in by_step
    by_nature = web.get("/admin/complaint/?flt0_1=service_attitude").text
    assert number1 in by_nature and number2 not in by_nature
    serious = web.get("/admin/complaint/?flt0_3=1").text
    assert number2 in serious and number1 not in serious
    month = web.get("/admin/complaint/?flt0_5=2025-03").text
    assert number2 in month and number1 not in month
    assert web.get("/admin/complaint/?flt0_5=2025-13").status_code == 200
    found = web.get(f"/admin/complaint/?search={number1}").text
    assert number1 in found and number2 not in found
    assert number1 in web.get("/admin/complaint/?search=客户A").text
    export = web.get("/admin/complaint/export/csv/")
    assert export.status_code == 200 and number1 in export.get_data(as_text=True)


# --- access matrix --------------------------------------------------------------------------------

PAGES = ["complaint/", "complaint/start/", "serious_complaint/"]
ALLOWED = {
    "admin": set(PAGES),
    "q": {"complaint/", "serious_complaint/"},
    "a_branch_manager": {"complaint/", "complaint/start/"},
    "a_clerk": {"complaint/", "complaint/start/"},
    "a_engineer": set(),
}


@pytest.fixture
def quality_user(app, world):
    with app.app_context():
        create_user("q", PASSWORD, "HQ", ["hq_quality"])
        db.session.commit()


@pytest.mark.parametrize("username", sorted(ALLOWED))
@pytest.mark.parametrize("page", PAGES)
def test_each_role_opens_exactly_its_complaint_pages(web, world, quality_user, username, page):
    web.login(username)
    assert web.get(f"/admin/{page}").status_code == (200 if page in ALLOWED[username] else 403)


@pytest.mark.parametrize("page", PAGES)
def test_signed_out_visitors_are_sent_to_login(web, world, page):
    response = web.get(f"/admin/{page}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_serious_complaints_list_shows_every_branch_to_hq_quality_only(app, web, world, quality_user):
    a_id, _, a_number = _setup_complaint(app, world, "A", upto=0)
    b_id, _, b_number = _setup_complaint(app, world, "B", upto=0)
    plain_id, _, plain_number = _setup_complaint(app, world, "A", upto=0)
    with app.app_context():
        for cid in (a_id, b_id):
            db.session.get(Complaint, cid).serious = True
        db.session.commit()
    web.login("q")
    listing = web.get("/admin/serious_complaint/").text
    assert a_number in listing and b_number in listing and plain_number not in listing
    page = web.get(f"/admin/complaint/details/?id={a_id}").text
    assert a_number in page and 'data-testid="step-form"' not in page  # quality reads, the branch works
    web.logout()
    web.login("b_branch_manager")
    assert web.get("/admin/serious_complaint/").status_code == 403
    listing = web.get("/admin/complaint/").text
    assert b_number in listing and a_number not in listing


@pytest.mark.parametrize("username", ["b_branch_manager", "b_clerk"])
def test_another_branchs_complaint_is_a_404_and_cannot_be_changed(app, web, world, username):
    complaint_id, ticket_id, number = _setup_complaint(app, world, "A", upto=0)
    web.login(username)
    assert web.get(f"/admin/complaint/details/?id={complaint_id}").status_code == 404
    assert web.get(f"/admin/complaint/for_ticket/?ticket_id={ticket_id}").status_code == 404
    assert f'data-complaint="{complaint_id}"' not in web.get(f"/admin/complaint/?search={number}").text
    assert number not in web.get("/admin/complaint/export/csv/").get_data(as_text=True)
    for url, data in ((f"/admin/complaint/step/{complaint_id}", {"step": "1", **{
            k: str(v) for k, v in STEP_INPUT[1].items()}}),
            (f"/admin/complaint/serious/{complaint_id}", {"serious": "y"}),
            (f"/admin/complaint/approve/{complaint_id}", {"decision": "approve"})):
        assert web.submit("/admin/complaint/", data, post_url=url).status_code == 404
    c = _complaint(app, complaint_id)
    assert c.last_step == 0 and not c.serious


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "99999999999", "1,2", "", "1.5"])
def test_odd_ids_are_404_never_500(web, world, quality_user, raw):
    web.login("admin")
    assert web.get(f"/admin/complaint/details/?id={raw}").status_code == 404
    assert web.get(f"/admin/serious_complaint/details/?id={raw}").status_code == 404
    assert web.get(f"/admin/complaint/for_ticket/?ticket_id={raw}").status_code == 404
    assert web.get(f"/admin/complaint/start/?ticket_id={raw}").status_code in (200, 404)
    assert web.get(f"/admin/complaint/step/{raw}").status_code in (404, 405)


def test_the_engineer_cannot_post_a_step(app, web, world):
    complaint_id, _, _ = _setup_complaint(app, world, "A", upto=0)
    web.login("a_engineer")
    data = {"step": "1", **{k: str(v) for k, v in STEP_INPUT[1].items()}}
    # The token comes from a page the engineer may open; the complaint pages are closed to them.
    assert web.submit("/admin/ticket/", data, post_url=f"/admin/complaint/step/{complaint_id}").status_code == 403
    assert web.get(f"/admin/complaint/details/?id={complaint_id}").status_code == 403
    assert _complaint(app, complaint_id).last_step == 0
