"""Outbound slips (出库单, 003 §4.5.3.2) and parts requests to the factory (004/1 五.4).

A slip names the customer, the parts and quantities and how they travel; out of warranty
each part carries its price and the slip its freight (``rules.slip_charge``). It waits for
the after-sales manager's approval; only an approved slip ships (``rules.check_slip_release``),
and shipping takes the parts out of stock. Whatever the store cannot cover when the slip is
written (``rules.shortages``) is requested from the factory with the needed-by day and
followed until it is received into stock. Nothing here commits.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func

from portal.plugin_api import Ticket, TicketError, db, scope, utcnow

from .. import messages, rules
from . import common
from .labels import SHIPPING_METHODS
from .models import FACTORY_NOT_SHIPPED, FACTORY_STATES, SLIP_OPEN, FieldFactoryRequest, FieldPart, FieldSlip, FieldSlipLine

MAX_LINES = 20


def parts_query():
    return scope(db.session.query(FieldPart), FieldPart).filter(FieldPart.deleted_at.is_(None))


def stock_of(branch_id, numbers) -> dict[str, FieldPart]:
    """The branch's parts with these part numbers (the store of the slip's branch)."""
    if not numbers:
        return {}
    rows = db.session.query(FieldPart).filter(FieldPart.branch_id == branch_id, FieldPart.deleted_at.is_(None),
                                              FieldPart.part_number.in_(list(numbers))).all()
    return {p.part_number: p for p in rows}


def read_lines(form) -> list[dict]:
    """The slip's lines as typed: part number, name, quantity, price (empty rows skipped)."""
    numbers, names = form.getlist("part_number"), form.getlist("part_name")
    qtys, prices = form.getlist("qty"), form.getlist("unit_price")
    lines = []
    for index in range(min(len(numbers), MAX_LINES)):
        number = (numbers[index] or "").strip()[:60]
        name = (names[index] if index < len(names) else "").strip()[:120]
        qty_raw = (qtys[index] if index < len(qtys) else "").strip()
        price_raw = (prices[index] if index < len(prices) else "").strip()
        if not (number or name or price_raw) and qty_raw in ("", "1"):
            continue
        try:
            qty = int(qty_raw or "0")
        except ValueError:
            qty = 0
        lines.append({"part_number": number or name, "name": name, "qty": qty, "price": price_raw})
    return lines


def create(form, user, branch) -> FieldSlip:
    """Write a slip from the form; it waits for the after-sales manager."""
    common.may("field.parts", user, branch.id)
    settings = common.require_settings(branch.id)
    customer = common.customer_in_scope(form.get("customer_id"))
    if customer is None or customer.branch_id != branch.id:
        raise TicketError(_("Choose a customer of the branch."), {"customer_id": "x"})
    lines = read_lines(form)
    shipping = (form.get("shipping_method") or "").strip()
    problems = rules.check_slip(customer.name, [rules.SlipLine(line["part_number"], line["qty"]) for line in lines],
                                shipping)
    if problems:
        raise TicketError([messages.describe(p) for p in problems], {"lines": "x"})
    if shipping not in SHIPPING_METHODS:
        raise TicketError(_("Choose how the parts are shipped."), {"shipping_method": "x"})
    in_warranty = form.get("in_warranty") in ("1", "y", "on", "true")
    freight = common.parse_money(form.get("freight"), "freight")
    today = common.local_today(branch)
    needed_by = common.parse_date(form.get("needed_by"), "needed_by") or (
        today + timedelta(days=int(settings["parts_needed_by_days"])))
    if needed_by < today:
        raise TicketError(_("The needed-by day cannot be in the past."), {"needed_by": "x"})
    ticket = ticket_of(form.get("ticket_number"), customer)
    stock = stock_of(branch.id, {line["part_number"] for line in lines})
    slip = FieldSlip(branch_id=branch.id, customer_id=customer.id, ticket_id=ticket.id if ticket else None,
                     slip_date=today, shipping_method=shipping,
                     in_warranty=in_warranty, freight=freight,
                     needed_by=needed_by, note=common.text(form, "note", 255), state="waiting",
                     created_by_id=user.id)
    for position, line in enumerate(lines, start=1):
        part = stock.get(line["part_number"])
        price = common.parse_money(line["price"], "unit_price") if line["price"] else (
            part.unit_price if part is not None else Decimal("0.00"))
        slip.lines.append(FieldSlipLine(
            branch_id=branch.id, position=position, part_number=line["part_number"],
            name=line["name"] or (part.name if part is not None else line["part_number"]), qty=line["qty"],
            unit_price=price))
    slip.charge = charge_of(slip)
    db.session.add(slip)
    db.session.flush()
    raise_shortages(slip)
    return slip


def ticket_of(number, customer):
    """The customer's ticket the parts are sent for (optional, typed by its number)."""
    number = str(number or "").strip()[:40]
    if not number:
        return None
    ticket = scope(db.session.query(Ticket), Ticket).filter(
        Ticket.number == number, Ticket.customer_id == customer.id, Ticket.deleted_at.is_(None)).one_or_none()
    if ticket is None:
        raise TicketError(_("The customer has no ticket %(number)s.", number=number), {"ticket_number": "x"})
    return ticket


def charge_of(slip: FieldSlip) -> Decimal:
    return rules.slip_charge([rules.SlipLine(l.part_number, l.qty, l.unit_price) for l in slip.lines],
                             slip.in_warranty, slip.freight)


