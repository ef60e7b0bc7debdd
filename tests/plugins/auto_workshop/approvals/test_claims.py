"""Warranty-claim orders: no order without the deposit and the signatures the amount needs;
the deposit is refunded only after fitting, once."""

from __future__ import annotations

import re

from plugins.auto_workshop.approvals.models import AutoClaimOrder, AutoPartsOrder
from portal.extensions import db

from .conftest import make_order, post, set_settings, sign_in

CLAIMS = "/admin/auto/approvals/claims/"


def _new_claim(web, order_id, amount):
    page = web.submit(CLAIMS + "new", {"work_order_id": str(order_id), "parts": "左前大灯总成", "amount": amount},
                      post_url=CLAIMS + "new")
    assert page.status_code == 302, page.text[:500]
    return int(re.search(r"/claims/(\d+)$", page.headers["Location"]).group(1))


def _order(web, claim_id):
    return post(web, f"{CLAIMS}{claim_id}", f"{CLAIMS}{claim_id}/order", {"supplier": "广汽丰田"})


def _sign(web, claim_id, role):
    return post(web, f"{CLAIMS}{claim_id}", f"{CLAIMS}{claim_id}/sign", {"role": role})


def _deposit(web, claim_id):
    return post(web, f"{CLAIMS}{claim_id}", f"{CLAIMS}{claim_id}/deposit",
                {"deposit_amount": "500", "deposit_receipt_no": "SJ-0001"})


def test_claim_without_deposit_or_signatures_is_not_ordered(app, web, shop):
    order_id = make_order(app, shop, job_type="warranty_claim")
    sign_in(web, "w_service_advisor")
    claim_id = _new_claim(web, order_id, "6800")
    web.logout()
    sign_in(web, "w_parts_keeper")
    page = _order(web, claim_id)
    assert "The customer's deposit has not been received." in page.text
    assert "The workshop manager has not signed the claim order." in page.text
    assert "Claim orders above 5000.00 yuan also need the after-sales director's signature." in page.text
    web.logout()

    sign_in(web, "w_service_advisor")
    _deposit(web, claim_id)
    web.logout()
    sign_in(web, "w_workshop_manager")
    assert "Signed." in _sign(web, claim_id, "workshop_manager").text
    web.logout()
    sign_in(web, "w_parts_keeper")
    page = _order(web, claim_id)
    assert "also need the after-sales director's signature" in page.text
    assert "deposit has not been received" not in page.text
    with app.app_context():
        assert db.session.get(AutoClaimOrder, claim_id).ordered_at is None
    web.logout()

    sign_in(web, "w_aftersales_director")
    _sign(web, claim_id, "aftersales_director")
    web.logout()
    sign_in(web, "w_parts_keeper")
    assert "Claim ordered." in _order(web, claim_id).text
    with app.app_context():
        assert db.session.query(AutoPartsOrder).filter_by(claim_id=claim_id, kind="claim").count() == 1


def test_at_or_below_the_branch_amount_the_manager_alone_signs(app, web, shop):
    set_settings(app, shop["W"], claim_director_amount="8000")
    order_id = make_order(app, shop, job_type="warranty_claim")
    sign_in(web, "w_service_advisor")
    claim_id = _new_claim(web, order_id, "8000")
    _deposit(web, claim_id)
    web.logout()
    sign_in(web, "w_workshop_manager")
    _sign(web, claim_id, "workshop_manager")
    page = _order(web, claim_id)
    assert "Claim ordered." in page.text and 'data-signature="aftersales_director"' not in page.text


def test_one_person_does_not_sign_twice(app, web, shop):
    order_id = make_order(app, shop, job_type="warranty_claim")
    sign_in(web, "w_aftersales_director")  # has every workshop permission
    claim_id = _new_claim(web, order_id, "9000")
    _sign(web, claim_id, "workshop_manager")
    page = _sign(web, claim_id, "aftersales_director")
    assert "The two signatures must come from two different people." in page.text


def test_the_deposit_is_refunded_after_fitting_once(app, web, shop):
    order_id = make_order(app, shop, job_type="warranty_claim")
    sign_in(web, "w_service_advisor")
    claim_id = _new_claim(web, order_id, "1200")
    _deposit(web, claim_id)
    web.logout()
    sign_in(web, "w_workshop_manager")
    _sign(web, claim_id, "workshop_manager")
    _order(web, claim_id)
    web.logout()
    sign_in(web, "w_service_advisor")
    url = f"{CLAIMS}{claim_id}"
    page = post(web, url, url + "/refund", {"refund_amount": "500"})
    assert "The deposit is refunded only after the claimed part has been fitted." in page.text
    post(web, url, url + "/fitted")
    page = post(web, url, url + "/refund", {"refund_amount": "600"})
    assert "The refund cannot be more than the deposit" in page.text
    page = post(web, url, url + "/refund", {"refund_amount": "500", "refund_receipt_no": "TK-01"})
    assert "Refund recorded." in page.text and "TK-01" in page.text
    page = post(web, url, url + "/refund", {"refund_amount": "500"})
    with app.app_context():
        claim = db.session.get(AutoClaimOrder, claim_id)
        assert claim.refund_amount == 500 and claim.refund_receipt_no == "TK-01"


def test_bad_claim_input_is_refused_readably(app, web, shop):
    order_id = make_order(app, shop, job_type="warranty_claim")
    sign_in(web, "w_service_advisor")
    page = web.submit(CLAIMS + "new", {"work_order_id": str(order_id), "parts": "灯", "amount": "abc"},
                      post_url=CLAIMS + "new")
    assert page.status_code == 200 and "Enter an amount in yuan" in page.text
    page = web.submit(CLAIMS + "new", {"work_order_id": "", "parts": "灯", "amount": "10"}, post_url=CLAIMS + "new")
    assert page.status_code == 200 and "Choose the work order the claim is for." in page.text
    with app.app_context():
        assert db.session.query(AutoClaimOrder).count() == 0


def test_a_claim_recorded_by_mistake_is_withdrawn_before_the_deposit(app, web, shop):
    order_id = make_order(app, shop, job_type="warranty_claim")
    sign_in(web, "w_service_advisor")
    claim_id = _new_claim(web, order_id, "800")
    page = post(web, f"{CLAIMS}{claim_id}", f"{CLAIMS}{claim_id}/withdraw")
    assert "Claim order withdrawn." in page.text
    assert web.get(f"{CLAIMS}{claim_id}").status_code == 404
    other = _new_claim(web, order_id, "800")
    _deposit(web, other)
    page = post(web, f"{CLAIMS}{other}", f"{CLAIMS}{other}/withdraw")
    assert "give it back before the claim is withdrawn" in page.text
    with app.app_context():
        assert db.session.get(AutoClaimOrder, claim_id).deleted_at is not None
        assert db.session.get(AutoClaimOrder, other).deleted_at is None
