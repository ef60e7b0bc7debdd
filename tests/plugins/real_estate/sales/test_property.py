"""Projects, buildings and units: kept through the admin forms in the user's own branch,
listed with search and filters, reserved and released by the rules; the month's figures
and the demo."""

from __future__ import annotations

from flask_babel import force_locale
from datetime import date

from portal.core.models import Branch
from portal.extensions import db
from plugins.real_estate.sales.models import Building, Contract, Dispute, Project, Unit
from plugins.real_estate.sales.summary import month_rows

from .conftest import contract_id_of, register, sign_in, today


def test_agent_keeps_projects_buildings_and_units_in_the_own_branch(app, web, office):
    sign_in(web, "e_sales_agent")
    response = web.submit("/admin/estate/projects/new/", {"name": "天府新城", "address": "天府大道 9 号",
                                                          "property_company": "天府物业"}, follow=True)
    assert response.status_code == 200
    with app.app_context():
        project = db.session.query(Project).filter_by(name="天府新城").one()
        assert project.branch_id == office["E"]
        project_id = project.id
    web.submit("/admin/estate/buildings/new/", {"project": str(project_id), "name": "1栋"}, follow=True)
    with app.app_context():
        building = db.session.query(Building).filter_by(name="1栋").one()
        assert building.branch_id == office["E"]
        building_id = building.id
    data = {"building": str(building_id), "floor": "12", "number": "1201", "area_m2": "96.30", "price": "1200000.00"}
    web.submit("/admin/estate/units/new/", data, follow=True)
    response = web.submit("/admin/estate/units/new/", data, follow=True)
    assert "The building has a unit with this number already." in response.text
    response = web.submit("/admin/estate/units/new/", {**data, "number": "1202", "area_m2": "-1"}, follow=True)
    assert "The floor area must be more than zero." in response.text
    with app.app_context():
        units = db.session.query(Unit).filter_by(building_id=building_id).all()
        assert [(u.number, u.state, u.branch_id) for u in units] == [("1201", "available", office["E"])]
    # another branch's building cannot be chosen for a unit
    response = web.submit("/admin/estate/units/new/", {**data, "building": str(office["building_F"]),
                                                       "number": "9999"}, follow=True)
    with app.app_context():
        assert db.session.query(Unit).filter_by(number="9999").count() == 0


def test_units_list_searches_and_filters(app, web, office):
    sign_in(web, "e_property_liaison")
    listing = web.get("/admin/estate/units/").text
    assert listing.count('data-testid="unit-link"') == 4
    assert "锦城花园F" not in listing
    assert web.get("/admin/estate/units/?search=501").text.count('data-testid="unit-link"') == 1
    view_filters = web.get("/admin/estate/units/").text
    assert "Floor" in view_filters and "State" in view_filters and "Project" in view_filters


def test_reserve_and_release_a_unit_by_the_rules(app, web, office):
    sign_in(web, "e_sales_agent")
    unit = office["units_E"][0]
    url = f"/admin/estate/units/unit/{unit}"
    response = web.submit(url, {"target": "reserved"}, post_url=f"{url}/step", follow=True)
    assert 'data-state="reserved"' in response.text
    response = web.submit(url, {"target": "available"}, post_url=f"{url}/step", follow=True)
    assert 'data-state="available"' in response.text
    for target in ("sold", "handed_over", "nonsense"):
        response = web.submit(url, {"target": target}, post_url=f"{url}/step", follow=True)
        assert "it cannot be set here" in response.text, target
        assert 'data-state="available"' in response.text
    contract_id_of(register(web, unit, "HT-1", customer_id=office["customer_E"]))
    response = web.submit(url, {"target": "available"}, post_url=f"{url}/step", follow=True)
    assert "cannot be set to" in response.text and 'data-state="sold"' in response.text
    web.logout()
    sign_in(web, "e_property_liaison")
    assert 'data-testid="unit-step-reserved"' not in web.get(f"/admin/estate/units/unit/{office['units_E'][1]}").text


def test_month_figures(app, web, office):
    sign_in(web, "e_sales_agent")
    contract_id_of(register(web, office["units_E"][0], "HT-1", customer_id=office["customer_E"]))
    contract = contract_id_of(register(web, office["units_E"][1], "HT-2", customer_id=office["customer_E"],
                                       price="1000000.00"))
    with app.app_context():
        payment = db.session.get(Contract, contract).payments[0]
        payment.paid_on, payment.amount_paid = today(), payment.amount_due
        db.session.commit()
    with app.test_request_context(), force_locale("en"):
        branch = db.session.get(Branch, office["E"])
        rows = dict((str(label), value) for label, value in month_rows(branch, today().replace(day=1)))
        assert rows["Contracts signed"] == 2
        assert rows["Sales amount (yuan)"] == "2,145,600.00"
        assert rows["Payments received"] == 1 and rows["Amount received (yuan)"] == "1,000,000.00"
        assert rows["Payments overdue at the month's end"] == 1
        empty = dict((str(label), value) for label, value in month_rows(branch, date(2020, 1, 1)))
        assert empty["Contracts signed"] == 0


def test_demo_fills_the_sales_office(app):
    from portal.demo import load_demo

    with app.test_request_context(), force_locale("en"):
        summary = load_demo()
        db.session.commit()
        assert "real_estate.sales" in summary
        branch = db.session.query(Branch).filter_by(code="CD").one()
        units = db.session.query(Unit).filter_by(branch_id=branch.id).all()
        assert {u.state for u in units} >= {"available", "reserved", "sold"}
        methods = {c.payment_method for c in db.session.query(Contract).filter_by(branch_id=branch.id)}
        assert methods == {"one_payment", "instalments", "mortgage"}
        assert [d.state for d in db.session.query(Dispute).filter_by(branch_id=branch.id)] == ["escalated"]
        assert db.session.query(Building).filter(Building.branch_id == branch.id,
                                                 Building.completion_accepted_on.isnot(None)).count() == 1


def test_a_sold_unit_and_a_building_with_units_stay_in_the_register(app, web, office):
    sign_in(web, "e_sales_agent")
    sold, free = office["units_E"][0], office["units_E"][1]
    contract_id_of(register(web, sold, "HT-1", customer_id=office["customer_E"]))
    response = web.submit("/admin/estate/units/", {"id": str(sold), "url": "/admin/estate/units/"},
                          post_url="/admin/estate/units/delete/", follow=True)
    assert "A unit that is sold or handed over stays in the register." in response.text
    response = web.submit("/admin/estate/buildings/",
                          {"id": str(office["building_E"]), "url": "/admin/estate/buildings/"}, post_url="/admin/estate/buildings/delete/", follow=True)
    assert "Archive the units of the building first." in response.text
    web.submit("/admin/estate/units/", {"id": str(free), "url": "/admin/estate/units/"},
               post_url="/admin/estate/units/delete/", follow=True)
    with app.app_context():
        assert db.session.get(Unit, sold).deleted_at is None
        assert db.session.get(Unit, free).deleted_at is not None
        assert db.session.get(Building, office["building_E"]).deleted_at is None
