"""Item 3: a visit that needs travel waits for the general manager before the engineer
may depart; the trip's advance; the expense claim checked against the trip, approved or
returned with a reason."""

from __future__ import annotations

import io
from datetime import timedelta

from portal.core.models import TicketEvent, Visit
from portal.extensions import db
from plugins.equipment_field.dispatch.models import FieldExpenseClaim, FieldTrip

from .conftest import PNG, dispatch, open_ticket, record_guidance, set_settings, sign_in, tomorrow_at, visits_of


def _sent(app, web, field, customer="out", **trip):
    ticket_id = open_ticket(app, field, customer)
    sign_in(web, "b_dispatcher")
    record_guidance(web, ticket_id)
    assert dispatch(web, ticket_id, [field["users"]["b_field_engineer"]], **trip).status_code == 302
    web.logout()
    [visit_id] = visits_of(app, ticket_id)
    with app.app_context():
        trip_id = db.session.query(FieldTrip.id).filter_by(visit_id=visit_id).scalar()
    return ticket_id, visit_id, trip_id


def _step(web, visit_id, step):
    return web.submit("/admin/field/my-visits/", {"step": step}, post_url=f"/admin/field/my-visits/{visit_id}/step",
                      follow=True)


def _state(app, visit_id):
    with app.app_context():
        return db.session.get(Visit, visit_id).state


def test_departure_is_blocked_until_the_general_manager_approves(app, web, field):
    _ticket, visit_id, trip_id = _sent(app, web, field, "out", places="武汉")
    sign_in(web, "b_field_engineer")
    page = _step(web, visit_id, "depart")
    assert "needs the general manager&#39;s travel approval" in page.text or \
        "needs the general manager's travel approval" in page.text
    assert _state(app, visit_id) == "scheduled"
    # The engineer cannot approve it himself.
    assert web.submit(f"/admin/field/trips/{trip_id}", {"decision": "approve"},
                      post_url=f"/admin/field/trips/{trip_id}/decide", follow=True).status_code == 200
    with app.app_context():
        assert db.session.get(FieldTrip, trip_id).state == "waiting"
    web.logout()
    sign_in(web, "b_general_manager")
    refused = web.submit(f"/admin/field/trips/{trip_id}", {"decision": "reject", "note": ""},
                         post_url=f"/admin/field/trips/{trip_id}/decide", follow=True)
    assert "Write the reason." in refused.text
    web.submit(f"/admin/field/trips/{trip_id}", {"decision": "approve"}, post_url=f"/admin/field/trips/{trip_id}/decide")
    web.logout()
    sign_in(web, "b_field_engineer")
    _step(web, visit_id, "depart")
    assert _state(app, visit_id) == "departed"


def test_in_province_trips_need_approval_beyond_the_branch_distance(app, web, field):
    set_settings(app, field["B"], travel_approval_km=150)
    _ticket, near_visit, near_trip = _sent(app, web, field, "in", distance_km="150")
    _ticket, far_visit, far_trip = _sent(app, web, field, "in", distance_km="151")
    with app.app_context():
        assert db.session.get(FieldTrip, near_trip).state == "not_needed"
        assert db.session.get(FieldTrip, far_trip).state == "waiting"
    sign_in(web, "b_field_engineer")
    _step(web, near_visit, "depart")
    _step(web, far_visit, "depart")
    assert (_state(app, near_visit), _state(app, far_visit)) == ("departed", "scheduled")


def test_travel_advance_is_approved_with_the_trip(app, web, field):
    _ticket, _visit, trip_id = _sent(app, web, field, "out", places="武汉")
    sign_in(web, "b_field_engineer")
    url = f"/admin/field/trips/{trip_id}"
    assert "Enter the amount in yuan" in web.submit(url, {"advance_amount": "abc", "advance_purpose": "车费"},
                                                    post_url=f"{url}/advance", follow=True).text
    web.submit(url, {"advance_amount": "1500", "advance_purpose": "车费和住宿"}, post_url=f"{url}/advance")
    web.logout()
    sign_in(web, "b_general_manager")
    assert 'data-testid="decide-form"' in web.get(url).text
    web.submit(url, {"decision": "approve"}, post_url=f"{url}/decide")
    with app.app_context():
        trip = db.session.get(FieldTrip, trip_id)
        assert (trip.state, trip.advance_state, str(trip.advance_amount)) == ("approved", "approved", "1500.00")


