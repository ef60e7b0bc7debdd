"""Who reaches which page of the store, per role; another store's records answer 404 —
never their data, never a 500; and where HQ switched the plugin off, its menus, pages,
API, ticket kinds and rules are gone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.core.models import Ticket
from portal.core.plugin_state import branch_hooks
from portal.core.tickets import kinds_for
from portal.extensions import db
from plugins.retail_store.models import RetailOutOfStock, RetailRepair

from .conftest import handle, purchase, request_id_of, sign_in, switch, today

PAGES = ("counter", "decide", "requests", "request", "form", "repairs", "repair", "stock", "stock_new",
         "stock_record", "care", "day")
ALL = dict.fromkeys(PAGES, 200)
NONE = dict.fromkeys(PAGES, 403)
MATRIX = {
    "a_store_clerk": ALL,
    "a_store_manager": ALL,
    "admin": ALL,
    "hq_approver": {**NONE, "requests": 200, "request": 200, "form": 200},
    "a_clerk": NONE, "a_engineer": NONE, "a_branch_manager": NONE,
    "b_clerk": NONE, "b_branch_manager": NONE, "b_engineer": NONE,
}


@pytest.fixture
def records(app, web, store):
    """A request with a repair and an out-of-stock registration in store A, and the same in C."""
    found = {}
    for code, clerk in (("A", "a_store_clerk"), ("C", "c_store_clerk")):
        sign_in(web, clerk)
        product = purchase(app, store, 40, f"INV-{code}", branch=code)
        request_id = request_id_of(handle(web, product, "quality"))
        web.logout()
        with app.app_context():
            repair = db.session.query(RetailRepair).filter_by(request_id=request_id).one()
            stock = RetailOutOfStock(branch_id=store[code], contact_name="王", contact_phone="1", product_name="帽子",
                                     registered_on=today(), answer_due_on=today() + timedelta(days=7))
            db.session.add(stock)
            db.session.commit()
            found[code] = {"product": product, "request": request_id, "repair": repair.id, "stock": stock.id}
    return found


def _urls(ids):
    return {
        "counter": "/admin/retail/counter/", "decide": f"/admin/retail/counter/decide?product_id={ids['product']}",
        "requests": "/admin/retail/requests/", "request": f"/admin/retail/requests/{ids['request']}",
        "form": f"/admin/retail/requests/{ids['request']}/form", "repairs": "/admin/retail/repairs/",
        "repair": f"/admin/retail/repairs/{ids['repair']}", "stock": "/admin/retail/stock/",
        "stock_new": "/admin/retail/stock/new", "stock_record": f"/admin/retail/stock/{ids['stock']}",
        "care": f"/admin/retail/care/?product_id={ids['product']}", "day": "/admin/retail/day/",
    }


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_access_matrix(web, records, username):
    web.login(username)
    for page, url in _urls(records["A"]).items():
        assert web.get(url).status_code == MATRIX[username][page], (username, page)
    menu = web.get("/admin/").text
    assert ("/admin/retail/counter/" in menu) is (MATRIX[username]["counter"] == 200)


def test_another_stores_records_are_not_found(web, records):
    web.login("c_store_clerk")
    for page, url in _urls(records["A"]).items():
        status = web.get(url).status_code
        if page in ("counter", "requests", "repairs", "stock", "stock_new", "day"):
            assert status == 200, page
        else:
            assert status == 404, page
    found = web.get("/admin/retail/counter/?invoice=INV-A").text
    assert 'data-testid="nothing-found"' in found and "data-product=" not in found
    for post in (f"/admin/retail/requests/{records['A']['request']}/escalate",
                 f"/admin/retail/requests/{records['A']['request']}/refund",
                 f"/admin/retail/repairs/{records['A']['repair']}/notice",
                 f"/admin/retail/stock/{records['A']['stock']}/step"):
        assert web.submit("/admin/retail/counter/", {}, post_url=post).status_code == 404, post
    assert web.submit("/admin/retail/care/", {"product_id": str(records["A"]["product"]), "material": "textile",
                                              "price": "1"}, post_url="/admin/retail/care/garment").status_code == 404


@pytest.mark.parametrize("url", [
    "/admin/retail/requests/0", "/admin/retail/requests/99999999999", "/admin/retail/requests/abc",
    "/admin/retail/requests/0/form", "/admin/retail/repairs/0", "/admin/retail/stock/4294967296",
    "/admin/retail/counter/decide?product_id=abc", "/admin/retail/counter/decide?product_id=-1",
    "/admin/retail/counter/decide", "/admin/retail/care/?product_id=1e9", "/admin/retail/counter/?customer_id=x",
])
def test_odd_ids_are_not_found(web, store, url):
    web.login("a_store_clerk")
    assert web.get(url).status_code == 404


def test_odd_parameters_never_break_a_page(web, store):
    web.login("admin")
    for url in ("/admin/retail/day/?branch=abc&day=x", "/admin/retail/requests/?show=x&after=-5",
                "/admin/retail/stock/?show=%00&after=abc", "/admin/retail/counter/?invoice=%25_%5C"):
        assert web.get(url).status_code == 200, url


def test_switched_off_in_a_branch_the_plugin_is_gone_there(app, web, store, records):
    with app.app_context():
        ticket_id = db.session.query(Ticket.id).filter(Ticket.kind == "retail_repair",
                                                       Ticket.branch_id == store["A"]).scalar()
    switch(app, store["A"], False)
    web.login("a_store_clerk")
    assert "/admin/retail/" not in web.get("/admin/").text  # no menu, no dashboard cards
    for page, url in _urls(records["A"]).items():
        assert web.get(url).status_code == 403, page
    with app.test_request_context():
        assert "retail_return" not in dict(kinds_for(store["A"]))
        assert "retail_return" in dict(kinds_for(store["C"]))
        hooks, settings = branch_hooks(store["A"])
        assert "retail_store" not in settings
        ticket = db.session.get(Ticket, ticket_id)
        ticket.kind = "retail_return"  # a return with no refund recorded would be vetoed where the rules run
        assert [r for group in hooks.portal_check_transition(ticket=ticket, target="resolved", user=None,
                                                             settings=settings) for r in group or ()] == []
        hooks_c, settings_c = branch_hooks(store["C"])
        assert [r for group in hooks_c.portal_check_transition(ticket=ticket, target="resolved", user=None,
                                                               settings=settings_c) for r in group or ()]
        db.session.rollback()
    # The store in C is untouched.
    web.logout()
    web.login("c_store_clerk")
    assert web.get("/admin/retail/counter/").status_code == 200
