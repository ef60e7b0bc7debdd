"""Issue 6 item 4 in Debian's chromium: a field engineer on a phone-sized screen sees
today's visit, departs, arrives, completes the core's service report with the customer's
drawn signature and the call to HQ, and finishes the visit from the phone page."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.core import tickets, visits
from portal.core.models import Customer, User, Visit
from portal.core.models.performance import StaffRecord
from portal.core.provisioning import create_user
from portal.extensions import db
from plugins.equipment_field.dispatch.models import FieldPhoneGuidance
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def todays_visit(app, world):
    with app.test_request_context():
        dispatcher = create_user("b_dispatcher", PASSWORD, "B", ["dispatcher"])
        engineer = create_user("b_field_engineer", PASSWORD, "B", ["field_engineer"])
        customer = Customer(branch_id=world["B"], name="郑州重型机械厂", phone="13700000001", province="河南省",
                            city="郑州", address="郑州市工业路8号")
        db.session.add(customer)
        db.session.flush()
        ticket = tickets.open_ticket(tickets.NewTicket(customer_id=customer.id, title="数控机床主轴异响"), dispatcher)
        tickets.transition(ticket, tickets.StepRequest(name="triage", nature="product_quality"), dispatcher)
        db.session.add(FieldPhoneGuidance(branch_id=world["B"], ticket_id=ticket.id, kind="attempt",
                                          by_id=dispatcher.id, text="电话指导复位无效"))
        zone = ZoneInfo("Asia/Shanghai")
        when = min(datetime.now(zone) + timedelta(minutes=30),
                   datetime.now(zone).replace(hour=23, minute=59, second=0, microsecond=0))
        visit = visits.schedule_visit(ticket, when, [engineer.id], "", dispatcher)
        db.session.commit()
        return {"visit": visit.id, "engineer": engineer.id}


def test_engineer_works_todays_visit_on_a_phone(live_url, browser, todays_visit, app):
    base = live_url
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    phone = context.new_page()
    login(phone, base, "b_field_engineer")
    phone.goto(f"{base}/admin/field/my-visits/")
    card = phone.locator(f"[data-visit='{todays_visit['visit']}']")
    assert card.count() == 1
    assert "郑州重型机械厂" in card.inner_text()
    # Big buttons: a thumb hits them.
    assert card.locator("[data-testid=step-depart]").bounding_box()["height"] >= 56
    card.locator("[data-testid=step-depart]").click()
    phone.wait_for_load_state()
    card = phone.locator(f"[data-visit='{todays_visit['visit']}']")
    assert card.get_attribute("data-state") == "departed"
    card.locator("[data-testid=step-arrive]").click()
    phone.wait_for_load_state()
    card = phone.locator(f"[data-visit='{todays_visit['visit']}']")
    assert card.get_attribute("data-state") == "arrived"
    assert card.locator("[data-testid=step-finish]").count() == 0  # the report comes first

    card.locator("[data-testid=report-link]").click()
    phone.wait_for_selector("[data-testid=report-form]")
    phone.fill("#fault_cause", "主轴轴承磨损")
    phone.fill("#solution", "更换主轴前轴承并重新预紧")
    phone.fill("#hours", "3")
    phone.fill("#customer_opinion", "满意")
    phone.fill("#signed_by", "王工")
    pad = phone.locator(".signature-pad canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    phone.mouse.move(box["x"] + 20, box["y"] + 60)
    phone.mouse.down()
    for step in range(1, 12):
        phone.mouse.move(box["x"] + 20 + step * 25, box["y"] + 60 + (step % 3) * 20)
    phone.mouse.up()
    assert phone.locator("#signature").input_value().startswith("data:image/png;base64,")
    phone.check("#called_hq_before_leaving")
    phone.click("button[name=complete][value='1']")
    phone.wait_for_load_state()

    phone.goto(f"{base}/admin/field/my-visits/")
    card = phone.locator(f"[data-visit='{todays_visit['visit']}']")
    card.locator("[data-testid=step-finish]").click()
    phone.wait_for_load_state()
    card = phone.locator(f"[data-visit='{todays_visit['visit']}']")
    assert card.get_attribute("data-state") == "finished"
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "field-engineer-phone.png"), full_page=True)
    # The page fits the phone: nothing to scroll sideways.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
    with app.app_context():
        visit = db.session.get(Visit, todays_visit["visit"])
        assert visit.state == "finished" and visit.called_hq_before_leaving is True and visit.signature
        assert db.session.query(StaffRecord).filter_by(visit_id=visit.id).count() == 0
        assert db.session.get(User, todays_visit["engineer"]) is not None
