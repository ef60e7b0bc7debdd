"""Staff performance records (issue 4 item 3, REQUIREMENTS §2.8): the proposals the ticket
data proves — late arrival, incomplete service report — made exactly once and nowhere
else; amounts frozen from the branch's settings; managers confirm, dismiss and record by
hand; everyone sees their own record, managers their branch, HQ all."""

from __future__ import annotations

import base64
import struct
import zlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.core import performance, visits
from portal.core.models import BranchPlugin, Ticket, User, Visit
from portal.core.models.complaint import Complaint
from portal.core.models.performance import StaffRecord
from portal.core.models.types import utcnow
from portal.core.provisioning import create_user, sync_roles
from portal.core.tickets import NewTicket, StepRequest, TicketError, open_ticket, refresh_sla, transition
from portal.extensions import db
from portal.plugin_api import propose_penalty
from tests.conftest import PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


def _png() -> str:
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\x00" + b"\xff" * 6 + b"\x00" + b"\xff" * 6)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(raw).decode()


REPORT = {"fault_cause": "排水泵堵塞", "solution": "清理排水泵", "hours": "1.5", "customer_opinion": "满意",
          "signed_by": "王女士", "called_hq_before_leaving": True}


def _user(world, name) -> User:
    return db.session.get(User, world["users"][name])


def make_ticket(app, world, branch="A", late=False) -> int:
    """A triaged, assigned repair ticket; ``late``: the customer was promised someone on
    site an hour ago, so any arrival now is late."""
    code = branch.lower()
    with app.test_request_context():
        clerk = _user(world, f"{code}_clerk")
        ticket = open_ticket(NewTicket(customer_id=world["customers"][branch], title="洗衣机不脱水",
                                       product_id=world["products"][branch]), clerk)
        ticket.customer.address = ticket.customer.address or "世纪大道1号"
        for step in ("triage", "assign"):
            transition(ticket, StepRequest(step, nature="product_quality",
                                           assignee_id=world["users"][f"{code}_engineer"]), clerk)
        if late:
            ticket.promised_arrival_at = utcnow() - HOUR
            refresh_sla(ticket)
        db.session.commit()
        return ticket.id


def make_visit(app, world, branch="A", steps=("depart", "arrive"), late=False, ticket_id=None,
               engineers=None) -> tuple[int, int]:
    """A visit of the branch's engineer(s) now, taken through ``steps`` (``report``
    completes the signed service report)."""
    code = branch.lower()
    ticket_id = ticket_id or make_ticket(app, world, branch, late=late)
    names = engineers or [f"{code}_engineer"]
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        visit = visits.schedule_visit(ticket, utcnow(), [world["users"][n] for n in names], "",
                                      _user(world, f"{code}_clerk"))
        for step in steps:
            if step == "report":
                visits.save_report(visit, REPORT, [], _png(), True, _user(world, names[0]))
            elif step == "cancel":
                visits.visit_step(visit, "cancel", _user(world, f"{code}_clerk"), reason="客户不在家")
            else:
                visits.visit_step(visit, step, _user(world, names[0]))
        db.session.commit()
        return ticket_id, visit.id


def records(**where) -> list[tuple]:
    query = db.select(StaffRecord).filter_by(**where).order_by(StaffRecord.id)
    return [(r.reason, r.user.username, r.visit_id, r.state, r.amount) for r in db.session.scalars(query)]


def sweep(app, now):
    with app.app_context():
        return performance.propose_due(now)


def _set_core(branch_id, **values):
    row = db.session.scalar(db.select(BranchPlugin).filter_by(branch_id=branch_id, plugin="core"))
    if row is None:
        row = BranchPlugin(branch_id=branch_id, plugin="core", enabled=True, settings={})
        db.session.add(row)
    row.settings = {**(row.settings or {}), **values}
    db.session.commit()


# --- late arrival ----------------------------------------------------------------------------------

