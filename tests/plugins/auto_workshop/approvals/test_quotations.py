"""Accident-car quotations: no parts order before the responsible person signed the
current version; a part added during the repair needs a new signature; the printed
quotation is Chinese."""

from __future__ import annotations

from plugins.auto_workshop.approvals.models import AutoPartsOrder, AutoQuotationRevision
from portal.extensions import db

from .conftest import ORDER, make_order, post, sign_in, tiny_png


def _order_parts(web, order_id, supplier="广汽丰田"):
    return post(web, ORDER.format(order_id), ORDER.format(order_id) + "/order-parts", {"supplier": supplier})


def _orders_placed(app, order_id):
    with app.app_context():
        return db.session.query(AutoPartsOrder).filter_by(work_order_id=order_id).count()


def test_ordering_without_the_quotation_signature_is_refused(app, web, shop):
    order_id = make_order(app, shop)
    sign_in(web, "w_parts_keeper")
    page = _order_parts(web, order_id)
    assert page.status_code == 200
    assert "The quotation has not been signed by the responsible person" in page.text
    assert _orders_placed(app, order_id) == 0


def test_recorded_approval_then_order_then_additional_part_needs_a_new_signature(app, web, shop):
    order_id = make_order(app, shop)
    sign_in(web, "w_service_advisor")
    url = ORDER.format(order_id)
    page = post(web, url, url + "/sign", {"method": "phone", "signed_by_name": "李先生", "note": ""})
    assert "Write down how and when the approval was given" in page.text
    page = post(web, url, url + "/sign", {"method": "phone", "signed_by_name": "李先生",
                                          "note": "3月10日 10:05 电话同意"})
    assert 'data-status="signed"' in page.text and "Version 1 signed by 李先生" in page.text
    web.logout()

    sign_in(web, "w_parts_keeper")
    page = _order_parts(web, order_id)
    assert "Parts ordered." in page.text
    assert _orders_placed(app, order_id) == 1
    web.logout()

    # The technician finds a broken bracket: the advisor adds it, which makes version 2.
    sign_in(web, "w_service_advisor")
    page = post(web, url, url + "/lines", {"kind": "part", "name": "保险杠支架", "part_number": "52115",
                                           "quantity": "1", "unit_price": "180", "unit_cost": "90"})
    assert "the quotation needs a new signature" in page.text
    assert 'data-current="2"' in page.text and 'data-status="unsigned"' in page.text
    assert "added during repair" in page.text
    web.logout()

    sign_in(web, "w_parts_keeper")
    page = _order_parts(web, order_id)
    assert "The quotation changed after it was signed (signed version 1, current version 2)" in page.text
    assert _orders_placed(app, order_id) == 1
    web.logout()

    # The customer signs version 2 on the pad; now the new part may be ordered.
    sign_in(web, "w_service_advisor")
    page = post(web, url, url + "/sign", {"method": "drawn", "signed_by_name": "李先生", "signature": tiny_png()})
    assert "Version 2 signed by 李先生" in page.text
    web.logout()
    sign_in(web, "w_parts_keeper")
    assert "Parts ordered." in _order_parts(web, order_id).text
    assert _orders_placed(app, order_id) == 2
    with app.app_context():
        signed = db.session.query(AutoQuotationRevision).filter_by(work_order_id=order_id, revision=2).one()
        assert signed.signature.startswith("data:image/png;base64,")
        assert any(line["name"] == "保险杠支架" for line in signed.lines)


def test_changing_a_price_also_needs_a_new_signature(app, web, shop):
    order_id = make_order(app, shop)
    sign_in(web, "w_service_advisor")
    url = ORDER.format(order_id)
    post(web, url, url + "/sign", {"method": "in_person", "signed_by_name": "王女士", "note": "到店签字"})
    with app.app_context():
        from plugins.auto_workshop.workshop.models import WorkOrderLine
        line_id = db.session.query(WorkOrderLine.id).filter_by(work_order_id=order_id, kind="part").scalar()
    page = post(web, url, f"{url}/lines/{line_id}", {"kind": "part", "name": "前保险杠", "quantity": "2",
                                                     "unit_price": "1100", "unit_cost": "600"})
    assert 'data-current="2"' in page.text and 'data-status="unsigned"' in page.text


