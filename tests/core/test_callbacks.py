"""Callbacks and satisfaction (REQUIREMENTS §2.6, issue 4 item 1): scheduled on the right
working day by themselves, worked in the queue with the survey card, retried after no
answer, followed up with one click, filed in the customer file and counted in the monthly
figures — and never seen by another branch."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import plugin_api
from portal.core import callbacks, tickets, visits
from portal.core.models import BranchHoliday, BranchPlugin, Customer, Product, Role, Ticket, TicketEvent, User, Visit
from portal.core.models.callback import Callback
from portal.core.models.types import utcnow
from portal.core.plugin_state import branch_hooks
from portal.core.provisioning import create_user
from portal.core.tickets import NewTicket, StepRequest, TicketError, open_ticket, transition
from portal.extensions import db
from tests.conftest import PASSWORD
from tests.core.test_visits import make_visit

SHANGHAI = ZoneInfo("Asia/Shanghai")
GOOD = {"fixed": "y", "on_time": "y", "fee_charged": "n", "rating_attitude": "5", "rating_skill": "4",
        "rating_punctuality": "5", "rating_service": "5", "suggestions": "师傅很专业"}


def local(text: str) -> datetime:
    """A Shanghai wall-clock time as aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def today() -> date:
    return datetime.now(SHANGHAI).date()


def _user(world, name) -> User:
    return db.session.get(User, world["users"][name])


def _count(model=Callback, **where) -> int:
    return db.session.scalar(select(func.count(model.id)).filter_by(**where))


def set_core(app, branch_id, **values):
    """HQ's numbers for the branch (the "core" row of the switchboard)."""
    with app.app_context():
        row = db.session.scalar(select(BranchPlugin).filter_by(branch_id=branch_id, plugin="core"))
        if row is None:
            row = BranchPlugin(branch_id=branch_id, plugin="core", enabled=True, settings={})
            db.session.add(row)
        row.settings = {**row.settings, **values}
        db.session.commit()


def national_day(app, branch_id):
    """Oct 1–7 off, with the Sundays/Saturdays around them as make-up working days (调休)."""
    with app.app_context():
        for n in range(1, 8):
            db.session.add(BranchHoliday(branch_id=branch_id, day=date(2026, 10, n), name="国庆节"))
        for day in (date(2026, 9, 27), date(2026, 10, 10)):
            db.session.add(BranchHoliday(branch_id=branch_id, day=day, name="调休", is_workday=True))
        db.session.commit()


def finished_visit(app, world, branch="A") -> tuple[int, int]:
    """A visit with a signed report, not yet finished (tests finish it at a chosen time)."""
    return make_visit(app, world, branch, steps=("depart", "arrive", "report"))


def schedule_at(app, visit_id, finished_at: datetime):
    with app.test_request_context():
        visit = db.session.get(Visit, visit_id)
        visit.state, visit.finished_at = "finished", finished_at
        callback = callbacks.schedule_satisfaction(visit)
        db.session.commit()
        return callback.next_try_on, callback.due_on


def new_callback(app, world, branch="A", with_ticket=True, **fields) -> int:
    """A callback of the branch's customer, on a ticket of theirs unless told otherwise."""
    with app.test_request_context():
        ticket_id = None
        if with_ticket:
            clerk = _user(world, f"{branch.lower()}_clerk")
            ticket = open_ticket(NewTicket(customer_id=world["customers"][branch], title="洗衣机不脱水",
                                           product_id=world["products"][branch]), clerk)
            ticket_id = ticket.id
        values = {"kind": "satisfaction", "label": "回访", "due_on": today(), "next_try_on": today(), **fields}
        callback = Callback(branch_id=world[branch], customer_id=world["customers"][branch], ticket_id=ticket_id,
                            product_id=world["products"][branch], **values)
        db.session.add(callback)
        db.session.commit()
        return callback.id


def get(callback_id) -> Callback:
    return db.session.get(Callback, callback_id)


def refusal(call) -> TicketError:
    with pytest.raises(TicketError) as caught:
        call()
    db.session.rollback()
    return caught.value


# --- scheduling on the right working day ----------------------------------------------------------

@pytest.mark.parametrize("finished, first, due", [
    ("2026-03-11 15:00", "2026-03-12", "2026-03-16"),  # Wed → Thu, Fri, Mon
    ("2026-03-13 17:00", "2026-03-16", "2026-03-18"),  # Fri → Mon, Tue, Wed
    ("2026-03-14 10:00", "2026-03-16", "2026-03-18"),  # a Saturday visit counts from Monday too
    ("2026-03-12 23:30", "2026-03-13", "2026-03-17"),  # late on Thursday, Shanghai time
    ("2026-03-13 00:30", "2026-03-16", "2026-03-18"),  # Friday in Shanghai though still Thursday in UTC
])
def test_satisfaction_callback_within_three_working_days_around_weekends(app, world, finished, first, due):
    _ticket_id, visit_id = finished_visit(app, world)
    assert schedule_at(app, visit_id, local(finished)) == (date.fromisoformat(first), date.fromisoformat(due))


