"""Field visits with signed service reports, and the repair register (issue 3 items 6–7):
the rules in portal.core.visits, the engineer's pages, the printed documents, and who may
open what."""

from __future__ import annotations

import base64
import struct
import zlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.core import sla, tickets, visits
from portal.core.models import RepairReceipt, Ticket, TicketEvent, User, Visit
from portal.core.models.types import utcnow
from portal.core.provisioning import create_user
from portal.core.tickets import NewTicket, StepRequest, TicketError, open_ticket, transition
from portal.extensions import db


def tiny_png(width: int = 6, height: int = 3) -> bytes:
    """A real PNG (white pixels), built by hand like the pad's canvas would export one."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff" * width * 3 for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


SIGNATURE = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
SHANGHAI = ZoneInfo("Asia/Shanghai")
REPORT = {"fault_cause": "排水泵堵塞", "solution": "清理排水泵，更换密封圈", "hours": "1.5",
          "customer_opinion": "满意", "signed_by": "王女士", "called_hq_before_leaving": True}
PARTS = [{"name": "密封圈", "part_number": "MF-20", "quantity": "2", "charged": True, "unit_price": "12.50"},
         {"name": "卡箍", "part_number": "", "quantity": "1", "charged": False, "unit_price": ""}]


def _user(world, name) -> User:
    return db.session.get(User, world["users"][name])


def make_ticket(app, world, branch: str = "A", steps=("triage", "assign")) -> int:
    """A repair ticket of the branch's customer, moved through ``steps`` by its clerk."""
    code = branch.lower()
    with app.test_request_context():
        clerk = _user(world, f"{code}_clerk")
        ticket = open_ticket(NewTicket(customer_id=world["customers"][branch], title="洗衣机不脱水",
                                       product_id=world["products"][branch]), clerk)
        ticket.customer.address = ticket.customer.address or f"{branch}区世纪大道1号"
        for step in steps:
            transition(ticket, StepRequest(step, nature="product_quality",
                                           assignee_id=world["users"][f"{code}_engineer"]), clerk)
        db.session.commit()
        return ticket.id


def make_visit(app, world, branch: str = "A", steps=()) -> tuple[int, int]:
    """A visit scheduled now for the branch's engineer, taken through visit ``steps``."""
    ticket_id = make_ticket(app, world, branch)
    code = branch.lower()
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        visit = visits.schedule_visit(ticket, utcnow(), [world["users"][f"{code}_engineer"]], "",
                                      _user(world, f"{code}_clerk"))
        for step in steps:
            if step == "report":
                visits.save_report(visit, REPORT, PARTS, SIGNATURE, True, _user(world, f"{code}_engineer"))
            else:
                visits.visit_step(visit, step, _user(world, f"{code}_engineer"))
        db.session.commit()
        return ticket_id, visit.id


def _refusal(call) -> TicketError:
    with pytest.raises(TicketError) as caught:
        call()
    db.session.rollback()
    return caught.value


# --- scheduling ----------------------------------------------------------------------------------

def test_scheduling_starts_the_arrival_clock(app, world):
    ticket_id = make_ticket(app, world)
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.arrival_due is None and not ticket.arrival_required
        when = utcnow() + timedelta(hours=2)
        visit = visits.schedule_visit(ticket, when, [world["users"]["a_engineer"]], "", _user(world, "a_clerk"))
        db.session.commit()
        expected = sla.calendar_for(ticket.branch).add_working_time(ticket.created_at, timedelta(hours=8), [])
        assert ticket.arrival_required is True
        assert ticket.arrival_due == expected  # 8 working hours in-province, from the ticket's creation
        assert ticket.sla_next_due_at <= ticket.arrival_due
        assert visit.state == "scheduled" and visit.scheduled_for == when
        assert [e.username for e in visit.engineers] == ["a_engineer"]
        entries = db.session.scalars(db.select(TicketEvent).filter_by(ticket_id=ticket.id, kind="visit")).all()
        assert [e.data["step"] for e in entries] == ["scheduled"]


