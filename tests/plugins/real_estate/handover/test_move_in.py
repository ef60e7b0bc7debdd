"""Item 4: move-in notices only for sold units of an accepted building, never twice; how
each was sent; handover appointments with the property-management company."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from plugins.real_estate.handover.models import EstateHandover, EstateMoveInNotice
from plugins.real_estate.sales.models import Building, Unit
from portal.extensions import db

from .conftest import schedule, sign_in, today


def _generate(web, building_id):
    url = f"/admin/estate/move-in/building/{building_id}"
    return web.submit(url, {}, post_url=url + "/notices", follow=True)


def _notices(app, building_id):
    with app.app_context():
        return sorted(n for (n,) in db.session.query(Unit.number).join(
            EstateMoveInNotice, EstateMoveInNotice.unit_id == Unit.id).filter(Unit.building_id == building_id))


def test_notices_only_for_sold_units_of_an_accepted_building_and_never_twice(app, web, estate):
    office = estate["office_E"]
    sign_in(web, "e_aftersales_officer")
    page = _generate(web, office["building"])
    assert "Move-in notices generated." in page.text
    assert _notices(app, office["building"]) == ["0101", "0102", "0201"]  # not the available or reserved unit
    again = _generate(web, office["building"])
    assert "Every sold unit has its move-in notice already." in again.text
    assert _notices(app, office["building"]) == ["0101", "0102", "0201"]
    # The building without completion acceptance: refused, nothing made.
    refused = _generate(web, office["unaccepted"])
    assert "Record the building's completion acceptance first" in unescape(refused.text)
    assert _notices(app, office["unaccepted"]) == []


def test_recording_the_acceptance_then_notices_follow(app, web, estate):
    office = estate["office_E"]
    sign_in(web, "e_aftersales_officer")
    url = f"/admin/estate/move-in/building/{office['unaccepted']}"
    future = web.submit(url, {"accepted_on": (today() + timedelta(days=3)).isoformat(), "seen_version": "1"},
                        post_url=url + "/accept", follow=True)
    assert "The acceptance date is in the future." in future.text
    done = web.submit(url, {"accepted_on": today().isoformat(), "seen_version": "1"}, post_url=url + "/accept",
                      follow=True)
    assert "Completion acceptance recorded." in done.text
    with app.app_context():
        assert db.session.get(Building, office["unaccepted"]).completion_accepted_on == today()
    _generate(web, office["unaccepted"])
    assert _notices(app, office["unaccepted"]) == ["0501"]


def test_sending_by_registered_mail_needs_the_tracking_number(app, web, estate):
    office = estate["office_E"]
    sign_in(web, "e_aftersales_officer")
    _generate(web, office["building"])
    with app.app_context():
        notice = db.session.query(EstateMoveInNotice).filter_by(unit_id=office["units"]["0101"]).one()
        notice_id, version = notice.id, notice.version
    page = f"/admin/estate/move-in/building/{office['building']}"
    post = f"/admin/estate/move-in/notice/{notice_id}/sent"
    missing = web.submit(page, {"method": "registered_mail", "tracking_number": "", "sent_on": today().isoformat(),
                                "seen_version": str(version)}, post_url=post, follow=True)
    assert "Enter the tracking number of the registered letter." in missing.text
    future = web.submit(page, {"method": "fax", "sent_on": (today() + timedelta(days=1)).isoformat()},
                        post_url=post, follow=True)
    assert "The sending date is in the future." in future.text
    ok = web.submit(page, {"method": "registered_mail", "tracking_number": "XA1234CN", "sent_on": today().isoformat(),
                           "seen_version": str(version)}, post_url=post, follow=True)
    assert "Sending recorded." in ok.text
    assert 'data-unit="0101" data-state="sold" data-notice="sent"' in ok.text
    with app.app_context():
        notice = db.session.get(EstateMoveInNotice, notice_id)
        assert (notice.method, notice.tracking_number, notice.sent_on) == ("registered_mail", "XA1234CN", today())
    printed = web.get(f"/admin/estate/move-in/notice/{notice_id}/print")
    # Printed in Chinese whatever the officer reads ("打印": the catalog's word for Print).
    assert printed.status_code == 200 and "打印" in printed.text and "XA1234CN" in printed.text
    assert 'data-testid="move-in-notice"' in printed.text and "业主E0101" in printed.text


def test_handover_appointment_with_the_property_company(app, web, estate):
    office = estate["office_E"]
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate, "0101")
    page = web.get(f"/admin/estate/handovers/{handover_id}").text
    assert "锦城物业E" in page and "物业 王经理 028-1234" in page
    with app.app_context():
        handover = db.session.get(EstateHandover, handover_id)
        assert handover.state == "scheduled" and handover.liaison_id == estate["users"]["e_property_liaison"]
        assert len(handover.checklist_items) == 8
    # A second appointment for the same unit, an available unit, an unaccepted building: refused.
    page_url = f"/admin/estate/move-in/building/{office['building']}"
    data = {"day": (today() + timedelta(days=1)).isoformat(), "time": "10:00", "company_contact": "x"}
    for unit, message in ((office["units"]["0101"], "This unit has a handover appointment already."),
                          (office["units"]["0202"], "Only a sold unit that is not handed over yet"),
                          (office["units"]["0501"], "completion acceptance is not recorded yet")):
        response = web.submit(page_url, data, post_url=f"/admin/estate/move-in/unit/{unit}/schedule", follow=True)
        assert message in response.text
    past = web.submit(page_url, {**data, "day": (today() - timedelta(days=1)).isoformat()},
                      post_url=f"/admin/estate/move-in/unit/{office['units']['0102']}/schedule", follow=True)
    assert "The appointment cannot be in the past." in past.text
    with app.app_context():
        assert db.session.query(EstateHandover).count() == 1
