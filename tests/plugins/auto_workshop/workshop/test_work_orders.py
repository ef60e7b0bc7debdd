"""Work orders: numbering, lines, the lifecycle with its refusals and permissions, the
approvals part's delivery gate, and the job card."""

from __future__ import annotations

import re

from portal.extensions import db
from plugins.auto_workshop.workshop.models import WorkOrder

from .conftest import act, open_order, sign_in, today


def _number(app, order_id):
    with app.app_context():
        return db.session.get(WorkOrder, order_id).number


def _state(app, order_id):
    with app.app_context():
        return db.session.get(WorkOrder, order_id).state


def ready_order(web, shop, parts=2):
    """An advisor's order with a part line and a job, started (开工)."""
    sign_in(web, "g_service_advisor")
    order_id = open_order(web, shop["vehicles"]["G"])
    act(web, order_id, "line", {"kind": "part", "part_number": "BP-001", "quantity": str(parts)})
    act(web, order_id, "line", {"kind": "labour", "name": "更换刹车片", "quantity": "1.5", "unit_price": "120"})
    page = act(web, order_id, "step", {"target": "started"})
    assert 'data-state="started"' in page.text
    return order_id


def test_numbers_per_branch_and_year(app, web, shop):
    sign_in(web, "g_service_advisor")
    first, second = open_order(web, shop["vehicles"]["G"]), open_order(web, shop["vehicles"]["G"])
    year = today().year
    assert _number(app, first) == f"G-WO-{year}-0001"
    assert _number(app, second) == f"G-WO-{year}-0002"
    web.logout()
    sign_in(web, "h_service_advisor")
    assert _number(app, open_order(web, shop["vehicles"]["H"])) == f"H-WO-{year}-0001"


def test_start_needs_a_job_and_the_right_role(app, web, shop):
    sign_in(web, "g_service_advisor")
    order_id = open_order(web, shop["vehicles"]["G"])
    page = act(web, order_id, "step", {"target": "started"})
    assert "Add at least one job before starting the work order." in page.text
    assert _state(app, order_id) == "draft"
    act(web, order_id, "line", {"kind": "labour", "name": "保养", "quantity": "1"})
    web.logout()
    sign_in(web, "g_technician")
    page = act(web, order_id, "step", {"target": "started"})
    assert "Your role does not allow this step." in page.text
    assert _state(app, order_id) == "draft"


def test_a_step_out_of_order_is_refused(app, web, shop):
    order_id = ready_order(web, shop)
    page = act(web, order_id, "step", {"target": "delivered"})
    assert "A work order cannot go from “Started” to “Delivered”." in page.text
    assert _state(app, order_id) == "started"


def test_cancel_needs_a_reason(app, web, shop):
    sign_in(web, "g_service_advisor")
    order_id = open_order(web, shop["vehicles"]["G"])
    page = act(web, order_id, "step", {"target": "cancelled", "reason": " "})
    assert "Give a reason for cancelling the work order." in page.text
    assert _state(app, order_id) == "draft"
    act(web, order_id, "step", {"target": "cancelled", "reason": "客户改期"})
    assert _state(app, order_id) == "cancelled"


def run_to_quality_check(app, web, shop):
    order_id = ready_order(web, shop)
    web.logout()
    sign_in(web, "g_parts_keeper")
    act(web, order_id, "issue", {"part_number": "BP-001", "quantity": "2", "received_by": "李师傅"})
    assert _state(app, order_id) == "parts_issued"
    web.logout()
    sign_in(web, "g_technician")
    page = act(web, order_id, "step", {"target": "work_done"})
    assert "1 job(s) on this work order are not finished yet." in page.text
    line_id = re.search(r'data-line="(\d+)" data-kind="labour"', page.text).group(1)
    act(web, order_id, f"line/{line_id}/done")
    act(web, order_id, "step", {"target": "work_done"})
    act(web, order_id, "step", {"target": "quality_check"})
    assert _state(app, order_id) == "quality_check"
    web.logout()
    return order_id


