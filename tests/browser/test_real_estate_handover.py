"""Issue 8's handover (交房) in Debian's chromium: the after-sales officer opens a scheduled
handover, judges the checklist (one defect, with a note), records the keys and the meter
readings, the owner signs on the screen with the mouse, and the officer completes it; the
unit shows handed over and the defect's repair ticket for the property company exists."""

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from plugins.real_estate import rules
from plugins.real_estate.handover.models import EstateDefect, EstateHandover
from plugins.real_estate.sales.models import Unit
from portal.core.models import Ticket
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.plugins.real_estate.handover.conftest import _office

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"


def _scheduled_handover(app, world) -> tuple[int, int]:
    with app.app_context():
        branch = create_branch("E", "成都置业售后部", "四川", ["real_estate"])
        create_user("e_aftersales_officer", PASSWORD, "E", ["aftersales_officer"], full_name="售后专员小陈")
        office = _office("E", branch.id, datetime.now(timezone.utc).date() - timedelta(days=10))
        items = rules.parse_checklist(rules.DEFAULT_CHECKLIST)
        handover = EstateHandover(
            branch_id=branch.id, unit_id=office["units"]["0101"], contract_id=office["contracts"]["0101"],
            customer_id=office["customers"]["0101"], scheduled_at=datetime.now(timezone.utc) + timedelta(hours=2),
            company_contact="物业 王经理", checklist_items=items,
            checklist={i: {"judgement": "", "note": ""} for i in items}, meter_readings={}, state="scheduled")
        db.session.add(handover)
        db.session.commit()
        return handover.id, office["units"]["0101"]


def test_officer_completes_a_handover_with_the_owners_signature(app, live_url, browser, world):
    base = live_url
    handover_id, unit_id = _scheduled_handover(app, world)
    page = browser.new_page(locale="zh-CN")
    login(page, base, "e_aftersales_officer")
    page.goto(f"{base}/admin/estate/handovers/?show=scheduled")
    page.click(f"[data-handover='{handover_id}'] a")
    page.wait_for_url(re.compile(rf".*/admin/estate/handovers/{handover_id}$"))

    items = page.locator("[data-testid=checklist] tr[data-item]")
    for index in range(items.count()):
        page.check(f"#judgement-{index}-{'defect' if index == 0 else 'ok'}")
    page.fill("input[name=note-0]", "主卧窗框渗水")
    page.fill("#keys_handed", "3")
    for meter, reading in (("water", "12.5"), ("electricity", "305"), ("gas", "8.2")):
        page.fill(f"#meter-{meter}", reading)

    # The owner signs: a stroke across the pad.
    pad = page.locator(".signature-pad canvas").first
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + box["height"] / 2 + (15 if step % 2 else -15))
    page.mouse.up()
    page.wait_for_function("document.getElementById('signature').value.startsWith('data:image/png')")

    page.click("[data-testid=complete]")
    page.wait_for_selector("[data-testid=handover-state][data-state=done]")
    assert page.locator("[data-testid=unit-state]").get_attribute("data-state") == "handed_over"
    assert page.locator("[data-testid=defects] li[data-item=doors_windows]").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "real_estate_handover.png"), full_page=True)

    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        assert unit.state == "handed_over" and unit.handed_over_on is not None
        defect = db.session.query(EstateDefect).filter_by(handover_id=handover_id).one()
        ticket = db.session.get(Ticket, defect.ticket_id)
        assert ticket.kind == "estate_defect" and "主卧窗框渗水" in ticket.description
        assert db.session.get(EstateHandover, handover_id).signature.startswith("data:image/png;base64,")