def _receipt(name="taxi.png", data=PNG, kind="image/png"):
    return (io.BytesIO(data), name, kind)


def _line(web, claim_id, url, **data):
    files = data.pop("receipts", [_receipt()])
    token_page = web.get(url).text
    from tests.conftest import csrf_token

    return web.client.post(f"/admin/field/trips/claim/{claim_id}/line",
                           data={**data, "receipts": files, "csrf_token": csrf_token(token_page)},
                           content_type="multipart/form-data", follow_redirects=True)


def test_expense_claim_is_checked_against_the_trip_and_approved_or_returned(app, web, field):
    ticket_id, visit_id, trip_id = _sent(app, web, field, "out", places="郑州、武汉、孝感",
                                         end_date=(tomorrow_at().date() + timedelta(days=1)).isoformat())
    url = f"/admin/field/trips/{trip_id}"
    sign_in(web, "b_general_manager")
    web.submit(url, {"decision": "approve"}, post_url=f"{url}/decide")
    web.logout()
    sign_in(web, "b_field_engineer")
    # Before the trip there is nothing to claim.
    assert "Claim the expenses after the trip." in web.submit(url, {}, post_url=f"{url}/claim", follow=True).text
    _step(web, visit_id, "depart")
    web.submit(url, {}, post_url=f"{url}/claim")
    with app.app_context():
        claim_id = db.session.query(FieldExpenseClaim.id).filter_by(trip_id=trip_id).scalar()
    first, last = tomorrow_at().date(), tomorrow_at().date() + timedelta(days=1)
    _line(web, claim_id, url, day=first.isoformat(), place="郑州", to_place="武汉", category="transport",
          amount="260.50")
    _line(web, claim_id, url, day=(last + timedelta(days=1)).isoformat(), place="武汉", category="lodging",
          amount="300")
    _line(web, claim_id, url, day=last.isoformat(), place="长沙", category="meals", amount="80", receipts=[])
    page = web.get(url).text
    assert "is outside the trip" in page and "长沙 is not a place of this trip" in page
    assert "no receipt attached for Meals" in page
    submitted = web.submit(url, {}, post_url=f"/admin/field/trips/claim/{claim_id}/submit", follow=True)
    assert "is outside the trip" in submitted.text
    with app.app_context():
        claim = db.session.get(FieldExpenseClaim, claim_id)
        assert claim.state == "draft" and str(claim.total) == "640.50"
        bad = [line.id for line in claim.lines if line.category != "transport"]
    for line_id in bad:
        web.submit(url, {}, post_url=f"/admin/field/trips/claim/{claim_id}/line/{line_id}/remove")
    _line(web, claim_id, url, day=last.isoformat(), place="孝感市", category="lodging", amount="220")
    _line(web, claim_id, url, day=last.isoformat(), place="孝感", category="allowance", amount="100", receipts=[])
    # Receipts are pictures or PDFs of reasonable size.
    refused = _line(web, claim_id, url, day=last.isoformat(), place="孝感", category="meals", amount="30",
                    receipts=[_receipt("x.exe", b"MZ", "application/octet-stream")])
    assert "Receipts are photos" in refused.text
    page = web.get(url).text
    assert "data-testid=\"no-problems\"" in page, page[page.find("problems"):page.find("problems")+800]
    web.submit(url, {}, post_url=f"/admin/field/trips/claim/{claim_id}/submit")
    web.logout()

    sign_in(web, "b_general_manager")
    page = web.get(url).text
    assert 'data-state="submitted"' in page and "580.50" in page
    refused = web.submit(url, {"return_reason": " "}, post_url=f"/admin/field/trips/claim/{claim_id}/return",
                         follow=True)
    assert "Write the reason." in refused.text
    web.submit(url, {"return_reason": "住宿发票抬头不对，请重开"}, post_url=f"/admin/field/trips/claim/{claim_id}/return")
    web.logout()
    sign_in(web, "b_field_engineer")
    assert "住宿发票抬头不对" in web.get(url).text
    web.submit(url, {}, post_url=f"/admin/field/trips/claim/{claim_id}/submit")
    web.logout()
    sign_in(web, "b_general_manager")
    done = web.submit(url, {}, post_url=f"/admin/field/trips/claim/{claim_id}/approve", follow=True)
    assert 'data-state="approved"' in done.text
    assert "Pay the engineer 580.50 yuan." in done.text
    with app.app_context():
        assert db.session.query(TicketEvent).filter(TicketEvent.ticket_id == ticket_id,
                                                    TicketEvent.body.like("%580.50%")).count() == 1
    # The paper form for signatures and the cashier, in Chinese whatever the reader chose.
    form = web.get(f"/admin/field/trips/claim/{claim_id}/print")
    assert form.status_code == 200 and 'data-testid="claim-form"' in form.text
    assert 'data-testid="print-total">580.50<' in form.text and "合计" in form.text
    # The receipt is served to the branch, and to no other branch.
    receipt = page.split('data-testid="receipt"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert web.get(receipt).data == PNG
    web.logout()
    sign_in(web, "d_general_manager")
    assert web.get(receipt).status_code == 404


def test_trip_list_is_searchable_and_a_cancelled_visit_leaves_the_managers_desk(app, web, field):
    _ticket, visit_id, trip_id = _sent(app, web, field, "out", places="武汉")
    _other, _visit, other_trip = _sent(app, web, field, "out", places="宜昌")
    sign_in(web, "b_general_manager")
    page = web.get("/admin/field/trips/?show=all&q=宜昌").text
    assert f'data-trip="{other_trip}"' in page and f'data-trip="{trip_id}"' not in page
    assert f'data-trip="{trip_id}"' in web.get("/admin/field/trips/?show=waiting").text
    web.logout()
    sign_in(web, "b_dispatcher")
    web.submit(f"/admin/visit/details/?id={visit_id}", {"step": "cancel", "reason": "客户自行修好"},
               post_url=f"/admin/visit/{visit_id}/step")
    assert _state(app, visit_id) == "cancelled"
    web.logout()
    sign_in(web, "b_general_manager")
    page = web.get("/admin/field/trips/?show=waiting").text
    assert f'data-trip="{trip_id}"' not in page and f'data-trip="{other_trip}"' in page


def test_a_visit_scheduled_elsewhere_gets_its_trip_recorded_before_departure(app, web, field):
    from portal.core import visits
    from portal.core.models import Ticket, User

    ticket_id = open_ticket(app, field, "out")
    with app.test_request_context():  # e.g. from the core's ticket page
        dispatcher = db.session.get(User, field["users"]["b_dispatcher"])
        visit = visits.schedule_visit(db.session.get(Ticket, ticket_id), tomorrow_at(),
                                      [field["users"]["b_field_engineer"]], "", dispatcher)
        db.session.commit()
        visit_id = visit.id
    sign_in(web, "b_field_engineer")
    assert "travel approval" in _step(web, visit_id, "depart").text
    assert _state(app, visit_id) == "scheduled"
    web.logout()
    sign_in(web, "b_dispatcher")
    page = web.get(f"/admin/field/dispatch/ticket/{ticket_id}").text
    assert 'data-testid="trip-form"' in page
    refused = web.submit(f"/admin/field/dispatch/ticket/{ticket_id}", {"distance_km": "-3"},
                         post_url=f"/admin/field/dispatch/visit/{visit_id}/trip", follow=True)
    assert "whole kilometres" in refused.text
    web.submit(f"/admin/field/dispatch/ticket/{ticket_id}", {"distance_km": "480", "places": "郑州、武汉"},
               post_url=f"/admin/field/dispatch/visit/{visit_id}/trip")
    with app.app_context():
        trip = db.session.query(FieldTrip).filter_by(visit_id=visit_id).one()
        assert trip.state == "waiting" and trip.place_list == ["郑州", "武汉"]