def test_a_late_arrival_is_proposed_for_each_engineer_when_they_arrive(app, world):
    with app.app_context():
        world["users"]["a_engineer2"] = create_user("a_engineer2", PASSWORD, "A", ["engineer"]).id
        db.session.commit()
    _ticket_id, visit_id = make_visit(app, world, late=True, engineers=["a_engineer", "a_engineer2"])
    with app.app_context():
        # made by the arrival itself, no sweep needed
        assert records() == [("late_arrival", "a_engineer", visit_id, "proposed", Decimal("50.00")),
                             ("late_arrival", "a_engineer2", visit_id, "proposed", Decimal("50.00"))]
        record = db.session.scalar(db.select(StaffRecord))
        visit = db.session.get(Visit, visit_id)
        assert record.occurred_at == visit.arrived_at and record.ticket_id == visit.ticket_id
        assert record.proposed_by_id is None and record.demerit == "none"


def test_an_on_time_arrival_proposes_nothing(app, world):
    make_visit(app, world)
    sweep(app, utcnow() + HOUR)
    with app.app_context():
        assert records() == []


def test_a_late_arrival_is_proposed_once_however_often_the_sweep_and_events_run(app, world, runner):
    ticket_id, visit_id = make_visit(app, world, late=True, steps=("depart", "arrive", "report", "finish"))
    for _ in range(2):
        result = sweep(app, utcnow())
        assert result.counts["late_arrival"] == 0
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        for step in (StepRequest("start", handling="on_site"), StepRequest("resolve", solution="换了排水泵")):
            transition(ticket, step, _user(world, "a_engineer"))
        db.session.commit()
        assert records() == [("late_arrival", "a_engineer", visit_id, "proposed", Decimal("50.00"))]


def test_a_follow_up_visit_is_not_a_late_arrival(app, world):
    ticket_id, first = make_visit(app, world, late=True, steps=("depart", "arrive", "report", "finish"))
    make_visit(app, world, ticket_id=ticket_id)
    sweep(app, utcnow())
    with app.app_context():
        assert [(r[0], r[2]) for r in records()] == [("late_arrival", first)]


def test_the_sweep_finds_late_arrivals_the_events_did_not_see(app, world):
    """E.g. arrivals recorded before the portal proposed penalties, or by an import."""
    _ticket_id, visit_id = make_visit(app, world, late=True)
    with app.app_context():
        db.session.execute(db.delete(StaffRecord))
        db.session.commit()
    result = sweep(app, utcnow())
    assert result.counts["late_arrival"] == 1
    with app.app_context():
        assert records() == [("late_arrival", "a_engineer", visit_id, "proposed", Decimal("50.00"))]


# --- incomplete service reports --------------------------------------------------------------------

def test_a_report_still_incomplete_a_day_after_arrival_is_proposed_once(app, world):
    _ticket_id, visit_id = make_visit(app, world)
    with app.app_context():
        arrived = db.session.get(Visit, visit_id).arrived_at
    assert sweep(app, arrived + 23 * HOUR).counts["incomplete_report"] == 0
    assert sweep(app, arrived + 25 * HOUR).counts["incomplete_report"] == 1
    assert sweep(app, arrived + 48 * HOUR).counts["incomplete_report"] == 0
    with app.app_context():
        assert records() == [("incomplete_report", "a_engineer", visit_id, "proposed", Decimal("20.00"))]
        assert db.session.scalar(db.select(StaffRecord.occurred_at)) == arrived + 24 * HOUR


@pytest.mark.parametrize("steps", [("depart", "arrive", "report"), ("depart", "arrive", "report", "finish"),
                                   ("depart", "arrive", "cancel"), ("depart",), ("cancel",), ()])
def test_completed_reports_cancelled_visits_and_visits_not_on_site_propose_nothing(app, world, steps):
    make_visit(app, world, steps=steps)
    sweep(app, utcnow() + 30 * 24 * HOUR)
    with app.app_context():
        assert records() == []


def test_the_hours_before_a_report_counts_as_incomplete_are_per_branch(app, world):
    with app.app_context():
        _set_core(world["A"], incomplete_report_hours=2)
    _t, in_a = make_visit(app, world)
    _t, in_b = make_visit(app, world, branch="B")
    sweep(app, utcnow() + 3 * HOUR)
    with app.app_context():
        assert [(r[0], r[2]) for r in records()] == [("incomplete_report", in_a)]