@pytest.mark.parametrize("finished, first, due", [
    ("2026-09-30 16:00", "2026-10-08", "2026-10-10"),  # holidays skipped, make-up Saturday counts
    ("2026-09-26 11:00", "2026-09-27", "2026-09-29"),  # make-up Sunday is a working day
    ("2026-10-03 09:00", "2026-10-08", "2026-10-10"),  # a visit on a holiday
])
def test_satisfaction_callback_skips_holidays_and_counts_make_up_days(app, world, finished, first, due):
    national_day(app, world["A"])
    _ticket_id, visit_id = finished_visit(app, world)
    assert schedule_at(app, visit_id, local(finished)) == (date.fromisoformat(first), date.fromisoformat(due))


@pytest.mark.parametrize("finished, due", [
    ("2026-03-13 17:00", "2026-03-16"),
    ("2026-09-30 16:00", "2026-10-08"),
    ("2026-09-26 11:00", "2026-09-27"),
])
def test_next_day_setting_calls_on_the_next_working_day(app, world, finished, due):
    national_day(app, world["A"])
    set_core(app, world["A"], callback_next_day=True)
    _ticket_id, visit_id = finished_visit(app, world)
    assert schedule_at(app, visit_id, local(finished)) == (date.fromisoformat(due), date.fromisoformat(due))


def test_the_window_follows_the_branch_setting(app, world):
    set_core(app, world["A"], callback_working_days=5)
    _ticket_id, visit_id = finished_visit(app, world)
    assert schedule_at(app, visit_id, local("2026-03-11 15:00")) == (date(2026, 3, 12), date(2026, 3, 18))


def test_finishing_a_visit_schedules_one_callback_even_when_completed_twice(app, world):
    ticket_id, visit_id = make_visit(app, world, steps=("depart", "arrive", "report", "finish"))
    with app.test_request_context():
        visit = db.session.get(Visit, visit_id)
        callback = db.session.scalar(select(Callback).filter_by(visit_id=visit_id))
        assert callback is not None and callback.kind == "satisfaction" and callback.state == "due"
        assert (callback.customer_id, callback.ticket_id, callback.product_id) == (
            world["customers"]["A"], ticket_id, world["products"]["A"])
        calendar = callbacks.calendar_of(world["A"])
        assert callback.due_on == callbacks.nth_working_day(calendar, visit.finished_at, 3)
        assert callback.next_try_on == callbacks.nth_working_day(calendar, visit.finished_at, 1)
        tickets.emit(visit.ticket, "visit_completed")  # a retried request, a second server
        assert callbacks.schedule_satisfaction(visit).id == callback.id
        db.session.commit()
        assert _count(visit_id=visit_id) == 1


def test_the_database_refuses_a_second_satisfaction_callback_for_a_visit(app, world):
    _ticket_id, visit_id = finished_visit(app, world)
    schedule_at(app, visit_id, local("2026-03-11 15:00"))
    with app.test_request_context():
        first = db.session.scalar(select(Callback).filter_by(visit_id=visit_id))
        twin = Callback(branch_id=first.branch_id, customer_id=first.customer_id, visit_id=visit_id,
                        kind="satisfaction", due_on=first.due_on)
        # two requests racing past the look-up: the unique constraint decides, the loser
        # gets the winner's row
        assert callbacks._insert_once(twin, lambda: first) is first
        db.session.commit()
        db.session.add(Callback(branch_id=first.branch_id, customer_id=first.customer_id, visit_id=visit_id,
                                kind="satisfaction", due_on=first.due_on))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert _count(visit_id=visit_id) == 1


def test_unfinished_or_missing_visits_and_other_events_schedule_nothing(app, world):
    ticket_id, visit_id = finished_visit(app, world)
    with app.test_request_context():
        assert callbacks.schedule_satisfaction(db.session.get(Visit, visit_id)) is None
        _hooks, settings = branch_hooks(world["A"])
        callbacks.portal_ticket_event(ticket=None, event="visit_completed", settings=settings)
        callbacks.portal_ticket_event(ticket=db.session.get(Ticket, ticket_id), event="created", settings=settings)
        assert _count() == 0


# --- product use ----------------------------------------------------------------------------------

def _product(app, world, **dates) -> int:
    with app.app_context():
        product = db.session.get(Product, world["products"]["A"])
        product.purchase_date, product.delivered_on = dates.get("purchase_date"), dates.get("delivered_on")
        db.session.commit()
        return product.id


@pytest.mark.parametrize("start, months, due", [
    (date(2025, 8, 31), 6, date(2026, 3, 2)),    # Feb 28 2026 is a Saturday → Monday
    (date(2026, 1, 31), 1, date(2026, 3, 2)),    # month end: Jan 31 + 1 month = Feb 28
    (date(2027, 8, 31), 6, date(2028, 2, 29)),   # leap year, a Tuesday
    (date(2026, 5, 15), 6, date(2026, 11, 16)),  # Nov 15 2026 is a Sunday
    (date(2026, 4, 3), 6, date(2026, 10, 8)),    # Oct 3 is in the national holiday
])
def test_product_use_callback_after_months_of_use_on_a_working_day(app, world, start, months, due):
    national_day(app, world["A"])
    set_core(app, world["A"], product_use_callback_months=months)
    product_id = _product(app, world, purchase_date=start)
    with app.test_request_context():
        callback = callbacks.schedule_product_use(db.session.get(Product, product_id), today=start)
        db.session.commit()
        assert (callback.kind, callback.due_on, callback.next_try_on) == ("product_use", due, due)
        assert callback.customer_id == world["customers"]["A"] and callback.ticket_id is None