def test_scheduling_uses_the_customers_address_unless_another_is_given(app, world):
    ticket_id = make_ticket(app, world)
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.customer.province, ticket.customer.city, ticket.customer.address = "上海市", "上海市", "浦东新区世纪大道1号"
        clerk = _user(world, "a_clerk")
        first = visits.schedule_visit(ticket, utcnow(), [world["users"]["a_engineer"]], "  ", clerk)
        second = visits.schedule_visit(ticket, utcnow(), [world["users"]["a_engineer"]], "仓库：外高桥", clerk)
        assert first.address == "上海市浦东新区世纪大道1号"
        assert second.address == "仓库：外高桥"


@pytest.mark.parametrize("who", ["b_engineer", "a_clerk", "admin", "unknown", "garbage"])
def test_engineers_must_work_tickets_in_the_tickets_branch(app, world, who):
    ticket_id = make_ticket(app, world)
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        chosen = {"unknown": 987654, "garbage": "x'; drop"}.get(who) or world["users"][who]
        error = _refusal(lambda: visits.schedule_visit(ticket, utcnow(), [world["users"]["a_engineer"], chosen], "",
                                                       _user(world, "a_clerk")))
        assert "engineers" in error.fields
        assert db.session.scalar(db.select(db.func.count(Visit.id))) == 0
        assert db.session.get(Ticket, ticket_id).arrival_required is False


def test_scheduling_needs_the_dispatch_permission_an_engineer_and_a_time(app, world):
    ticket_id = make_ticket(app, world)
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        engineer = world["users"]["a_engineer"]
        for not_a_dispatcher in ("a_engineer", "b_branch_manager"):
            _refusal(lambda: visits.schedule_visit(ticket, utcnow(), [engineer], "", _user(world, not_a_dispatcher)))
        assert db.session.scalar(db.select(db.func.count(Visit.id))) == 0
        error = _refusal(lambda: visits.schedule_visit(ticket, None, [], "", _user(world, "a_clerk")))
        assert {"when", "engineers"} <= set(error.fields)
        error = _refusal(lambda: visits.schedule_visit(ticket, ticket.created_at - timedelta(days=1), [engineer], "",
                                                       _user(world, "a_clerk")))
        assert "when" in error.fields
        # HQ dispatches for any branch, with that branch's engineers
        visits.schedule_visit(ticket, utcnow(), [engineer], "", _user(world, "admin"))


def test_a_visit_is_scheduled_only_while_work_happens_on_the_ticket(app, world):
    received = make_ticket(app, world, steps=())
    with app.test_request_context():
        ticket = db.session.get(Ticket, received)
        error = _refusal(lambda: visits.schedule_visit(ticket, utcnow(), [world["users"]["a_engineer"]], "",
                                                       _user(world, "a_clerk")))
        assert "ticket" in error.fields
        transition(ticket, StepRequest("triage", nature="product_quality"), _user(world, "a_clerk"))
        visits.schedule_visit(ticket, utcnow(), [world["users"]["a_engineer"]], "", _user(world, "a_clerk"))


# --- the trip ------------------------------------------------------------------------------------

def test_steps_go_depart_then_arrive_then_finish(app, world):
    _ticket_id, visit_id = make_visit(app, world)
    with app.test_request_context():
        engineer = _user(world, "a_engineer")

        def step(name):
            visits.visit_step(db.session.get(Visit, visit_id), name, engineer)
            db.session.commit()

        def refused(name):
            before = db.session.get(Visit, visit_id).state
            _refusal(lambda: step(name))
            assert db.session.get(Visit, visit_id).state == before

        refused("arrive")
        refused("finish")
        step("depart")
        assert db.session.get(Visit, visit_id).departed_at is not None
        refused("depart")
        refused("finish")
        step("arrive")
        refused("finish")  # the report is not complete yet
        refused("teleport")
        assert db.session.get(Visit, visit_id).finished_at is None


def test_every_step_is_on_the_ticket_timeline(app, world):
    ticket_id, _visit_id = make_visit(app, world, steps=("depart", "arrive", "report", "finish"))
    with app.app_context():
        entries = db.session.scalars(db.select(TicketEvent).filter_by(ticket_id=ticket_id, kind="visit")
                                     .order_by(TicketEvent.id)).all()
        assert [e.data["step"] for e in entries] == ["scheduled", "depart", "arrive", "report", "finish"]
        assert all(e.user_id for e in entries)