def test_an_overdue_report_waits_for_the_sweep(app, world):
    """Ticket events look at lateness only: whether a report is overdue depends on when
    one looks, and the sweep is what looks on time."""
    with app.app_context():
        _set_core(world["A"], incomplete_report_hours=1)
    ticket_id, visit_id = make_visit(app, world)
    with app.test_request_context():
        visit = db.session.get(Visit, visit_id)
        visit.arrived_at = utcnow() - 2 * HOUR
        db.session.commit()
        ticket = db.session.get(Ticket, ticket_id)
        transition(ticket, StepRequest("start", handling="on_site"), _user(world, "a_engineer"))
        db.session.commit()
        assert records() == []
    sweep(app, utcnow())
    with app.app_context():
        assert [(r[0], r[2]) for r in records()] == [("incomplete_report", visit_id)]


# --- amounts ------------------------------------------------------------------------------------------

def test_amounts_come_from_the_branch_settings_and_stay_frozen(app, world):
    with app.app_context():
        _set_core(world["A"], penalty_late_arrival="80.00")
    make_visit(app, world, late=True)
    make_visit(app, world, branch="B", late=True)
    with app.app_context():
        _set_core(world["A"], penalty_late_arrival="95.50")
        amounts = db.session.execute(db.select(StaffRecord.branch_id, StaffRecord.amount).order_by(StaffRecord.id)).all()
        assert [tuple(a) for a in amounts] == [(world["A"], Decimal("80.00")), (world["B"], Decimal("50.00"))]
    make_visit(app, world, late=True)
    with app.app_context():
        assert db.session.scalars(db.select(StaffRecord.amount).order_by(StaffRecord.id)).all()[-1] == Decimal("95.50")


# --- plugins and complaints ---------------------------------------------------------------------------

def test_a_plugin_proposes_leaving_without_calling_hq_once_per_visit(app, world):
    ticket_id, visit_id = make_visit(app, world, steps=("depart", "arrive", "report", "finish"))
    with app.test_request_context():
        _set_core(world["A"], penalty_no_hq_call="55.00")
        first = propose_penalty(world["users"]["a_engineer"], "no_hq_call", ticket_id=ticket_id, visit_id=visit_id)
        again = propose_penalty(world["users"]["a_engineer"], "no_hq_call", ticket_id=ticket_id, visit_id=visit_id)
        db.session.commit()
        assert first.id == again.id
        assert records() == [("no_hq_call", "a_engineer", visit_id, "proposed", Decimal("55.00"))]
        for bad in (dict(user_id=world["users"]["b_engineer"], reason="no_hq_call", ticket_id=ticket_id),
                    dict(user_id=world["users"]["a_engineer"], reason="nonsense"),
                    dict(user_id=987654, reason="phone_off"),
                    dict(user_id=world["users"]["a_engineer"], reason="phone_off", ticket_id=987654)):
            with pytest.raises(TicketError):
                propose_penalty(**bad)
            db.session.rollback()
        assert len(records()) == 1


def _complaint(world, ticket_id, **fields) -> Complaint:
    complaint = Complaint(branch_id=world["A"], ticket_id=ticket_id, complainant="王女士", **fields)
    db.session.add(complaint)
    db.session.flush()
    return complaint


def test_an_upheld_complaint_proposes_a_serious_demerit_for_the_responsible_colleague(app, world):
    ticket_id = make_ticket(app, world)
    with app.test_request_context():
        complaint = _complaint(world, ticket_id, justified=True, responsible_user_id=world["users"]["a_engineer"])
        record = performance.propose_from_complaint(complaint)
        assert performance.propose_from_complaint(complaint).id == record.id
        db.session.commit()
        assert (record.reason, record.demerit, record.amount, record.complaint_id, record.ticket_id, record.state) == (
            "upheld_complaint", "serious_demerit", Decimal("0.00"), complaint.id, ticket_id, "proposed")


def test_a_complaint_without_a_responsible_colleague_or_not_upheld_proposes_nothing(app, world):
    ticket_ids = [make_ticket(app, world) for _ in range(3)]
    with app.test_request_context():
        named_outside = _complaint(world, ticket_ids[0], justified=True, responsible_name="快递员")
        unjustified = _complaint(world, ticket_ids[1], justified=False,
                                 responsible_user_id=world["users"]["a_engineer"])
        other_branch = _complaint(world, ticket_ids[2], justified=True,
                                  responsible_user_id=world["users"]["b_engineer"])
        assert [performance.propose_from_complaint(c) for c in (named_outside, unjustified, other_branch)] == [
            None, None, None]
        assert records() == []


