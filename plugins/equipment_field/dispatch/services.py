"""Dispatching field engineers (issue 6 items 1–2): the board's tickets and the engineers'
load, phone guidance before a visit, and sending engineers through the core's
``schedule_visit``. Like every service of the portal nothing here commits: the page does,
so one request is one transaction, and a refusal raises ``TicketError`` before anything
is changed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, func, or_, select

from portal.plugin_api import (
    Customer, Ticket, TicketError, User, Visit, as_id, branch_zone as zone_of, can, db,
    engineer_choices, local_today, log_on_ticket, plugin_settings, schedule_visit, scope, utcnow,
)

from .. import NAME
from .. import messages as shared_messages
from ..rules import Distance, check_dispatch, distance_class, needs_travel_approval
from . import rules
from .models import FieldPhoneGuidance, FieldTrip

WORK_STATES = ("triaged", "assigned", "in_progress", "waiting_customer")
OPEN_VISIT_STATES = ("scheduled", "departed", "arrived")
BOARD_LIMIT = 100
LOAD_DAYS = 5
COUNT_CAP = 1000
MAX_TEXT = 2000


def settings_of(branch_id) -> dict | None:
    """The plugin's settings in the branch, or None where HQ has not switched it on."""
    return plugin_settings(NAME, branch_id)


# --- the branch, ids and scope -------------------------------------------------------------------


def day_bounds(day: date, branch) -> tuple[datetime, datetime]:
    """The branch-local day [start, end) as aware instants."""
    start = datetime.combine(day, time.min, tzinfo=zone_of(branch))
    return start, start + timedelta(days=1)


def _in_scope(model, raw_id):
    pk = as_id(raw_id)
    if pk is None:
        return None
    query = scope(db.session.query(model), model).filter(model.id == pk)
    if hasattr(model, "deleted_at"):
        query = query.filter(model.deleted_at.is_(None))
    record = query.one_or_none()
    if record is not None and settings_of(record.branch_id) is None:
        return None  # the plugin is off in the record's branch: its pages are gone there
    return record


def ticket_in_scope(raw_id) -> Ticket | None:
    return _in_scope(Ticket, raw_id)


def visit_in_scope(raw_id) -> Visit | None:
    return _in_scope(Visit, raw_id)


def may(code: str, branch_id) -> bool:
    return can(code, plugin=NAME, branch_id=branch_id)


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise TicketError(_("Your role does not allow this step."))


def text(raw, limit: int = MAX_TEXT) -> str:
    return str(raw or "").strip()[:limit]


# --- distance and arrival --------------------------------------------------------------------------

def distance_of(ticket: Ticket):
    customer = ticket.customer
    return distance_class(customer.province if customer else None, ticket.branch.province if ticket.branch else None)


def distance_label(verdict) -> str:
    return str(shared_messages.DISTANCE_LABELS[str(verdict.distance)])


def customer_location(customer: Customer | None) -> str:
    if customer is None:
        return ""
    parts = [customer.province or "", customer.city or "", customer.address or ""]
    line = ""
    for part in parts:
        part = part.strip()
        if part and part not in line:
            line += part
    return line


# --- the board -------------------------------------------------------------------------------------

BOARD_PRESETS = ("waiting", "dispatched", "all")


def _open_visit_exists():
    return exists().where(Visit.ticket_id == Ticket.id, Visit.state.in_(OPEN_VISIT_STATES))


def _board_base(branch):
    """Open tickets of the branch that may need an engineer on site and have none yet."""
    query = db.session.query(Ticket).filter(
        Ticket.branch_id == branch.id, Ticket.deleted_at.is_(None), Ticket.state.in_(WORK_STATES),
        Ticket.arrived_at.is_(None), Ticket.kind.notin_(rules.NO_VISIT_KINDS),
        or_(Ticket.handling.is_(None), Ticket.handling.notin_(rules.OFF_SITE_HANDLINGS)),
    )
    return scope(query, Ticket)


def waiting_condition():
    return ~_open_visit_exists()


def board_tickets(branch, preset: str = "waiting", search: str = "") -> list[Ticket]:
    query = _board_base(branch)
    if preset == "waiting":
        query = query.filter(waiting_condition())
    elif preset == "dispatched":
        query = query.filter(_open_visit_exists())
    search = text(search, 80)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.join(Customer, Customer.id == Ticket.customer_id).filter(or_(
            Ticket.number.like(pattern, escape="\\"), Ticket.title.like(pattern, escape="\\"),
            Customer.name.like(pattern, escape="\\"), Customer.city.like(pattern, escape="\\")))
    # Earliest promise or opening first: that is the order the arrival clocks run out in.
    return query.order_by(func.coalesce(Ticket.arrival_due, Ticket.promised_arrival_at, Ticket.created_at),
                          Ticket.id).limit(BOARD_LIMIT).all()


