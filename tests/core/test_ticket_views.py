"""Tickets through the browser-facing pages: open in under a minute, work the steps, find
them in the lists, and never see another branch's."""

import io
import re
from datetime import date, timedelta

import pytest

from portal.core.models import Customer, Product, Ticket, TicketEvent
from portal.core.models.types import utcnow
from portal.extensions import db


def _ticket(app, **where):
    with app.app_context():
        return db.session.scalar(db.select(Ticket).filter_by(**where))


def _open(web, world, title="洗衣机漏水", **extra):
    data = {"kind": "repair", "channel": "phone", "priority": "normal", "title": title,
            "customer_id": str(world["customers"]["A"]), "product_id": str(world["products"]["A"]), **extra}
    return web.submit(f"/admin/ticket/new/?customer_id={world['customers']['A']}", data, follow=True)


def _step(web, ticket, step, **data):
    return web.submit(f"/admin/ticket/details/?id={ticket.id}",
                      {"step": step, "seen_version": str(ticket.version), **data},
                      post_url=f"/admin/ticket/step/{ticket.id}", follow=True)


def test_clerk_opens_a_ticket_from_the_customer_file(app, web, world):
    web.login("a_clerk")
    page = _open(web, world)
    ticket = _ticket(app, title="洗衣机漏水")
    assert re.fullmatch(r"A-\d{4}-000001", ticket.number)
    assert ticket.branch_id == world["A"] and ticket.product_id == world["products"]["A"]
    assert ticket.number in page.text and 'data-clock="first_answer"' in page.text
    assert ticket.first_answer_due is not None and ticket.resolution_due is not None


def test_a_new_phone_number_creates_the_customer_file_a_known_one_finds_it(app, web, world):
    web.login("a_clerk")
    web.submit("/admin/ticket/new/", {"customer_phone": "13600001111", "customer_name": "新来电",
                                      "kind": "consultation", "channel": "hotline", "title": "怎么清洗滤网"},
               follow=True)
    web.submit("/admin/ticket/new/", {"customer_phone": "13800000001", "kind": "repair", "channel": "phone",
                                      "title": "第二次报修"}, follow=True)
    with app.app_context():
        new = db.session.scalar(db.select(Customer).filter_by(phone="13600001111"))
        assert new.name == "新来电" and new.branch_id == world["A"]
        second = db.session.scalar(db.select(Ticket).filter_by(title="第二次报修"))
        assert second.customer_id == world["customers"]["A"]


@pytest.mark.parametrize("data, message", [
    ({"customer_phone": "", "title": "x"}, "phone"),
    ({"customer_phone": "13611112222", "title": "x"}, "name"),
    ({"customer_phone": "13800000001", "title": ""}, "few words"),
    ({"customer_phone": "13800000001", "title": "x", "kind": "nonsense"}, "kind"),
    ({"customer_phone": "13800000001", "title": "x", "promised_arrival_at": "tomorrow"}, "2026-11-23"),
])
def test_bad_input_is_answered_with_a_message_and_nothing_is_created(app, web, world, data, message):
    web.login("a_clerk")
    page = web.submit("/admin/ticket/new/", {"kind": "repair", "channel": "phone", **data}, follow=True)
    assert page.status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0


def test_a_ticket_is_worked_through_every_step_with_the_timeline_kept(app, web, world):
    web.login("a_clerk")
    _open(web, world)
    ticket = _ticket(app, title="洗衣机漏水")
    page = _step(web, ticket, "triage", nature="product_quality", department="")
    ticket = _ticket(app, id=ticket.id)
    assert ticket.state == "triaged" and ticket.department == "quality" and ticket.warranty_free is True
    _step(web, ticket, "assign", assignee_id=str(world["users"]["a_engineer"]))
    web.logout()
    web.login("a_engineer")
    ticket = _ticket(app, id=ticket.id)
    _step(web, ticket, "start", handling="phone_guidance")
    ticket = _ticket(app, id=ticket.id)
    refused = _step(web, ticket, "resolve", solution="")
    assert ("Describe the solution" in refused.text or "解决方案" in refused.text) and _ticket(app, id=ticket.id).state == "in_progress"
    ticket = _ticket(app, id=ticket.id)
    _step(web, ticket, "resolve", solution="指导客户清理排水泵")
    web.logout()
    web.login("a_clerk")
    ticket = _ticket(app, id=ticket.id)
    page = _step(web, ticket, "close")
    ticket = _ticket(app, id=ticket.id)
    assert ticket.state == "closed" and ticket.closed_at is not None
    with app.app_context():
        steps = db.session.scalars(db.select(TicketEvent.data).filter_by(ticket_id=ticket.id, kind="transition")
                                   .order_by(TicketEvent.id)).all()
    assert [s["to"] for s in steps] == ["triaged", "assigned", "in_progress", "resolved", "closed"]
    assert page.text.count('data-kind="transition"') == 5