def test_arrival_sets_the_tickets_arrival_and_stops_its_clock(app, world):
    ticket_id, visit_id = make_visit(app, world, steps=("depart",))
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.arrived_at is None
        assert ("arrival", ticket.arrival_due) in sla.running_dues(ticket)
        visits.visit_step(db.session.get(Visit, visit_id), "arrive", _user(world, "a_engineer"))
        db.session.commit()
        visit = db.session.get(Visit, visit_id)
        assert ticket.arrived_at == visit.arrived_at is not None
        assert "arrival" not in dict(sla.running_dues(ticket))
        assert sla.clock_status(ticket, "arrival", utcnow()).status == "met"
        first_arrival = ticket.arrived_at
        # a second visit does not move the first arrival
        second = visits.schedule_visit(ticket, utcnow(), [world["users"]["a_engineer"]], "", _user(world, "a_clerk"))
        visits.visit_step(second, "depart", _user(world, "a_engineer"))
        visits.visit_step(second, "arrive", _user(world, "a_engineer"))
        assert ticket.arrived_at == first_arrival


def test_only_the_visits_engineers_or_dispatchers_take_steps(app, world):
    _ticket_id, visit_id = make_visit(app, world)
    with app.test_request_context():
        create_user("a_engineer2", "correct-horse-1", "A", ["engineer"])
        db.session.commit()
        visit = db.session.get(Visit, visit_id)
        for outsider in ("a_engineer2", "b_engineer", "b_branch_manager"):
            _refusal(lambda: visits.visit_step(db.session.get(Visit, visit_id), "depart",
                                               db.session.scalar(db.select(User).filter_by(username=outsider))))
        assert db.session.get(Visit, visit_id).state == "scheduled"
        visits.visit_step(visit, "depart", _user(world, "a_clerk"))  # dispatchers may record it for them
        _refusal(lambda: visits.visit_step(db.session.get(Visit, visit_id), "cancel", _user(world, "a_engineer"),
                                           reason="堵车"))
        visit = db.session.get(Visit, visit_id)
        _refusal(lambda: visits.visit_step(visit, "cancel", _user(world, "a_clerk")))  # needs a reason
        visit = db.session.get(Visit, visit_id)
        visits.visit_step(visit, "cancel", _user(world, "a_clerk"), reason="客户改期")
        assert visit.state == "cancelled"


def test_a_stale_page_cannot_take_a_step(app, world):
    _ticket_id, visit_id = make_visit(app, world)
    with app.test_request_context():
        visit = db.session.get(Visit, visit_id)
        seen = visit.version
        visits.visit_step(visit, "depart", _user(world, "a_engineer"), seen_version=seen)
        db.session.commit()
        error = _refusal(lambda: visits.visit_step(db.session.get(Visit, visit_id), "arrive",
                                                   _user(world, "a_engineer"), seen_version=seen))
        assert error.conflict


# --- the service report -------------------------------------------------------------------------------

def test_an_incomplete_report_names_every_missing_field_and_saves_nothing(app, world):
    _ticket_id, visit_id = make_visit(app, world, steps=("depart", "arrive"))
    with app.test_request_context():
        visit = db.session.get(Visit, visit_id)
        error = _refusal(lambda: visits.save_report(visit, {"fault_cause": "排水泵堵塞"}, PARTS, "", True,
                                                    _user(world, "a_engineer")))
        missing = {"solution", "hours", "customer_opinion", "signed_by", "signature"}
        assert set(error.fields) == missing
        for key in missing:
            assert any(str(visits.REPORT_LABELS[key]) in message for message in error.messages), key
        visit = db.session.get(Visit, visit_id)
        assert visit.fault_cause == "" and visit.parts == [] and visit.report_completed_at is None


