"""Demo records of the dispatch part on the demo branch (``flask --app portal demo load``):
phone guidance on the open repair tickets, a trip waiting for the general manager with its
advance, and approved trips of finished visits with their expense claims."""

from __future__ import annotations

import base64
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.plugin_api import Ticket, TicketError, User, Visit, db, schedule_visit, utcnow

from ..rules import needs_travel_approval
from .models import FieldExpenseClaim, FieldExpenseLine, FieldExpenseReceipt, FieldPhoneGuidance, FieldTrip
from .services import distance_of, local_today, zone_of

# A 1×1 white PNG: stands in for a photographed receipt.
RECEIPT = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAWk1v8QAAAABJRU5ErkJggg==")
OUTCOMES = ("电话指导客户检查电源和急停按钮，故障未排除，需上门。", "电话指导客户复位报警，运行半小时后再次报警，需上门。",
            "指导客户查看压力表和排气阀，判断需更换部件，安排上门。")


def _user(branch, role):
    return db.session.scalar(select(User).where(User.username == f"{branch.code.lower()}_{role}"))


def load(branch, settings) -> str:
    dispatcher = _user(branch, "dispatcher")
    engineer = _user(branch, "field_engineer")
    manager = _user(branch, "general_manager")
    if dispatcher is None or engineer is None or manager is None:
        return ""
    now = utcnow()
    tickets = db.session.scalars(select(Ticket).where(
        Ticket.branch_id == branch.id, Ticket.kind == "repair", Ticket.deleted_at.is_(None),
        Ticket.state.in_(("received", "triaged", "assigned"))).order_by(Ticket.id)).all()
    guided = 0
    for index, ticket in enumerate(tickets):
        db.session.add(FieldPhoneGuidance(branch_id=branch.id, ticket_id=ticket.id, kind="attempt",
                                          at=max(ticket.created_at, now - timedelta(hours=1)), by_id=dispatcher.id,
                                          text=OUTCOMES[index % len(OUTCOMES)]))
        guided += 1
    trips = 0
    # One ticket gets engineers for tomorrow, on a trip beyond the distance the branch allows.
    assigned = next((t for t in tickets if t.state == "assigned"), None)
    if assigned is not None:
        tomorrow = local_today(branch) + timedelta(days=1)
        when = datetime.combine(tomorrow, time(9, 30), tzinfo=zone_of(branch))
        try:
            visit = schedule_visit(assigned, when, [engineer.id], "", dispatcher)
        except TicketError:
            visit = None
        if visit is not None:
            km = int(settings["travel_approval_km"]) + 160
            verdict = distance_of(assigned)
            db.session.add(FieldTrip(
                branch_id=branch.id, visit=visit, ticket_id=assigned.id, distance_class=str(verdict.distance),
                distance_km=km, needs_approval=needs_travel_approval(verdict.distance, km, settings),
                places="洛阳", start_date=tomorrow, end_date=tomorrow + timedelta(days=1), days=2,
                purpose="客户设备故障，上门维修", state="waiting", requested_by_id=dispatcher.id,
                advance_amount=Decimal("2000.00"), advance_purpose="差旅费借款（交通、住宿）", advance_state="requested",
                advance_requested_by_id=dispatcher.id, advance_requested_at=now))
            trips += 1
    finished = db.session.scalars(select(Visit).where(Visit.branch_id == branch.id, Visit.state == "finished")
                                  .order_by(Visit.id).limit(3)).all()
    for index, visit in enumerate(finished):
        day = visit.scheduled_for.astimezone(zone_of(branch)).date()
        city = (visit.ticket.customer.city or "郑州") if visit.ticket.customer else "郑州"
        trip = FieldTrip(branch_id=branch.id, visit=visit, ticket_id=visit.ticket_id, distance_class="in_province",
                         distance_km=120 + 40 * index, needs_approval=True, places="、".join(dict.fromkeys(("郑州", city))), start_date=day, end_date=day,
                         days=1, purpose="上门维修", state="approved", requested_by_id=dispatcher.id,
                         decided_by_id=manager.id, decided_at=visit.scheduled_for, decision_note="同意",
                         advance_amount=Decimal("500.00"), advance_purpose="交通费借款", advance_state="approved",
                         advance_decided_by_id=manager.id, advance_decided_at=visit.scheduled_for)
        db.session.add(trip)
        claim = FieldExpenseClaim(branch_id=branch.id, trip=trip, claimant_id=engineer.id,
                                  state="approved" if index == 0 else "submitted",
                                  submitted_at=visit.finished_at or now)
        if index == 0:
            claim.decided_at, claim.decided_by_id = visit.finished_at or now, manager.id
        db.session.add(claim)
        lines = [("transport", Decimal("86.00"), "郑州", city), ("meals", Decimal("45.00"), city, ""),
                 ("allowance", Decimal("100.00"), city, "")]
        for category, amount, place, to_place in lines:
            line = FieldExpenseLine(claim=claim, day=day, place=place, to_place=to_place, category=category,
                                    amount=amount)
            db.session.add(line)
            if category not in ("allowance",):
                db.session.add(FieldExpenseReceipt(branch_id=branch.id, line=line, filename=f"{category}.png",
                                                   content_type="image/png", size=len(RECEIPT), data=RECEIPT,
                                                   uploaded_by_id=engineer.id))
        claim.total = sum((amount for _c, amount, _p, _t in lines), Decimal("0.00"))
        trips += 1
    return f"equipment_field dispatch: {guided} phone guidance records, {trips} trips"
