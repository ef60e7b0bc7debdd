"""Parts issuance (004/2 三): only against a started order, only its lines, up to the line,
with who received them; returns only of unused parts and only once they are back in the
store; stock and its movements follow every issue, return and receipt."""

from __future__ import annotations

import re

from portal.extensions import db
from plugins.auto_workshop.workshop.models import PartStock, StockMovement, WorkOrder

from .conftest import act, open_order, sign_in
from .test_work_orders import ready_order


def _stock(app, stock_id):
    with app.app_context():
        return db.session.get(PartStock, stock_id).quantity


def _movements(app, branch_id):
    with app.app_context():
        return [(m.kind, m.quantity, m.received_by, m.work_order_id) for m in db.session.query(StockMovement)
                .filter_by(branch_id=branch_id).order_by(StockMovement.id)]


def _keeper_issues(web, data):
    return web.submit("/admin/auto/stock/", data, post_url="/admin/auto/stock/issue", follow=True)


def test_parts_on_an_unstarted_order_are_refused(app, web, shop):
    sign_in(web, "g_service_advisor")
    order_id = open_order(web, shop["vehicles"]["G"])
    act(web, order_id, "line", {"kind": "part", "part_number": "BP-001", "quantity": "2"})
    with app.app_context():
        number = db.session.get(WorkOrder, order_id).number
    web.logout()
    sign_in(web, "g_parts_keeper")
    page = _keeper_issues(web, {"work_order": number, "part_number": "BP-001", "quantity": "2", "received_by": "李"})
    assert "Parts are issued only against a started work order." in page.text
    assert _stock(app, shop["stock"]["G"]) == 10 and _movements(app, shop["G"]) == []


def test_a_parts_request_without_a_work_order_is_refused(app, web, shop):
    sign_in(web, "g_parts_keeper")
    page = _keeper_issues(web, {"work_order": "", "part_number": "BP-001", "quantity": "1", "received_by": "李"})
    assert "parts are issued only against a work order" in page.text
    assert _stock(app, shop["stock"]["G"]) == 10


def test_a_part_not_on_the_order_is_refused(app, web, shop):
    order_id = ready_order(web, shop)
    with app.app_context():
        number = db.session.get(WorkOrder, order_id).number
        db.session.add(PartStock(branch_id=shop["G"], part_number="OF-9", name="机油滤清器", quantity=5))
        db.session.commit()
    web.logout()
    sign_in(web, "g_parts_keeper")
    page = _keeper_issues(web, {"work_order": number, "part_number": "OF-9", "quantity": "1", "received_by": "李"})
    assert "This part is not a line on the work order." in page.text
    page = _keeper_issues(web, {"work_order": number, "part_number": "BP-001", "quantity": "3", "received_by": "李"})
    assert "Only 2 more can be issued on this line." in page.text
    page = _keeper_issues(web, {"work_order": number, "part_number": "BP-001", "quantity": "2", "received_by": ""})
    assert "Record who received the parts." in page.text
    assert _movements(app, shop["G"]) == []


def test_another_branchs_order_cannot_be_issued(app, web, shop):
    order_id = ready_order(web, shop)
    with app.app_context():
        number = db.session.get(WorkOrder, order_id).number
    web.logout()
    sign_in(web, "h_parts_keeper")
    page = _keeper_issues(web, {"work_order": number, "part_number": "BP-001", "quantity": "1", "received_by": "李"})
    assert "No work order" in page.text
    assert _stock(app, shop["stock"]["G"]) == 10


def test_issue_and_return_move_the_stock(app, web, shop):
    order_id = ready_order(web, shop, parts=3)
    web.logout()
    sign_in(web, "g_parts_keeper")
    page = act(web, order_id, "issue", {"part_number": "BP-001", "quantity": "3", "received_by": "李师傅"})
    assert "Parts issued." in page.text
    assert _stock(app, shop["stock"]["G"]) == 7
    issue_id = re.search(r'data-issue="(\d+)"', page.text).group(1)

    # Not yet back in the store: refused, nothing moves.
    page = act(web, order_id, f"issues/{issue_id}/return", {"quantity": "1"})
    assert "must confirm that the part is physically back in the store" in page.text
    assert _stock(app, shop["stock"]["G"]) == 7
    page = act(web, order_id, f"issues/{issue_id}/return", {"quantity": "4", "physically_received": "1"})
    assert "Only 3 issued and unused can be returned." in page.text

    page = act(web, order_id, f"issues/{issue_id}/return", {"quantity": "1", "physically_received": "1"})
    assert "Parts returned to stock." in page.text
    assert _stock(app, shop["stock"]["G"]) == 8
    assert [m[:3] for m in _movements(app, shop["G"])] == [("issue", 3, "李师傅"), ("return", 1, "")]

    # The other two are fitted to the car: never taken back.
    act(web, order_id, f"issues/{issue_id}/used")
    page = act(web, order_id, f"issues/{issue_id}/return", {"quantity": "1", "physically_received": "1"})
    assert "Parts that were issued and used cannot be returned to stock." in page.text
    assert _stock(app, shop["stock"]["G"]) == 8

    movements = web.get("/admin/auto/stock/movements?part=BP-001").text
    assert movements.count('data-kind="issue"') == 1 and movements.count('data-kind="return"') == 1
    assert "李师傅" in movements


def test_stock_short_is_refused(app, web, shop):
    order_id = ready_order(web, shop, parts=12)
    web.logout()
    sign_in(web, "g_parts_keeper")
    page = act(web, order_id, "issue", {"part_number": "BP-001", "quantity": "12", "received_by": "李"})
    assert "Not enough in stock: 10 available." in page.text
    assert _stock(app, shop["stock"]["G"]) == 10


def test_receipts_fill_the_store(app, web, shop):
    sign_in(web, "g_parts_keeper")
    page = web.submit("/admin/auto/stock/", {"part_number": "bp-001", "quantity": "5"},
                      post_url="/admin/auto/stock/receive", follow=True)
    assert "Receipt recorded." in page.text
    assert _stock(app, shop["stock"]["G"]) == 15
    page = web.submit("/admin/auto/stock/", {"part_number": "NEW-1", "quantity": "2"},
                      post_url="/admin/auto/stock/receive", follow=True)
    assert "Name the part." in page.text
    page = web.submit("/admin/auto/stock/", {"part_number": "NEW-1", "name": "雨刮", "quantity": "x"},
                      post_url="/admin/auto/stock/receive", follow=True)
    assert "Enter a whole number." in page.text
    assert [m[:2] for m in _movements(app, shop["G"])] == [("receipt", 5)]
    assert _stock(app, shop["stock"]["H"]) == 10  # another branch's store is its own


def test_only_the_keeper_issues(app, web, shop):
    order_id = ready_order(web, shop)
    page = act(web, order_id, "issue", {"part_number": "BP-001", "quantity": "1", "received_by": "李"})
    assert "Your role does not allow this step." in page.text
    assert _stock(app, shop["stock"]["G"]) == 10