def count_waiting(branch) -> int:
    ids = _board_base(branch).filter(waiting_condition()).with_entities(Ticket.id).limit(COUNT_CAP)
    return db.session.query(func.count()).select_from(ids.subquery()).scalar() or 0


def guidance_state(ticket_ids) -> dict[int, str]:
    """{ticket id: "attempt" | "skipped"} for tickets with phone guidance recorded."""
    if not ticket_ids:
        return {}
    rows = db.session.execute(select(FieldPhoneGuidance.ticket_id, FieldPhoneGuidance.kind)
                              .where(FieldPhoneGuidance.ticket_id.in_(list(ticket_ids)))).all()
    found: dict[int, str] = {}
    for ticket_id, kind in rows:
        if kind == "attempt" or ticket_id not in found:
            found[ticket_id] = kind
    return found


def load_days(branch) -> list[date]:
    today = local_today(branch)
    return [today + timedelta(days=n) for n in range(LOAD_DAYS)]


def engineer_load(branch) -> tuple[list, list[date], dict]:
    """The branch's engineers, the days shown, and their scheduled visits per day."""
    days = load_days(branch)
    engineers = engineer_choices(branch.id)
    start, _end = day_bounds(days[0], branch)
    end = day_bounds(days[-1], branch)[1]
    visits = db.session.query(Visit).filter(
        Visit.branch_id == branch.id, Visit.state != "cancelled",
        Visit.scheduled_for >= start, Visit.scheduled_for < end).all()
    zone = zone_of(branch)
    pairs = [(e.id, v.scheduled_for.astimezone(zone).date()) for v in visits for e in v.engineers]
    return engineers, days, rules.engineer_load(pairs, [e.id for e in engineers], days)


# --- phone guidance ----------------------------------------------------------------------------------

def guidance_of(ticket: Ticket) -> list[FieldPhoneGuidance]:
    return db.session.scalars(select(FieldPhoneGuidance).where(FieldPhoneGuidance.ticket_id == ticket.id)
                              .order_by(FieldPhoneGuidance.at, FieldPhoneGuidance.id)).all()


def needs_guidance(ticket: Ticket, recorded: dict, settings: dict) -> bool:
    """For the board: the dispatch rule would refuse this ticket (``recorded`` from
    :func:`guidance_state`, so a page of tickets costs one query)."""
    if not rules.guidance_applies(ticket.kind):
        return False
    kind = recorded.get(ticket.id)
    return bool(check_dispatch(kind == "attempt", "-" if kind == "skipped" else None, settings))


def guidance_refusals(ticket: Ticket, settings: dict) -> list[str]:
    """Codes of the dispatch rule for this ticket (rules.check_dispatch)."""
    if not rules.guidance_applies(ticket.kind):
        return []
    records = guidance_of(ticket) if ticket.id else []
    attempted = any(r.kind == "attempt" for r in records)
    reason = next((r.text for r in records if r.kind == "skipped" and r.text.strip()), None)
    return check_dispatch(attempted, reason, settings)


def record_guidance(ticket: Ticket, kind: str, note: str, solved: bool, user: User) -> FieldPhoneGuidance:
    _refuse_unless(may("field.dispatch", ticket.branch_id) or may("field.visit", ticket.branch_id))
    if kind not in ("attempt", "skipped"):
        raise TicketError(_("There is no such step."))
    if not ticket.is_open or ticket.deleted_at is not None:
        raise TicketError(_("The ticket is no longer open."))
    note = text(note)
    if not note:
        raise TicketError(_("Say what came of the call.") if kind == "attempt" else
                          _("Write why the engineer must go without phone guidance."), {"note": "x"})
    record = FieldPhoneGuidance(branch_id=ticket.branch_id, ticket_id=ticket.id, kind=kind, at=utcnow(),
                                by_id=user.id, text=note, solved=bool(solved) and kind == "attempt")
    db.session.add(record)
    body = (_("Phone guidance tried: %(outcome)s", outcome=note) if kind == "attempt"
            else _("Visit without phone guidance: %(reason)s", reason=note))
    log_on_ticket(ticket, body, user, guidance=kind)
    return record


# --- sending engineers ------------------------------------------------------------------------------