# --- deciding and recording by hand --------------------------------------------------------------------

def _only_record_id(app):
    with app.app_context():
        return db.session.scalar(db.select(StaffRecord.id))


def test_a_manager_confirms_a_proposal(app, web, world):
    make_visit(app, world, late=True)
    record_id = _only_record_id(app)
    web.login("a_branch_manager")
    listing = web.get("/admin/staff/").text  # proposals waiting first
    assert f'data-record="{record_id}"' in listing
    page = f"/admin/staff/details/?id={record_id}"
    assert "data-testid=\"evidence\"" in web.get(page).text
    web.submit(page, {"decision": "confirm"}, post_url=f"/admin/staff/{record_id}/decide")
    with app.app_context():
        record = db.session.get(StaffRecord, record_id)
        assert record.state == "confirmed" and record.decided_by_id == world["users"]["a_branch_manager"]
        assert record.decided_at is not None
    assert f'data-record="{record_id}"' not in web.get("/admin/staff/").text  # no longer waiting
    assert f'data-record="{record_id}"' in web.get("/admin/staff/?state=confirmed").text


def test_a_dismissal_needs_a_reason(app, web, world):
    make_visit(app, world, late=True)
    record_id = _only_record_id(app)
    web.login("a_branch_manager")
    page = f"/admin/staff/details/?id={record_id}"
    refused = web.submit(page, {"decision": "dismiss", "note": "  "}, post_url=f"/admin/staff/{record_id}/decide",
                         follow=True)
    assert "Give a reason for dismissing it." in refused.text or "请说明驳回的理由" in refused.text
    with app.app_context():
        assert db.session.get(StaffRecord, record_id).state == "proposed"
    web.submit(page, {"decision": "dismiss", "note": "客户临时改了地址"}, post_url=f"/admin/staff/{record_id}/decide")
    with app.app_context():
        record = db.session.get(StaffRecord, record_id)
        assert record.state == "dismissed" and record.decision_note == "客户临时改了地址"
    again = web.submit(page, {"decision": "confirm"}, post_url=f"/admin/staff/{record_id}/decide", follow=True)
    assert again.status_code == 200
    with app.app_context():
        assert db.session.get(StaffRecord, record_id).state == "dismissed"
    # dismissed proposals are not made again
    sweep(app, utcnow())
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(StaffRecord.id))) == 1


def test_nobody_decides_their_own_record_and_engineers_decide_nothing(app, world):
    make_visit(app, world, late=True)
    with app.test_request_context():
        manager = _user(world, "a_branch_manager")
        record = StaffRecord(branch_id=world["A"], user_id=manager.id, reason="phone_off", amount=Decimal("10.00"),
                             occurred_at=utcnow(), state="proposed")
        db.session.add(record)
        db.session.commit()
        with pytest.raises(TicketError):
            performance.decide(record, True, "", manager)
        db.session.rollback()
        other = db.session.scalar(db.select(StaffRecord).filter_by(reason="late_arrival"))
        for name in ("a_engineer", "a_clerk", "b_branch_manager"):
            with pytest.raises(TicketError):
                performance.decide(other, True, "", _user(world, name))
            db.session.rollback()
        performance.decide(other, True, "", _user(world, "admin"))  # HQ decides anywhere
        db.session.commit()
        assert other.state == "confirmed"


def test_a_manager_records_a_phone_off_by_hand(app, web, world):
    web.login("a_branch_manager")
    form = web.get("/admin/staff/new/").text
    assert "b_engineer" not in form and "a_engineer" in form
    response = web.submit("/admin/staff/new/", {
        "person": str(world["users"]["a_engineer"]), "reason": "phone_off", "occurred_at": "2026-03-02T20:15",
        "note": "20:15 打了三次电话都关机", "ticket_number": ""}, follow=True)
    assert response.status_code == 200
    with app.app_context():
        record = db.session.scalar(db.select(StaffRecord))
        assert (record.reason, record.state, record.amount, record.proposed_by_id, record.decided_by_id) == (
            "phone_off", "confirmed", Decimal("10.00"), world["users"]["a_branch_manager"],
            world["users"]["a_branch_manager"])
        assert record.occurred_at == datetime(2026, 3, 2, 20, 15, tzinfo=SHANGHAI).astimezone(timezone.utc)


