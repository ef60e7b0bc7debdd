"""Follow-up calls and event invitations (000 汽车 §(三).4–6), as callbacks in the core queue.

The core's callback queue tells plugins nothing when a call is made (no event reaches a
plugin), so the second call is scheduled at delivery together with the first: due
``second_call_days`` after the first call's day. Invitations to an event are phoned
``invitation_weeks`` before it; the letter that follows is a task here, due
``letter_days`` after the call day, and its posting is recorded (who, when). Nothing here
commits."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.plugin_api import TicketError, db, schedule_callback, scope, utcnow

from .. import rules
from .common import as_id, local_today, may, parse_date, require_settings, text
from .models import EventInvitation, Vehicle, WorkOrder, WorkshopEvent
from .orders import log

FIRST_CALL = "auto_workshop.first_call"
SECOND_CALL = "auto_workshop.second_call"
INVITATION = "auto_workshop.invitation"


def delivered_on(order: WorkOrder):
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(order.branch.timezone if order.branch is not None else "Asia/Shanghai")
    return (order.delivered_at or utcnow()).astimezone(zone).date()


def schedule_after_delivery(order: WorkOrder, user) -> None:
    """The first call on the first day of the window, the second by its due day."""
    settings = require_settings(order.branch_id)
    first_day, _last_day = rules.first_call_window(delivered_on(order), settings)
    second_day = rules.second_call_due(first_day, settings)
    label = f"{order.number} {order.vehicle.plate}"
    schedule_callback(order.customer_id, first_day, FIRST_CALL,
                      _("%(label)s: first follow-up call", label=label)[:200], branch_id=order.branch_id)
    schedule_callback(order.customer_id, second_day, SECOND_CALL,
                      _("%(label)s: second follow-up call", label=label)[:200], branch_id=order.branch_id)
    order.first_call_due_on, order.second_call_due_on = first_day, second_day
    log(order, _("Follow-up calls scheduled: first on %(first)s, second by %(second)s.",
                 first=first_day.isoformat(), second=second_day.isoformat()), user)


# --- events -------------------------------------------------------------------------------------

def events_query():
    return scope(db.session.query(WorkshopEvent), WorkshopEvent).filter(WorkshopEvent.deleted_at.is_(None))


def event_in_scope(event_id):
    event_id = as_id(event_id)
    if event_id is None:
        return None
    return events_query().filter(WorkshopEvent.id == event_id).one_or_none()


def create_event(branch, form, user) -> WorkshopEvent:
    """An event and an invitation call for every vehicle owner of the branch, due
    ``invitation_weeks`` before it; too late to invite two weeks ahead is refused."""
    may("workshop.advise", user, branch.id)
    settings = require_settings(branch.id)
    name = text(form, "name", 120, _("Name the event."))
    event_on = parse_date(form.get("event_on"), "event_on", required=True)
    today = local_today(branch)
    try:
        call_day = rules.invitation_due(event_on, settings)
    except OverflowError:  # a date in year 1: as much too late as any other past day
        call_day = date.min
    if call_day < today:
        raise TicketError(_("Invitations are phoned %(weeks)s week(s) ahead: for an event on %(day)s the calls "
                            "were due by %(due)s. Choose a later date.", weeks=settings["invitation_weeks"],
                            day=event_on.isoformat(), due=call_day.isoformat()), {"event_on": "x"})
    event = WorkshopEvent(branch_id=branch.id, name=name, event_on=event_on, call_due_on=call_day,
                          created_by_id=user.id)
    db.session.add(event)
    db.session.flush()
    owners = db.session.scalars(select(Vehicle.customer_id).where(
        Vehicle.branch_id == branch.id, Vehicle.deleted_at.is_(None)).distinct().order_by(Vehicle.customer_id)).all()
    letter_day = rules.letter_due(call_day, settings)
    for customer_id in owners:
        callback = schedule_callback(customer_id, call_day, INVITATION,
                                     _("Invitation: %(event)s", event=f"{event_on.isoformat()} {name}")[:200],
                                     branch_id=branch.id)
        db.session.add(EventInvitation(branch_id=branch.id, event_id=event.id, customer_id=customer_id,
                                       callback_id=callback.id, letter_due_on=letter_day))
    db.session.flush()
    return event


def invitation_in_scope(invitation_id):
    invitation_id = as_id(invitation_id)
    if invitation_id is None:
        return None
    return scope(db.session.query(EventInvitation), EventInvitation).filter(
        EventInvitation.id == invitation_id).one_or_none()


def letter_sent(invitation: EventInvitation, note: str, user) -> None:
    may("workshop.advise", user, invitation.branch_id)
    if invitation.letter_sent_at is not None:
        raise TicketError(_("The letter has been recorded already."))
    invitation.letter_sent_at, invitation.letter_sent_by_id = utcnow(), user.id
    invitation.letter_note = (note or "").strip()[:255]


def letters_due_condition(today):
    return EventInvitation.letter_sent_at.is_(None) & (EventInvitation.letter_due_on <= today)


def count_letters_due(branch) -> int:
    query = scope(db.session.query(func.count(EventInvitation.id)), EventInvitation)
    return query.filter(EventInvitation.branch_id == branch.id,
                        letters_due_condition(local_today(branch))).scalar() or 0