def test_product_use_starts_at_delivery_once_per_product_and_moves_with_the_date(app, world):
    product_id = _product(app, world, purchase_date=date(2025, 12, 1), delivered_on=date(2026, 1, 12))
    with app.test_request_context():
        product = db.session.get(Product, product_id)
        first = callbacks.schedule_product_use(product, today=date(2026, 1, 12))
        db.session.commit()
        assert first.due_on == date(2026, 7, 13)  # Jul 12 is a Sunday
        assert callbacks.schedule_product_use(product, today=date(2026, 1, 12)).id == first.id
        product.delivered_on = date(2026, 1, 20)
        assert callbacks.schedule_product_use(product, today=date(2026, 1, 20)).due_on == date(2026, 7, 20)
        db.session.commit()
        assert _count(product_id=product_id, kind="product_use") == 1


def test_no_product_use_callback_without_dates_or_when_its_day_is_past(app, world):
    product_id = _product(app, world)
    with app.test_request_context():
        product = db.session.get(Product, product_id)
        assert callbacks.schedule_product_use(product) is None
        product.purchase_date = date(2020, 1, 1)
        assert callbacks.schedule_product_use(product) is None
        assert _count() == 0


def test_saving_a_product_with_a_purchase_date_schedules_its_product_use_callback(app, web, world):
    web.login("a_clerk")
    bought = today() - timedelta(days=3)
    response = web.submit("/admin/product/new/", {"customer": str(world["customers"]["A"]), "name": "冰箱",
                                                   "purchase_date": bought.isoformat()}, follow=True)
    assert response.status_code == 200
    with app.app_context():
        product = db.session.scalar(select(Product).filter_by(name="冰箱"))
        callback = db.session.scalar(select(Callback).filter_by(product_id=product.id, kind="product_use"))
        expected = callbacks.product_use_day(callbacks.calendar_of(world["A"]), bought, 6)
        assert callback.due_on == expected and callback.branch_id == world["A"]


def test_a_new_customer_file_with_a_delivered_product_gets_its_callback(app, web, world):
    web.login("a_clerk")
    delivered = today()
    web.submit("/admin/customer/new/", {"name": "新客户", "phone": "13711112222", "kind": "person",
                                        "products-0-name": "空调", "products-0-delivered_on": delivered.isoformat()},
               follow=True)
    with app.app_context():
        customer = db.session.scalar(select(Customer).filter_by(name="新客户"))
        assert customer is not None
        callback = db.session.scalar(select(Callback).filter_by(customer_id=customer.id))
        assert callback.kind == "product_use" and callback.product.name == "空调"
        assert callback.due_on >= callbacks.add_months(delivered, 6)


def test_a_resolved_installation_schedules_product_use_from_the_installation_day(app, world):
    with app.test_request_context():
        clerk, engineer = _user(world, "a_clerk"), _user(world, "a_engineer")
        ticket = open_ticket(NewTicket(customer_id=world["customers"]["A"], title="安装调试", kind="installation",
                                       product_id=world["products"]["A"]), clerk)
        transition(ticket, StepRequest("triage", nature="other"), clerk)
        transition(ticket, StepRequest("assign", assignee_id=engineer.id), clerk)
        transition(ticket, StepRequest("start", handling="phone_guidance"), engineer)
        assert _count() == 0
        transition(ticket, StepRequest("resolve", solution="安装调试完成"), engineer)
        db.session.commit()
        callback = db.session.scalar(select(Callback).filter_by(kind="product_use"))
        installed = ticket.resolved_at.astimezone(SHANGHAI).date()
        assert callback.product_id == world["products"]["A"]
        assert callback.due_on == callbacks.product_use_day(callbacks.calendar_of(world["A"]), installed, 6)
        transition(ticket, StepRequest("close"), clerk)
        db.session.commit()
        assert _count(kind="product_use") == 1


# --- plugins ask for callbacks -------------------------------------------------------------------

def test_plugins_schedule_callbacks_through_the_plugin_api(app, world):
    day = today() + timedelta(days=2)
    with app.test_request_context():
        ticket = open_ticket(NewTicket(customer_id=world["customers"]["A"], title="首保"), _user(world, "a_clerk"))
        callback = plugin_api.schedule_callback(world["customers"]["A"], day, "auto_workshop.first_call",
                                                "首保提醒回访", ticket_id=ticket.id)
        again = plugin_api.schedule_callback(world["customers"]["A"], day, "auto_workshop.first_call", "首保提醒回访",
                                             ticket_id=ticket.id)
        db.session.commit()
        assert again.id == callback.id and _count() == 1
        assert (callback.branch_id, callback.due_on, callback.next_try_on, callback.state) == (world["A"], day, day,
                                                                                                  "due")
        assert callbacks.kind_label(callback) == "首保提醒回访"