def missing(slip: FieldSlip) -> list[rules.Shortage]:
    """What the store cannot cover for this slip right now."""
    stock = stock_of(slip.branch_id, {l.part_number for l in slip.lines})
    return rules.shortages([rules.SlipLine(l.part_number, l.qty) for l in slip.lines],
                          {number: part.quantity for number, part in stock.items()}, slip.needed_by)


def raise_shortages(slip: FieldSlip) -> list[FieldFactoryRequest]:
    """A factory request for each part the store lacks, less what is already on its way
    for this slip."""
    pending = dict(db.session.query(FieldFactoryRequest.part_number, func.sum(FieldFactoryRequest.qty))
                   .filter(FieldFactoryRequest.slip_id == slip.id, FieldFactoryRequest.state != "received",
                           FieldFactoryRequest.deleted_at.is_(None))
                   .group_by(FieldFactoryRequest.part_number).all())
    names = {l.part_number: l.name for l in slip.lines}
    created = []
    for shortage in missing(slip):
        qty = shortage.missing - int(pending.get(shortage.part, 0) or 0)
        if qty <= 0:
            continue
        request = FieldFactoryRequest(branch_id=slip.branch_id, slip_id=slip.id, part_number=shortage.part,
                                      name=names.get(shortage.part, ""), qty=qty, state="requested",
                                      needed_by=shortage.needed_by or slip.slip_date,
                                      requested_on=common.local_today(slip.branch))
        db.session.add(request)
        created.append(request)
    db.session.flush()
    return created


def approve(slip: FieldSlip, user) -> None:
    common.may("field.approve_shipment", user, slip.branch_id)
    common.require_settings(slip.branch_id)
    if slip.state != "waiting":
        raise TicketError(_("Only a slip waiting for approval can be approved."))
    slip.state = "approved"
    slip.approved_at = utcnow()
    slip.approved_by_id = user.id


def ship(slip: FieldSlip, tracking: str, user) -> None:
    """The parts leave the store: approved slips only, and only what is in stock."""
    common.may("field.parts", user, slip.branch_id)
    common.require_settings(slip.branch_id)
    if slip.state not in SLIP_OPEN:
        raise TicketError(_("This slip is no longer open."))
    refusals = rules.check_slip_release(slip.approved)
    if refusals:
        raise TicketError([messages.describe(code) for code in refusals])
    short = missing(slip)
    if short:
        raise TicketError([str(messages.SHORTAGE) % {"part": s.part, "missing": s.missing} for s in short])
    stock = stock_of(slip.branch_id, {l.part_number for l in slip.lines})
    for line in slip.lines:
        stock[line.part_number].quantity -= line.qty
    slip.state = "shipped"
    slip.shipped_at = utcnow()
    slip.shipped_on = common.local_today(slip.branch)
    slip.tracking = (tracking or "").strip()[:80]


def cancel(slip: FieldSlip, reason: str, user) -> None:
    common.may("field.parts", user, slip.branch_id)
    if slip.state not in SLIP_OPEN:
        raise TicketError(_("This slip is no longer open."))
    reason = (reason or "").strip()[:255]
    if not reason:
        raise TicketError(messages.describe("reason_missing"), {"reason": "x"})
    slip.state = "cancelled"
    slip.cancel_reason = reason


# --- factory requests -----------------------------------------------------------------------------

def factory_step(request: FieldFactoryRequest, target: str, user) -> None:
    """requested → in production → shipped → received; received parts join the stock."""
    common.may("field.parts", user, request.branch_id)
    common.require_settings(request.branch_id)
    order = list(FACTORY_STATES)
    if target not in order or order.index(target) != order.index(request.state) + 1:
        raise TicketError(_("The factory request cannot move to that step from where it is now."))
    now = utcnow()
    request.state = target
    if target == "in_production":
        request.in_production_at = now
    elif target == "shipped":
        request.shipped_at = now
    elif target == "received":
        request.received_at = now
        part = stock_of(request.branch_id, {request.part_number}).get(request.part_number)
        if part is None:
            part = FieldPart(branch_id=request.branch_id, part_number=request.part_number,
                             name=request.name or request.part_number, quantity=0)
            db.session.add(part)
        part.quantity += request.qty


def slips_query():
    return scope(db.session.query(FieldSlip), FieldSlip).filter(FieldSlip.deleted_at.is_(None))


def slip_in_scope(slip_id):
    slip_id = common.as_id(slip_id)
    return None if slip_id is None else slips_query().filter(FieldSlip.id == slip_id).one_or_none()


def factory_query():
    return scope(db.session.query(FieldFactoryRequest), FieldFactoryRequest).filter(
        FieldFactoryRequest.deleted_at.is_(None))


def factory_in_scope(request_id):
    request_id = common.as_id(request_id)
    return None if request_id is None else factory_query().filter(FieldFactoryRequest.id == request_id).one_or_none()


def factory_overdue_condition(today):
    return FieldFactoryRequest.state.in_(FACTORY_NOT_SHIPPED) & (FieldFactoryRequest.needed_by < today)


def count_waiting(branch_id=None) -> int:
    query = slips_query().with_entities(func.count(FieldSlip.id)).filter(FieldSlip.state == "waiting")
    if branch_id is not None:
        query = query.filter(FieldSlip.branch_id == branch_id)
    return query.scalar() or 0


def count_factory_overdue(today) -> int:
    return factory_query().with_entities(func.count(FieldFactoryRequest.id)).filter(
        factory_overdue_condition(today)).scalar() or 0
