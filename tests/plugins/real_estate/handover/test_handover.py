"""Item 5: the handover is blocked without the owner's signature and a complete
checklist; on completion the unit is handed over, each defect becomes a repair ticket
for the property company, the certificate file opens and a follow-up call is scheduled."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from plugins.real_estate.handover.models import (
    EstateCertificate, EstateDefect, EstateFollowup, EstateHandover,
)
from plugins.real_estate.sales.models import Unit
from portal.core.models import Ticket
from portal.core.models.callback import Callback
from portal.extensions import db

from .conftest import complete, inspection_form, schedule, set_settings, sign_in, today


def _state(app, handover_id):
    with app.app_context():
        handover = db.session.get(EstateHandover, handover_id)
        return handover.state, handover.unit.state, handover.unit.handed_over_on


def test_handover_blocked_without_the_signature(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    response = complete(web, handover_id, inspection_form(signature=False))
    assert response.status_code == 422
    assert "The owner has not signed the handover yet." in response.text
    assert _state(app, handover_id) == ("scheduled", "sold", None)
    # What was typed is still on the page to sign and send again.
    assert 'name="keys_handed" value="2"' in response.text


def test_handover_blocked_with_an_unjudged_checklist_item(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    data = inspection_form()
    data["judgement-3"] = ""
    response = complete(web, handover_id, data)
    assert response.status_code == 422
    assert "Checklist item “Water supply and drains” is not judged yet" in unescape(response.text)
    assert _state(app, handover_id) == ("scheduled", "sold", None)


def test_handover_blocked_without_keys_and_meters(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    response = complete(web, handover_id, inspection_form(keys="", meters=("water",)))
    text = unescape(response.text)
    assert "Record how many keys were handed to the owner." in text
    assert "Meter reading missing: Electricity meter." in text and "Meter reading missing: Gas meter." in text
    assert _state(app, handover_id)[0] == "scheduled"


def test_a_draft_is_saved_incomplete(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    data = inspection_form(signature=False)
    data["judgement-7"] = ""
    response = complete(web, handover_id, data, action="save")
    assert response.status_code == 302
    page = unescape(web.get(f"/admin/estate/handovers/{handover_id}").text)
    assert "Still needed before completion:" in page and "The owner has not signed the handover yet." in page
    assert _state(app, handover_id)[0] == "scheduled"


def test_completed_handover_hands_the_unit_over_and_opens_the_defect_ticket(app, web, estate):
    set_settings(app, estate["E"], followup_call_days=20)
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    response = complete(web, handover_id, inspection_form(defect_at=0))
    assert response.status_code == 302
    page = web.get(f"/admin/estate/handovers/{handover_id}").text
    assert "The unit is handed over." in page
    assert 'data-testid="unit-state" data-state="handed_over"' in page
    assert 'data-testid="defect-ticket"' in page
    assert _state(app, handover_id) == ("done", "handed_over", today())
    with app.app_context():
        defect = db.session.query(EstateDefect).filter_by(handover_id=handover_id).one()
        assert defect.item == "doors_windows"
        ticket = db.session.get(Ticket, defect.ticket_id)
        assert ticket.kind == "estate_defect" and ticket.customer_id == estate["office_E"]["customers"]["0101"]
        assert "0101" in ticket.description and "锦城物业E" in ticket.description and "窗框渗水" in ticket.description
        certificate = db.session.query(EstateCertificate).filter_by(unit_id=estate["office_E"]["units"]["0101"]).one()
        assert certificate.handed_over_on == today() and certificate.deadline > today()
        followup = db.session.query(EstateFollowup).filter_by(handover_id=handover_id).one()
        callback = db.session.get(Callback, followup.callback_id)
        assert callback.kind == "real_estate.followup" and callback.due_on == today() + timedelta(days=20)
    # Done: the record cannot be changed again, and the printed record is Chinese.
    again = complete(web, handover_id, inspection_form())
    assert "This handover is finished" in unescape(again.text)
    printed = web.get(f"/admin/estate/handovers/{handover_id}/record")
    assert printed.status_code == 200 and "打印" in printed.text and 'data-testid="handover-record"' in printed.text


def test_a_stale_page_changes_nothing(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    complete(web, handover_id, {**inspection_form(signature=False), "seen_version": "1"}, action="save")
    stale = complete(web, handover_id, {**inspection_form(), "seen_version": "1"})
    assert "Someone else changed this record" in unescape(stale.text)
    assert _state(app, handover_id)[0] == "scheduled"


def test_bad_input_is_a_message_not_a_500(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    for bad in ({"keys_handed": "lots"}, {"meter-water": "abc"}, {"judgement-0": "maybe"},
                {"signature": "data:image/png;base64,AAAA"}):
        response = complete(web, handover_id, {**inspection_form(), **bad})
        assert response.status_code == 422, bad
    assert _state(app, handover_id)[0] == "scheduled"
    with app.app_context():
        assert db.session.query(Unit).filter_by(state="handed_over").count() == 0


def test_a_cancelled_appointment_frees_the_unit_for_a_new_one(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    url = f"/admin/estate/handovers/{handover_id}"
    done = web.submit(url, {}, post_url=url + "/cancel", follow=True)
    assert "Appointment cancelled." in done.text
    assert 'data-testid="handover-state" data-state="cancelled"' in done.text
    again = web.submit(url, {}, post_url=url + "/cancel", follow=True)
    assert "Only a scheduled handover can be cancelled." in again.text
    assert schedule(web, estate) != handover_id


def test_the_property_liaison_sees_the_handover_but_cannot_complete_it(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    web.logout()
    sign_in(web, "e_property_liaison")
    page = web.get(f"/admin/estate/handovers/{handover_id}").text
    assert 'data-testid="handover-form"' not in page
    response = complete(web, handover_id, inspection_form())
    assert "Your role does not allow this step." in unescape(response.text)
    assert _state(app, handover_id)[0] == "scheduled"