def test_a_draft_may_be_incomplete_but_not_wrong(app, world):
    _ticket_id, visit_id = make_visit(app, world, steps=("depart",))
    with app.test_request_context():
        engineer = _user(world, "a_engineer")
        visit = db.session.get(Visit, visit_id)
        visits.save_report(visit, {"fault_cause": "排水泵堵塞"}, [], "", False, engineer)
        db.session.commit()
        assert visit.fault_cause == "排水泵堵塞" and visit.report_completed_at is None
        for fields, parts in [
            ({"hours": "0"}, []), ({"hours": "-1"}, []), ({"hours": "abc"}, []), ({"hours": "24.01"}, []),
            ({"hours": "1.234"}, []), ({}, [{"name": "泵", "quantity": "0"}]), ({}, [{"name": "泵", "quantity": "x"}]),
            ({}, [{"name": "泵", "quantity": "1", "charged": True}]), ({}, [{"quantity": "1"}]),
            ({}, [{"name": "泵", "quantity": "1", "unit_price": "12.345"}]),
        ]:
            _refusal(lambda: visits.save_report(db.session.get(Visit, visit_id), fields, parts, "", False, engineer))
        visit = db.session.get(Visit, visit_id)
        assert visit.hours is None and visit.parts == []
        # the visit's own engineers only
        _refusal(lambda: visits.save_report(visit, REPORT, [], SIGNATURE, False, _user(world, "b_engineer")))
        # completing needs the arrival
        error = _refusal(lambda: visits.save_report(db.session.get(Visit, visit_id), REPORT, [], SIGNATURE, True,
                                                    engineer))
        assert set(error.fields) == {"state"}


@pytest.mark.parametrize("signature", [
    "data:image/jpeg;base64," + base64.b64encode(tiny_png()).decode(),
    "data:image/png;base64,!!!not base64!!!",
    "data:image/png;base64," + base64.b64encode(b"GIF89a" + b"\x00" * 40).decode(),
    "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode(),
    "javascript:alert(1)",
    "data:image/png;base64," + base64.b64encode(tiny_png() + b"\x00" * (400 * 1024)).decode(),
])
def test_a_signature_that_is_not_a_drawn_png_is_refused(app, world, signature):
    _ticket_id, visit_id = make_visit(app, world, steps=("depart", "arrive"))
    with app.test_request_context():
        for complete in (True, False):
            error = _refusal(lambda: visits.save_report(db.session.get(Visit, visit_id), REPORT, [], signature,
                                                        complete, _user(world, "a_engineer")))
            assert set(error.fields) == {"signature"}
        visit = db.session.get(Visit, visit_id)
        assert visit.signature is None and visit.solution == ""


def test_a_complete_signed_report_lets_the_visit_finish_and_tells_the_plugins(app, world, monkeypatch):
    _ticket_id, visit_id = make_visit(app, world, steps=("depart", "arrive"))
    events = []
    real_emit = tickets.emit
    monkeypatch.setattr(tickets, "emit", lambda ticket, name: (events.append((ticket.id, name)),
                                                               real_emit(ticket, name)))
    with app.test_request_context():
        engineer = _user(world, "a_engineer")
        visit = db.session.get(Visit, visit_id)
        visits.save_report(visit, REPORT, PARTS, SIGNATURE, True, engineer)
        db.session.commit()
        assert visit.report_completed_at is not None and visit.signature == SIGNATURE
        assert visit.hours == Decimal("1.5") and visit.signed_by == "王女士" and visit.called_hq_before_leaving
        assert [(p.name, p.quantity, p.charged, p.unit_price) for p in visit.parts] == [
            ("密封圈", 2, True, Decimal("12.50")), ("卡箍", 1, False, None)]
        assert events == []
        visits.visit_step(visit, "finish", engineer)
        db.session.commit()
        assert visit.state == "finished" and visit.finished_at is not None
        assert events == [(visit.ticket_id, "visit_completed")]
        _refusal(lambda: visits.save_report(db.session.get(Visit, visit_id), REPORT, [], SIGNATURE, True, engineer))
        # no visit is open any more: nothing holds the ticket back from being resolved
        assert tickets.facts(db.session.get(Ticket, visit.ticket_id)).open_visits == 0


# --- the pages ----------------------------------------------------------------------------------------

