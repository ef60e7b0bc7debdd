"""Outbound slips (出库单): written with customer, parts, quantities and shipping method;
blocked until the after-sales manager approves; shipping takes the parts out of stock;
parts not in stock become factory requests followed until received; the printed slip."""

from __future__ import annotations

from datetime import timedelta

from portal.extensions import db
from plugins.equipment_field.supply.models import FieldFactoryRequest, FieldSlip

from .conftest import created_id, quantity_of, sign_in, stock, today, write_slip


def _slip(app, slip_id) -> FieldSlip:
    with app.app_context():
        slip = db.session.get(FieldSlip, slip_id)
        return {"state": slip.state, "charge": slip.charge, "approved": slip.approved}


def test_outbound_slip_is_blocked_without_approval(app, web, shop):
    part = stock(app, shop["B"], "P-100", 5)
    sign_in(web, "b_dispatcher")
    slip_id = created_id(write_slip(web, shop["big"]["B"], [("P-100", 2)]))
    page = web.get(f"/admin/field/supply/slips/{slip_id}").text
    assert 'data-state="waiting"' in page and 'data-testid="approve-form"' not in page

    refused = web.submit(f"/admin/field/supply/slips/{slip_id}", {}, post_url=f"/admin/field/supply/slips/{slip_id}/ship",
                         follow=True)
    assert "must approve the outbound slip before the parts leave" in refused.text
    assert _slip(app, slip_id)["state"] == "waiting" and quantity_of(app, part) == 5
    # The dispatcher cannot approve their own slip.
    assert web.submit(f"/admin/field/supply/slips/{slip_id}", {},
                      post_url=f"/admin/field/supply/slips/{slip_id}/approve", follow=True).status_code == 200
    assert _slip(app, slip_id)["approved"] is False

    web.logout()
    sign_in(web, "b_aftersales_manager")
    assert "Outbound slips waiting for approval" in web.get("/admin/").text
    done = web.submit(f"/admin/field/supply/slips/{slip_id}", {}, post_url=f"/admin/field/supply/slips/{slip_id}/approve",
                      follow=True)
    assert "Slip approved" in done.text
    shipped = web.submit(f"/admin/field/supply/slips/{slip_id}", {"tracking": "SF123"},
                         post_url=f"/admin/field/supply/slips/{slip_id}/ship", follow=True)
    assert "Shipped" in shipped.text and 'data-state="shipped"' in shipped.text
    assert quantity_of(app, part) == 3


def test_out_of_warranty_slip_charges_parts_and_freight(app, web, shop):
    stock(app, shop["B"], "P-200", 10, price="250.00")
    sign_in(web, "b_aftersales_manager")
    slip_id = created_id(write_slip(web, shop["big"]["B"], [("P-200", 2), ("P-200", 1, "99.50")],
                                    in_warranty=False, freight="30"))
    assert str(_slip(app, slip_id)["charge"]) == "629.50"  # 2 × 250 + 99.50 + 30
    in_warranty = created_id(write_slip(web, shop["big"]["B"], [("P-200", 1)], freight="30"))
    assert str(_slip(app, in_warranty)["charge"]) == "0.00"
    page = web.get(f"/admin/field/supply/slips/{slip_id}").text
    assert 'data-testid="charge">629.50' in page


def test_missing_part_raises_a_factory_request_followed_until_received(app, web, shop):
    part = stock(app, shop["B"], "P-300", 1)
    sign_in(web, "b_aftersales_manager")
    needed = (today() + timedelta(days=10)).isoformat()
    slip_id = created_id(write_slip(web, shop["big"]["B"], [("P-300", 3), ("NEW-1", 2)], needed_by=needed))
    with app.app_context():
        requests = {r.part_number: (r.qty, r.needed_by.isoformat(), r.state)
                    for r in db.session.query(FieldFactoryRequest).filter_by(slip_id=slip_id)}
    assert requests == {"P-300": (2, needed, "requested"), "NEW-1": (2, needed, "requested")}
    web.submit(f"/admin/field/supply/slips/{slip_id}", {}, post_url=f"/admin/field/supply/slips/{slip_id}/approve")
    refused = web.submit(f"/admin/field/supply/slips/{slip_id}", {}, post_url=f"/admin/field/supply/slips/{slip_id}/ship",
                         follow=True)
    assert "missing, request it from the factory" in refused.text and quantity_of(app, part) == 1

    listing = web.get("/admin/field/supply/factory/?show=open").text
    assert "P-300" in listing and "NEW-1" in listing
    with app.app_context():
        ids = [(r.id, r.version) for r in db.session.query(FieldFactoryRequest).filter_by(slip_id=slip_id)]
    for request_id, _version in ids:
        for target in ("in_production", "shipped", "received"):
            with app.app_context():
                version = db.session.get(FieldFactoryRequest, request_id).version
            web.submit("/admin/field/supply/factory/", {"target": target, "seen_version": str(version)},
                       post_url=f"/admin/field/supply/factory/{request_id}/step")
    # Skipping a step is refused.
    with app.app_context():
        assert {r.state for r in db.session.query(FieldFactoryRequest).filter_by(slip_id=slip_id)} == {"received"}
    assert quantity_of(app, part) == 3
    shipped = web.submit(f"/admin/field/supply/slips/{slip_id}", {}, post_url=f"/admin/field/supply/slips/{slip_id}/ship",
                         follow=True)
    assert 'data-state="shipped"' in shipped.text
    assert quantity_of(app, part) == 0


