"""The register of sales contracts: the agent registers, the unit is sold, after-sales
confirms and archives; refusals change nothing."""

from __future__ import annotations

import re

from portal.core.models import Customer
from portal.extensions import db
from plugins.real_estate.sales.models import Contract, Unit

from .conftest import contract_id_of, register, sign_in


def test_agent_registers_and_after_sales_confirms_and_archives(app, web, office):
    sign_in(web, "e_sales_agent")
    unit = office["units_E"][0]
    contract = contract_id_of(register(web, unit, "HT-001", customer_id=office["customer_E"], notarised="1",
                                       notary_reference="(2026)川成证字第1号"))
    page = web.get(f"/admin/estate/contracts/record/{contract}").text
    assert 'data-state="registered"' in page and "HT-001" in page
    assert 'data-state="sold"' in web.get(f"/admin/estate/units/unit/{unit}").text
    # the agent hands it over; only after-sales may confirm
    assert 'data-testid="contract-step-confirmed"' not in page
    response = web.submit(f"/admin/estate/contracts/record/{contract}", {"target": "handed_to_aftersales"},
                          post_url=f"/admin/estate/contracts/record/{contract}/step", follow=True)
    assert 'data-state="handed_to_aftersales"' in response.text
    response = web.submit(f"/admin/estate/contracts/record/{contract}", {"target": "confirmed"},
                          post_url=f"/admin/estate/contracts/record/{contract}/step", follow=True)
    assert "Your role does not allow this step." in response.text
    assert 'data-state="handed_to_aftersales"' in response.text
    web.logout()
    sign_in(web, "e_aftersales_officer")
    dashboard = web.get("/admin/").text
    assert "Contracts waiting for after-sales confirmation" in dashboard
    waiting = re.search(r'href="([^"]*flt1_2=handed_to_aftersales[^"]*)"', dashboard).group(1).replace("&amp;", "&")
    assert "HT-001" in web.get(waiting).text
    assert "HT-001" not in web.get("/admin/estate/contracts/?flt1_2=registered").text
    for target in ("confirmed", "archived"):
        response = web.submit(f"/admin/estate/contracts/record/{contract}", {"target": target},
                              post_url=f"/admin/estate/contracts/record/{contract}/step", follow=True)
        assert f'data-state="{target}"' in response.text, target


def test_a_sold_unit_cannot_be_sold_twice_and_nothing_changes(app, web, office):
    sign_in(web, "e_sales_agent")
    unit = office["units_E"][0]
    contract_id_of(register(web, unit, "HT-001", customer_id=office["customer_E"]))
    response = register(web, unit, "HT-002", customer_id=office["customer_E"])
    assert response.status_code == 200
    assert "a contract needs an available or reserved unit" in response.text
    with app.app_context():
        assert db.session.query(Contract).count() == 1


def test_bad_input_is_refused_with_a_message(app, web, office):
    sign_in(web, "e_sales_agent")
    unit = office["units_E"][1]
    cases = [
        ({"price": "abc"}, "Enter the amount in yuan"),
        ({"price": "-5"}, "Enter the amount in yuan"),
        ({"signed_on": "2099-01-01"}, "The signing date is in the future."),
        ({"signed_on": "yesterday"}, "Enter the date like 2026-03-10."),
        ({"payment_method": "barter"}, "Choose the payment method"),
        ({"buyers": ""}, "Name every buyer of the contract."),
        ({"number": ""}, "Enter the contract number"),
        ({"notarised": "1"}, "notary"),
        ({"payment_method": "instalments", "first_due_on": "", "instalments": "3"}, "Enter the date"),
        ({"payment_method": "instalments", "first_due_on": "2026-01-01", "instalments": "0", "every_months": "1"},
         "Enter a whole number"),
        ({"payment_method": "mortgage", "bank": "", "loan_amount": "1"}, "Enter the bank of the mortgage."),
        ({"payment_method": "mortgage", "bank": "建行", "loan_amount": "99999999"}, "The loan cannot be more"),
    ]
    for extra, message in cases:
        response = register(web, unit, "HT-X", customer_id=office["customer_E"], **extra)
        assert response.status_code == 200, extra
        assert message in response.text, (extra, message)
    with app.app_context():
        assert db.session.query(Contract).count() == 0
        assert db.session.get(Unit, unit).state == "available"


def test_the_buyer_is_found_by_phone_or_created(app, web, office):
    sign_in(web, "e_sales_agent")
    found = web.get("/admin/estate/register/?who=13888880001").text
    assert f'data-customer="{office["customer_E"]}"' in found
    # someone of branch F is never offered
    assert "业主F" not in web.get("/admin/estate/register/?who=业主").text
    contract = contract_id_of(register(web, office["units_E"][1], "HT-NEW", customer_name="新业主",
                                       customer_phone="13999999999"))
    with app.app_context():
        created = db.session.query(Customer).filter_by(phone="13999999999").one()
        assert db.session.get(Contract, contract).customer_id == created.id
    # the same phone again: the file is reused
    contract_id_of(register(web, office["units_E"][2], "HT-NEW2", customer_name="新业主",
                            customer_phone="13999999999"))
    with app.app_context():
        assert db.session.query(Customer).filter_by(phone="13999999999").count() == 1
    # another branch's customer cannot be chosen
    response = register(web, office["units_E"][3], "HT-F", customer_id=office["customer_F"])
    assert "Choose a customer file of the same branch as the unit." in response.text


def test_stale_step_is_refused(app, web, office):
    sign_in(web, "e_sales_agent")
    contract = contract_id_of(register(web, office["units_E"][0], "HT-001", customer_id=office["customer_E"]))
    response = web.submit(f"/admin/estate/contracts/record/{contract}",
                          {"target": "handed_to_aftersales", "seen_version": "999"},
                          post_url=f"/admin/estate/contracts/record/{contract}/step", follow=True)
    assert "Someone else changed this record" in response.text
    assert 'data-state="registered"' in response.text


def test_printed_sheet_is_in_chinese(web, office):
    sign_in(web, "e_sales_agent")
    contract = contract_id_of(register(web, office["units_E"][0], "HT-001", customer_id=office["customer_E"],
                                       payment_method="mortgage", bank="建设银行", loan_amount="800000",
                                       expected_loan_on=""))
    sheet = web.get(f"/admin/estate/contracts/record/{contract}/print")
    assert sheet.status_code == 200
    assert 'data-testid="register-sheet"' in sheet.text and "HT-001" in sheet.text and "建设银行" in sheet.text
