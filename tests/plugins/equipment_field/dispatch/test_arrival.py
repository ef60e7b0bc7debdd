"""Arrival service levels by distance (000 §1.3): 8 working hours in the province, 24
beyond, per-branch settings, a promised time instead, on the branch's working calendar."""

from __future__ import annotations

from datetime import date, datetime

from portal.core import tickets
from portal.core.models import BranchHoliday, Ticket
from portal.extensions import db

from .conftest import ZONE, dispatch, open_ticket, record_guidance, set_settings, sign_in, tomorrow_at


def _due_after_opening(app, ticket_id, opened: datetime) -> datetime:
    """The ticket as if opened at ``opened`` with an engineer on the way: its arrival due."""
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.created_at = opened
        ticket.arrival_required = True
        tickets.refresh_sla(ticket)
        db.session.commit()
        return ticket.arrival_due.astimezone(ZONE)


def test_arrival_target_by_distance_class_from_branch_settings(app, field):
    inside, beyond = open_ticket(app, field, "in"), open_ticket(app, field, "out")
    set_settings(app, field["B"], arrival_hours_in_province=4, arrival_hours_out_of_province=30)
    later_inside = open_ticket(app, field, "in")
    later_beyond = open_ticket(app, field, "out")
    with app.app_context():
        minutes = {i: db.session.get(Ticket, i).arrival_target_min for i in (inside, beyond, later_inside, later_beyond)}
    assert minutes == {inside: 8 * 60, beyond: 24 * 60, later_inside: 4 * 60, later_beyond: 30 * 60}


def test_due_times_run_on_working_hours_across_the_weekend(app, field):
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=ZONE)  # a Friday, two working hours left
    inside, beyond = open_ticket(app, field, "in"), open_ticket(app, field, "out")
    assert _due_after_opening(app, inside, friday) == datetime(2026, 3, 9, 15, 0, tzinfo=ZONE)  # Monday
    assert _due_after_opening(app, beyond, friday) == datetime(2026, 3, 11, 13, 0, tzinfo=ZONE)  # Wednesday
    # A public holiday on the Monday moves it on by a working day.
    with app.app_context():
        db.session.add(BranchHoliday(branch_id=field["B"], day=date(2026, 3, 9), name="调休"))
        db.session.commit()
    assert _due_after_opening(app, inside, friday) == datetime(2026, 3, 10, 15, 0, tzinfo=ZONE)


def test_a_promised_time_is_the_arrival_due(app, field):
    promised = tomorrow_at(8).replace(minute=30)
    ticket_id = open_ticket(app, field, "out", promised=promised)
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).arrival_due == promised


def test_dispatching_starts_the_clock_shown_on_the_board(app, web, field):
    ticket_id = open_ticket(app, field, "out")
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).arrival_due is None
    sign_in(web, "b_dispatcher")
    record_guidance(web, ticket_id)
    dispatch(web, ticket_id, [field["users"]["b_field_engineer"]])
    with app.app_context():
        due = db.session.get(Ticket, ticket_id).arrival_due
    assert due is not None
    page = web.get("/admin/field/dispatch/?show=dispatched").text
    assert due.astimezone(ZONE).strftime("%Y-%m-%d %H:%M") in page