def test_a_clerk_schedules_a_visit_from_the_page(app, web, world):
    ticket_id = make_ticket(app, world)
    web.login("a_clerk")
    form = web.get(f"/admin/visit/schedule/{ticket_id}/")
    assert form.status_code == 200 and 'name="engineers"' in form.text
    assert f'value="{world["users"]["a_engineer"]}"' in form.text
    assert f'value="{world["users"]["b_engineer"]}"' not in form.text
    local = (datetime.now(SHANGHAI) + timedelta(days=7)).replace(hour=14, minute=30, second=0, microsecond=0)
    typed = local.strftime("%Y-%m-%dT%H:%M")
    for refused in ({"when": typed, "engineers": str(world["users"]["b_engineer"])},
                    {"when": typed, "engineers": ""},
                    {"when": "0001-01-01T00:00", "engineers": str(world["users"]["a_engineer"])},
                    {"when": "9999-12-31T23:59", "engineers": str(world["users"]["a_engineer"])},
                    {"when": "next tuesday", "engineers": str(world["users"]["a_engineer"])}):
        response = web.submit(f"/admin/visit/schedule/{ticket_id}/", {**refused, "address": ""})
        assert response.status_code == 200 and "alert-danger" in response.text, refused
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Visit.id))) == 0
    done = web.submit(f"/admin/visit/schedule/{ticket_id}/", {
        "when": typed, "engineers": str(world["users"]["a_engineer"]), "address": "上海市徐汇区"})
    assert done.status_code == 302 and "/admin/visit/details/" in done.headers["Location"]
    with app.app_context():
        visit = db.session.scalar(db.select(Visit))
        assert visit.address == "上海市徐汇区"
        assert visit.scheduled_for == local.astimezone(timezone.utc)  # typed in Shanghai time
        assert db.session.get(Ticket, ticket_id).arrival_due is not None


def test_an_engineer_completes_a_visit_from_the_phone_page(app, web, world):
    _ticket_id, visit_id = make_visit(app, world)
    web.login("a_engineer")
    listing = web.get("/admin/visit/").text  # "my visits today" by default
    assert f"/admin/visit/details/?id={visit_id}" in listing
    page = web.get(f"/admin/visit/details/?id={visit_id}")
    assert page.status_code == 200
    assert 'name="step" value="depart"' in page.text and 'class="signature-pad' in page.text
    assert 'name="viewport"' in page.text
    url = f"/admin/visit/details/?id={visit_id}"
    for step in ("depart", "arrive"):
        assert web.submit(url, {"step": step}, post_url=f"/admin/visit/{visit_id}/step").status_code == 302
    # incomplete: refused, typed text kept, nothing saved
    refused = web.submit(url, {"fault_cause": "排水泵堵塞", "complete": "1", "parts-0-name": "密封圈",
                               "parts-0-quantity": "2"}, post_url=f"/admin/visit/{visit_id}/save")
    assert refused.status_code == 200 and "排水泵堵塞" in refused.text and "密封圈" in refused.text
    assert "is-invalid" in refused.text
    with app.app_context():
        assert db.session.get(Visit, visit_id).fault_cause == ""
    data = {key: value for key, value in REPORT.items() if key != "called_hq_before_leaving"}
    data.update({"called_hq_before_leaving": "y", "signature": SIGNATURE, "complete": "1",
                 "parts-0-name": "密封圈", "parts-0-quantity": "2", "parts-0-charged": "y",
                 "parts-0-unit_price": "12.50", "parts-1-name": "", "parts-1-quantity": ""})
    saved = web.submit(url, data, post_url=f"/admin/visit/{visit_id}/save")
    assert saved.status_code == 302
    finished = web.submit(url, {"step": "finish"}, post_url=f"/admin/visit/{visit_id}/step", follow=True)
    assert finished.status_code == 200
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        assert visit.state == "finished" and visit.report_completed_at and visit.finished_at
        assert [(p.name, p.quantity, p.charged) for p in visit.parts] == [("密封圈", 2, True)]
    report = web.get(f"/admin/visit/{visit_id}/report").text
    assert f'src="{SIGNATURE}"' in report and "<img" in report
    assert "window.print()" in report and "portal/print.css" in report and "王女士" in report


def test_the_printed_report_is_in_chinese(app, web, world):
    _ticket_id, visit_id = make_visit(app, world, steps=("depart", "arrive", "report", "finish"))
    web.login("a_engineer")
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")  # even for an English-speaking user
    report = web.get(f"/admin/visit/{visit_id}/report").text
    for heading in ("售后服务报告单", "故障原因", "解决办法", "更换配件", "客户意见", "客户签字"):
        assert heading in report, heading
    assert 'class="report-section"' in report and "report-table" in report