@pytest.mark.parametrize("args, field", [
    ((987654, "d", "x.y", "l"), "customer"),
    (("garbage", "d", "x.y", "l"), "customer"),
    (("A", "dt", "x.y", "l"), "due_on"),
    (("A", "d", "", "l"), "kind"),
    (("A", "d", "x" * 65, "l"), "kind"),
])
def test_plugin_requests_with_bad_input_are_refused(app, world, args, field):
    customer, due, kind, label = args
    customer = world["customers"]["A"] if customer == "A" else customer
    due = {"d": today(), "dt": utcnow()}[due]
    with app.test_request_context():
        error = refusal(lambda: plugin_api.schedule_callback(customer, due, kind, label))
        assert field in error.fields and error.messages
        assert _count() == 0


def test_plugins_cannot_attach_another_customers_ticket_or_branch(app, world):
    with app.test_request_context():
        b_ticket = open_ticket(NewTicket(customer_id=world["customers"]["B"], title="B"), _user(world, "b_clerk"))
        db.session.commit()
        assert "ticket" in refusal(lambda: plugin_api.schedule_callback(
            world["customers"]["A"], today(), "x.y", "l", ticket_id=b_ticket.id)).fields
        assert "branch" in refusal(lambda: plugin_api.schedule_callback(
            world["customers"]["A"], today(), "x.y", "l", branch_id=world["B"])).fields
        assert _count() == 0


# --- the call: survey card, no answer, follow-up ---------------------------------------------------

def test_a_recorded_call_is_done_and_goes_on_the_tickets_timeline(app, world):
    callback_id = new_callback(app, world)
    with app.test_request_context():
        callback = get(callback_id)
        callbacks.record_result(callback, GOOD, _user(world, "a_clerk"), seen_version=callback.version,
                                now=local("2026-11-20 10:00"))
        db.session.commit()
        assert (callback.state, callback.attempts, callback.done_by_id) == ("done", 1, world["users"]["a_clerk"])
        assert (callback.fixed, callback.on_time, callback.fee_charged, callback.fee_standard_shown) == (
            True, True, False, None)
        assert (callback.rating_attitude, callback.rating_skill, callback.rating_punctuality,
                callback.rating_service) == (5, 4, 5, 5)
        assert callback.done_on == date(2026, 11, 20) and callback.suggestions == "师傅很专业"
        entry = db.session.scalar(select(TicketEvent).filter_by(ticket_id=callback.ticket_id, kind="call"))
        assert "师傅很专业" in entry.body and entry.data["rating_skill"] == 4 and entry.data["result"] == "done"
        refusal(lambda: callbacks.record_result(get(callback_id), GOOD, _user(world, "a_clerk")))
        assert (get(callback_id).state, get(callback_id).attempts) == ("done", 1)


@pytest.mark.parametrize("change, field", [
    ({"fixed": ""}, "fixed"),
    ({"on_time": "maybe"}, "on_time"),
    ({"fee_charged": ""}, "fee_charged"),
    ({"fee_charged": "y"}, "fee_standard_shown"),
    ({"rating_attitude": "0"}, "rating_attitude"),
    ({"rating_skill": "6"}, "rating_skill"),
    ({"rating_punctuality": "4.5"}, "rating_punctuality"),
    ({"rating_service": "abc"}, "rating_service"),
    ({"rating_service": ""}, "rating_service"),
    ({"suggestions": "长" * 2001}, "suggestions"),
])
def test_the_survey_card_is_validated_and_a_refusal_changes_nothing(app, world, change, field):
    callback_id = new_callback(app, world)
    with app.test_request_context():
        error = refusal(lambda: callbacks.record_result(get(callback_id), {**GOOD, **change},
                                                        _user(world, "a_clerk")))
        assert field in error.fields and error.messages
        callback = get(callback_id)
        assert (callback.state, callback.attempts, callback.rating_service) == ("due", 0, None)
        assert _count(TicketEvent, kind="call") == 0


def test_fee_standard_is_asked_only_when_a_fee_was_charged(app, world):
    callback_id = new_callback(app, world)
    with app.test_request_context():
        callbacks.record_result(get(callback_id), {**GOOD, "fee_charged": "n", "fee_standard_shown": "y"},
                                _user(world, "a_clerk"))
        assert get(callback_id).fee_standard_shown is None
        db.session.rollback()
        callbacks.record_result(get(callback_id), {**GOOD, "fee_charged": "y", "fee_standard_shown": "n"},
                                _user(world, "a_clerk"))
        assert (get(callback_id).fee_charged, get(callback_id).fee_standard_shown) == (True, False)


