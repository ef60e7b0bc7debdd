"""Who reaches which workshop page, per role; another branch's records answer 404, odd
ids too; where HQ switched the plugin off its menu, pages, cards and panels are gone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from plugins.auto_workshop.workshop.models import WorkshopEvent

from .conftest import ROLES, open_order, sign_in, switch, today

PAGES = ("vehicles", "vehicle_new", "vehicle", "vehicle_edit", "orders", "order", "card", "stock", "movements",
         "events", "event", "board")
ALL = dict.fromkeys(PAGES, 200)
NONE = dict.fromkeys(PAGES, 403)
READERS = {**NONE, "vehicles": 200, "vehicle": 200, "orders": 200, "order": 200, "card": 200}
MATRIX = {
    "g_service_advisor": {**ALL, "stock": 403, "movements": 403, "board": 403},
    "g_workshop_manager": ALL,
    "g_parts_keeper": {**READERS, "stock": 200, "movements": 200},
    "g_technician": READERS,
    "g_aftersales_director": ALL,
    "admin": ALL,
    "a_clerk": NONE, "a_engineer": NONE, "a_branch_manager": NONE,
    "b_clerk": NONE, "b_engineer": NONE, "b_branch_manager": NONE,
}


@pytest.fixture
def records(app, web, shop):
    found = {}
    for code in ("G", "H"):
        sign_in(web, f"{code.lower()}_service_advisor")
        order_id = open_order(web, shop["vehicles"][code])
        web.logout()
        with app.app_context():
            event = WorkshopEvent(branch_id=shop[code], name="车主讲堂", event_on=today() + timedelta(days=30),
                                  call_due_on=today() + timedelta(days=16))
            db.session.add(event)
            db.session.commit()
            found[code] = {"vehicle": shop["vehicles"][code], "order": order_id, "event": event.id}
    return found


def _urls(ids):
    return {
        "vehicles": "/admin/auto/vehicles/", "vehicle_new": "/admin/auto/vehicles/new",
        "vehicle": f"/admin/auto/vehicles/{ids['vehicle']}", "vehicle_edit": f"/admin/auto/vehicles/{ids['vehicle']}/edit",
        "orders": "/admin/auto/orders/", "order": f"/admin/auto/orders/{ids['order']}",
        "card": f"/admin/auto/orders/{ids['order']}/card", "stock": "/admin/auto/stock/",
        "movements": "/admin/auto/stock/movements", "events": "/admin/auto/events/",
        "event": f"/admin/auto/events/{ids['event']}", "board": "/admin/auto/board/",
    }


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_access_matrix(web, records, username):
    web.login(username)
    for page, url in _urls(records["G"]).items():
        assert web.get(url).status_code == MATRIX[username][page], (username, page)
    menu = web.get("/admin/").text
    assert ("/admin/auto/orders/" in menu) is (MATRIX[username]["orders"] == 200)


def test_the_role_list_covers_every_workshop_role():
    assert {name.split("_", 1)[1] for name in MATRIX if name.startswith("g_")} == set(ROLES)


def test_another_branchs_records_are_not_found(web, records):
    web.login("h_workshop_manager")
    for page, url in _urls(records["G"]).items():
        status = web.get(url).status_code
        if page in ("vehicles", "vehicle_new", "orders", "stock", "movements", "events", "board"):
            assert status == 200, page
        else:
            assert status == 404, page
    order = records["G"]["order"]
    for post in (f"/admin/auto/orders/{order}/step", f"/admin/auto/orders/{order}/line",
                 f"/admin/auto/orders/{order}/issue", f"/admin/auto/orders/{order}/issues/1/return",
                 f"/admin/auto/vehicles/{records['G']['vehicle']}/order", "/admin/auto/events/invitations/1/letter"):
        assert web.submit("/admin/auto/orders/", {"target": "started"}, post_url=post).status_code == 404, post


@pytest.mark.parametrize("url", [
    "/admin/auto/orders/0", "/admin/auto/orders/99999999999", "/admin/auto/orders/abc", "/admin/auto/orders/0/card",
    "/admin/auto/vehicles/0", "/admin/auto/vehicles/4294967296/edit", "/admin/auto/events/0",
    "/admin/auto/vehicles/new?customer_id=abc", "/admin/auto/vehicles/?customer_id=-1",
])
def test_odd_ids_are_not_found(web, shop, url):
    web.login("g_workshop_manager")
    assert web.get(url).status_code == 404


def test_odd_parameters_never_break_a_page(web, records):
    web.login("admin")
    for url in ("/admin/auto/vehicles/?show=x&after=-5&q=%25_%5C", "/admin/auto/orders/?state=%00&job=x&after=abc",
                "/admin/auto/stock/?branch=abc&q=%25", "/admin/auto/stock/movements?kind=x&after=1e9&order=%25",
                "/admin/auto/events/?branch=-1", "/admin/auto/board/"):
        assert web.get(url).status_code == 200, url


def test_switched_off_in_a_branch_the_plugin_is_gone_there(app, web, shop, records):
    switch(app, shop["G"], False)
    for role in ("g_service_advisor", "g_workshop_manager", "g_parts_keeper"):
        sign_in(web, role)
        dashboard = web.get("/admin/").text
        assert "/admin/auto/" not in dashboard, role  # no menu, no dashboard cards
        for page, url in _urls(records["G"]).items():
            assert web.get(url).status_code == 403, (role, page)
        web.logout()
    sign_in(web, "g_workshop_manager")
    customer_file = web.get(f"/admin/customer/details/?id={shop['customers']['G']}").text
    assert "粤AG1234" not in customer_file
    web.logout()
    # Branch H keeps its workshop.
    sign_in(web, "h_service_advisor")
    assert web.get(f"/admin/auto/orders/{records['H']['order']}").status_code == 200
    assert "Vehicle files not completed in time" in web.get("/admin/").text