def test_an_illegal_or_unpermitted_step_is_refused_with_a_reason(app, web, world):
    web.login("a_clerk")
    _open(web, world)
    ticket = _ticket(app, title="洗衣机漏水")
    page = _step(web, ticket, "close")
    assert "This step is not possible" in page.text or "当前状态" in page.text
    assert _ticket(app, id=ticket.id).state == "received"
    web.logout()
    web.login("a_engineer")
    page = _step(web, ticket, "triage", nature="other")
    assert _ticket(app, id=ticket.id).state == "received"


def test_a_stale_page_cannot_overwrite_a_newer_change(app, web, world):
    web.login("a_clerk")
    _open(web, world)
    ticket = _ticket(app, title="洗衣机漏水")
    _step(web, ticket, "triage", nature="other")
    page = _step(web, ticket, "cancel", reason="客户取消")  # seen_version is the old one
    assert _ticket(app, id=ticket.id).state == "triaged"


def _age(app, ticket_id, **fields):
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        for key, value in fields.items():
            setattr(ticket, key, value)
        db.session.commit()


def test_lists_due_at_risk_breached_waiting_and_mine(app, web, world):
    web.login("a_clerk")
    for title in ("甲单", "乙单", "丙单", "丁单"):
        _open(web, world, title=title)
    now = utcnow()
    _age(app, _ticket(app, title="甲单").id, sla_next_due_at=now - timedelta(hours=1))
    _age(app, _ticket(app, title="乙单").id, sla_next_due_at=now + timedelta(hours=1))
    _age(app, _ticket(app, title="丙单").id, sla_next_due_at=now + timedelta(days=5))
    _age(app, _ticket(app, title="丁单").id, state="waiting_customer", assignee_id=world["users"]["a_clerk"])
    listing = web.get("/admin/ticket/").text
    presets = dict(re.findall(r'data-preset="(\w+)" href="([^"]+)"', listing))
    breached = web.get(presets["breached"].replace("&amp;", "&")).text
    assert "甲单" in breached and "丙单" not in breached and "乙单" not in breached
    at_risk = web.get(presets["at_risk"].replace("&amp;", "&")).text
    assert "乙单" in at_risk and "甲单" not in at_risk and "丙单" not in at_risk
    waiting = web.get(presets["waiting"].replace("&amp;", "&")).text
    assert "丁单" in waiting and "丙单" not in waiting
    mine = web.get(presets["mine"].replace("&amp;", "&")).text
    assert "丁单" in mine and "丙单" not in mine


@pytest.mark.parametrize("term", ["A-20", "a-20", "客户A", "13800000001", "138000", "SN-A-1", "漏水", "洗衣机 漏水"])
def test_tickets_are_found_by_number_customer_phone_and_serial(app, web, world, term):
    web.login("a_clerk")
    _open(web, world)
    assert "洗衣机漏水" in web.get(f"/admin/ticket/?search={term}").text
    assert "洗衣机漏水" not in web.get("/admin/ticket/?search=nothing-like-it").text
    assert "洗衣机漏水" not in web.get("/admin/ticket/?search=%25").text  # a wildcard is just a character
    assert "洗衣机漏水" not in web.get("/admin/ticket/?search=0001").text  # phone digits match from the start


def _b_ticket(app, world):
    from portal.core import tickets
    from portal.core.models import User

    with app.test_request_context():
        user = db.session.get(User, world["users"]["b_clerk"])
        ticket = tickets.open_ticket(tickets.NewTicket(customer_id=world["customers"]["B"], title="B店的单"), user)
        db.session.commit()
        return ticket.id, ticket.number


@pytest.mark.parametrize("username", ["a_clerk", "a_engineer", "a_branch_manager"])
def test_another_branchs_ticket_is_invisible_everywhere(app, web, world, username):
    ticket_id, number = _b_ticket(app, world)
    web.login(username)
    assert "B店的单" not in web.get("/admin/ticket/").text
    assert "B店的单" not in web.get(f"/admin/ticket/?search={number}").text
    assert web.get(f"/admin/ticket/details/?id={ticket_id}").status_code == 404
    web.submit("/admin/ticket/", {"step": "cancel", "reason": "x"}, post_url=f"/admin/ticket/step/{ticket_id}")
    web.submit("/admin/ticket/", {"kind": "note", "body": "偷看"}, post_url=f"/admin/ticket/entry/{ticket_id}")
    assert _ticket(app, id=ticket_id).state == "received"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(TicketEvent.id)).filter_by(ticket_id=ticket_id,
                                                                                     kind="note")) == 0
    export = web.get("/admin/ticket/export/csv/")
    assert "B店的单" not in export.get_data(as_text=True)


