"""Who reaches which supply page, per role; another branch's records answer 404 — never
their data, never a 500; and where HQ switched the plugin off, its menus, pages, ticket
kind, dashboard cards and customer panel are gone there."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.core.plugin_state import branch_hooks
from portal.core.tickets import kinds_for
from portal.extensions import db
from plugins.equipment_field.supply.models import (
    FieldFactoryRequest, FieldInstall, FieldPart, FieldProject, FieldSlip, FieldSlipLine, FieldSupplierFault,
)

from .conftest import switch, today

SLIPS = ("slips", "slip_new", "slip", "slip_print", "parts", "parts_new", "factory")
INSTALLS = ("installs", "install")
PLANNING = ("install_new", "projects", "project_new", "project")
FAULTS = ("faults", "fault_new", "fault", "fault_letter")
PAGES = SLIPS + INSTALLS + PLANNING + FAULTS
ALL = dict.fromkeys(PAGES, 200)
NONE = dict.fromkeys(PAGES, 403)
MATRIX = {
    "b_dispatcher": {**NONE, **dict.fromkeys(SLIPS, 200)},
    "b_field_engineer": {**NONE, **dict.fromkeys(INSTALLS, 200)},
    "b_aftersales_manager": ALL,
    "b_general_manager": ALL,
    "admin": ALL,
    "b_clerk": NONE, "b_engineer": NONE, "b_branch_manager": NONE,
    "a_clerk": NONE, "a_branch_manager": NONE,
}


def _records(app, branch_id, customer_id) -> dict:
    with app.app_context():
        part = FieldPart(branch_id=branch_id, part_number="P-1", name="滤芯", quantity=3)
        slip = FieldSlip(branch_id=branch_id, customer_id=customer_id, slip_date=today(), shipping_method="express")
        slip.lines.append(FieldSlipLine(branch_id=branch_id, part_number="P-1", name="滤芯", qty=1))
        install = FieldInstall(branch_id=branch_id, customer_id=customer_id, site="厂区", wanted_date=today())
        project = FieldProject(branch_id=branch_id, customer_id=customer_id, name="项目", start_up=today(),
                               warranty_end=today() + timedelta(days=365))
        fault = FieldSupplierFault(branch_id=branch_id, supplier="供应商", part="电机", notified_on=today(),
                                   deadline=today(), cost_bearer="supplier")
        db.session.add_all([part, slip, install, project, fault])
        db.session.flush()
        factory = FieldFactoryRequest(branch_id=branch_id, slip_id=slip.id, part_number="P-2", qty=1,
                                      needed_by=today(), requested_on=today())
        db.session.add(factory)
        db.session.commit()
        return {"part": part.id, "slip": slip.id, "install": install.id, "project": project.id, "fault": fault.id,
                "factory": factory.id, "customer": customer_id}


@pytest.fixture
def records(app, shop):
    return {code: _records(app, shop[code], shop["big"][code]) for code in ("B", "C")}


def _urls(ids):
    base = "/admin/field/supply"
    return {
        "slips": f"{base}/slips/", "slip_new": f"{base}/slips/new?customer_id={ids['customer']}",
        "slip": f"{base}/slips/{ids['slip']}", "slip_print": f"{base}/slips/{ids['slip']}/print",
        "parts": f"{base}/parts/", "parts_new": f"{base}/parts/new/", "factory": f"{base}/factory/",
        "installs": f"{base}/installs/", "install": f"{base}/installs/{ids['install']}",
        "install_new": f"{base}/installs/new?customer_id={ids['customer']}",
        "projects": f"{base}/projects/", "project_new": f"{base}/projects/new?customer_id={ids['customer']}",
        "project": f"{base}/projects/{ids['project']}",
        "faults": f"{base}/faults/", "fault_new": f"{base}/faults/new", "fault": f"{base}/faults/{ids['fault']}",
        "fault_letter": f"{base}/faults/{ids['fault']}/letter",
    }


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_access_matrix(web, records, username):
    web.login(username)
    for page, url in _urls(records["B"]).items():
        assert web.get(url).status_code == MATRIX[username][page], (username, page)
    menu = web.get("/admin/").text
    assert ("/admin/field/supply/slips/" in menu) is (MATRIX[username]["slips"] == 200)
    assert ("/admin/field/supply/faults/" in menu) is (MATRIX[username]["faults"] == 200)


LISTS = ("slips", "parts", "parts_new", "factory", "installs", "projects", "faults", "fault_new")


def test_another_branchs_records_are_not_found(web, records):
    web.login("c_aftersales_manager")
    for page, url in _urls(records["B"]).items():
        status = web.get(url).status_code
        assert status == (200 if page in LISTS else 404), page
    for name, key, preset in (("slips", "slip", "all"), ("factory", "factory", "all"), ("installs", "install", "all"),
                              ("projects", "project", "all"), ("faults", "fault", "all")):
        listing = web.get(_urls(records["B"])[name] + f"?show={preset}").text
        assert f'data-id="{records["B"][key]}"' not in listing, name
        assert f'data-id="{records["C"][key]}"' in listing, name
    b = records["B"]
    for post in (f"/admin/field/supply/slips/{b['slip']}/approve", f"/admin/field/supply/slips/{b['slip']}/ship",
                 f"/admin/field/supply/slips/{b['slip']}/cancel", f"/admin/field/supply/factory/{b['factory']}/step",
                 f"/admin/field/supply/installs/{b['install']}/step", f"/admin/field/supply/installs/{b['install']}/sign",
                 f"/admin/field/supply/projects/{b['project']}/generate", f"/admin/field/supply/faults/{b['fault']}/chase",
                 f"/admin/field/supply/faults/{b['fault']}/close"):
        assert web.submit("/admin/field/supply/slips/", {}, post_url=post).status_code == 404, post
    assert web.get(f"/admin/field/supply/parts/edit/?id={b['part']}").status_code in (302, 404)


@pytest.mark.parametrize("url", [
    "/admin/field/supply/slips/0", "/admin/field/supply/slips/99999999999", "/admin/field/supply/slips/abc",
    "/admin/field/supply/slips/0/print", "/admin/field/supply/installs/4294967296", "/admin/field/supply/projects/0",
    "/admin/field/supply/faults/0/letter", "/admin/field/supply/slips/new?customer_id=abc",
    "/admin/field/supply/installs/new?customer_id=-1",
])
def test_odd_ids_are_not_found(web, shop, url):
    web.login("b_aftersales_manager")
    assert web.get(url).status_code == 404


def test_odd_parameters_never_break_a_page(web, shop):
    web.login("admin")
    for url in ("/admin/field/supply/slips/?show=x&after=-5&q=%25_%5C", "/admin/field/supply/factory/?show=%00",
                "/admin/field/supply/faults/new?branch=abc", "/admin/field/supply/projects/?after=abc",
                "/admin/field/supply/slips/new?customer=%25", "/admin/field/supply/installs/?q=" + "x" * 500):
        assert web.get(url).status_code == 200, url


def test_switched_off_in_a_branch_the_part_is_gone_there(app, web, shop, records):
    switch(app, shop["B"], False)
    web.login("b_aftersales_manager")
    home = web.get("/admin/").text
    assert "/admin/field/supply/" not in home  # no menu, no dashboard cards
    for page, url in _urls(records["B"]).items():
        assert web.get(url).status_code == 403, page
    customer_page = web.get(f"/admin/customer/details/?id={shop['big']['B']}").text
    assert "Parts, installations and projects" not in customer_page and "/admin/field/supply/" not in customer_page
    with app.test_request_context():
        assert "field_maintenance" not in dict(kinds_for(shop["B"]))
        assert "field_maintenance" in dict(kinds_for(shop["C"]))
        _hooks, settings = branch_hooks(shop["B"])
        assert "equipment_field" not in settings
    web.logout()
    web.login("c_aftersales_manager")
    assert web.get("/admin/field/supply/slips/").status_code == 200
    assert "/admin/field/supply/" in web.get("/admin/").text


def test_customer_file_shows_the_panel(app, web, shop, records):
    web.login("b_aftersales_manager")
    page = web.get(f"/admin/customer/details/?id={shop['big']['B']}")
    assert page.status_code == 200
    assert "Parts, installations and projects" in page.text or "配件、安装与项目" in page.text
    assert f"/admin/field/supply/slips/new?customer_id={shop['big']['B']}" in page.text
