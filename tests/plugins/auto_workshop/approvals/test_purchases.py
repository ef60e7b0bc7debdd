"""Own purchases: three suppliers' quotes before the order; the cheapest is shown and chosen."""

from __future__ import annotations

import re

from plugins.auto_workshop.approvals.models import AutoOwnPurchase
from portal.extensions import db

from .conftest import post, sign_in

PURCHASES = "/admin/auto/approvals/purchases/"


def _new(web):
    page = web.submit(PURCHASES + "new", {"item": "空调滤芯", "quantity": "10"}, post_url=PURCHASES + "new")
    assert page.status_code == 302, page.text[:500]
    return int(re.search(r"/purchases/(\d+)$", page.headers["Location"]).group(1))


def _quote(web, purchase_id, supplier, price):
    url = f"{PURCHASES}{purchase_id}"
    return post(web, url, url + "/quote", {"supplier": supplier, "price": price, "quoted_on": "2026-03-10"})


def test_own_purchase_with_fewer_than_three_quotes_is_refused(app, web, shop):
    sign_in(web, "w_parts_keeper")
    purchase_id = _new(web)
    _quote(web, purchase_id, "恒通汽配", "38")
    _quote(web, purchase_id, "恒通汽配 ", "37")  # the same supplier again counts once
    url = f"{PURCHASES}{purchase_id}"
    page = post(web, url, url + "/order")
    assert "Own purchases need quotes from 3 different suppliers; 1 recorded." in page.text
    _quote(web, purchase_id, "顺达配件", "35.50")
    page = post(web, url, url + "/order")
    assert "2 recorded" in page.text
    page = _quote(web, purchase_id, "白云汽配城", "41")
    assert 'data-cheapest="yes"' in page.text
    cheapest_row = re.search(r'<tr data-quote="\d+" class="table-success" data-cheapest="yes">\s*<td>([^<]+)</td>',
                             page.text)
    assert cheapest_row.group(1) == "顺达配件"
    page = post(web, url, url + "/order")
    assert "Purchase ordered." in page.text
    with app.app_context():
        purchase = db.session.get(AutoOwnPurchase, purchase_id)
        chosen = next(q for q in purchase.quotes if q.id == purchase.chosen_quote_id)
        assert chosen.supplier == "顺达配件"


def test_choosing_a_dearer_quote_needs_a_reason(app, web, shop):
    sign_in(web, "w_parts_keeper")
    purchase_id = _new(web)
    for supplier, price in (("甲", "10"), ("乙", "12"), ("丙", "11")):
        _quote(web, purchase_id, supplier, price)
    with app.app_context():
        dear = db.session.get(AutoOwnPurchase, purchase_id).quotes[1].id
    url = f"{PURCHASES}{purchase_id}"
    page = post(web, url, url + "/order", {"quote_id": str(dear)})
    assert "Say why a dearer quote than the cheapest" in page.text
    page = post(web, url, url + "/order", {"quote_id": str(dear), "note": "甲无现货"})
    assert "Purchase ordered." in page.text


def test_a_quote_needs_a_supplier_price_and_date(app, web, shop):
    sign_in(web, "w_parts_keeper")
    purchase_id = _new(web)
    assert "Name the supplier." in _quote(web, purchase_id, "", "10").text
    assert "Enter an amount in yuan" in _quote(web, purchase_id, "甲", "x").text
    url = f"{PURCHASES}{purchase_id}"
    page = post(web, url, url + "/quote", {"supplier": "甲", "price": "10", "quoted_on": "10.3.2026"})
    assert "Enter the date like 2026-03-10." in page.text
    with app.app_context():
        assert db.session.get(AutoOwnPurchase, purchase_id).quotes == []


def test_a_purchase_for_a_work_order_of_another_branch_is_not_found(app, web, shop):
    from .conftest import make_order

    mine, theirs = make_order(app, shop), make_order(app, shop, branch="X")
    sign_in(web, "w_parts_keeper")
    page = web.submit(PURCHASES + "new", {"item": "滤芯", "quantity": "1", "work_order_id": str(theirs)},
                      post_url=PURCHASES + "new")
    assert page.status_code == 404
    page = web.submit(PURCHASES + "new", {"item": "滤芯", "quantity": "1", "work_order_id": str(mine)},
                      post_url=PURCHASES + "new")
    assert page.status_code == 302
    with app.app_context():
        assert db.session.query(AutoOwnPurchase).one().work_order_id == mine
