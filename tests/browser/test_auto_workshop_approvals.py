"""Issue 7 item 4 in Debian's chromium: the service advisor finds the accident repair
waiting for a signature on the dashboard; the car owner signs the quotation on the pad;
the parts keeper orders the parts; a part found during the repair makes version 2, and
ordering again is refused until it is signed."""

import re
from pathlib import Path

import pytest

from portal.core.models import Customer
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.plugins.auto_workshop.approvals.conftest import make_order

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"


def _workshop(app, world):
    with app.app_context():
        w = create_branch("W", "广州汽车4S店", "广东", ["auto_workshop"])
        create_user("w_service_advisor", PASSWORD, "W", ["service_advisor"], full_name="前台小陈")
        create_user("w_parts_keeper", PASSWORD, "W", ["parts_keeper"], full_name="库管老周")
        customer = Customer(branch_id=w.id, name="李先生", phone="13900001111")
        db.session.add(customer)
        db.session.commit()
        return {"W": w.id, "customers": {"W": customer.id}}


def _draw(page):
    page.wait_for_selector(".signature-pad[data-signed] canvas")
    page.locator(".signature-pad canvas").scroll_into_view_if_needed()
    box = page.locator(".signature-pad canvas").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.15, y + h * 0.6)
    page.mouse.down()
    for i in range(1, 20):
        page.mouse.move(x + w * (0.15 + 0.035 * i), y + h * (0.6 - 0.3 * ((i % 5) / 5)))
    page.mouse.up()


def test_quotation_signed_on_the_pad_before_parts_are_ordered(app, live_url, browser, world):
    base = live_url
    shop = _workshop(app, world)
    order_id = make_order(app, shop)
    order_path = f"/admin/auto/approvals/orders/{order_id}"

    advisor = browser.new_page(locale="zh-CN")
    login(advisor, base, "w_service_advisor")
    advisor.click("a[href='/admin/auto/approvals/orders/?show=unsigned']")  # the dashboard card
    advisor.click(f"a[href='{order_path}']")
    assert advisor.locator("[data-testid=quote-status]").get_attribute("data-status") == "unsigned"
    advisor.fill("#signed_by_name", "李先生")
    advisor.select_option("#method", "drawn")
    _draw(advisor)
    assert advisor.locator("#signature").input_value().startswith("data:image/png;base64,")
    advisor.click("[data-testid=sign-form] button[type=submit]")
    advisor.wait_for_url(f"{base}{order_path}")
    assert advisor.locator("[data-testid=quote-status]").get_attribute("data-status") == "signed"
    assert advisor.locator("[data-testid=revisions] img").count() == 1

    keeper = browser.new_page(locale="zh-CN")
    login(keeper, base, "w_parts_keeper")
    keeper.goto(f"{base}{order_path}")
    keeper.fill("#supplier", "广汽丰田")
    keeper.click("[data-testid=order-form] button[type=submit]")
    keeper.wait_for_url(f"{base}{order_path}")
    assert keeper.locator("[data-testid=parts-orders] li").count() == 1

    # The technician finds a broken bracket; the advisor adds it to the quotation.
    advisor.goto(f"{base}{order_path}")
    advisor.click("[data-testid=add-line] >> xpath=.. >> summary")
    advisor.fill("#line-name", "保险杠支架")
    advisor.fill("#line-part-number", "52115")
    advisor.fill("#line-price", "180")
    advisor.fill("#line-cost", "90")
    advisor.click("[data-testid=add-line] button[type=submit]")
    advisor.wait_for_url(f"{base}{order_path}")
    assert advisor.locator("[data-testid=quotation]").get_attribute("data-current") == "2"
    assert advisor.locator("[data-testid=quote-status]").get_attribute("data-status") == "unsigned"
    ARTIFACTS.mkdir(exist_ok=True)
    advisor.screenshot(path=str(ARTIFACTS / "auto-workshop-approvals-order.png"), full_page=True)

    keeper.goto(f"{base}{order_path}")
    assert keeper.locator("[data-testid=order-refusals] li").count() == 1
    keeper.fill("#supplier", "广汽丰田")
    keeper.click("[data-testid=order-form] button[type=submit]")
    keeper.wait_for_url(f"{base}{order_path}")
    assert keeper.locator("[data-testid=parts-orders] li").count() == 1  # nothing more ordered
    assert re.search(r"1.*2", keeper.locator(".alert-danger, .alert-error").first.inner_text())
    keeper.close()

    advisor.click("[data-testid=print-quotation]")
    advisor.wait_for_url(re.compile(r".*/quotation$"))
    content = advisor.content()
    assert "保险杠支架" in content and "李先生" in content
    assert advisor.locator("[data-testid=doc-version]").inner_text() == "2"
    advisor.emulate_media(media="print")
    advisor.screenshot(path=str(ARTIFACTS / "auto-workshop-quotation.png"), full_page=True)
    advisor.close()
