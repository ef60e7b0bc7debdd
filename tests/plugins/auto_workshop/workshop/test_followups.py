"""Follow-up calls (000 汽车 §(三).4–6): the first 3–7 days after delivery, the second within
7 days of the first, invitations two weeks before an event and a letter within 2 days of
the call — all in the core callback queue, with the branch's numbers."""

from __future__ import annotations

from datetime import timedelta

from portal.core.models.callback import Callback
from portal.extensions import db
from plugins.auto_workshop.workshop.models import EventInvitation, Vehicle, WorkOrder

from .conftest import act, set_settings, sign_in, today
from .test_work_orders import run_to_quality_check


def deliver(app, web, shop):
    order_id = run_to_quality_check(app, web, shop)
    sign_in(web, "g_workshop_manager")
    act(web, order_id, "quality", {"passed": "1"})
    web.logout()
    sign_in(web, "g_service_advisor")
    page = act(web, order_id, "step", {"target": "delivered"})
    with app.app_context():
        assert db.session.get(WorkOrder, order_id).state == "delivered", page.text
    return order_id


def _calls(app):
    with app.app_context():
        return {c.kind: (c.due_on, c.customer_id, c.branch_id, c.label)
                for c in db.session.query(Callback).order_by(Callback.id)}


def test_delivery_schedules_the_first_and_second_call(app, web, shop):
    order_id = deliver(app, web, shop)
    calls = _calls(app)
    first, second = calls["auto_workshop.first_call"], calls["auto_workshop.second_call"]
    assert first[0] == today() + timedelta(days=3)
    assert second[0] == first[0] + timedelta(days=7)
    assert first[1:3] == (shop["customers"]["G"], shop["G"])
    with app.app_context():
        number = db.session.get(WorkOrder, order_id).number
    assert number in first[3]
    page = web.get(f"/admin/auto/orders/{order_id}").text
    assert f"first on {first[0].isoformat()}, second by {second[0].isoformat()}" in page
    # The front desk works them in the core queue.
    queue = web.get("/admin/callback/?flt0_0=upcoming").text
    assert "first follow-up call" in queue and "second follow-up call" in queue


def test_call_dates_follow_the_branch_settings(app, web, shop):
    set_settings(app, shop["G"], first_call_min_days=5, first_call_max_days=6, second_call_days=4)
    deliver(app, web, shop)
    calls = _calls(app)
    assert calls["auto_workshop.first_call"][0] == today() + timedelta(days=5)
    assert calls["auto_workshop.second_call"][0] == today() + timedelta(days=9)


def test_event_invitations_and_letters(app, web, shop):
    with app.app_context():  # a second car of the same owner: one invitation per owner
        db.session.add(Vehicle(branch_id=shop["G"], customer_id=shop["customers"]["G"], plate="粤B2",
                               first_visit_on=today()))
        db.session.commit()
    sign_in(web, "g_service_advisor")
    too_soon = (today() + timedelta(days=10)).isoformat()
    page = web.submit("/admin/auto/events/", {"name": "夏季免费检测", "event_on": too_soon},
                      post_url="/admin/auto/events/new", follow=True)
    assert "Invitations are phoned 2 week(s) ahead" in page.text
    for odd in ("0001-01-03", "x"):
        page = web.submit("/admin/auto/events/", {"name": "x", "event_on": odd}, post_url="/admin/auto/events/new",
                          follow=True)
        assert page.status_code == 200 and "alert" in page.text, odd
    event_day = today() + timedelta(days=20)
    page = web.submit("/admin/auto/events/", {"name": "夏季免费检测", "event_on": event_day.isoformat()},
                      post_url="/admin/auto/events/new", follow=True)
    assert "1 invitation call(s) scheduled" in page.text, page.text
    call_day = event_day - timedelta(weeks=2)
    calls = _calls(app)
    assert calls["auto_workshop.invitation"][0] == call_day
    assert calls["auto_workshop.invitation"][1] == shop["customers"]["G"]
    with app.app_context():
        invitation = db.session.query(EventInvitation).one()
        assert invitation.letter_due_on == call_day + timedelta(days=2)
        invitation_id, event_id = invitation.id, invitation.event_id
    page = web.submit(f"/admin/auto/events/{event_id}", {"note": "已寄出", "seen_version": "1"},
                      post_url=f"/admin/auto/events/invitations/{invitation_id}/letter", follow=True)
    assert "Letter recorded." in page.text
    with app.app_context():
        invitation = db.session.get(EventInvitation, invitation_id)
        assert invitation.letter_sent_at is not None and invitation.letter_sent_by_id is not None
    page = web.submit(f"/admin/auto/events/{event_id}", {"note": "again"},
                      post_url=f"/admin/auto/events/invitations/{invitation_id}/letter", follow=True)
    assert "The letter has been recorded already." in page.text