def test_a_product_use_call_asks_only_about_the_product(app, world):
    callback_id = new_callback(app, world, with_ticket=False, kind="product_use")
    with app.test_request_context():
        assert set(refusal(lambda: callbacks.record_result(get(callback_id), {}, _user(world, "a_clerk"))).fields) \
            == {"rating_service"}
        callbacks.record_result(get(callback_id), {"rating_service": "4", "suggestions": "好用"},
                                _user(world, "a_clerk"))
        callback = get(callback_id)
        assert (callback.state, callback.rating_service, callback.fixed, callback.rating_skill) == ("done", 4, None,
                                                                                                    None)


def test_no_answer_retries_on_the_next_working_day_and_gives_up(app, world):
    national_day(app, world["A"])
    callback_id = new_callback(app, world)
    clerk = _user
    with app.test_request_context():
        callbacks.record_no_answer(get(callback_id), clerk(world, "a_clerk"), now=local("2026-03-13 10:00"))
        callback = get(callback_id)
        assert (callback.state, callback.attempts, callback.next_try_on) == ("no_answer", 1, date(2026, 3, 16))
        callbacks.record_no_answer(callback, clerk(world, "a_clerk"), now=local("2026-09-30 18:30"))
        assert (callback.state, callback.attempts, callback.next_try_on) == ("no_answer", 2, date(2026, 10, 8))
        callbacks.record_no_answer(callback, clerk(world, "a_clerk"), now=local("2026-10-08 10:00"))
        assert (callback.state, callback.attempts, callback.next_try_on) == ("given_up", 3, None)
        db.session.commit()
        refusal(lambda: callbacks.record_no_answer(get(callback_id), clerk(world, "a_clerk")))
        assert get(callback_id).attempts == 3 and _count(TicketEvent, kind="call") == 3


def test_retry_days_and_attempts_follow_the_branch_settings(app, world):
    set_core(app, world["A"], callback_retry_days=2, callback_max_attempts=1)
    first = new_callback(app, world)
    with app.test_request_context():
        callbacks.record_no_answer(get(first), _user(world, "a_clerk"))
        assert get(first).state == "given_up"
    set_core(app, world["A"], callback_max_attempts=5)
    second = new_callback(app, world)
    with app.test_request_context():
        callbacks.record_no_answer(get(second), _user(world, "a_clerk"), now=local("2026-03-12 10:00"))
        assert get(second).next_try_on == date(2026, 3, 16)  # Thu + 2 working days


def _poor(app, world, **change) -> int:
    callback_id = new_callback(app, world)
    with app.test_request_context():
        callbacks.record_result(get(callback_id), {**GOOD, **change}, _user(world, "a_clerk"))
        db.session.commit()
    return callback_id


@pytest.mark.parametrize("change, kind", [({"fixed": "n"}, "repair"), ({"rating_attitude": "2"}, "complaint"),
                                          ({"rating_service": "1", "fixed": "n"}, "repair")])
def test_one_click_opens_a_follow_up_ticket_linked_on_both_timelines(app, web, world, change, kind):
    callback_id = _poor(app, world, **change)
    web.login("a_clerk")
    page = web.get(f"/admin/callback/details/?id={callback_id}").text
    assert 'data-testid="follow-up"' in page
    with app.app_context():
        version = get(callback_id).version
    web.submit(f"/admin/callback/details/?id={callback_id}", {"seen_version": str(version)},
               post_url=f"/admin/callback/follow_up/{callback_id}", follow=True)
    with app.app_context():
        callback = get(callback_id)
        follow_up = db.session.get(Ticket, callback.follow_up_ticket_id)
        assert follow_up.kind == kind and follow_up.customer_id == callback.customer_id
        assert follow_up.product_id == callback.product_id and follow_up.state == "received"
        origin_calls = db.session.scalars(select(TicketEvent).filter_by(ticket_id=callback.ticket_id, kind="call")).all()
        assert any(follow_up.number in e.body for e in origin_calls)
        assert _count(TicketEvent, ticket_id=follow_up.id, kind="call") == 1
    # a second click (another tab, a double submit) opens nothing more
    page = web.submit(f"/admin/callback/details/?id={callback_id}", {},
                      post_url=f"/admin/callback/follow_up/{callback_id}", follow=True).text
    assert follow_up.number in page and 'data-testid="follow-up"' not in page
    with app.app_context():
        assert _count(Ticket) == 2


def test_a_good_result_needs_no_follow_up(app, web, world):
    callback_id = _poor(app, world)  # GOOD: all 4s and 5s, fixed
    web.login("a_clerk")
    page = web.submit(f"/admin/callback/details/?id={callback_id}", {},
                      post_url=f"/admin/callback/follow_up/{callback_id}", follow=True).text
    assert "follow-up-box" not in page
    with app.app_context():
        assert get(callback_id).follow_up_ticket_id is None and _count(Ticket) == 1


def test_the_poor_mark_is_the_branchs(app, world):
    set_core(app, world["A"], poor_rating=3)
    callback_id = _poor(app, world, rating_skill="3")
    with app.app_context():
        assert callbacks.needs_follow_up(get(callback_id))
        assert callbacks.follow_up_kind(get(callback_id)) == "complaint"


# --- the pages ---------------------------------------------------------------------------------------

def _presets(web) -> dict:
    listing = web.get("/admin/callback/", follow_redirects=True).text
    return {code: url.replace("&amp;", "&") for code, url in re.findall(r'data-preset="(\w+)" href="([^"]+)"', listing)}


