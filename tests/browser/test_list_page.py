"""A list page's menus work in a real browser: Flask-Admin's scripts add a filter, search,
and run a bulk action on the ticked rows, on the portal's own list template."""

import pytest

from portal.core.models import Customer
from portal.extensions import db
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _names(page):
    return sorted(page.locator("td.col-name").all_inner_texts())


def test_hq_filters_searches_and_deletes_ticked_rows(app, live_url, browser, world):
    page = browser.new_page(locale="zh-CN")
    login(page, live_url, "admin")
    page.goto(f"{live_url}/admin/customer/")
    assert _names(page) == ["客户A", "客户B"]

    # Add Filter → Branch code → "B" → Apply: the filter goes into the URL and the list
    page.click("li.dropdown:has(.field-filters) > a.dropdown-toggle")
    page.click(".field-filters a.filter:text-is('分支机构代码')")
    page.locator("table.filters input.filter-val").first.fill("B")
    page.click("#filter_form button[type=submit]")
    page.wait_for_url("**/admin/customer/?flt*")
    assert _names(page) == ["客户B"]
    assert page.locator("#filter_form .pull-right a.btn-secondary").count() == 1  # Reset Filters

    # the search box keeps the filter
    page.fill("form[role=search] input[name=search]", "13900000002")
    page.press("form[role=search] input[name=search]", "Enter")
    page.wait_for_url("**search=13900000002*")
    assert "flt" in page.url and _names(page) == ["客户B"]

    # tick 客户A, With selected → Delete, confirm: it leaves the list and is soft-deleted
    page.goto(f"{live_url}/admin/customer/")
    page.check(f"input.action-checkbox[value='{world['customers']['A']}']")
    page.click("li.dropdown:has(#action_form), li.dropdown:has(a[onclick*=modelActions]) > a.dropdown-toggle")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("a[onclick*=\"modelActions.execute('delete')\"]")
    page.wait_for_load_state()
    page.wait_for_selector(".alert")
    assert _names(page) == ["客户B"]
    with app.app_context():
        assert db.session.get(Customer, world["customers"]["A"]).deleted_at is not None
        assert db.session.get(Customer, world["customers"]["B"]).deleted_at is None
    page.close()