def test_factory_request_cannot_skip_a_step_and_overdue_ones_reach_the_dashboard(app, web, shop):
    with app.app_context():
        late = FieldFactoryRequest(branch_id=shop["B"], part_number="X-1", name="轴承", qty=1,
                                   needed_by=today() - timedelta(days=1), requested_on=today() - timedelta(days=9))
        db.session.add(late)
        db.session.commit()
        late_id = late.id
    sign_in(web, "b_aftersales_manager")
    refused = web.submit("/admin/field/supply/factory/", {"target": "received"},
                         post_url=f"/admin/field/supply/factory/{late_id}/step", follow=True)
    assert "cannot move to that step" in refused.text
    assert 'data-late="1"' in web.get("/admin/field/supply/factory/?show=overdue").text
    dashboard = web.get("/admin/").text
    assert "Factory parts requests overdue" in dashboard


def test_a_slip_needs_customer_parts_and_shipping(app, web, shop):
    sign_in(web, "b_dispatcher")
    page = write_slip(web, shop["big"]["B"], [("P-1", 0)], shipping="")
    assert page.status_code == 200
    assert "the quantity must be at least 1" in page.text
    assert "does not say how the parts are shipped" in page.text
    empty = write_slip(web, shop["big"]["B"], [])
    assert "lists no parts" in empty.text
    bad_money = write_slip(web, shop["big"]["B"], [("P-1", 1, "abc")], in_warranty=False)
    assert "Enter an amount in yuan" in bad_money.text
    with app.app_context():
        assert db.session.query(FieldSlip).count() == 0


def test_printed_slip_is_a_chinese_document(app, web, shop):
    stock(app, shop["B"], "P-400", 2)
    sign_in(web, "b_dispatcher")
    slip_id = created_id(write_slip(web, shop["big"]["B"], [("P-400", 1)]))
    page = web.get(f"/admin/field/supply/slips/{slip_id}/print")
    assert page.status_code == 200
    assert 'data-testid="slip-document"' in page.text and 'data-testid="not-approved"' in page.text
    # Printed in Chinese whatever the clerk reads (words the catalogs already translate).
    assert "客户" in page.text and "打印" in page.text


def test_cancel_needs_a_reason(app, web, shop):
    stock(app, shop["B"], "P-500", 2)
    sign_in(web, "b_dispatcher")
    slip_id = created_id(write_slip(web, shop["big"]["B"], [("P-500", 1)]))
    refused = web.submit(f"/admin/field/supply/slips/{slip_id}", {"reason": ""},
                         post_url=f"/admin/field/supply/slips/{slip_id}/cancel", follow=True)
    assert "Write the reason." in refused.text
    done = web.submit(f"/admin/field/supply/slips/{slip_id}", {"reason": "客户取消"},
                      post_url=f"/admin/field/supply/slips/{slip_id}/cancel", follow=True)
    assert 'data-state="cancelled"' in done.text


def test_stale_version_changes_nothing(app, web, shop):
    stock(app, shop["B"], "P-600", 2)
    sign_in(web, "b_aftersales_manager")
    slip_id = created_id(write_slip(web, shop["big"]["B"], [("P-600", 1)]))
    page = web.submit(f"/admin/field/supply/slips/{slip_id}", {"seen_version": "999"},
                      post_url=f"/admin/field/supply/slips/{slip_id}/approve", follow=True)
    assert "Someone else changed this record" in page.text
    assert _slip(app, slip_id)["state"] == "waiting"


def test_slip_names_the_customers_ticket(app, web, shop):
    from portal.core.models import Ticket, User
    from portal.core.tickets import NewTicket, open_ticket

    with app.test_request_context():
        user = db.session.get(User, shop["users"]["b_dispatcher"])
        ticket = open_ticket(NewTicket(customer_id=shop["big"]["B"], title="空压机漏气", kind="repair"), user)
        other = open_ticket(NewTicket(customer_id=shop["customers"]["B"], title="别的客户", kind="repair"), user)
        db.session.commit()
        number, other_number = ticket.number, other.number
    stock(app, shop["B"], "P-700", 2)
    sign_in(web, "b_dispatcher")
    url = f"/admin/field/supply/slips/new?customer_id={shop['big']['B']}"
    base = {"customer_id": str(shop["big"]["B"]), "shipping_method": "express", "in_warranty": "1",
            "part_number": ["P-700"], "part_name": [""], "qty": ["1"], "unit_price": [""]}
    assert number != other_number, (number, other_number)
    refused = web.submit(url, {**base, "ticket_number": other_number}, post_url=url)
    assert refused.status_code == 200 and f"The customer has no ticket {other_number}." in refused.text
    slip_id = created_id(web.submit(url, {**base, "ticket_number": number}, post_url=url))
    assert number in web.get(f"/admin/field/supply/slips/{slip_id}").text
    with app.app_context():
        assert db.session.get(FieldSlip, slip_id).ticket_id == db.session.query(Ticket.id).filter_by(
            number=number).scalar()
