"""Clothing services counted per purchase and refused when used up (001 §4.2.4); the
end-of-day summary (第二十二条) and the month's figures in the monthly statistics."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import force_locale

from portal.core.models import Branch
from portal.core.plugin_state import branch_hooks
from portal.extensions import db
from plugins.retail_store.models import RetailCareUse, RetailCounterRequest

from .conftest import handle, purchase, request_id_of, set_settings, sign_in, today


def _care(web, product_id):
    page = web.get(f"/admin/retail/care/?product_id={product_id}").text
    found = re.search(r'data-testid="care" data-left="(\d*)" data-used="(\d+)"', page)
    return page, (int(found.group(1)) if found.group(1) else None, int(found.group(2)))


def _use(web, product_id):
    return web.submit(f"/admin/retail/care/?product_id={product_id}", {"product_id": product_id, "note": ""},
                      post_url="/admin/retail/care/use", follow=True)


def test_free_dry_cleaning_is_counted_per_purchase_and_refused_when_used_up(app, web, store):
    coat = purchase(app, store, 30, "INV-1")
    sign_in(web, "a_store_clerk")
    web.submit(f"/admin/retail/care/?product_id={coat}", {"product_id": coat, "material": "textile",
                                                          "price": "1500.00"}, post_url="/admin/retail/care/garment")
    assert _care(web, coat)[1] == (2, 0)
    _use(web, coat)
    _use(web, coat)
    assert _care(web, coat)[1] == (0, 2)
    refused = _use(web, coat)
    assert "All free services of this purchase have been used" in refused.text
    with app.app_context():
        assert db.session.query(RetailCareUse).count() == 2
    # Once used, the purchase's price and material stay as recorded.
    changed = web.submit(f"/admin/retail/care/?product_id={coat}", {"product_id": coat, "material": "leather",
                                                                    "price": "99"},
                         post_url="/admin/retail/care/garment", follow=True)
    assert "stay as recorded" in changed.text


def test_free_care_follows_the_branch_price_and_counts(app, web, store):
    cheap = purchase(app, store, 10, "INV-2")
    jacket = purchase(app, store, 400, "INV-3", name="皮夹克")
    set_settings(app, store["A"], free_leather_care=1)
    sign_in(web, "a_store_clerk")
    web.submit(f"/admin/retail/care/?product_id={cheap}", {"product_id": cheap, "material": "textile",
                                                           "price": "800"}, post_url="/admin/retail/care/garment")
    assert "only for items sold above 1000.00 yuan" in _use(web, cheap).text
    web.submit(f"/admin/retail/care/?product_id={jacket}", {"product_id": jacket, "material": "leather",
                                                            "price": "100"}, post_url="/admin/retail/care/garment")
    _use(web, jacket)  # leather care has no period and no price floor
    assert _care(web, jacket)[1] == (0, 1)
    assert "used" in _use(web, jacket).text
    set_settings(app, store["A"], dry_clean_price_threshold="500")
    _use(web, cheap)
    assert _care(web, cheap)[1] == (1, 1)


def _figure(page, code):
    found = re.search(rf'data-figure="{code}"><td>[^<]*</td><td class="text-right" data-col="value">([^<]*)<', page)
    return found.group(1)


def _line(page, decision):
    found = re.search(rf'data-decision="{decision}"><t[dh]>[^<]*</t[dh]><t[dh] class="text-right" data-col="count">'
                      rf'(\d+)</t[dh]><t[dh] class="text-right" data-col="refunds">([^<]*)<', page)
    return int(found.group(1)), found.group(2)


def test_the_end_of_day_page_sums_the_days_requests_decisions_refunds_exchanges_and_repairs(app, web, store):
    sign_in(web, "a_store_manager")
    returns = [request_id_of(handle(web, purchase(app, store, 2, f"INV-R{i}"), "no_reason", ["resellable"]))
               for i in range(2)]
    request_id_of(handle(web, purchase(app, store, 20, "INV-X"), "quality"))  # exchange
    request_id_of(handle(web, purchase(app, store, 40, "INV-F"), "quality"))  # free repair
    request_id_of(handle(web, purchase(app, store, 20, "INV-N"), "no_reason", ["resellable"]))  # refused
    for request_id, amount in zip(returns, ("100.10", "200.25")):
        web.submit(f"/admin/retail/requests/{request_id}", {"refund_amount": amount},
                   post_url=f"/admin/retail/requests/{request_id}/refund")
    other = purchase(app, store, 2, "INV-C", branch="C")  # another store's day is not ours
    web.logout()
    sign_in(web, "c_store_clerk")
    request_id_of(handle(web, other, "no_reason", ["resellable"]))
    web.logout()
    sign_in(web, "a_store_clerk")
    page = web.get("/admin/retail/day/").text
    assert _line(page, "return") == (2, "300.35")
    assert _line(page, "exchange") == (1, "0.00")
    assert _line(page, "free_repair") == (1, "0.00")
    assert _line(page, "refused") == (1, "0.00")
    assert _line(page, "total") == (5, "300.35")
    assert _figure(page, "refunds_paid") == "2" and _figure(page, "refunds_paid_amount") == "300.35"
    assert _figure(page, "repairs_received") == "1"
    yesterday = web.get(f"/admin/retail/day/?day={(today() - timedelta(days=1)).isoformat()}").text
    assert _line(yesterday, "total") == (0, "0.00")
    assert web.get("/admin/retail/day/?day=2026-02-30").status_code == 200


def _month(app, branch_id, month):
    """The retail section of the branch's monthly statistics, label → value (None: absent)."""
    with app.test_request_context(), force_locale("en"):
        hooks, settings = branch_hooks(branch_id)
        branch = db.session.get(Branch, branch_id)
        sections = {str(title): rows for group in hooks.portal_report_sections(
            month=month, branch=branch, settings=settings) for title, rows in group}
        rows = sections.get("Retail store: returns, exchanges and repairs")
        return None if rows is None else {str(label): value for label, value in rows}


def test_the_monthly_statistics_get_the_stores_figures(app, web, store):
    sign_in(web, "a_store_manager")
    request_id = request_id_of(handle(web, purchase(app, store, 2, "INV-1"), "no_reason", ["resellable"]))
    web.submit(f"/admin/retail/requests/{request_id}", {"refund_amount": "50"},
               post_url=f"/admin/retail/requests/{request_id}/refund")
    request_id_of(handle(web, purchase(app, store, 200, "INV-2"), "quality"))  # paid repair
    month = today().replace(day=1)
    rows = _month(app, store["A"], month)
    assert rows["Returns"] == 1 and rows["Paid repairs"] == 1 and rows["Refunds paid (yuan)"] == "50.00"
    assert rows["Counter requests"] == 2
    assert _month(app, store["A"], (month + timedelta(days=32)).replace(day=1))["Returns"] == 0
    assert _month(app, store["B"], month) is None  # no retail store there, no section


def test_a_request_is_counted_in_the_month_it_came_in(app, web, store):
    sign_in(web, "a_store_clerk")
    request_id = request_id_of(handle(web, purchase(app, store, 20, "INV-1"), "no_reason", ["resellable"]))
    with app.app_context():
        req = db.session.get(RetailCounterRequest, request_id)
        req.request_date = date(2025, 1, 31)
        db.session.commit()
    january, february = _month(app, store["A"], date(2025, 1, 1)), _month(app, store["A"], date(2025, 2, 1))
    assert january["Refused"] == 1 and february["Refused"] == 0
    assert Decimal(january["Refunds paid (yuan)"]) == 0
