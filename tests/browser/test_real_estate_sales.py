"""Issue 8's contract register in Debian's chromium: the sales agent finds the buyer's
customer file by phone, registers a signed contract paid by instalments for an available
unit and hands it to after-sales; the after-sales officer confirms it from the dashboard
card and the customer file shows it."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from plugins.real_estate.sales.models import Building, Project, Unit
from portal.core.models import Customer
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from tests.browser.conftest import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _office(app):
    with app.app_context():
        branch = create_branch("E", "成都置业售后部", "四川", ["real_estate"])
        create_user("e_sales_agent", PASSWORD, "E", ["sales_agent"], full_name="置业顾问小李")
        create_user("e_aftersales_officer", PASSWORD, "E", ["aftersales_officer"], full_name="售后专员小陈")
        project = Project(branch_id=branch.id, name="锦城花园", property_company="锦城物业")
        building = Building(branch_id=branch.id, project=project, name="3栋")
        unit = Unit(branch_id=branch.id, building=building, floor=5, number="501", area_m2=Decimal("89.50"),
                    price=Decimal("1145600.00"), state="available")
        customer = Customer(branch_id=branch.id, name="张伟", phone="13880010001")
        db.session.add_all([project, building, unit, customer])
        db.session.commit()
        return unit.id, customer.id


def test_agent_registers_a_contract_and_after_sales_confirms_it(app, live_url, browser, world):
    base = live_url
    unit_id, customer_id = _office(app)
    page = browser.new_page(locale="zh-CN")
    login(page, base, "e_sales_agent")
    page.goto(f"{base}/admin/estate/units/unit/{unit_id}")
    page.click("[data-testid=sell-unit]")
    page.fill("input[name=who]", "13880010001")
    page.click("[data-testid=customer-search] button")
    page.click(f"[data-customer='{customer_id}']")
    assert "张伟" in page.inner_text("[data-testid=chosen-customer]")
    page.select_option("#unit_id", str(unit_id))
    page.fill("#number", "JC-2026-501")
    page.fill("#buyers", "张伟、李娜")
    page.fill("#price", "1145600.00")
    page.fill("#signed_on", date.today().isoformat())
    page.check("#pm-instalments")
    page.fill("#first_due_on", (date.today() + timedelta(days=30)).isoformat())
    page.fill("#instalments", "4")
    page.fill("#every_months", "3")
    page.click("[data-testid=register-contract]")
    page.wait_for_url(re.compile(r".*/admin/estate/contracts/record/\d+$"))
    assert page.get_attribute("[data-testid=contract-state]", "data-state") == "registered"
    assert page.locator("[data-testid=payment]").count() == 4
    page.click("[data-testid=contract-step-handed_to_aftersales] button")
    assert page.get_attribute("[data-testid=contract-state]", "data-state") == "handed_to_aftersales"
    contract_url = page.url
    page.goto(f"{base}/admin/estate/units/unit/{unit_id}")
    assert page.get_attribute("[data-testid=unit-state]", "data-state") == "sold"
    page.click("form[action='/logout'] button")

    login(page, base, "e_aftersales_officer")
    page.click("a[href*='flt1_2=handed_to_aftersales']")
    page.click("[data-testid=contract-link]")
    page.wait_for_url(contract_url)
    page.click("[data-testid=contract-step-confirmed] button")
    assert page.get_attribute("[data-testid=contract-state]", "data-state") == "confirmed"
    page.goto(f"{base}/admin/customer/details/?id={customer_id}")
    assert "JC-2026-501" in page.inner_text("[data-testid=plugin-panel] + table")