def _ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-testid="call-link" data-callback="(\d+)"', html)}


def test_the_queue_presets_today_overdue_upcoming_no_answer_done(app, web, world):
    day = today()
    now_due = new_callback(app, world, due_on=day + timedelta(days=2), next_try_on=day)
    late = new_callback(app, world, due_on=day - timedelta(days=1), next_try_on=day - timedelta(days=3))
    later = new_callback(app, world, due_on=day + timedelta(days=5), next_try_on=day + timedelta(days=1))
    retry = new_callback(app, world, due_on=day + timedelta(days=2), next_try_on=day + timedelta(days=1),
                         state="no_answer", attempts=1)
    done = new_callback(app, world, due_on=day, next_try_on=None, state="done", attempts=1)
    web.login("a_clerk")
    first = web.get("/admin/callback/")
    assert first.status_code == 302 and "flt0_0=today" in first.headers["Location"]
    presets = _presets(web)
    assert _ids(web.get(presets["today"]).text) == {now_due, late}
    assert _ids(web.get(presets["overdue"]).text) == {late}
    assert _ids(web.get(presets["upcoming"]).text) == {later, retry}
    assert _ids(web.get(presets["no_answer"]).text) == {retry}
    assert _ids(web.get(presets["done"]).text) == {done}
    assert _ids(web.get(presets["all"]).text) == {now_due, late, later, retry, done}
    assert 'data-overdue="1"' in web.get(presets["overdue"]).text
    with app.test_request_context():
        assert callbacks.due_today_count(_user(world, "a_clerk")) == 2
        assert callbacks.due_today_count(_user(world, "b_clerk")) == 0
        assert callbacks.due_today_count(_user(world, "admin")) == 2
        assert callbacks.due_today_count(_user(world, "a_engineer")) == 0


@pytest.mark.parametrize("term", ["客户A", "13800000001", "A-20"])
def test_the_queue_is_searched_by_name_phone_and_ticket_number(app, web, world, term):
    callback_id = new_callback(app, world)
    web.login("a_clerk")
    assert _ids(web.get("/admin/callback/", query_string={"flt0_0": "all", "search": term}).text) == {callback_id}
    assert not _ids(web.get("/admin/callback/", query_string={"flt0_0": "all", "search": "无此人"}).text)


def test_the_call_page_shows_the_visit_and_the_fee_standard_before_the_card(app, web, world):
    set_core(app, world["A"], fee_standard="人工费 100 元/小时")
    ticket_id, visit_id = make_visit(app, world, steps=("depart", "arrive", "report", "finish"))
    with app.app_context():
        callback_id = db.session.scalar(select(Callback.id).filter_by(visit_id=visit_id))
    web.login("a_clerk")
    page = web.get(f"/admin/callback/details/?id={callback_id}").text
    assert "人工费 100 元/小时" in page and "a_engineer" in page and "13800000001" in page
    assert page.index('data-testid="fee-standard"') < page.index('data-testid="survey-form"')


def test_recording_through_the_page_moves_the_call_to_done_and_into_the_customer_file(app, web, world):
    callback_id = new_callback(app, world)
    web.login("a_clerk")
    with app.app_context():
        version = get(callback_id).version
    page = web.submit(f"/admin/callback/details/?id={callback_id}", {**GOOD, "seen_version": str(version)},
                      post_url=f"/admin/callback/record/{callback_id}", follow=True).text
    assert 'data-state="done"' in page and 'data-testid="survey-form"' not in page
    customer = web.get(f"/admin/customer/details/?id={world['customers']['A']}").text
    section = customer[customer.index('data-testid="customer-callbacks"'):]
    assert "5 / 4 / 5 / 5" in section and "师傅很专业" in section
    assert callback_id not in _ids(web.get("/admin/callback/?flt0_0=today").text)
    assert callback_id in _ids(web.get("/admin/callback/?flt0_0=done").text)


def test_a_bad_card_through_the_page_keeps_what_was_ticked(app, web, world):
    callback_id = new_callback(app, world)
    web.login("a_clerk")
    page = web.submit(f"/admin/callback/details/?id={callback_id}",
                      {**GOOD, "rating_skill": "9", "suggestions": "留着这句话"},
                      post_url=f"/admin/callback/record/{callback_id}")
    assert page.status_code == 200
    assert "invalid-feedback" in page.text and "留着这句话" in page.text
    assert re.search(r'id="rating_attitude-5"[^>]*checked', page.text)
    with app.app_context():
        assert get(callback_id).state == "due"


def test_no_answer_through_the_page_and_a_stale_page_is_refused(app, web, world):
    callback_id = new_callback(app, world)
    web.login("a_clerk")
    with app.app_context():
        version = get(callback_id).version
    web.submit(f"/admin/callback/details/?id={callback_id}", {"seen_version": str(version)},
               post_url=f"/admin/callback/no_answer/{callback_id}", follow=True)
    page = web.submit(f"/admin/callback/details/?id={callback_id}", {**GOOD, "seen_version": str(version)},
                      post_url=f"/admin/callback/record/{callback_id}", follow=True).text
    assert "alert-danger" in page
    with app.app_context():
        assert (get(callback_id).state, get(callback_id).attempts) == ("no_answer", 1)