def parse_local_datetime(raw, branch) -> datetime | None:
    value = str(raw or "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_of(branch))
    return moment.astimezone(ZoneInfo("UTC"))


def parse_date(raw) -> date | None:
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


def parse_km(raw) -> tuple[int | None, str | None]:
    value = str(raw or "").strip()
    if not value:
        return None, None
    try:
        km = int(value)
    except ValueError:
        km = -1
    if not 0 <= km <= rules.MAX_KM:
        return None, _("Enter the distance in whole kilometres, from 0 to %(max)s.", max=rules.MAX_KM)
    return km, None


def trip_fields(form, visit_day: date, ticket: Ticket) -> tuple[dict, dict]:
    """The trip part of a dispatch form, checked: distance, places, last day, purpose."""
    errors = {}
    km, problem = parse_km(form.get("distance_km"))
    if problem:
        errors["distance_km"] = problem
    places = text(form.get("places"), 255)
    if not places:
        customer = ticket.customer
        places = (customer.city or customer.province or "").strip() if customer else ""
    end_raw = str(form.get("end_date") or "").strip()
    end = parse_date(end_raw) if end_raw else visit_day
    if end is None:
        errors["end_date"] = _("Enter the date like 2026-03-10.")
    elif end < visit_day:
        errors["end_date"] = _("The trip cannot end before the visit.")
    elif rules.trip_days(visit_day, end) > rules.MAX_TRIP_DAYS:
        errors["end_date"] = _("A trip lasts at most %(days)s days.", days=rules.MAX_TRIP_DAYS)
    return {"distance_km": km, "places": places, "start_date": visit_day, "end_date": end,
            "purpose": text(form.get("purpose"))}, errors


def dispatch(ticket: Ticket, form, user: User) -> Visit:
    """Send engineers to the ticket's customer through the core (which asks every plugin's
    veto, ours included); a visit that needs travel gets its trip, waiting for approval."""
    _refuse_unless(may("field.dispatch", ticket.branch_id))
    settings = settings_of(ticket.branch_id)
    if settings is None:
        raise TicketError(_("The field equipment rules are not switched on in this branch."))
    when = parse_local_datetime(form.get("when"), ticket.branch)
    errors = {}
    if when is None:
        errors["when"] = _("Enter the date and time of the visit.")
    visit_day = when.astimezone(zone_of(ticket.branch)).date() if when else local_today(ticket.branch)
    trip, trip_errors = trip_fields(form, visit_day, ticket)
    errors.update(trip_errors)
    if errors:
        raise TicketError(list(errors.values()), errors)
    engineers = form.getlist("engineers") if hasattr(form, "getlist") else form.get("engineers", [])
    visit = schedule_visit(ticket, when, engineers, form.get("address", ""), user)
    verdict = distance_of(ticket)
    needs = needs_travel_approval(verdict.distance, trip["distance_km"], settings)
    if needs or trip["distance_km"] is not None or form.get("places"):
        open_trip(visit, trip, needs, verdict.distance, user)
    return visit


def open_trip(visit: Visit, fields: dict, needs: bool, distance: str, user: User) -> FieldTrip:
    trip = FieldTrip(
        branch_id=visit.branch_id, visit=visit, ticket_id=visit.ticket_id, distance_class=str(distance),
        distance_km=fields["distance_km"], needs_approval=needs, places=fields["places"],
        start_date=fields["start_date"], end_date=fields["end_date"],
        days=rules.trip_days(fields["start_date"], fields["end_date"]), purpose=fields["purpose"],
        state="waiting" if needs else "not_needed", requested_by_id=user.id,
    )
    db.session.add(trip)
    if needs:
        log_on_ticket(visit.ticket, _("Trip to %(places)s waits for the general manager's approval.",
                                      places=trip.places or "–"), user, trip_distance=str(distance),
                      distance_km=fields["distance_km"])
    return trip


def trip_of(visit: Visit) -> FieldTrip | None:
    return db.session.scalar(select(FieldTrip).where(FieldTrip.visit_id == visit.id, FieldTrip.deleted_at.is_(None)))


def visits_of(ticket: Ticket) -> list[Visit]:
    return db.session.scalars(select(Visit).where(Visit.ticket_id == ticket.id).order_by(Visit.scheduled_for)).all()


# --- the vetoes -----------------------------------------------------------------------------------------

def _signed_in_person() -> bool:
    """True when a person is signed in for this request (a page or the API)."""
    from flask import has_request_context

    return has_request_context() and bool(getattr(current_user, "is_authenticated", False))


def schedule_refusals(ticket: Ticket, settings: dict) -> list[str]:
    # The core's demo loader writes a month of history with nobody signed in and schedules
    # visits without phone guidance; the rule is about a dispatcher's decision, so it binds
    # the people who dispatch (pages, API), not that batch writer (core gap, see report).
    if not _signed_in_person():
        return []
    return [shared_messages.describe(code) for code in guidance_refusals(ticket, settings)]


def departure_refusals(ticket: Ticket, visit: Visit, settings: dict) -> list[str]:
    from ..rules import check_departure

    trip = trip_of(visit)
    verdict = distance_of(ticket)
    needs = needs_travel_approval(verdict.distance, trip.distance_km if trip else None, settings)
    needs = needs or bool(trip and trip.needs_approval)
    approved = trip is not None and trip.state == "approved"
    return [shared_messages.describe(code) for code in check_departure(needs, approved)]


def out_of_province(verdict) -> bool:
    return verdict.distance == Distance.OUT_OF_PROVINCE
