"""The workshop manager's board and the month's figures."""

from __future__ import annotations

from flask_babel import force_locale

from portal.core.models import Branch
from portal.core.plugin_state import branch_hooks
from portal.extensions import db

from .conftest import act, open_order, sign_in, today
from .test_followups import deliver
from .test_work_orders import ready_order


def test_board_shows_cars_states_load_and_parts_waiting(app, web, shop):
    order_id = ready_order(web, shop)
    web.logout()
    sign_in(web, "g_workshop_manager")
    act(web, order_id, "assign", {"technician_id": str(shop["users"]["g_technician"])})
    board = web.get("/admin/auto/board/").text
    assert f'data-order="{order_id}"' in board
    assert 'data-state="started" data-count="1"' in board
    assert "Gtechnician" in board and "BP-001" in board
    assert 'data-testid="tools"' in board and "No tool is out." in board  # the approvals part's register
    with app.app_context():
        from datetime import timedelta

        from plugins.auto_workshop.approvals.models import AutoTool, ToolLoan
        from portal.core.models.types import utcnow

        tool = AutoTool(branch_id=shop["G"], name="正时专用工具", number="T-01")
        db.session.add(tool)
        db.session.flush()
        db.session.add(ToolLoan(branch_id=shop["G"], tool_id=tool.id, borrower_id=shop["users"]["g_technician"],
                                lent_at=utcnow(), due_back_at=utcnow() + timedelta(hours=4)))
        db.session.commit()
    board = web.get("/admin/auto/board/").text
    assert "正时专用工具" in board and "No tool is out." not in board
    assert "Cars in the workshop" in web.get("/admin/").text
    web.logout()
    sign_in(web, "h_workshop_manager")
    assert f'data-order="{order_id}"' not in web.get("/admin/auto/board/").text


def test_monthly_figures_by_job_type_and_parts_value(app, web, shop):
    deliver(app, web, shop)
    sign_in(web, "g_service_advisor")
    open_order(web, shop["vehicles"]["G"], job_type="maintenance")
    with app.test_request_context(), force_locale("en"):
        branch = db.session.get(Branch, shop["G"])
        hooks, settings = branch_hooks(branch.id)
        sections = [s for group in hooks.portal_report_sections(month=today().replace(day=1), branch=branch,
                                                                   settings=settings) for s in group]
        rows = dict(next(rows for title, rows in sections if "work orders and parts" in str(title)))
        rows = {str(k): v for k, v in rows.items()}
    assert rows["Work orders opened: General repair"] == 1
    assert rows["Work orders opened: Maintenance"] == 1
    assert rows["Cars delivered: General repair"] == 1
    assert rows["Cars delivered: Maintenance"] == 0
    assert rows["Parts issued (yuan, net of returns)"] == "600.00"  # 2 × 300.00