def test_cancelling_needs_a_reason(app, web, world):
    callback_id = new_callback(app, world)
    web.login("a_clerk")
    web.submit(f"/admin/callback/details/?id={callback_id}", {"reason": ""},
               post_url=f"/admin/callback/cancel/{callback_id}")
    with app.app_context():
        assert get(callback_id).state == "due"
    web.submit(f"/admin/callback/details/?id={callback_id}", {"reason": "客户要求不再回访"},
               post_url=f"/admin/callback/cancel/{callback_id}")
    with app.app_context():
        assert (get(callback_id).state, get(callback_id).cancel_reason) == ("cancelled", "客户要求不再回访")


# --- who may see and do what -------------------------------------------------------------------------

@pytest.mark.parametrize("username, status", [
    ("a_clerk", 200), ("a_branch_manager", 200), ("admin", 200), ("a_engineer", 403), ("b_clerk", 200),
])
def test_who_opens_the_queue(web, world, username, status):
    web.login(username)
    assert web.get("/admin/callback/", follow_redirects=True).status_code == status


def test_signed_out_visitors_are_sent_to_login(web, world):
    for url in ("/admin/callback/", "/admin/callback/details/?id=1"):
        response = web.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["b_clerk", "b_branch_manager", "b_engineer", "a_engineer"])
def test_another_branchs_callback_is_invisible_and_untouchable(app, web, world, username):
    callback_id = new_callback(app, world)
    web.login(username)
    assert web.get(f"/admin/callback/details/?id={callback_id}").status_code in (403, 404)
    listing = web.get("/admin/callback/?flt0_0=all")
    assert listing.status_code in (200, 403) and not _ids(listing.text)
    assert not _ids(web.get("/admin/callback/?flt0_0=all&search=13800000001").text)
    token_page = "/admin/"
    for action, data in (("record", GOOD), ("no_answer", {}), ("cancel", {"reason": "x"}), ("follow_up", {})):
        response = web.submit(token_page, data, post_url=f"/admin/callback/{action}/{callback_id}")
        assert response.status_code in (403, 404)
    customer = web.get(f"/admin/customer/details/?id={world['customers']['A']}", follow_redirects=True)
    assert "customer-callbacks" not in customer.text
    with app.app_context():
        callback = get(callback_id)
        assert (callback.state, callback.attempts, callback.cancel_reason) == ("due", 0, "")


def test_hq_sees_and_works_every_branchs_callbacks(app, web, world):
    a = new_callback(app, world, "A")
    b = new_callback(app, world, "B")
    web.login("admin")
    assert _ids(web.get("/admin/callback/?flt0_0=all").text) == {a, b}
    web.submit(f"/admin/callback/details/?id={b}", GOOD, post_url=f"/admin/callback/record/{b}")
    with app.app_context():
        assert get(b).state == "done"


def test_seeing_is_not_recording(app, web, world):
    with app.app_context():
        db.session.add(Role(code="callback_reader", name="回访查看", permissions=["callback.view", "customer.view"]))
        db.session.commit()
        create_user("a_reader", PASSWORD, "A", ["callback_reader"])
        db.session.commit()
    callback_id = _poor(app, world, fixed="n")
    other = new_callback(app, world)
    web.login("a_reader")
    assert web.get(f"/admin/callback/details/?id={other}").status_code == 200
    assert 'data-testid="survey-form"' not in web.get(f"/admin/callback/details/?id={other}").text
    assert 'data-testid="follow-up"' not in web.get(f"/admin/callback/details/?id={callback_id}").text
    web.submit(f"/admin/callback/details/?id={other}", GOOD, post_url=f"/admin/callback/record/{other}")
    web.submit(f"/admin/callback/details/?id={other}", {}, post_url=f"/admin/callback/no_answer/{other}")
    web.submit(f"/admin/callback/details/?id={callback_id}", {}, post_url=f"/admin/callback/follow_up/{callback_id}")
    with app.app_context():
        assert (get(other).state, get(other).attempts) == ("due", 0)
        assert get(callback_id).follow_up_ticket_id is None


def test_odd_ids_and_filter_values_never_produce_a_server_error(app, web, world):
    new_callback(app, world)
    web.login("a_branch_manager")
    for raw in ("1,2", "abc", "-1", "99999999999999999999", "", "0"):
        assert web.get(f"/admin/callback/details/?id={raw}").status_code == 404
    for action in ("record", "no_answer", "cancel", "follow_up"):
        assert web.submit("/admin/", {}, post_url=f"/admin/callback/{action}/99999999999").status_code == 404
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "callback")
    for index in range(len(view._filters)):
        for value in ("0001-01-01", "9999-12-31", "not a date", "nonsense"):
            response = web.get("/admin/callback/", query_string={f"flt0_{index}": value})
            assert response.status_code == 200, (index, value)


