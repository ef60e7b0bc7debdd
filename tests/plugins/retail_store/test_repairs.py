"""Repairs taken in at the counter (第二十六–二十八条): a late repair makes a task to tell
the customer before the due day; a repaired item back in store gets pickup notices on
their days (0, 3, 6 by default), each with its channel, and after three unanswered
notices a task to mail it to the address in the customer file."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.core.models import Customer, TicketEvent
from portal.extensions import db
from plugins.retail_store.models import RetailCounterRequest, RetailPickupNotice, RetailRepair

from .conftest import handle, purchase, request_id_of, set_settings, today, sign_in

TASK = re.compile(r'data-task="(\w+)" data-repair="(\d+)" data-due="([\d-]+)"(?: data-notice="(\d+)")?')


def _repair(app, web, store, received_days_ago=0) -> int:
    """A free repair received ``received_days_ago`` days ago (the dates shifted as if it was)."""
    product = purchase(app, store, 40, f"INV-R{received_days_ago}")
    request_id = request_id_of(handle(web, product, "quality"))
    with app.app_context():
        repair = db.session.query(RetailRepair).filter_by(request_id=request_id).one()
        shift = timedelta(days=received_days_ago)
        repair.received_on -= shift
        repair.due_on -= shift
        repair.late_notice_due_on -= shift
        db.session.commit()
        return repair.id


def _tasks(web):
    return [(action, int(repair), due, int(notice) if notice else None)
            for action, repair, due, notice in TASK.findall(web.get("/admin/retail/repairs/").text)]


def _post(web, repair_id, action, **data):
    return web.submit(f"/admin/retail/repairs/{repair_id}", data,
                      post_url=f"/admin/retail/repairs/{repair_id}/{action}", follow=True)


def _state(app, repair_id) -> RetailRepair:
    with app.app_context():
        repair = db.session.get(RetailRepair, repair_id)
        repair.notices  # noqa: B018  (loaded before the session closes)
        db.session.expunge_all()
        return repair


def test_a_late_repair_makes_a_task_to_tell_the_customer_the_day_before_it_is_due(app, web, store):
    sign_in(web, "a_store_clerk")
    on_time = _repair(app, web, store, received_days_ago=5)  # due in 2 days: nothing yet
    late = _repair(app, web, store, received_days_ago=6)  # due tomorrow: tell the customer today
    tasks = _tasks(web)
    assert ("tell_late", late, today().isoformat(), None) in tasks
    assert all(repair != on_time for _action, repair, _due, _n in tasks)
    assert "/admin/retail/repairs/" in web.get("/admin/").text  # the dashboard card links to the list
    # Known early: the store marks it late and the task appears at once.
    _post(web, on_time, "late")
    assert ("tell_late", on_time, (today() + timedelta(days=1)).isoformat(), None) in _tasks(web)
    # Telling the customer, by phone, ends the task and goes on the ticket's timeline.
    _post(web, late, "tell-late", channel="phone", note="下周一取")
    repair = _state(app, late)
    assert repair.late_told_channel == "phone" and repair.late_told_at is not None
    assert all(repair_id != late for _a, repair_id, _d, _n in _tasks(web))
    with app.app_context():
        lines = db.session.query(TicketEvent).filter_by(ticket_id=repair.ticket_id, kind="plugin").all()
        assert any("下周一取" in line.body for line in lines)


def test_the_repair_window_is_the_branch_setting(app, web, store):
    set_settings(app, store["A"], repair_days=3)
    sign_in(web, "a_store_clerk")
    repair = _state(app, _repair(app, web, store))
    assert (repair.due_on - repair.received_on).days == 3
    assert (repair.late_notice_due_on - repair.received_on).days == 2


def test_three_pickup_notices_on_their_days_then_the_mailing_task_with_the_customers_address(app, web, store):
    sign_in(web, "a_store_clerk")
    repair_id = _repair(app, web, store, received_days_ago=20)
    back = today() - timedelta(days=9)
    _post(web, repair_id, "back", back_on=back.isoformat())
    assert ("notify", repair_id, back.isoformat(), 1) in _tasks(web)  # the first notice: the day it is back
    for number, channel in ((1, "phone"), (2, "sms"), (3, "letter")):
        due = back + timedelta(days=3 * (number - 1))
        assert ("notify", repair_id, due.isoformat(), number) in _tasks(web)
        _post(web, repair_id, "notice", channel=channel)
    with app.app_context():
        notices = db.session.query(RetailPickupNotice).filter_by(repair_id=repair_id).order_by(
            RetailPickupNotice.number).all()
        assert [(n.number, n.channel) for n in notices] == [(1, "phone"), (2, "sms"), (3, "letter")]
    # Three unanswered notices: mail it, due one interval after the last notice's day.
    assert ("mail", repair_id, (back + timedelta(days=9)).isoformat(), None) in _tasks(web)
    page = web.get(f"/admin/retail/repairs/{repair_id}").text
    assert 'data-action="mail"' in page and "上海 上海 A路1号" in page
    refused = _post(web, repair_id, "notice", channel="phone")
    assert "mail the item" in refused.text
    _post(web, repair_id, "mailed", mail_address="上海 上海 A路1号", mail_tracking="SF123")
    repair = _state(app, repair_id)
    assert (repair.state, repair.mail_tracking) == ("mailed", "SF123")
    with app.app_context():
        assert db.session.get(RetailCounterRequest, repair.request_id).state == "done"
    assert all(r != repair_id for _a, r, _d, _n in _tasks(web))


def test_a_notice_is_not_sent_before_its_day_and_the_mailing_waits_for_the_last_answer(app, web, store):
    sign_in(web, "a_store_clerk")
    repair_id = _repair(app, web, store, received_days_ago=20)
    back = today() - timedelta(days=2)
    _post(web, repair_id, "back", back_on=back.isoformat())
    _post(web, repair_id, "notice", channel="phone")
    # Notice 2 falls due on day 3 after the item came back: tomorrow, not today.
    assert all(r != repair_id for _a, r, _d, _n in _tasks(web))
    early = _post(web, repair_id, "notice", channel="phone")
    assert (back + timedelta(days=3)).isoformat() in early.text
    assert len(_state(app, repair_id).notices) == 1
    # Mailing before the notices: refused.
    refused = _post(web, repair_id, "mailed", mail_address="x")
    assert "Send the pickup notices first" in refused.text
    # The customer answers and collects: no more tasks, the request is done.
    _post(web, repair_id, "collected")
    assert _state(app, repair_id).state == "collected"


def test_the_interval_and_the_number_of_notices_are_the_branch_settings(app, web, store):
    set_settings(app, store["A"], pickup_notice_interval_days=2, pickup_notices_before_mailing=1)
    sign_in(web, "a_store_clerk")
    repair_id = _repair(app, web, store, received_days_ago=10)
    back = today() - timedelta(days=2)
    _post(web, repair_id, "back", back_on=back.isoformat())
    _post(web, repair_id, "notice", channel="letter")
    assert ("mail", repair_id, today().isoformat(), None) in _tasks(web)


def test_mailing_uses_an_address_of_the_customer_file(app, web, store):
    sign_in(web, "a_store_clerk")
    repair_id = _repair(app, web, store, received_days_ago=20)
    with app.app_context():
        customer = db.session.get(Customer, store["customers"]["A"])
        customer.address = ""
        from portal.core.models import Address

        customer.addresses.append(Address(label="家", province="浙江", city="杭州", line="西湖路9号"))
        db.session.commit()
    set_settings(app, store["A"], pickup_notices_before_mailing=1)
    _post(web, repair_id, "back", back_on=(today() - timedelta(days=5)).isoformat())
    _post(web, repair_id, "notice", channel="phone")
    assert "浙江 杭州 西湖路9号" in web.get(f"/admin/retail/repairs/{repair_id}").text


def test_the_day_an_item_is_back_cannot_be_in_the_future(app, web, store):
    sign_in(web, "a_store_clerk")
    repair_id = _repair(app, web, store)
    page = _post(web, repair_id, "back", back_on=(today() + timedelta(days=1)).isoformat())
    assert "between the day it was received and today" in page.text
    assert _state(app, repair_id).state == "in_repair"
    odd = _post(web, repair_id, "back", back_on="2026-02-30")
    assert odd.status_code == 200 and _state(app, repair_id).state == "in_repair"
