"""Who reaches which page of the approvals part, per role; another branch's records answer
404 — never their data, never a 500; where HQ switched the plugin off, its menu, pages,
cards and delivery gate are gone there."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from plugins.auto_workshop.approvals.gates import delivery_refusals
from plugins.auto_workshop.approvals.models import AutoClaimOrder, AutoOwnPurchase, AutoTool
from plugins.auto_workshop.workshop.models import WorkOrder
from portal.extensions import db

from .conftest import make_order, sign_in, switch

PAGES = ("orders", "order", "quotation", "discounts", "claims", "claim_new", "claim", "purchases", "purchase_new",
         "purchase", "tools", "tool")
ALL = dict.fromkeys(PAGES, 200)
NONE = dict.fromkeys(PAGES, 403)
BUYING = dict.fromkeys(("purchases", "purchase_new", "purchase", "tools", "tool"), 403)
MATRIX = {
    "w_service_advisor": {**ALL, **BUYING},
    "w_workshop_manager": ALL,
    "w_parts_keeper": {**ALL, "discounts": 403, "claim_new": 403},
    "w_technician": NONE,
    "w_aftersales_director": ALL,
    "admin": ALL,
    "w_clerk": NONE, "w_engineer": NONE, "w_branch_manager": NONE,
    "a_clerk": NONE, "a_branch_manager": NONE, "b_engineer": NONE,
}


@pytest.fixture
def records(app, shop):
    """An accident work order, a claim, an own purchase and a tool in W, and the same in X."""
    found = {}
    for code in ("W", "X"):
        order_id = make_order(app, shop, branch=code)
        with app.app_context():
            claim = AutoClaimOrder(branch_id=shop[code], work_order_id=order_id, parts="大灯", amount=1000)
            purchase = AutoOwnPurchase(branch_id=shop[code], item="滤芯", quantity=1)
            tool = AutoTool(branch_id=shop[code], name="诊断仪", number="T-1", price=100)
            db.session.add_all([claim, purchase, tool])
            db.session.commit()
            found[code] = {"order": order_id, "claim": claim.id, "purchase": purchase.id, "tool": tool.id}
    return found


def _urls(ids):
    base = "/admin/auto/approvals"
    return {
        "orders": f"{base}/orders/", "order": f"{base}/orders/{ids['order']}",
        "quotation": f"{base}/orders/{ids['order']}/quotation", "discounts": f"{base}/discounts/",
        "claims": f"{base}/claims/", "claim_new": f"{base}/claims/new", "claim": f"{base}/claims/{ids['claim']}",
        "purchases": f"{base}/purchases/", "purchase_new": f"{base}/purchases/new",
        "purchase": f"{base}/purchases/{ids['purchase']}", "tools": f"{base}/tools/",
        "tool": f"{base}/tools/{ids['tool']}",
    }


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_access_matrix(web, records, username):
    web.login(username)
    for page, url in _urls(records["W"]).items():
        assert web.get(url).status_code == MATRIX[username][page], (username, page)
    menu = web.get("/admin/").text
    assert ("/admin/auto/approvals/orders/" in menu) is (MATRIX[username]["orders"] == 200)


def test_another_branchs_records_are_not_found(web, records):
    web.login("x_workshop_manager")
    for page, url in _urls(records["W"]).items():
        status = web.get(url).status_code
        if page in ("orders", "discounts", "claims", "claim_new", "purchases", "purchase_new", "tools"):
            assert status == 200, page
        else:
            assert status == 404, page
    assert records["W"]["order"] and "WO-W-" not in web.get("/admin/auto/approvals/orders/?show=all").text
    base = "/admin/auto/approvals"
    w = records["W"]
    for post in (f"{base}/orders/{w['order']}/sign", f"{base}/orders/{w['order']}/order-parts",
                 f"{base}/orders/{w['order']}/discount", f"{base}/claims/{w['claim']}/sign",
                 f"{base}/purchases/{w['purchase']}/quote", f"{base}/tools/{w['tool']}/lend"):
        assert web.submit(f"{base}/orders/", {}, post_url=post).status_code == 404, post
    page = web.submit(f"{base}/claims/new", {"work_order_id": str(w["order"]), "parts": "x", "amount": "1"},
                      post_url=f"{base}/claims/new")
    assert page.status_code == 404


@pytest.mark.parametrize("url", [
    "/admin/auto/approvals/orders/0", "/admin/auto/approvals/orders/99999999999",
    "/admin/auto/approvals/orders/abc", "/admin/auto/approvals/orders/0/quotation",
    "/admin/auto/approvals/claims/0", "/admin/auto/approvals/purchases/4294967296",
    "/admin/auto/approvals/tools/0",
])
def test_odd_ids_are_not_found(web, shop, url):
    web.login("w_aftersales_director")
    assert web.get(url).status_code == 404


def test_odd_parameters_never_break_a_page(web, shop):
    web.login("admin")
    for url in ("/admin/auto/approvals/orders/?show=x&after=-5&q=%25_%5C",
                "/admin/auto/approvals/discounts/?show=%00&after=abc&q=%25",
                "/admin/auto/approvals/claims/?show=zz&q=_", "/admin/auto/approvals/tools/?show=register&branch=abc",
                "/admin/auto/approvals/purchases/new?branch=99999999999"):
        assert web.get(url).status_code == 200, url


def test_switched_off_in_a_branch_the_part_is_gone_there(app, web, shop, records):
    switch(app, shop["W"], False)
    sign_in(web, "w_aftersales_director")
    dashboard = web.get("/admin/").text
    assert "/admin/auto/approvals/" not in dashboard  # no menu, no cards
    assert "Discounts to review" not in dashboard
    for page, url in _urls(records["W"]).items():
        assert web.get(url).status_code == 403, page
    with app.test_request_context(), force_locale("en"):
        thin = db.session.get(WorkOrder, records["W"]["order"])
        thin.lines[0].unit_cost = thin.lines[0].unit_price  # far below the minimum margin
        assert delivery_refusals(thin) == []
        db.session.rollback()
    web.logout()
    sign_in(web, "x_aftersales_director")
    assert web.get("/admin/auto/approvals/orders/").status_code == 200
    assert "Discounts to review" in web.get("/admin/").text