def test_a_refused_step_is_a_message_not_an_error(app, web, world):
    _ticket_id, visit_id = make_visit(app, world)
    web.login("a_engineer")
    response = web.submit(f"/admin/visit/details/?id={visit_id}", {"step": "finish"},
                          post_url=f"/admin/visit/{visit_id}/step", follow=True)
    assert response.status_code == 200 and "alert-danger" in response.text
    response = web.submit(f"/admin/visit/details/?id={visit_id}", {"step": "nonsense"},
                          post_url=f"/admin/visit/{visit_id}/step", follow=True)
    assert response.status_code == 200


def test_visit_list_presets_search_and_export(app, web, world):
    _t1, mine = make_visit(app, world)
    ticket_id = make_ticket(app, world)
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        other = visits.schedule_visit(ticket, utcnow() + timedelta(days=3), [world["users"]["a_branch_manager"]],
                                      "", _user(world, "a_clerk"))
        db.session.commit()
        other_id, other_number = other.id, ticket.number
        other_day = other.scheduled_for.astimezone(SHANGHAI).date()
    web.login("a_engineer")
    default = web.get("/admin/visit/").text
    assert f"details/?id={mine}" in default and f"details/?id={other_id}" not in default
    everything = web.get("/admin/visit/?preset=open").text
    assert f"details/?id={mine}" in everything and f"details/?id={other_id}" in everything
    found = web.get(f"/admin/visit/?preset=all&search={other_number}").text
    assert f"details/?id={other_id}" in found and f"details/?id={mine}" not in found
    assert f"details/?id={other_id}" in web.get("/admin/visit/?preset=all&search=客户A").text
    # filters: the state, and the local day the visit is planned for
    assert f"details/?id={mine}" not in web.get("/admin/visit/?preset=all&flt0_0=finished").text
    assert f"details/?id={mine}" in web.get("/admin/visit/?preset=all&flt0_0=scheduled").text
    day = other_day.isoformat()
    on_the_day = web.get(f"/admin/visit/?preset=all&flt0_1={day}").text
    assert f"details/?id={other_id}" in on_the_day and f"details/?id={mine}" not in on_the_day
    today = datetime.now(SHANGHAI).date().isoformat()
    both = web.get(f"/admin/visit/?preset=all&flt0_2={today} to {day}").text
    assert f"details/?id={other_id}" in both and f"details/?id={mine}" in both
    assert f"details/?id={other_id}" not in web.get(f"/admin/visit/?preset=all&flt0_2={today} to {today}").text
    assert web.get("/admin/visit/export/csv/").status_code == 302  # engineers do not export
    web.logout()
    web.login("a_branch_manager")
    exported = web.get("/admin/visit/export/csv/?preset=all")
    assert exported.status_code == 200 and other_number in exported.get_data(as_text=True)


# --- the repair register ------------------------------------------------------------------------------