def test_a_drawn_signature_must_be_a_picture_from_the_pad(app, web, shop):
    order_id = make_order(app, shop)
    sign_in(web, "w_service_advisor")
    url = ORDER.format(order_id)
    page = post(web, url, url + "/sign", {"method": "drawn", "signed_by_name": "李先生", "signature": ""})
    assert "Ask the person to sign on the pad." in page.text
    page = post(web, url, url + "/sign", {"method": "drawn", "signed_by_name": "李先生",
                                          "signature": "data:image/png;base64,AAAA"})
    assert "The signature is not a picture drawn on the pad" in page.text
    with app.app_context():
        assert db.session.query(AutoQuotationRevision).count() == 0


def test_a_quotation_changed_while_looking_at_it_is_not_signed(app, web, shop):
    order_id = make_order(app, shop)
    sign_in(web, "w_service_advisor")
    url = ORDER.format(order_id)
    page = post(web, url, url + "/sign", {"method": "phone", "signed_by_name": "李先生", "note": "电话",
                                          "seen_fingerprint": "something-older"})
    assert "The quotation changed while you were looking at it" in page.text
    with app.app_context():
        assert db.session.query(AutoQuotationRevision).count() == 0


def test_printed_quotation_is_in_chinese(app, web, shop):
    order_id = make_order(app, shop)
    sign_in(web, "w_service_advisor")
    page = web.get(ORDER.format(order_id) + "/quotation")
    assert page.status_code == 200
    assert 'data-testid="quotation-document"' in page.text
    assert "前保险杠" in page.text and "2600.00" in page.text


def test_bad_line_input_changes_nothing(app, web, shop):
    order_id = make_order(app, shop)
    sign_in(web, "w_service_advisor")
    url = ORDER.format(order_id)
    page = post(web, url, url + "/lines", {"kind": "part", "name": "螺丝", "quantity": "abc", "unit_price": "1"})
    assert page.status_code == 200 and "Enter a number" in page.text
    page = post(web, url, url + "/lines", {"kind": "x", "name": "螺丝", "quantity": "1", "unit_price": "1"})
    assert "Choose parts or labour." in page.text
    assert 'data-current="1"' in page.text


def test_a_line_cannot_shrink_below_what_was_issued(app, web, shop):
    order_id = make_order(app, shop)
    with app.app_context():
        from plugins.auto_workshop.workshop.models import WorkOrderLine
        line = db.session.query(WorkOrderLine).filter_by(work_order_id=order_id, kind="part").one()
        line.issued_quantity = 2
        db.session.commit()
        line_id = line.id
    sign_in(web, "w_service_advisor")
    url = ORDER.format(order_id)
    page = post(web, url, f"{url}/lines/{line_id}", {"kind": "part", "name": "前保险杠", "quantity": "1",
                                                     "unit_price": "1000", "unit_cost": "600"})
    assert "2 of this part have already been issued" in page.text
    assert 'data-current="1"' in page.text


def test_the_waiting_list_shows_unsigned_accident_quotations_only(app, web, shop):
    unsigned = make_order(app, shop)
    signed = make_order(app, shop)
    general = make_order(app, shop, job_type="general_repair")
    sign_in(web, "w_service_advisor")
    url = ORDER.format(signed)
    post(web, url, url + "/sign", {"method": "phone", "signed_by_name": "王", "note": "电话"})
    page = web.get("/admin/auto/approvals/orders/?show=unsigned").text
    assert f'data-order="{unsigned}"' in page
    assert f'data-order="{signed}"' not in page and f'data-order="{general}"' not in page
    assert "/admin/auto/approvals/orders/?show=unsigned" in web.get("/admin/").text  # the card
