"""A branch manager creates a customer file with a product in a real browser and finds it
by phone; a user of another branch cannot find it."""

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_manager_creates_and_finds_a_file_other_branch_cannot(live_url, browser, world):
    page = browser.new_page(locale="zh-CN")
    login(page, live_url, "a_branch_manager")
    page.goto(f"{live_url}/admin/customer/new/")
    page.fill("#name", "钱多多")
    page.fill("#phone", "13512340000")
    page.fill("#address", "淮海中路100号")
    page.click("#products-button")
    page.fill("#products-0-name", "空调")
    page.fill("#products-0-serial_number", "AC-2026-77")
    page.fill("#products-0-purchase_date", "2026-05-01")
    page.keyboard.press("Escape")
    page.locator("form.admin-form input[type=submit]").first.click()
    page.wait_for_url(f"{live_url}/admin/customer/**")
    page.goto(f"{live_url}/admin/customer/?search=13512340000")
    assert page.locator("text=钱多多").count() >= 1
    page.goto(f"{live_url}/admin/product/?search=AC-2026-77")
    assert page.locator("text=空调").count() >= 1
    page.close()

    other = browser.new_page(locale="zh-CN")
    login(other, live_url, "b_branch_manager")
    other.goto(f"{live_url}/admin/customer/?search=13512340000")
    assert other.locator("text=钱多多").count() == 0
    other.close()