def test_items_taken_in_get_numbered_receipts_and_stay_listed_until_returned(app, web, world):
    ticket_id = make_ticket(app, world)
    web.login("a_clerk")
    form = web.get(f"/admin/repair/take-in/{ticket_id}/")
    assert form.status_code == 200 and "SN-A-1" in form.text  # the product is proposed as the item
    refused = web.submit(f"/admin/repair/take-in/{ticket_id}/", {"item": " "})
    assert refused.status_code == 200
    numbers = []
    for item in ("洗衣机 SN-A-1", "遥控器"):
        response = web.submit(f"/admin/repair/take-in/{ticket_id}/", {"item": item, "accessories": "电源线",
                                                                       "condition": "外壳有划痕"})
        assert response.status_code == 302
    with app.app_context():
        receipts = db.session.scalars(db.select(RepairReceipt).order_by(RepairReceipt.id)).all()
        numbers = [r.number for r in receipts]
        first_id = receipts[0].id
        year = utcnow().year
        assert numbers == [f"A-R{year}-00001", f"A-R{year}-00002"]
        assert receipts[0].state == "in_store" and receipts[0].received_by_id == world["users"]["a_clerk"]
        assert db.session.scalar(db.select(db.func.count(TicketEvent.id)).filter_by(kind="receipt")) == 2
    register = web.get("/admin/repair/").text
    assert numbers[0] in register and numbers[1] in register
    assert numbers[0] in web.get(f"/admin/repair/?search={numbers[0]}").text
    printed = web.get(f"/admin/repair/{first_id}/receipt").text
    assert numbers[0] in printed and "外壳有划痕" in printed and "window.print()" in printed
    # in_store → at_hq → ready → returned, with the name of the person collecting
    url = f"/admin/repair/details/?id={first_id}"
    web.submit(url, {"state": "at_hq"}, post_url=f"/admin/repair/{first_id}/state")
    web.submit(url, {"returned_to": "王女士"}, post_url=f"/admin/repair/{first_id}/returned")  # still at HQ
    web.submit(url, {"state": "ready"}, post_url=f"/admin/repair/{first_id}/state")
    web.submit(url, {"returned_to": ""}, post_url=f"/admin/repair/{first_id}/returned")  # nobody named
    with app.app_context():
        receipt = db.session.get(RepairReceipt, first_id)
        assert receipt.state == "ready" and receipt.returned_at is None
    done = web.submit(url, {"returned_to": "王女士"}, post_url=f"/admin/repair/{first_id}/returned", follow=True)
    assert done.status_code == 200
    with app.app_context():
        receipt = db.session.get(RepairReceipt, first_id)
        assert receipt.state == "returned" and receipt.returned_to == "王女士" and receipt.returned_at
    register = web.get("/admin/repair/").text
    assert numbers[0] not in register and numbers[1] in register
    assert numbers[0] in web.get("/admin/repair/?preset=all").text


def test_the_printed_receipt_is_in_chinese(app, web, world):
    ticket_id = make_ticket(app, world)
    web.login("a_clerk")
    web.submit(f"/admin/repair/take-in/{ticket_id}/", {"item": "洗衣机"})
    with app.app_context():
        receipt_id = db.session.scalar(db.select(RepairReceipt.id))
    printed = web.get(f"/admin/repair/{receipt_id}/receipt").text
    assert "客户货品领取收据" in printed


def test_engineers_see_the_register_but_do_not_keep_it(app, web, world):
    ticket_id = make_ticket(app, world)
    web.login("a_engineer")
    assert web.get("/admin/repair/").status_code == 200
    assert web.get(f"/admin/repair/take-in/{ticket_id}/").status_code == 403
    assert web.get(f"/admin/visit/schedule/{ticket_id}/").status_code == 403


# --- access ------------------------------------------------------------------------------------------

STAFF = ["a_clerk", "a_engineer", "a_branch_manager", "admin"]


@pytest.mark.parametrize("username", STAFF)
def test_each_role_opens_the_lists_and_its_own_branchs_records(app, web, world, username):
    ticket_id, visit_id = make_visit(app, world)
    with app.test_request_context():
        receipt = visits.take_in(db.session.get(Ticket, ticket_id), "洗衣机", "", "", _user(world, "a_clerk"))
        db.session.commit()
        receipt_id, number = receipt.id, receipt.number
    web.login(username)
    assert web.get("/admin/visit/").status_code == 200
    assert number in web.get("/admin/repair/").text
    for url in (f"/admin/visit/details/?id={visit_id}", f"/admin/visit/{visit_id}/report",
                f"/admin/repair/details/?id={receipt_id}", f"/admin/repair/{receipt_id}/receipt"):
        assert web.get(url).status_code == 200, url
    assert web.get("/admin/visit/new/").status_code == 302  # visits are created by scheduling only
    assert web.get(f"/admin/visit/edit/?id={visit_id}").status_code == 302


