"""Items 1 and 2: the dispatch board (location, distance class, arrival due, engineers'
load), sending one or more engineers, and phone guidance before any visit."""

from __future__ import annotations

from portal.core.models import Ticket, TicketEvent, Visit
from portal.extensions import db
from plugins.equipment_field.dispatch.models import FieldPhoneGuidance, FieldTrip

from .conftest import dispatch, open_ticket, record_guidance, set_settings, sign_in, tomorrow_at, visits_of


def test_board_shows_location_distance_class_and_due(app, web, field):
    inside = open_ticket(app, field, "in")
    beyond = open_ticket(app, field, "out")
    sign_in(web, "b_dispatcher")
    page = web.get("/admin/field/dispatch/").text
    assert f'data-ticket="{inside}" data-distance="in_province"' in page
    assert f'data-ticket="{beyond}" data-distance="out_of_province"' in page
    assert "湖北省武汉" in page and "河南省郑州" in page
    assert "8 working hours from" in page and "24 working hours from" in page
    assert 'data-testid="guidance-missing"' in page
    # Another branch's tickets are not on it.
    web.logout()
    sign_in(web, "d_dispatcher")
    page = web.get("/admin/field/dispatch/").text
    assert f'data-ticket="{inside}"' not in page


def test_dispatch_is_refused_until_phone_guidance_is_recorded(app, web, field):
    ticket_id = open_ticket(app, field, "in")
    sign_in(web, "b_dispatcher")
    refused = dispatch(web, ticket_id, [field["users"]["b_field_engineer"]])
    assert refused.status_code == 200
    assert "Try phone guidance first" in refused.text
    assert visits_of(app, ticket_id) == []
    assert record_guidance(web, ticket_id, note="   ").status_code == 302
    with app.app_context():
        assert db.session.query(FieldPhoneGuidance).count() == 0  # an empty outcome is refused
    record_guidance(web, ticket_id, note="电话指导客户复位，报警仍在")
    sent = dispatch(web, ticket_id, [field["users"]["b_field_engineer"], field["users"]["b_field_engineer2"]])
    assert sent.status_code == 302, sent.text[:500]
    [visit_id] = visits_of(app, ticket_id)
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        assert {e.username for e in visit.engineers} == {"b_field_engineer", "b_field_engineer2"}
        assert db.session.get(Ticket, ticket_id).arrival_due is not None
        assert db.session.query(TicketEvent).filter(TicketEvent.ticket_id == ticket_id,
                                                    TicketEvent.kind == "plugin").count() == 1
    # The load of both engineers shows the visit tomorrow.
    page = web.get("/admin/field/dispatch/?show=all").text
    day = tomorrow_at().date().isoformat()
    for name in ("b_field_engineer", "b_field_engineer2"):
        row = page.split(f'data-engineer="{field["users"][name]}"')[1].split("</tr>")[0]
        assert f'data-day="{day}">1<' in row


def test_a_written_reason_replaces_phone_guidance(app, web, field):
    ticket_id = open_ticket(app, field, "in")
    sign_in(web, "b_dispatcher")
    record_guidance(web, ticket_id, note="客户设备冒烟，必须立即到场", kind="skipped")
    assert dispatch(web, ticket_id, [field["users"]["b_field_engineer"]]).status_code == 302
    assert len(visits_of(app, ticket_id)) == 1


def test_phone_guidance_rule_is_a_branch_setting_and_spares_installations(app, web, field):
    set_settings(app, field["B"], phone_guidance_first=False)
    ticket_id = open_ticket(app, field, "in")
    sign_in(web, "b_dispatcher")
    assert dispatch(web, ticket_id, [field["users"]["b_field_engineer"]]).status_code == 302
    set_settings(app, field["B"], phone_guidance_first=True)
    install = open_ticket(app, field, "in", kind="installation")
    assert dispatch(web, install, [field["users"]["b_field_engineer"]]).status_code == 302


def test_bad_input_shows_the_form_again_and_changes_nothing(app, web, field):
    ticket_id = open_ticket(app, field, "in")
    sign_in(web, "b_dispatcher")
    record_guidance(web, ticket_id)
    for data, message in (({"engineers": []}, "Choose at least one engineer."),
                          ({"when": "x"}, "Enter the date and time of the visit."),
                          ({"distance_km": "far"}, "whole kilometres"),
                          ({"end_date": "2000-01-01"}, "The trip cannot end before the visit."),
                          ({"engineers": ["999999"]}, "Engineers must be active colleagues")):
        engineers = data.pop("engineers", [field["users"]["b_field_engineer"]])
        page = dispatch(web, ticket_id, engineers, **data)
        assert page.status_code == 200 and message in page.text, message
    assert visits_of(app, ticket_id) == []
    with app.app_context():
        assert db.session.query(FieldTrip).count() == 0


def test_out_of_province_dispatch_opens_a_trip_waiting_for_approval(app, web, field):
    ticket_id = open_ticket(app, field, "out")
    sign_in(web, "b_dispatcher")
    record_guidance(web, ticket_id)
    sent = dispatch(web, ticket_id, [field["users"]["b_field_engineer"]], places="武汉", distance_km="520")
    assert sent.status_code == 302
    page = web.get(f"/admin/field/dispatch/ticket/{ticket_id}").text
    assert 'data-testid="trip-link" data-state="waiting"' in page
    with app.app_context():
        trip = db.session.query(FieldTrip).one()
        assert trip.needs_approval and trip.distance_class == "out_of_province" and trip.distance_km == 520