def test_hq_sees_every_branchs_tickets(app, web, world):
    _b_ticket(app, world)
    web.login("admin")
    assert "B店的单" in web.get("/admin/ticket/").text


@pytest.mark.parametrize("username, status", [("a_engineer", 403), ("a_clerk", 200), ("a_branch_manager", 200)])
def test_who_may_open_tickets(web, world, username, status):
    web.login(username)
    assert web.get("/admin/ticket/new/").status_code == status


def test_odd_ids_never_produce_a_server_error(web, world):
    web.login("a_clerk")
    for raw in ("1,2", "abc", "-1", "99999999999999999999", ""):
        assert web.get(f"/admin/ticket/details/?id={raw}").status_code == 404
    assert web.get("/admin/ticket/new/?customer_id=abc").status_code == 404
    assert web.get("/admin/ticket/attachment/999999").status_code == 404


def test_notes_calls_and_files_go_on_the_timeline_newest_first(app, web, world):
    web.login("a_clerk")
    _open(web, world)
    ticket = _ticket(app, title="洗衣机漏水")
    web.submit(f"/admin/ticket/details/?id={ticket.id}", {"kind": "call", "body": "客户说周三在家"},
               post_url=f"/admin/ticket/entry/{ticket.id}")
    page = web.client.get(f"/admin/ticket/details/?id={ticket.id}")
    from tests.conftest import csrf_token

    web.client.post(f"/admin/ticket/attach/{ticket.id}", data={
        "csrf_token": csrf_token(page.text), "file": (io.BytesIO(b"%PDF-1.4 letter"), "来函.pdf", "application/pdf")},
        content_type="multipart/form-data")
    page = web.get(f"/admin/ticket/details/?id={ticket.id}").text
    assert page.index("来函.pdf") < page.index("客户说周三在家")
    link = re.search(r'href="(/admin/ticket/attachment/\d+)"', page).group(1)
    assert web.get(link).data == b"%PDF-1.4 letter"
    web.logout()
    web.login("b_clerk")
    assert web.get(link).status_code == 404


def test_out_of_warranty_quote_accepted_before_work_and_charge_before_close(app, web, world):
    with app.app_context():
        product = db.session.get(Product, world["products"]["A"])
        product.warranty_end = date(2020, 1, 1)
        db.session.commit()
    web.login("a_branch_manager")
    _open(web, world)
    ticket = _ticket(app, title="洗衣机漏水")
    page = _step(web, ticket, "triage", nature="product_quality")
    assert "2020-01-01" in page.text  # the page says why it is paid
    ticket = _ticket(app, id=ticket.id)
    assert ticket.warranty_free is False
    _step(web, ticket, "assign", assignee_id=str(world["users"]["a_branch_manager"]))
    ticket = _ticket(app, id=ticket.id)
    page = _step(web, ticket, "start", handling="on_site")
    assert "quote" in page.text or "报价" in page.text
    assert _ticket(app, id=ticket.id).state == "assigned"
    web.submit(f"/admin/ticket/details/?id={ticket.id}", {"parts": "120", "labour": "80", "travel": "50.5"},
               post_url=f"/admin/ticket/quote/{ticket.id}")
    from portal.core.models import Charge, Quote

    with app.app_context():
        quote = db.session.scalar(db.select(Quote).filter_by(ticket_id=ticket.id))
        assert str(quote.total) == "250.50"
    web.submit(f"/admin/ticket/details/?id={ticket.id}", {"quote_id": str(quote.id), "decision": "accept",
                                                          "how": "客户电话同意"},
               post_url=f"/admin/ticket/quote/{ticket.id}/decide")
    _step(web, ticket, "start", handling="on_site")
    ticket = _ticket(app, id=ticket.id)
    assert ticket.state == "in_progress" and ticket.arrival_required
    _step(web, ticket, "resolve", solution="更换排水泵")
    ticket = _ticket(app, id=ticket.id)
    page = _step(web, ticket, "close")
    assert _ticket(app, id=ticket.id).state == "resolved"  # no charge recorded yet
    assert "人工费" in page.text  # the fee standard is shown before charging
    web.submit(f"/admin/ticket/details/?id={ticket.id}", {"amount": "250.50", "invoice_number": ""},
               post_url=f"/admin/ticket/charge/{ticket.id}")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Charge.id))) == 0
    web.submit(f"/admin/ticket/details/?id={ticket.id}", {"amount": "250.50", "invoice_number": "FP-778",
                                                          "fee_standard_shown": "y"},
               post_url=f"/admin/ticket/charge/{ticket.id}")
    _step(web, ticket, "close")
    assert _ticket(app, id=ticket.id).state == "closed"
    with app.app_context():
        charge = db.session.scalar(db.select(Charge))
        assert str(charge.amount) == "250.50" and charge.invoice_number == "FP-778"


