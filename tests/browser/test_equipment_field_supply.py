"""Issue 6 items 5 and 6 in Debian's chromium: the after-sales manager finds the slip
waiting on the dashboard, approves and ships it; at the customer's, the engineer has the
training record signed on the pad of a phone-sized screen and the installation is done."""

from datetime import timedelta

import pytest

from portal.extensions import db
from plugins.equipment_field.supply.models import FieldInstall, FieldPart, FieldSlip, FieldSlipLine
from tests.browser.conftest import login
from tests.plugins.equipment_field.supply.conftest import shop, today  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _records(app, shop):  # noqa: F811
    with app.app_context():
        part = FieldPart(branch_id=shop["B"], part_number="AC-75-F", name="空压机空气滤芯", quantity=5)
        slip = FieldSlip(branch_id=shop["B"], customer_id=shop["big"]["B"], slip_date=today(),
                         shipping_method="express", needed_by=today() + timedelta(days=7))
        slip.lines.append(FieldSlipLine(branch_id=shop["B"], part_number="AC-75-F", name="空压机空气滤芯", qty=2))
        install = FieldInstall(
            branch_id=shop["B"], customer_id=shop["big"]["B"], site="郑州经开区第九大街", wanted_date=today(),
            agreed_date=today(), state="prepared", team=[shop["users"]["b_field_engineer"]], team_size=1,
            checklist=[{"item": "水平仪", "done": True}], training_material="操作手册", material_ready=True)
        db.session.add_all([part, slip, install])
        db.session.commit()
        return part.id, slip.id, install.id


def _draw(page):
    page.wait_for_selector(".signature-pad[data-signed] canvas")
    pad = page.locator(".signature-pad canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.6)
    page.mouse.down()
    for step in range(1, 14):
        page.mouse.move(box["x"] + 20 + step * 18, box["y"] + box["height"] * (0.6 - 0.1 * (step % 3)))
    page.mouse.up()


def test_slip_approved_and_shipped_then_training_signed_on_a_phone(app, live_url, browser, shop):  # noqa: F811
    base = live_url
    part_id, slip_id, install_id = _records(app, shop)
    slip_path = f"/admin/field/supply/slips/{slip_id}"

    manager = browser.new_page(locale="zh-CN")
    login(manager, base, "b_aftersales_manager")
    manager.click("a[href='/admin/field/supply/slips/?show=waiting']")  # the dashboard card
    manager.click(f"a[href='{slip_path}']")
    assert manager.locator("[data-testid=state]").get_attribute("data-state") == "waiting"
    manager.click("[data-testid=approve-form] button[type=submit]")
    manager.wait_for_url(f"{base}{slip_path}")
    assert manager.locator("[data-testid=state]").get_attribute("data-state") == "approved"
    manager.fill("[data-testid=ship-form] input[name=tracking]", "SF1234567890")
    manager.click("[data-testid=ship-form] button[type=submit]")
    manager.wait_for_url(f"{base}{slip_path}")
    assert manager.locator("[data-testid=state]").get_attribute("data-state") == "shipped"
    with app.app_context():
        assert db.session.get(FieldPart, part_id).quantity == 3

    phone = browser.new_page(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    login(phone, base, "b_field_engineer")
    install_path = f"/admin/field/supply/installs/{install_id}"
    phone.goto(f"{base}{install_path}")
    form = phone.locator("[data-testid=sign-form]")
    form.locator("#trainees").fill("操作工张三、李四")
    form.locator("#training_record").fill("开机、回零、日常保养")
    form.locator("#days_on_site").fill("2")
    form.locator("#signed_by").fill("王厂长")
    _draw(phone)
    assert phone.locator("#signature").input_value().startswith("data:image/png;base64,")
    form.locator("button[type=submit]").click()
    phone.wait_for_url(f"{base}{install_path}")
    assert phone.locator("[data-testid=state]").get_attribute("data-state") == "done"
    assert phone.locator("img.install-signature").count() == 1
    with app.app_context():
        record = db.session.get(FieldInstall, install_id)
        assert record.state == "done" and record.signed_by == "王厂长" and record.days_on_site == 2
