"""Issue 5's counter flow (第十七–二十二条) in Debian's chromium: the store clerk scans the
receipt number, hears the customer, and sees the decision and why change as the boxes
are ticked; the customer does not agree, so the clerk asks the store manager, who
overrides with a written reason; the request becomes an exchange with its ticket and the
printed form (in Chinese) says so."""

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.core.models import Customer, Product
from portal.core.provisioning import create_user
from portal.extensions import db
from tests.conftest import PASSWORD
from tests.browser.conftest import login

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"  # screenshots for a person to look at (git-ignored)


def _store(app, world):
    """Branch A's store staff and a coat bought 20 days ago with receipt XP-20260001."""
    with app.app_context():
        create_user("a_store_clerk", PASSWORD, "A", ["store_clerk"], full_name="店员小李")
        create_user("a_store_manager", PASSWORD, "A", ["store_manager"], full_name="店长老王")
        customer = Customer(branch_id=world["A"], name="张女士", phone="13700001234", address="上海市南京路1号")
        bought = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=20)
        customer.products.append(Product(branch_id=world["A"], name="羊毛大衣", model="W-01",
                                         invoice_number="XP-20260001", purchase_date=bought))
        db.session.add(customer)
        db.session.commit()


def _decision(page):
    badge = page.locator("#decision-result [data-testid=decision]")
    badge.wait_for()
    return badge.get_attribute("data-decision")


def _wait_for_decision(page, expected):
    page.wait_for_selector(f"#decision-result [data-testid=decision][data-decision={expected}]")


def test_counter_request_escalated_and_overridden_to_an_exchange(app, live_url, browser, world):
    base = live_url
    _store(app, world)
    clerk = browser.new_page(locale="zh-CN")
    login(clerk, base, "a_store_clerk")
    clerk.goto(f"{base}/admin/retail/counter/")
    clerk.fill("#invoice", "XP-20260001")
    clerk.press("#invoice", "Enter")
    clerk.click("[data-testid=handle]")
    clerk.wait_for_url(re.compile(r".*/admin/retail/counter/decide\?product_id=\d+"))
    assert clerk.locator("[data-testid=decision-empty]").count() == 1

    # The customer gives no reason, the coat can be sold again: day 20 is past the 7 days.
    clerk.check("#reason-no_reason")
    clerk.check("#condition-resellable")
    _wait_for_decision(clerk, "refused")
    assert clerk.locator("#decision-result [data-testid=why] li").count() >= 1
    # Said to be a quality fault instead: an exchange (days 16–30) ...
    clerk.check("#reason-quality")
    _wait_for_decision(clerk, "exchange")
    # ... unless the customer damaged it: a paid repair.
    clerk.check("#condition-customer_damage")
    _wait_for_decision(clerk, "paid_repair")
    clerk.uncheck("#condition-customer_damage")
    clerk.check("#reason-no_reason")
    _wait_for_decision(clerk, "refused")
    ARTIFACTS.mkdir(exist_ok=True)
    clerk.screenshot(path=str(ARTIFACTS / "retail-counter-decision.png"), full_page=True)

    clerk.fill("#escalation_note", "顾客说只穿过一次，要求换货")
    clerk.click("[data-testid=escalate]")
    clerk.wait_for_url(re.compile(r".*/admin/retail/requests/\d+$"))
    request_url = clerk.url
    assert clerk.locator("[data-testid=state]").get_attribute("data-state") == "escalated"
    assert clerk.locator("[data-testid=final-decision]").get_attribute("data-decision") == "refused"
    assert clerk.locator("[data-testid=override-form]").count() == 0  # only the store manager decides

    manager = browser.new_page(locale="zh-CN")
    login(manager, base, "a_store_manager")
    manager.click("a[href='/admin/retail/requests/?show=escalated']")  # the dashboard card
    manager.click(f"a[href='{request_url.removeprefix(base)}']")
    manager.select_option("#override-decision", "exchange")
    manager.fill("#override_reason", "老顾客，面料起球，破例换货")
    manager.click("[data-testid=override-form] button[type=submit]")
    manager.wait_for_url(request_url)
    assert manager.locator("[data-testid=final-decision]").get_attribute("data-decision") == "exchange"
    assert manager.locator("[data-testid=override-reason]").inner_text() == "老顾客，面料起球，破例换货"
    ticket_number = manager.locator("[data-testid=ticket-link]").inner_text()
    assert re.fullmatch(r"A-\d{4}-\d{6}", ticket_number)
    manager.close()

    clerk.goto(request_url)
    clerk.fill("[data-testid=exchange-form] input[name=exchange_note]", "同款 M 码")
    clerk.click("[data-testid=exchange-form] button[type=submit]")
    clerk.wait_for_url(request_url)
    assert clerk.locator("[data-testid=state]").get_attribute("data-state") == "done"

    clerk.click("[data-testid=print-form]")
    clerk.wait_for_url(re.compile(r".*/form$"))
    assert clerk.locator("[data-testid=form-decision]").get_attribute("data-decision") == "exchange"
    content = clerk.content()
    assert "换货" in content and "张女士" in content and "XP-20260001" in content and ticket_number in content
    clerk.emulate_media(media="print")
    clerk.screenshot(path=str(ARTIFACTS / "retail-counter-form.png"), full_page=True)
    clerk.close()