@pytest.mark.parametrize("data, field", [
    ({"reason": "phone_off", "note": ""}, "note"),
    ({"reason": "late_arrival"}, "reason"),  # the portal proposes these itself
    ({"reason": "nonsense"}, "reason"),
    ({"reason": "phone_off", "occurred_at": "2999-01-01T10:00"}, "occurred_at"),
    ({"reason": "phone_off", "occurred_at": "yesterday"}, "occurred_at"),
    ({"reason": "phone_off", "ticket_number": "B-2026-000001"}, "ticket_number"),
    ({"reason": "other", "amount": "abc"}, "amount"),
    ({"reason": "other", "amount": "0", "demerit": "none"}, "amount"),
    ({"person": "b_engineer"}, "person"),
    ({"person": "a_branch_manager"}, "person"),
])
def test_a_record_by_hand_is_refused_with_a_message(app, world, data, field):
    make_ticket(app, world, branch="B")
    with app.test_request_context():
        person = world["users"][data.pop("person", "a_engineer")]
        values = {"person_id": person, "reason": "phone_off", "note": "关机",
                  "occurred_at": utcnow() - HOUR, **data}
        if isinstance(values["occurred_at"], str):
            from portal.core.views.performance import parse_local

            values["occurred_at"] = parse_local(values["occurred_at"])
        with pytest.raises(TicketError) as refused:
            performance.record_by_hand(performance.ManualRecord(**values), _user(world, "a_branch_manager"))
        assert set(refused.value.fields) == {field}, refused.value.messages
        db.session.rollback()
        assert records() == []


def test_other_with_a_demerit_and_a_ticket_as_evidence(app, world):
    ticket_id = make_ticket(app, world)
    with app.test_request_context():
        number = db.session.get(Ticket, ticket_id).number
        record = performance.record_by_hand(performance.ManualRecord(
            person_id=world["users"]["a_clerk"], reason="other", occurred_at=utcnow() - HOUR, note="向客户索要红包",
            ticket_number=number, amount="200", demerit="demerit"), _user(world, "a_branch_manager"))
        db.session.commit()
        assert (record.amount, record.demerit, record.ticket_id) == (Decimal("200.00"), "demerit", ticket_id)


# --- monthly figures -------------------------------------------------------------------------------------

def _hand(world, branch, person, reason, local, state="confirmed", amount="0", demerit="none"):
    record = StaffRecord(branch_id=world[branch], user_id=world["users"][person], reason=reason,
                         amount=Decimal(amount), demerit=demerit, state=state,
                         occurred_at=datetime(*local, tzinfo=SHANGHAI).astimezone(timezone.utc))
    db.session.add(record)
    return record


def test_monthly_figures_count_confirmed_records_of_the_month(app, world):
    with app.app_context():
        _hand(world, "A", "a_engineer", "late_arrival", (2026, 3, 1, 0, 30), amount="50")  # March in Shanghai
        _hand(world, "A", "a_engineer", "late_arrival", (2026, 3, 15, 9, 0), amount="50")
        _hand(world, "A", "a_clerk", "phone_off", (2026, 3, 31, 23, 59), amount="10")
        _hand(world, "A", "a_engineer", "upheld_complaint", (2026, 3, 20, 9, 0), demerit="serious_demerit")
        _hand(world, "A", "a_engineer", "other", (2026, 3, 21, 9, 0), amount="30", demerit="demerit")
        _hand(world, "A", "a_engineer", "late_arrival", (2026, 3, 16, 9, 0), amount="50", state="proposed")
        _hand(world, "A", "a_engineer", "late_arrival", (2026, 3, 17, 9, 0), amount="50", state="dismissed")
        _hand(world, "A", "a_engineer", "late_arrival", (2026, 4, 1, 0, 0), amount="50")  # April
        _hand(world, "A", "a_engineer", "late_arrival", (2026, 2, 28, 23, 59), amount="50")  # February
        gone = _hand(world, "A", "a_engineer", "phone_off", (2026, 3, 10, 9, 0), amount="10")
        gone.deleted_at = utcnow()
        _hand(world, "B", "b_engineer", "disobey_dispatch", (2026, 3, 5, 9, 0), amount="100")
        db.session.commit()
        start = datetime(2026, 3, 1, tzinfo=SHANGHAI).astimezone(timezone.utc)
        end = datetime(2026, 4, 1, tzinfo=SHANGHAI).astimezone(timezone.utc)
        in_a = performance.monthly_figures(start, end, branch_id=world["A"])
        assert in_a.by_reason == {"late_arrival": (2, Decimal("100.00")), "phone_off": (1, Decimal("10.00")),
                                  "upheld_complaint": (1, Decimal("0.00")), "other": (1, Decimal("30.00"))}
        assert (in_a.count, in_a.amount, in_a.demerits) == (5, Decimal("140.00"),
                                                             {"demerit": 1, "serious_demerit": 1})
        company = performance.monthly_figures(start, end)
        assert (company.count, company.amount) == (6, Decimal("240.00"))
        assert company.by_reason["disobey_dispatch"] == (1, Decimal("100.00"))