def test_the_customer_file_lists_its_tickets_and_opens_a_new_one(app, web, world):
    web.login("a_clerk")
    _open(web, world)
    page = web.get(f"/admin/customer/details/?id={world['customers']['A']}").text
    assert "洗衣机漏水" in page
    assert f"/admin/ticket/new/?customer_id={world['customers']['A']}" in page


def test_the_dashboard_counts_what_is_late(app, web, world):
    web.login("a_clerk")
    _open(web, world, title="甲单")
    _age(app, _ticket(app, title="甲单").id, sla_next_due_at=utcnow() - timedelta(hours=2))
    page = web.get("/admin/").text
    counts = dict(re.findall(r'href="[^"]*flt0_0=(\w+)">(\d+)</a>', page))
    assert counts["breached"] == "1" and counts["open"] == "1" and counts["mine"] == "0"


@pytest.mark.parametrize("endpoint", ["customer", "ticket"])
@pytest.mark.parametrize("value", ["0001-01-01 00:00:00", "9999-12-31 23:59:59", "not a date", "0001-01-01 to 0001-01-02"])
def test_odd_filter_values_never_produce_a_server_error(app, web, world, endpoint, value):
    web.login("a_branch_manager")
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)
    for index in range(len(view._filters)):
        response = web.get(f"/admin/{endpoint}/", query_string={f"flt0_{index}": value})
        assert response.status_code == 200, (index, view._filters[index])


def _more_of_everything(app, world, ticket_id):
    """Another timeline entry, hand-over, quote, charge, visit and item taken in."""
    from decimal import Decimal

    from portal.core import tickets, visits
    from portal.core.models import Charge, User

    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        manager = db.session.get(User, world["users"]["a_branch_manager"])
        tickets.add_entry(ticket, "call", "客户来电询问进度", manager)
        colleague = "a_clerk" if ticket.assignee_id == world["users"]["a_engineer"] else "a_engineer"
        tickets.reassign(ticket, world["users"][colleague], manager, "替班", ticket.version)
        tickets.propose_quote(ticket, "100", "50", "0", "", manager)
        # charged straight into the file: record_charge wants the work started
        db.session.add(Charge(ticket_id=ticket.id, branch_id=ticket.branch_id, amount=Decimal("30"),
                              invoice_number=f"INV-{ticket.version}", fee_standard_shown=True))
        visits.schedule_visit(ticket, utcnow() + timedelta(days=1), [world["users"]["a_engineer"]], "", manager)
        visits.take_in(ticket, "洗衣机", "电源线", "外壳划痕", manager)
        db.session.commit()


def test_the_ticket_page_names_who_did_what(app, web, world):
    from tests.core.test_visits import make_ticket

    ticket_id = make_ticket(app, world)
    _more_of_everything(app, world, ticket_id)
    web.login("a_branch_manager")
    page = web.get(f"/admin/ticket/details/?id={ticket_id}").text
    timeline = page.split('data-testid="timeline"')[1].split("</ul>")[0]
    assert "a_branch_manager" in timeline and "客户来电询问进度" in timeline  # the entry and who wrote it
    visits = page.split('data-testid="visits"')[1].split("</ul>")[0]
    assert "a_engineer" in visits  # the engineer sent
    holders = page.split('data-testid="holders"')[1].split("</table>")[0]
    assert holders.index("a_engineer") < holders.index("a_clerk") and "替班" in holders  # in the order held
    money = page.split('data-testid="money"')[1]
    assert 'data-quote="proposed"' in money and "¥150.00" in money and "INV-" in money
    receipts = page.split('data-testid="receipts"')[1].split("</ul>")[0]
    assert "洗衣机" in receipts


def test_the_ticket_page_costs_the_same_statements_however_much_happened(app, web, world):
    """No statement per timeline entry, holder, visit or engineer (N+1)."""
    from tests.core.test_big_lists import count_statements
    from tests.core.test_visits import make_ticket

    ticket_id = make_ticket(app, world)
    web.login("a_branch_manager")
    url = f"/admin/ticket/details/?id={ticket_id}"
    web.get(url)  # warm what is kept per process
    _more_of_everything(app, world, ticket_id)
    once = count_statements(app, web, url)
    for _ in range(3):
        _more_of_everything(app, world, ticket_id)
    assert count_statements(app, web, url) == once
