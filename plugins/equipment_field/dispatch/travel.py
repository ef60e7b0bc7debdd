"""Travel (issue 6 item 3): the general manager's approval of a trip, the travel advance,
and the expense claim checked against the trip (rules.check_expense_claim) before the
manager approves it or returns it with a reason. Nothing here commits."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.plugin_api import Customer, Ticket, TicketError, User, Visit, db, log_on_ticket, scope, utcnow, check_version

from .. import messages as shared_messages
from ..rules import EXPENSE_CATEGORIES, ExpenseLine, check_expense_claim, needs_travel_approval
from .models import CLAIM_EDITABLE, FieldExpenseClaim, FieldExpenseLine, FieldExpenseReceipt, FieldTrip
from .services import (
    COUNT_CAP, _in_scope, _refuse_unless, distance_of, may, parse_date, settings_of, text, trip_fields, trip_of,
)

MAX_AMOUNT = Decimal("1000000")
MAX_RECEIPT = 5 * 1024 * 1024
MAX_RECEIPTS_PER_LINE = 10
MAX_LINES = 100
RECEIPT_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def money(raw, field: str = "amount", allow_zero: bool = False) -> Decimal:
    value = str(raw or "").strip().replace(",", "").replace("，", "")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) \
            or amount > MAX_AMOUNT or amount < 0 or (amount == 0 and not allow_zero):
        raise TicketError(_("Enter the amount in yuan, e.g. 350.00."), {field: "x"})
    return amount.quantize(Decimal("0.01"))


def trip_in_scope(raw_id) -> FieldTrip | None:
    return _in_scope(FieldTrip, raw_id)


def claim_in_scope(raw_id) -> FieldExpenseClaim | None:
    return _in_scope(FieldExpenseClaim, raw_id)


def receipt_in_scope(raw_id) -> FieldExpenseReceipt | None:
    receipt = _in_scope(FieldExpenseReceipt, raw_id)
    if receipt is None or receipt.line.deleted_at is not None or receipt.line.claim.deleted_at is not None:
        return None
    return receipt


# --- trips ------------------------------------------------------------------------------------------

def record_trip(visit: Visit, form, user: User) -> FieldTrip:
    """The trip of a visit scheduled without one (e.g. on the core's ticket page)."""
    _refuse_unless(may("field.dispatch", visit.branch_id))
    settings = settings_of(visit.branch_id)
    if settings is None:
        raise TicketError(_("The field equipment rules are not switched on in this branch."))
    if trip_of(visit) is not None:
        raise TicketError(_("This visit has its trip already."))
    if visit.state not in ("scheduled",):
        raise TicketError(_("Record the trip before the engineer departs."))
    from .services import open_trip, zone_of

    day = visit.scheduled_for.astimezone(zone_of(visit.branch)).date()
    fields, errors = trip_fields(form, day, visit.ticket)
    if errors:
        raise TicketError(list(errors.values()), errors)
    verdict = distance_of(visit.ticket)
    needs = needs_travel_approval(verdict.distance, fields["distance_km"], settings)
    return open_trip(visit, fields, needs, verdict.distance, user)


def decide_trip(trip: FieldTrip, approve: bool, note: str, user: User) -> FieldTrip:
    _refuse_unless(may("field.approve_travel", trip.branch_id))
    if trip.state != "waiting":
        raise TicketError(_("This trip is not waiting for approval."))
    note = text(note)
    if not approve and not note:
        raise TicketError(_("Write the reason."), {"note": "x"})
    trip.state = "approved" if approve else "rejected"
    trip.decided_by_id, trip.decided_at, trip.decision_note = user.id, utcnow(), note
    if trip.advance_state == "requested":
        # The manager signs the trip and its advance on one form (003 §3.3).
        trip.advance_state = trip.state
        trip.advance_decided_by_id, trip.advance_decided_at = user.id, trip.decided_at
    body = _("Trip approved by the general manager.") if approve else \
        _("Trip refused by the general manager: %(reason)s", reason=note)
    log_on_ticket(trip.ticket, body, user, trip_id=trip.id, trip_state=trip.state)
    return trip


def request_advance(trip: FieldTrip, amount, purpose: str, user: User) -> FieldTrip:
    _refuse_unless(may("field.dispatch", trip.branch_id) or _is_traveller(trip, user))
    if trip.state == "rejected":
        raise TicketError(_("The trip was refused: no advance for it."))
    if trip.advance_state in ("requested", "approved"):
        raise TicketError(_("An advance was asked for this trip already."))
    value = money(amount, "advance_amount")
    purpose = text(purpose, 255)
    if not purpose:
        raise TicketError(_("Say what the advance is for."), {"advance_purpose": "x"})
    trip.advance_amount, trip.advance_purpose, trip.advance_state = value, purpose, "requested"
    trip.advance_requested_by_id, trip.advance_requested_at = user.id, utcnow()
    trip.advance_decided_by_id = trip.advance_decided_at = None
    trip.advance_note = ""
    return trip


def decide_advance(trip: FieldTrip, approve: bool, note: str, user: User) -> FieldTrip:
    _refuse_unless(may("field.approve_travel", trip.branch_id))
    if trip.advance_state != "requested":
        raise TicketError(_("No advance is waiting for approval."))
    note = text(note)
    if not approve and not note:
        raise TicketError(_("Write the reason."), {"advance_note": "x"})
    trip.advance_state = "approved" if approve else "rejected"
    trip.advance_decided_by_id, trip.advance_decided_at, trip.advance_note = user.id, utcnow(), note
    return trip


def _is_traveller(trip: FieldTrip, user: User) -> bool:
    visit = trip.visit
    return visit is not None and any(e.id == user.id for e in visit.engineers) and (
        may("field.visit", trip.branch_id) or may("ticket.work", trip.branch_id))


def may_claim(trip: FieldTrip, user: User) -> bool:
    return may("field.dispatch", trip.branch_id) or _is_traveller(trip, user)


# --- expense claims ---------------------------------------------------------------------------------

def claim_of(trip: FieldTrip) -> FieldExpenseClaim | None:
    return db.session.scalar(select(FieldExpenseClaim).where(
        FieldExpenseClaim.trip_id == trip.id, FieldExpenseClaim.deleted_at.is_(None)))


def start_claim(trip: FieldTrip, user: User) -> FieldExpenseClaim:
    _refuse_unless(may_claim(trip, user))
    if trip.state not in ("approved", "not_needed"):
        raise TicketError(_("Expenses are claimed for trips that were approved or needed no approval."))
    if trip.visit is None or trip.visit.departed_at is None:
        raise TicketError(_("Claim the expenses after the trip."))
    if claim_of(trip) is not None:
        raise TicketError(_("This trip has its expense claim already."))
    claim = FieldExpenseClaim(branch_id=trip.branch_id, trip=trip, claimant_id=user.id, state="draft")
    db.session.add(claim)
    return claim


def _editable(claim: FieldExpenseClaim, user: User) -> None:
    _refuse_unless(may_claim(claim.trip, user))
    if claim.state not in CLAIM_EDITABLE:
        raise TicketError(_("The claim is with the manager: it can no longer be changed."))


def _receipt_files(files) -> list[tuple[str, str, bytes]]:
    found = []
    for storage in files or ():
        if storage is None or not getattr(storage, "filename", ""):
            continue
        data = storage.read(MAX_RECEIPT + 1)
        name = str(storage.filename).replace("\\", "/").rsplit("/", 1)[-1][:200] or "receipt"
        kind = (storage.mimetype or "").lower()
        if not data:
            raise TicketError(_("The receipt %(name)s is empty.", name=name), {"receipts": "x"})
        if len(data) > MAX_RECEIPT:
            raise TicketError(_("The receipt %(name)s is larger than 5 MB.", name=name), {"receipts": "x"})
        if kind not in RECEIPT_TYPES:
            raise TicketError(_("Receipts are photos (PNG, JPEG, GIF, WebP) or PDF files: %(name)s is not.",
                                name=name), {"receipts": "x"})
        found.append((name, kind, data))
    if len(found) > MAX_RECEIPTS_PER_LINE:
        raise TicketError(_("Attach at most %(n)s receipts to a line.", n=MAX_RECEIPTS_PER_LINE), {"receipts": "x"})
    return found


def add_line(claim: FieldExpenseClaim, form, files, user: User) -> FieldExpenseLine:
    _editable(claim, user)
    errors = {}
    day = parse_date(form.get("day"))
    if day is None:
        errors["day"] = _("Enter the date like 2026-03-10.")
    category = str(form.get("category") or "")
    if category not in EXPENSE_CATEGORIES:
        errors["category"] = _("Choose a category from the list.")
    place = text(form.get("place"), 80)
    if not place:
        errors["place"] = _("Enter the place.")
    try:
        amount = money(form.get("amount"))
    except TicketError as exc:
        errors["amount"] = exc.messages[0]
        amount = None
    if len(claim.lines) >= MAX_LINES:
        errors["lines"] = _("A claim has at most %(n)s lines.", n=MAX_LINES)
    receipts = []
    try:
        receipts = _receipt_files(files)
    except TicketError as exc:
        errors["receipts"] = exc.messages[0]
    if errors:
        raise TicketError(list(errors.values()), errors)
    line = FieldExpenseLine(claim=claim, day=day, place=place, to_place=text(form.get("to_place"), 80),
                            category=category, amount=amount, note=text(form.get("note"), 255))
    db.session.add(line)
    for name, kind, data in receipts:
        db.session.add(FieldExpenseReceipt(branch_id=claim.branch_id, line=line, filename=name, content_type=kind,
                                           size=len(data), data=data, uploaded_by_id=user.id))
    db.session.flush()
    _retotal(claim)
    return line


def attach_receipts(claim: FieldExpenseClaim, line_id, files, user: User) -> FieldExpenseLine:
    _editable(claim, user)
    line = _line_of(claim, line_id)
    receipts = _receipt_files(files)
    if not receipts:
        raise TicketError(_("Choose the receipt files to attach."), {"receipts": "x"})
    for name, kind, data in receipts:
        db.session.add(FieldExpenseReceipt(branch_id=claim.branch_id, line=line, filename=name, content_type=kind,
                                           size=len(data), data=data, uploaded_by_id=user.id))
    return line


def _line_of(claim: FieldExpenseClaim, line_id) -> FieldExpenseLine:
    from .services import as_id

    pk = as_id(line_id)
    line = next((item for item in claim.lines if item.id == pk), None)
    if line is None:
        raise TicketError(_("There is no such line on this claim."))
    return line


def remove_line(claim: FieldExpenseClaim, line_id, user: User) -> None:
    _editable(claim, user)
    line = _line_of(claim, line_id)
    line.deleted_at = utcnow()
    db.session.flush()
    db.session.expire(claim, ["lines"])
    _retotal(claim)


def _retotal(claim: FieldExpenseClaim) -> None:
    total = db.session.scalar(select(func.coalesce(func.sum(FieldExpenseLine.amount), 0)).where(
        FieldExpenseLine.claim_id == claim.id, FieldExpenseLine.deleted_at.is_(None)))
    claim.total = Decimal(total or 0).quantize(Decimal("0.01"))


def receipt_counts(claim: FieldExpenseClaim) -> dict[int, int]:
    rows = db.session.execute(select(FieldExpenseReceipt.line_id, func.count(FieldExpenseReceipt.id))
                              .join(FieldExpenseLine, FieldExpenseLine.id == FieldExpenseReceipt.line_id)
                              .where(FieldExpenseLine.claim_id == claim.id)
                              .group_by(FieldExpenseReceipt.line_id)).all()
    return {line_id: int(count) for line_id, count in rows}


def check(claim: FieldExpenseClaim):
    """The claim against its trip (dates within the trip, places of the trip, receipts)."""
    trip = claim.trip
    counts = receipt_counts(claim)
    lines = [ExpenseLine(day=line.day, place=line.place, category=line.category, amount=line.amount,
                         receipt_count=counts.get(line.id, 0), to_place=line.to_place) for line in claim.lines]
    return check_expense_claim(trip.start_date, trip.end_date, trip.place_list, lines, trip.approved_advance)


def problems_text(result) -> list[str]:
    return [shared_messages.describe(problem) for problem in result.problems]


def submit_claim(claim: FieldExpenseClaim, user: User) -> FieldExpenseClaim:
    _editable(claim, user)
    result = check(claim)
    if not result.ok:
        raise TicketError(problems_text(result))
    claim.state, claim.submitted_at, claim.total = "submitted", utcnow(), result.total
    claim.return_reason = ""
    return claim


def approve_claim(claim: FieldExpenseClaim, user: User) -> FieldExpenseClaim:
    _refuse_unless(may("field.approve_travel", claim.branch_id))
    if claim.state != "submitted":
        raise TicketError(_("Only a submitted claim can be approved."))
    result = check(claim)
    if not result.ok:  # lines cannot change once submitted, but the trip's dates may have
        raise TicketError(problems_text(result))
    claim.state, claim.decided_at, claim.decided_by_id, claim.total = "approved", utcnow(), user.id, result.total
    log_on_ticket(claim.trip.ticket, _("Expense claim approved: %(total)s yuan. %(settlement)s",
                                       total=result.total, settlement=shared_messages.settlement_text(result.settlement)),
                  user, claim_id=claim.id)
    return claim


def return_claim(claim: FieldExpenseClaim, reason: str, user: User) -> FieldExpenseClaim:
    _refuse_unless(may("field.approve_travel", claim.branch_id))
    if claim.state != "submitted":
        raise TicketError(_("Only a submitted claim can be returned."))
    reason = text(reason)
    if not reason:
        raise TicketError(_("Write the reason."), {"return_reason": "x"})
    claim.state, claim.decided_at, claim.decided_by_id, claim.return_reason = "returned", utcnow(), user.id, reason
    return claim


# --- lists and counts ----------------------------------------------------------------------------------

TRIP_PRESETS = ("waiting", "claims", "open", "all")


def trips_query(preset: str):
    query = scope(db.session.query(FieldTrip), FieldTrip).filter(FieldTrip.deleted_at.is_(None))
    if preset == "waiting":
        # A cancelled visit takes its trip off the manager's desk.
        live_visits = select(Visit.id).where(Visit.state != "cancelled")
        query = query.filter((FieldTrip.state == "waiting") | (FieldTrip.advance_state == "requested"),
                             FieldTrip.visit_id.in_(live_visits))
    elif preset == "claims":
        query = query.filter(FieldTrip.id.in_(select(FieldExpenseClaim.trip_id).where(
            FieldExpenseClaim.state == "submitted", FieldExpenseClaim.deleted_at.is_(None))))
    elif preset == "open":
        query = query.filter(FieldTrip.state.in_(("waiting", "approved", "not_needed")),
                             FieldTrip.end_date >= date.today() - timedelta(days=60))
    return query


def search_trips(query, search: str):
    """Trips by ticket number, customer name or place (from the search box of the list)."""
    search = text(search, 80)
    if not search:
        return query
    pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    tickets = select(Ticket.id).join(Customer, Customer.id == Ticket.customer_id).where(
        Ticket.number.like(pattern, escape="\\") | Customer.name.like(pattern, escape="\\"))
    return query.filter(FieldTrip.places.like(pattern, escape="\\") | FieldTrip.ticket_id.in_(tickets))


def _capped(query) -> int:
    ids = query.with_entities(FieldTrip.id).limit(COUNT_CAP)
    return db.session.query(func.count()).select_from(ids.subquery()).scalar() or 0


def count_waiting_trips(branch_id=None) -> int:
    query = trips_query("waiting")
    if branch_id is not None:
        query = query.filter(FieldTrip.branch_id == branch_id)
    return _capped(query)


def count_claims_to_check(branch_id=None) -> int:
    query = trips_query("claims")
    if branch_id is not None:
        query = query.filter(FieldTrip.branch_id == branch_id)
    return _capped(query)