def test_the_month_filter_shows_the_figures_by_reason(app, web, world):
    with app.app_context():
        _hand(world, "A", "a_engineer", "late_arrival", (2026, 3, 2, 9, 0), amount="50")
        _hand(world, "B", "b_engineer", "late_arrival", (2026, 3, 2, 9, 0), amount="70")
        db.session.commit()
    web.login("a_branch_manager")
    page = web.get("/admin/staff/?state=all&month=2026-03").text
    assert 'data-testid="monthly-figures"' in page and "50.00" in page and "70.00" not in page
    web.logout()
    web.login("admin")
    page = web.get("/admin/staff/?state=all&month=2026-03").text
    assert "50.00" in page and "70.00" in page and "120.00" in page
    assert web.get("/admin/staff/?month=2026-13").status_code == 200  # a message, not an error


# --- who sees what --------------------------------------------------------------------------------------

@pytest.fixture
def two_branches(app, world):
    """A confirmed record against a_engineer, one against a_clerk, one against b_engineer."""
    with app.app_context():
        ids = {}
        for branch, person, amount in (("A", "a_engineer", "11"), ("A", "a_clerk", "12"), ("B", "b_engineer", "13")):
            record = _hand(world, branch, person, "phone_off", (2026, 3, 2, 9, 0), amount=amount)
            db.session.flush()
            ids[person] = record.id
        db.session.commit()
        return ids


def test_everyone_sees_their_own_record(app, web, world, two_branches):
    web.login("a_engineer")
    mine = web.get("/admin/my-record/").text
    assert f'data-record="{two_branches["a_engineer"]}"' in mine
    assert f'data-record="{two_branches["a_clerk"]}"' not in mine and "12.00" not in mine
    assert web.get(f"/admin/my-record/details/?id={two_branches['a_engineer']}").status_code == 200
    for other in ("a_clerk", "b_engineer"):
        response = web.get(f"/admin/my-record/details/?id={two_branches[other]}")
        assert response.status_code == 404 and "13.00" not in response.text
    assert web.get("/admin/staff/").status_code == 403


def test_managers_see_their_branch_and_hq_sees_all(app, web, world, two_branches):
    with app.app_context():
        sync_roles()
        create_user("hq_quality", PASSWORD, "HQ", ["hq_quality"])
        db.session.commit()
    web.login("a_branch_manager")
    listing = web.get("/admin/staff/?state=all").text
    assert f'data-record="{two_branches["a_engineer"]}"' in listing and f'data-record="{two_branches["a_clerk"]}"' in listing
    assert f'data-record="{two_branches["b_engineer"]}"' not in listing
    assert f'data-record="{two_branches["b_engineer"]}"' not in web.get(
        f"/admin/staff/?state=all&branch={world['B']}&person={world['users']['b_engineer']}").text
    response = web.get(f"/admin/staff/details/?id={two_branches['b_engineer']}")
    assert response.status_code == 404 and "13.00" not in response.text
    # the manager's own record page lists only their own
    assert f'data-record="{two_branches["a_engineer"]}"' not in web.get("/admin/my-record/").text
    web.logout()
    for hq in ("admin", "hq_quality"):
        web.login(hq)
        listing = web.get("/admin/staff/?state=all").text
        assert all(f'data-record="{i}"' in listing for i in two_branches.values()), hq
        only_b = web.get(f"/admin/staff/?state=all&branch={world['B']}").text
        assert f'data-record="{two_branches["b_engineer"]}"' in only_b
        assert f'data-record="{two_branches["a_engineer"]}"' not in only_b
        assert web.get(f"/admin/staff/details/?id={two_branches['b_engineer']}").status_code == 200
        web.logout()
    web.login("hq_quality")  # sees, does not decide
    assert web.get("/admin/staff/new/").status_code == 403