def test_the_customer_file_shows_callbacks_only_to_those_who_may_see_them(app, web, world):
    new_callback(app, world)
    web.login("a_engineer")
    assert "customer-callbacks" not in web.get(f"/admin/customer/details/?id={world['customers']['A']}").text
    web.logout()
    web.login("a_clerk")
    assert "customer-callbacks" in web.get(f"/admin/customer/details/?id={world['customers']['A']}").text


# --- monthly figures --------------------------------------------------------------------------------

NOV_START, NOV_END = local("2026-11-01 00:00"), local("2026-12-01 00:00")


def _row(branch_id, customer_id, due_on, state="due", done_at=None, **card):
    done_on = done_at.astimezone(SHANGHAI).date() if done_at else None
    return Callback(branch_id=branch_id, customer_id=customer_id, kind="satisfaction", due_on=due_on, state=state,
                    done_at=done_at, done_on=done_on, **card)


def _month_data(app, world):
    """Branch A, November 2026 (Shanghai):
    due in November (not cancelled): 1, 2, 3, 4, 5 → 5; done 1, 2, 3 → 3; on time 1, 2 → 2;
    no answer 4; given up 5; out of the month: 6 (Oct 31), 7 (Dec 1); 8 cancelled.
    recorded in November: 1, 2, 3, 6 → 4 cards; 9 done Oct 31 23:30 Shanghai is October's.
    attitude 5,4,2,3 → 3.5; skill 4,4,3,None → 3.67; punctuality 5,3,None,None → 4.0;
    service 5,4,1,4 → 3.5; overall (14 + 11 + 8 + 14) / 13 = 3.62; fixed yes 1, 2, 6 of 4 asked → 0.75;
    fee charged 1, 3 → shown 1 → 0.5.
    Branch B: one due on Nov 30, done Nov 29 with service 2."""
    a, b, ca, cb = world["A"], world["B"], world["customers"]["A"], world["customers"]["B"]
    rows = [
        _row(a, ca, date(2026, 11, 5), "done", local("2026-11-05 10:00"), fixed=True, fee_charged=True,
             fee_standard_shown=True, rating_attitude=5, rating_skill=4, rating_punctuality=5, rating_service=5),
        _row(a, ca, date(2026, 11, 10), "done", local("2026-11-02 09:00"), fixed=True, fee_charged=False,
             rating_attitude=4, rating_skill=4, rating_punctuality=3, rating_service=4),
        _row(a, ca, date(2026, 11, 10), "done", local("2026-11-11 09:00"), fixed=False, fee_charged=True,
             fee_standard_shown=False, rating_attitude=2, rating_skill=3, rating_service=1),
        _row(a, ca, date(2026, 11, 20), "no_answer", attempts=1),
        _row(a, ca, date(2026, 11, 30), "given_up", attempts=3),
        _row(a, ca, date(2026, 10, 31), "done", local("2026-11-01 00:30"), fixed=True, rating_attitude=3,
             rating_service=4),
        _row(a, ca, date(2026, 12, 1)),
        _row(a, ca, date(2026, 11, 15), "cancelled"),
        _row(a, ca, date(2026, 10, 30), "done", local("2026-10-31 23:30"), rating_service=1),
        _row(b, cb, date(2026, 11, 30), "done", local("2026-11-29 09:00"), rating_service=2),
    ]
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


def test_monthly_figures_of_a_branch_match_a_hand_count(app, world):
    _month_data(app, world)
    with app.app_context():
        figures = callbacks.monthly_figures(NOV_START, NOV_END, world["A"])
    assert {k: figures[k] for k in ("due", "done", "done_on_time", "no_answer", "given_up", "open", "results")} == {
        "due": 5, "done": 3, "done_on_time": 2, "no_answer": 1, "given_up": 1, "open": 0, "results": 4}
    assert figures["on_time_share"] == 0.4
    assert (figures["avg_attitude"], figures["avg_skill"], figures["avg_punctuality"], figures["avg_service"]) == (
        3.5, 3.67, 4.0, 3.5)
    assert figures["avg_overall"] == 3.62
    assert figures["fixed_share"] == 0.75 and figures["fee_standard_shown_share"] == 0.5


def test_monthly_figures_per_branch_and_for_the_company(app, world):
    _month_data(app, world)
    with app.app_context():
        per_branch = callbacks.monthly_figures(NOV_START, NOV_END)
        company = callbacks.company_figures(NOV_START, NOV_END)
        empty = callbacks.monthly_figures(local("2025-01-01 00:00"), local("2025-02-01 00:00"), world["A"])
    assert set(per_branch) == {world["A"], world["B"]}
    assert per_branch[world["A"]]["due"] == 5 and per_branch[world["B"]]["due"] == 1
    assert per_branch[world["B"]]["avg_service"] == 2.0 and per_branch[world["B"]]["done_on_time"] == 1
    assert (company["due"], company["done"], company["results"]) == (6, 4, 5)
    assert company["avg_service"] == 3.2  # (5 + 4 + 1 + 4 + 2) / 5
    assert empty["due"] == 0 and empty["avg_overall"] is None and empty["on_time_share"] is None