def test_the_whole_lifecycle_to_closed(app, web, shop):
    order_id = run_to_quality_check(app, web, shop)
    sign_in(web, "g_service_advisor")
    page = act(web, order_id, "step", {"target": "delivered"})
    assert "The car cannot be delivered before the quality check is recorded." in page.text
    web.logout()
    sign_in(web, "g_workshop_manager")
    page = act(web, order_id, "quality", {"passed": "0", "quality_note": ""})
    assert "Say what failed the check." in page.text
    act(web, order_id, "quality", {"passed": "0", "quality_note": "刹车仍有异响"})
    page = act(web, order_id, "step", {"target": "delivered"})
    assert "The last quality check failed." in page.text
    act(web, order_id, "quality", {"passed": "1"})
    web.logout()
    sign_in(web, "g_service_advisor")
    page = act(web, order_id, "step", {"target": "delivered"})
    assert _state(app, order_id) == "delivered", page.text
    page = act(web, order_id, "step", {"target": "closed"})
    assert "The bill is not settled yet" in page.text
    assert "2 issued part(s) are neither marked as used nor returned to stock." not in page.text  # counted per issue
    assert "issued part(s) are neither marked as used nor returned to stock." in page.text
    act(web, order_id, "settle", {"settled_note": "发票 0001"})
    issue_id = re.search(r'data-issue="(\d+)"', page.text).group(1)
    web.logout()
    sign_in(web, "g_technician")
    act(web, order_id, f"issues/{issue_id}/used")
    web.logout()
    sign_in(web, "g_service_advisor")
    act(web, order_id, "step", {"target": "closed"})
    assert _state(app, order_id) == "closed"
    history = web.get(f"/admin/auto/orders/{order_id}").text
    assert "Quality check failed: 刹车仍有异响" in history and "Bill settled." in history


def test_delivery_asks_the_approvals_part(app, web, shop, monkeypatch):
    from plugins.auto_workshop.approvals import gates

    order_id = run_to_quality_check(app, web, shop)
    sign_in(web, "g_workshop_manager")
    act(web, order_id, "quality", {"passed": "1"})
    monkeypatch.setattr(gates, "delivery_refusals", lambda order: ["The director has not approved the margin."])
    page = act(web, order_id, "step", {"target": "delivered"})
    assert "The director has not approved the margin." in page.text
    assert _state(app, order_id) == "quality_check"


def test_parts_added_during_the_repair_are_marked(app, web, shop):
    order_id = ready_order(web, shop)
    page = act(web, order_id, "line", {"kind": "part", "part_number": "OF-9", "name": "机油滤清器", "quantity": "1"})
    assert page.text.count('data-testid="added-during-repair"') == 1
    with app.app_context():
        lines = {line.part_number: line.added_during_repair for line in db.session.get(WorkOrder, order_id).lines
                 if line.kind == "part"}
    assert lines == {"BP-001": False, "OF-9": True}


def test_bad_lines_are_refused_with_a_reason(app, web, shop):
    sign_in(web, "g_service_advisor")
    order_id = open_order(web, shop["vehicles"]["G"])
    assert "Enter the part number." in act(web, order_id, "line", {"kind": "part", "quantity": "1"}).text
    assert "Enter a quantity greater than zero" in act(web, order_id, "line", {
        "kind": "part", "part_number": "BP-001", "quantity": "1.5"}).text
    assert "Choose a job or a part." in act(web, order_id, "line", {"kind": "x"}).text
    with app.app_context():
        assert db.session.get(WorkOrder, order_id).lines == []


def test_a_stale_page_changes_nothing(app, web, shop):
    sign_in(web, "g_service_advisor")
    order_id = open_order(web, shop["vehicles"]["G"])
    page = web.submit(f"/admin/auto/orders/{order_id}", {"kind": "labour", "name": "保养", "seen_version": "999"},
                      post_url=f"/admin/auto/orders/{order_id}/line", follow=True)
    assert "Someone else changed this record" in page.text
    with app.app_context():
        assert db.session.get(WorkOrder, order_id).lines == []


def test_job_card_is_printable(app, web, shop):
    order_id = ready_order(web, shop)
    page = web.get(f"/admin/auto/orders/{order_id}/card")
    assert page.status_code == 200
    assert 'data-testid="job-card"' in page.text and _number(app, order_id) in page.text and "粤AG1234" in page.text
    assert "车主" in page.text and "车架号" in page.text  # in Chinese, whatever the advisor reads
    # The approvals part's page of the order (quotation, discount) is one click away for the advisor.
    assert 'data-testid="approvals-link"' in web.get(f"/admin/auto/orders/{order_id}").text
    web.logout()
    sign_in(web, "g_technician")
    assert 'data-testid="approvals-link"' not in web.get(f"/admin/auto/orders/{order_id}").text
