"""Out-of-stock registration (缺货登记, 第三十三–三十六条): register the wish, arrange the
transfer, confirm with the customer before it, notify on arrival, close; the customer is
answered within the branch's days whatever happens, and overdue answers show on the
dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.extensions import db
from plugins.retail_store.models import RetailOutOfStock

from .conftest import set_settings, today, sign_in

STOCK_URL = re.compile(r"/admin/retail/stock/(\d+)$")


def _register(web, **data):
    form = {"product_name": "羽绒服", "variant": "L 黑色", "quantity": "1", "contact_name": "王女士",
            "contact_phone": "13900001111", "source": "", **data}
    response = web.submit("/admin/retail/stock/new", form)
    assert response.status_code == 302, response.text[:1500]
    return int(STOCK_URL.search(response.headers["Location"]).group(1))


def _record(app, record_id) -> RetailOutOfStock:
    with app.app_context():
        record = db.session.get(RetailOutOfStock, record_id)
        db.session.expunge_all()
        return record


def _step(web, record_id, target, note=""):
    return web.submit(f"/admin/retail/stock/{record_id}", {"target": target, "note": note},
                      post_url=f"/admin/retail/stock/{record_id}/step", follow=True)


def test_the_flow_in_the_regulations_order(app, web, store):
    sign_in(web, "a_store_clerk")
    record_id = _register(web)
    record = _record(app, record_id)
    assert (record.state, record.registered_on, record.answer_due_on) == (
        "registered", today(), today() + timedelta(days=7))
    # The goods cannot arrive before the customer confirmed the transfer (第三十四条).
    skipped = _step(web, record_id, "arrived")
    assert "Arrange the transfer first" in skipped.text and _record(app, record_id).state == "registered"
    _step(web, record_id, "transfer_arranged", "总部仓库")
    assert _record(app, record_id).source == "总部仓库"
    skipped = _step(web, record_id, "arrived")
    assert "Confirm with the customer" in skipped.text
    _step(web, record_id, "customer_confirmed", "顾客同意调货")
    record = _record(app, record_id)
    assert record.state == "customer_confirmed" and record.answered_at is not None  # talking to them answers them
    for target in ("arrived", "notified", "collected"):
        _step(web, record_id, target)
    record = _record(app, record_id)
    assert record.state == "collected" and record.closed_at is not None
    closed = _step(web, record_id, "cancelled", "顾客不要了")
    assert "closed" in closed.text and _record(app, record_id).state == "collected"


def test_a_cancellation_needs_a_reason(app, web, store):
    sign_in(web, "a_store_clerk")
    record_id = _register(web)
    assert "Say why" in _step(web, record_id, "cancelled").text
    _step(web, record_id, "cancelled", "总部也缺货，已告知顾客")
    assert _record(app, record_id).state == "cancelled"


def test_overdue_answers_show_on_the_dashboard_and_the_list_until_answered(app, web, store):
    sign_in(web, "a_store_clerk")
    old = _register(web)
    fresh = _register(web, product_name="围巾")
    with app.app_context():
        record = db.session.get(RetailOutOfStock, old)
        record.registered_on -= timedelta(days=8)
        record.answer_due_on -= timedelta(days=8)  # due yesterday, never answered
        db.session.commit()
    overdue = web.get("/admin/retail/stock/?show=overdue").text
    assert f'data-stock="{old}"' in overdue and f'data-stock="{fresh}"' not in overdue
    dashboard = web.get("/admin/").text
    card = re.search(r'href="/admin/retail/stock/\?show=overdue">(\d+)<', dashboard)
    assert card and card.group(1) == "1"
    web.submit(f"/admin/retail/stock/{old}", {"answer_note": "总部周五到货"},
               post_url=f"/admin/retail/stock/{old}/answer")
    assert _record(app, old).answer_note == "总部周五到货"
    assert f'data-stock="{old}"' not in web.get("/admin/retail/stock/?show=overdue").text
    card = re.search(r'href="/admin/retail/stock/\?show=overdue">(\d+)<', web.get("/admin/").text)
    assert card.group(1) == "0"


def test_the_answer_window_is_the_branch_setting_frozen_at_registration(app, web, store):
    set_settings(app, store["A"], out_of_stock_answer_days=3)
    sign_in(web, "a_store_clerk")
    record_id = _register(web)
    set_settings(app, store["A"], out_of_stock_answer_days=10)
    assert _record(app, record_id).answer_due_on == today() + timedelta(days=3)


def test_a_registration_needs_a_product_and_a_way_to_answer(app, web, store):
    sign_in(web, "a_store_clerk")
    page = web.submit("/admin/retail/stock/new", {"product_name": "", "contact_name": "王", "contact_phone": "1"},
                      follow=True)
    assert "Name the product" in page.text
    page = web.submit("/admin/retail/stock/new", {"product_name": "帽子", "contact_name": "王", "contact_phone": "",
                                                  "quantity": "1"}, follow=True)
    assert "phone" in page.text
    page = web.submit("/admin/retail/stock/new", {"product_name": "帽子", "contact_name": "王",
                                                  "contact_phone": "1", "quantity": "-3"}, follow=True)
    assert "quantity" in page.text
    with app.app_context():
        assert db.session.query(RetailOutOfStock).count() == 0
    # From a customer file, the contact comes from the file.
    record_id = _register(web, customer_id=str(store["customers"]["A"]), contact_name="", contact_phone="")
    record = _record(app, record_id)
    assert (record.contact_name, record.contact_phone, record.customer_id) == ("顾客A", "13811112222",
                                                                               store["customers"]["A"])
