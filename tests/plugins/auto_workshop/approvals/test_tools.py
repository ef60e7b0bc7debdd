"""Special tools: the register, lending to a colleague of the branch, overdue loans on
the dashboard, return, and a lost tool charged to the borrower at its price."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from plugins.auto_workshop.approvals.models import AutoTool, ToolLoan
from portal.core.models.performance import StaffRecord
from portal.core.models.types import utcnow
from portal.extensions import db

from .conftest import get, post, sign_in

TOOLS = "/admin/auto/approvals/tools/"


def _register(web, number="ZJ-001", name="正时校准专用工具", price="1280"):
    return post(web, TOOLS + "?show=register", TOOLS + "new", {"number": number, "name": name, "price": price})


def _tool_id(app, number="ZJ-001"):
    with app.app_context():
        return db.session.query(AutoTool.id).filter_by(number=number).scalar()


def _lend(web, tool_id, borrower_id, due=""):
    url = f"{TOOLS}{tool_id}"
    return post(web, url, url + "/lend", {"borrower_id": str(borrower_id), "due_back_at": due})


def test_lend_return_and_the_overdue_card(app, web, shop):
    sign_in(web, "w_parts_keeper")
    assert "Tool registered." in _register(web).text
    assert "already has a tool numbered ZJ-001" in _register(web).text
    tool_id = _tool_id(app)
    technician = shop["users"]["w_technician"]
    assert "Choose a colleague of the branch." in _lend(web, tool_id, shop["users"]["x_service_advisor"]).text
    assert "Enter the time like" in _lend(web, tool_id, technician, due="tomorrow").text
    page = _lend(web, tool_id, technician)
    assert "Lent out." in page.text and 'data-testid="open-loan" data-overdue="no"' in page.text
    assert "This tool is lent out" in _lend(web, tool_id, technician).text
    dashboard = get(web, "/admin/").text
    assert re.search(r"Special tools overdue.{0,400}?>\s*0\s*<", dashboard, re.S)

    with app.app_context():  # the technician keeps it past its time
        loan = db.session.query(ToolLoan).one()
        loan.lent_at, loan.due_back_at = utcnow() - timedelta(days=2), utcnow() - timedelta(days=1)
        db.session.commit()
        loan_id = loan.id
    dashboard = get(web, "/admin/").text
    assert re.search(r"Special tools overdue.{0,400}?>\s*1\s*<", dashboard, re.S)
    page = get(web, TOOLS + "?show=overdue")
    assert f'data-loan="{loan_id}" data-overdue="yes"' in page.text
    page = post(web, f"{TOOLS}{tool_id}", f"{TOOLS}loans/{loan_id}/return")
    assert "Tool back in the store." in page.text
    assert 'data-testid="nothing-found"' in get(web, TOOLS + "?show=overdue").text


def test_a_lost_tool_is_charged_to_the_borrower_at_its_price(app, web, shop):
    sign_in(web, "w_workshop_manager")
    _register(web, price="2650.00")
    tool_id = _tool_id(app)
    _lend(web, tool_id, shop["users"]["w_technician"])
    with app.app_context():
        loan_id = db.session.query(ToolLoan.id).scalar()
    page = post(web, f"{TOOLS}{tool_id}", f"{TOOLS}loans/{loan_id}/lost", {"note": "路试时遗失"})
    assert "charged 2650.00 yuan" in page.text
    with app.app_context():
        loan = db.session.get(ToolLoan, loan_id)
        assert loan.charge_amount == Decimal("2650.00") and loan.lost_at is not None
        record = db.session.get(StaffRecord, loan.penalty_record_id)
        assert record.user_id == shop["users"]["w_technician"] and record.state == "proposed"
        assert "2650.00" in record.note
    page = post(web, f"{TOOLS}{tool_id}", f"{TOOLS}loans/{loan_id}/return")
    assert "This loan is already closed." in page.text
    assert "charged 2650.00 yuan" in get(web, TOOLS + "?show=lost").text


def test_a_tool_leaves_the_register_only_when_it_is_back(app, web, shop):
    sign_in(web, "w_parts_keeper")
    _register(web)
    tool_id = _tool_id(app)
    _lend(web, tool_id, shop["users"]["w_technician"])
    page = post(web, f"{TOOLS}{tool_id}", f"{TOOLS}{tool_id}/retire")
    assert "This tool is lent out" in page.text
    with app.app_context():
        loan_id = db.session.query(ToolLoan.id).scalar()
    post(web, f"{TOOLS}{tool_id}", f"{TOOLS}loans/{loan_id}/return")
    page = post(web, f"{TOOLS}{tool_id}", f"{TOOLS}{tool_id}/retire")
    assert "Tool taken off the register." in page.text and 'data-testid="nothing-found"' in page.text
    assert web.get(f"{TOOLS}{tool_id}").status_code == 404
    with app.app_context():
        assert db.session.get(AutoTool, tool_id).deleted_at is not None  # archived, with its loans
        assert db.session.query(ToolLoan).count() == 1


@pytest.mark.parametrize("due", ["0001-01-01T00:00", "9999-12-31T23:59", "2026-02-30T10:00", "x"])
def test_odd_due_times_are_refused_readably(app, web, shop, due):
    sign_in(web, "w_parts_keeper")
    _register(web)
    page = _lend(web, _tool_id(app), shop["users"]["w_technician"], due=due)
    assert page.status_code == 200 and "Enter the time like" in page.text
    with app.app_context():
        assert db.session.query(ToolLoan).count() == 0
