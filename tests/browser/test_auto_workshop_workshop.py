"""Issue 7's workshop flow in Debian's chromium: the service advisor opens a work order for
a filed car and starts it (开工); the parts keeper issues the brake pads against it; the
technician and the workshop manager finish and check the work; the advisor delivers the
car, and the first follow-up call is waiting in the core callback queue."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.core.models import Customer
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from plugins.auto_workshop.workshop.models import PartStock, Vehicle
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"


def _workshop(app):
    with app.app_context():
        branch = create_branch("GZ", "广州汽车4S店", "广东", ["auto_workshop"])
        for username, role, name in (("gz_service_advisor", "service_advisor", "前台小陈"),
                                     ("gz_parts_keeper", "parts_keeper", "库管老周"),
                                     ("gz_technician", "technician", "技师小李"),
                                     ("gz_workshop_manager", "workshop_manager", "车间主任老王")):
            create_user(username, PASSWORD, "GZ", [role], full_name=name)
        customer = Customer(branch_id=branch.id, name="黄先生", phone="13800138000")
        db.session.add(customer)
        db.session.flush()
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        vehicle = Vehicle(branch_id=branch.id, customer_id=customer.id, plate="粤A12345", model="凯美瑞 2.0G",
                          vin="LVGBE40K0AG000001", first_visit_on=today, owner_name="黄先生")
        db.session.add(vehicle)
        db.session.add(PartStock(branch_id=branch.id, part_number="04465-33480", name="前刹车片", quantity=8,
                                 unit_price=Decimal("420.00"), unit_cost=Decimal("260.00")))
        db.session.commit()
        return vehicle.id, today


def _state(page):
    return page.locator("[data-testid=state]").get_attribute("data-state")


def _step(page, target):
    page.click(f"[data-testid=step-{target}] button")
    page.wait_for_selector(f"[data-testid=state][data-state={target}]")


def test_work_order_from_opening_to_the_follow_up_call(app, live_url, browser, world):
    base = live_url
    vehicle_id, today = _workshop(app)

    advisor = browser.new_context(locale="zh-CN").new_page()
    login(advisor, base, "gz_service_advisor")
    advisor.goto(f"{base}/admin/auto/vehicles/{vehicle_id}")
    advisor.select_option("#job_type", "general_repair")
    advisor.fill("#complaint", "刹车时有异响")
    advisor.click("[data-testid=open-order-submit]")
    advisor.wait_for_url(re.compile(r".*/admin/auto/orders/\d+$"))
    order_url = advisor.url
    number = advisor.locator("[data-testid=order-number]").inner_text()
    assert re.fullmatch(rf"GZ-WO-{today.year}-0001", number)
    advisor.select_option("#kind", "part")
    advisor.fill("#part_number", "04465-33480")
    advisor.fill("#quantity", "2")
    advisor.click("[data-testid=add-line-submit]")
    advisor.wait_for_selector("tr[data-part='04465-33480']")
    advisor.select_option("#kind", "labour")
    advisor.fill("#line_name", "更换前刹车片")
    advisor.fill("#quantity", "1.5")
    advisor.fill("#unit_price", "120")
    advisor.click("[data-testid=add-line-submit]")
    advisor.wait_for_selector("tr[data-kind=labour]")
    _step(advisor, "started")

    keeper = browser.new_context(locale="zh-CN").new_page()
    login(keeper, base, "gz_parts_keeper")
    keeper.goto(order_url)
    keeper.fill("[data-testid='issue-04465-33480'] input[name=received_by]", "技师小李")
    keeper.click("[data-testid='issue-04465-33480'] button")
    keeper.wait_for_selector("[data-testid=state][data-state=parts_issued]")
    assert keeper.locator("[data-issue]").count() == 1
    keeper.goto(f"{base}/admin/auto/stock/")
    assert keeper.locator("tr[data-part='04465-33480']").get_attribute("data-quantity") == "6"

    technician = browser.new_context(locale="zh-CN").new_page()
    login(technician, base, "gz_technician")
    technician.goto(order_url)
    technician.click("[data-testid^=job-done-] button")
    technician.wait_for_selector("[data-done='1']")
    _step(technician, "work_done")
    _step(technician, "quality_check")

    manager = browser.new_context(locale="zh-CN").new_page()
    login(manager, base, "gz_workshop_manager")
    manager.goto(order_url)
    manager.click("[data-testid=quality-pass]")
    manager.wait_for_selector("[data-testid=quality][data-passed='1']")

    advisor.goto(order_url)
    _step(advisor, "delivered")
    first_call = (today + timedelta(days=3)).isoformat()
    assert first_call in advisor.locator("[data-testid=calls]").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    advisor.screenshot(path=str(ARTIFACTS / "auto-workshop-delivered.png"), full_page=True)
    advisor.goto(f"{base}/admin/auto/orders/{order_url.rsplit('/', 1)[1]}/card")
    assert "车主" in advisor.locator("[data-testid=job-card]").inner_text()

    # The follow-up call is in the core queue, coming up on the first day of its window.
    advisor.goto(f"{base}/admin/callback/?flt0_0=upcoming")
    queue = advisor.locator("body").inner_text()
    assert "黄先生" in queue and first_call in queue and number in queue