@pytest.mark.parametrize("username", ["b_branch_manager", "b_clerk", "b_engineer"])
def test_another_branch_cannot_decide_a_record(app, web, world, username):
    make_visit(app, world, late=True)
    record_id = _only_record_id(app)
    web.login(username)
    page = "/admin/my-record/"
    for url in (f"/admin/staff/{record_id}/decide",):
        response = web.submit(page, {"decision": "dismiss", "note": "x"}, post_url=url)
        assert response.status_code in (403, 404)
    with app.app_context():
        assert db.session.get(StaffRecord, record_id).state == "proposed"


PAGES = ["staff/", "staff/new/", "my-record/"]
ALLOWED = {
    "admin": set(PAGES),
    "a_branch_manager": set(PAGES),
    "a_clerk": {"my-record/"},
    "a_engineer": {"my-record/"},
}


@pytest.mark.parametrize("username", sorted(ALLOWED))
@pytest.mark.parametrize("page", PAGES)
def test_each_role_opens_exactly_its_pages(web, world, username, page):
    web.login(username)
    assert web.get(f"/admin/{page}").status_code == (200 if page in ALLOWED[username] else 403)


@pytest.mark.parametrize("url", ["/admin/staff/", "/admin/staff/new/", "/admin/my-record/",
                                 "/admin/my-record/details/?id=1", "/admin/staff/details/?id=1"])
def test_signed_out_visitors_are_sent_to_login(web, world, url):
    response = web.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_odd_ids_and_filters_never_produce_a_server_error(web, world):
    web.login("a_branch_manager")
    for raw in ("1,2", "abc", "-1", "0", "99999999999999999999", "2147483648", ""):
        for base in ("/admin/staff/details/", "/admin/my-record/details/"):
            assert web.get(f"{base}?id={raw}").status_code == 404, (base, raw)
    for query in ("state=x", "reason=x", "month=abc", "month=0001-01", "person=abc", "person=99999999999",
                  "branch=abc", "after=abc", "after=99999999999", "after=1"):
        assert web.get(f"/admin/staff/?{query}").status_code == 200, query
        assert web.get(f"/admin/my-record/?{query}").status_code == 200, query
    for url in ("/admin/staff/99999999999/decide", "/admin/staff/2147483648/decide"):
        assert web.submit("/admin/staff/", {"decision": "confirm"}, post_url=url).status_code == 404
    assert web.submit("/admin/staff/new/", {"person": "x'; drop", "reason": "phone_off",
                                            "occurred_at": "0001-01-01T00:00", "note": "x"}).status_code == 200


# --- the sweep from the command line -----------------------------------------------------------------

def test_the_cli_sweep_is_idempotent(app, world, runner):
    make_visit(app, world)
    later = (utcnow() + 25 * HOUR).astimezone(SHANGHAI).isoformat()
    first = runner.invoke(args=["staff", "sweep", "--now", later])
    assert first.exit_code == 0, first.output
    assert "proposed 0 late arrivals and 1 incomplete reports" in first.output
    second = runner.invoke(args=["staff", "sweep", "--now", later])
    assert "proposed 0 late arrivals and 0 incomplete reports" in second.output
    with app.app_context():
        assert [r[0] for r in records()] == ["incomplete_report"]
        from portal.core.models import AuditEntry

        assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).filter_by(table_name="staff_record")) == 1
    refused = runner.invoke(args=["staff", "sweep", "--now", "2026-03-01T10:00"])
    assert refused.exit_code != 0