@pytest.mark.parametrize("username", ["b_clerk", "b_engineer", "b_branch_manager"])
def test_another_branch_cannot_see_or_touch_a_visit_or_receipt(app, web, world, username):
    ticket_id, visit_id = make_visit(app, world, steps=("depart", "arrive", "report"))
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        receipt = visits.take_in(ticket, "洗衣机", "", "", _user(world, "a_clerk"))
        db.session.commit()
        receipt_id, number, ticket_number = receipt.id, receipt.number, ticket.number
    make_visit(app, world, branch="B")
    web.login(username)
    for url in (f"/admin/visit/details/?id={visit_id}", f"/admin/visit/{visit_id}/report",
                f"/admin/repair/details/?id={receipt_id}", f"/admin/repair/{receipt_id}/receipt",
                f"/admin/visit/schedule/{ticket_id}/", f"/admin/repair/take-in/{ticket_id}/"):
        response = web.get(url)
        assert response.status_code == 404, url
        assert ticket_number not in response.text and "王女士" not in response.text
    page = "/admin/visit/?preset=all"
    for url, data in ((f"/admin/visit/{visit_id}/step", {"step": "finish"}),
                      (f"/admin/visit/{visit_id}/step", {"step": "cancel", "reason": "x"}),
                      (f"/admin/visit/{visit_id}/save", dict(REPORT, signature=SIGNATURE, complete="1")),
                      (f"/admin/visit/schedule/{ticket_id}/", {"when": "2026-03-02T10:00",
                                                               "engineers": str(world["users"]["b_engineer"])}),
                      (f"/admin/repair/{receipt_id}/state", {"state": "at_hq"}),
                      (f"/admin/repair/{receipt_id}/returned", {"returned_to": "贼"}),
                      (f"/admin/repair/take-in/{ticket_id}/", {"item": "偷偷"})):
        assert web.submit(page, data, post_url=url).status_code == 404, url
    listing = web.get("/admin/visit/?preset=all").text + web.get("/admin/repair/?preset=all").text
    assert ticket_number not in listing and number not in listing
    assert f"details/?id={visit_id}" not in web.get(f"/admin/visit/?preset=all&search={ticket_number}").text
    assert f"details/?id={receipt_id}" not in web.get(f"/admin/repair/?preset=all&search={number}").text
    if username == "b_branch_manager":
        exported = web.get("/admin/visit/export/csv/?preset=all").get_data(as_text=True)
        exported += web.get("/admin/repair/export/csv/?preset=all").get_data(as_text=True)
        assert ticket_number not in exported and number not in exported and "B-" in exported
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        assert visit.state == "arrived" and visit.solution == REPORT["solution"]
        assert db.session.get(RepairReceipt, receipt_id).state == "in_store"
        assert db.session.scalar(db.select(db.func.count(Visit.id)).filter_by(ticket_id=ticket_id)) == 1
        assert db.session.scalar(db.select(db.func.count(RepairReceipt.id)).filter_by(ticket_id=ticket_id)) == 1


def test_odd_ids_never_produce_a_server_error(web, world):
    web.login("a_clerk")
    for raw in ("1,2", "abc", "-1", "0", "99999999999999999999", "2147483648", ""):
        for base in ("/admin/visit/details/", "/admin/repair/details/", "/admin/visit/edit/"):
            assert web.get(f"{base}?id={raw}").status_code in (302, 404), (base, raw)
    for url in ("/admin/visit/99999999999999/report", "/admin/visit/2147483648/report",
                "/admin/visit/schedule/99999999999999/", "/admin/repair/take-in/2147483648/",
                "/admin/repair/99999999999999/receipt", "/admin/visit/-1/report", "/admin/visit/x/report"):
        assert web.get(url).status_code == 404, url
    for url in ("/admin/visit/99999999999999/step", "/admin/repair/2147483648/returned"):
        assert web.submit("/admin/visit/", {"step": "depart"}, post_url=url).status_code == 404, url
    for view in ("visit", "repair"):  # filter values off the calendar are ignored with a message
        for query in ("flt0_1=0001-01-01", "flt0_1=9999-12-31", "flt0_2=0001-01-01 to 0001-01-02",
                      "flt0_2=2026-05-02 to 2026-05-01", "flt0_1=abc", "flt0_0=nonsense", "flt0_9=1"):
            assert web.get(f"/admin/{view}/?preset=all&{query}").status_code == 200, (view, query)


def test_signed_out_visitors_are_sent_to_login(app, web, world):
    _ticket_id, visit_id = make_visit(app, world)
    for url in ("/admin/visit/", "/admin/repair/", f"/admin/visit/details/?id={visit_id}",
                f"/admin/visit/{visit_id}/report"):
        response = web.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
