"""The month's figures of the supply part join the monthly statistics: installations in
person-times and person-days, parts and freight; the parts stock list (search, create,
refusals) works without a 500."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask_babel import force_locale

from portal.core.models import Branch
from portal.core.plugin_state import branch_hooks
from portal.extensions import db
from plugins.equipment_field.supply.models import FieldInstall, FieldPart

from .conftest import created_id, sign_in, stock, today, write_slip

TITLE = "Field equipment: parts, installations and projects"


def _month(app, branch_id, month):
    with app.test_request_context(), force_locale("en"):
        hooks, settings = branch_hooks(branch_id)
        branch = db.session.get(Branch, branch_id)
        sections = {str(title): rows for group in hooks.portal_report_sections(
            month=month, branch=branch, settings=settings) for title, rows in group}
        rows = sections.get(TITLE)
        return None if rows is None else {str(label): value for label, value in rows}


def test_the_monthly_statistics_get_the_supply_figures(app, web, shop):
    stock(app, shop["B"], "P-1", 10, price="200.00")
    sign_in(web, "b_aftersales_manager")
    paid = created_id(write_slip(web, shop["big"]["B"], [("P-1", 2)], in_warranty=False, freight="35.5"))
    free = created_id(write_slip(web, shop["big"]["B"], [("P-1", 1)], freight="20"))
    for slip_id in (paid, free):
        base = f"/admin/field/supply/slips/{slip_id}"
        web.submit(base, {}, post_url=f"{base}/approve")
        web.submit(base, {}, post_url=f"{base}/ship")
    with app.app_context():
        for team_size, days in ((2, 3), (1, 1)):
            db.session.add(FieldInstall(branch_id=shop["B"], customer_id=shop["big"]["B"], site="厂区",
                                        wanted_date=today(), state="done", team=list(range(team_size)),
                                        team_size=team_size, days_on_site=days, done_on=today()))
        db.session.commit()
    rows = _month(app, shop["B"], today().replace(day=1))
    assert rows["Installations and training done"] == 2
    assert rows["Installations: person-times"] == 3
    assert rows["Installations: person-days"] == 7
    assert rows["Outbound slips shipped"] == 2 and rows["Parts shipped (pieces)"] == 3
    assert rows["Parts value shipped (yuan)"] == "600.00"
    assert rows["Freight (yuan)"] == "55.50"
    assert rows["Charged to customers for parts and freight (yuan)"] == "435.50"
    last_month = (today().replace(day=1) - timedelta(days=1)).replace(day=1)
    assert _month(app, shop["B"], last_month)["Outbound slips shipped"] == 0
    assert _month(app, shop["A"], today().replace(day=1)) is None  # the plugin does not run in A


def test_parts_stock_list_search_and_create(app, web, shop):
    stock(app, shop["B"], "AC-75-F", 4, name="空压机滤芯")
    stock(app, shop["C"], "C-ONLY", 4)
    sign_in(web, "b_dispatcher")
    listing = web.get("/admin/field/supply/parts/?search=滤芯")
    assert listing.status_code == 200 and "AC-75-F" in listing.text and "C-ONLY" not in listing.text
    created = web.submit("/admin/field/supply/parts/new/", {"part_number": "NEW-9", "name": "皮带", "quantity": "5",
                                                            "unit_price": "12.50"})
    assert created.status_code == 302
    negative = web.submit("/admin/field/supply/parts/new/", {"part_number": "NEG", "name": "x", "quantity": "-1",
                                                             "unit_price": "1"}, follow=True)
    assert negative.status_code == 200 and "cannot be below zero" in negative.text
    duplicate = web.submit("/admin/field/supply/parts/new/", {"part_number": "NEW-9", "name": "x", "quantity": "1",
                                                              "unit_price": "1"}, follow=True)
    assert duplicate.status_code == 200 and "already has a part with this number" in duplicate.text
    with app.app_context():
        rows = db.session.query(FieldPart).filter(FieldPart.part_number.in_(["NEW-9", "NEG"])).all()
        assert [(p.part_number, p.branch_id, p.quantity, p.unit_price) for p in rows] == [
            ("NEW-9", shop["B"], 5, Decimal("12.50"))]
