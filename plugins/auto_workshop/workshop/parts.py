"""Parts issuance (004/2 三): the keeper issues only against a started work order, only
lines on it, up to the line's quantity, and records who received the parts; used parts
never come back, unused ones only once they are physically back in the store. Every
issue, return and receipt is a row of ``StockMovement`` and moves ``PartStock``. Nothing
here commits."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.plugin_api import TicketError, db, scope, utcnow

from .. import rules
from .common import amount, as_id, may, refuse, require_settings, text, whole_number
from .models import PartStock, StockMovement, WorkOrder, WorkOrderLine
from .orders import log

KEEPER = ("workshop.parts",)


def stock_query():
    return scope(db.session.query(PartStock), PartStock)


def stock_of(branch_id, part_number: str) -> PartStock | None:
    return db.session.scalar(select(PartStock).where(PartStock.branch_id == branch_id,
                                                     PartStock.part_number == part_number))


def stock_in_scope(stock_id):
    stock_id = as_id(stock_id)
    if stock_id is None:
        return None
    return stock_query().filter(PartStock.id == stock_id).one_or_none()


def _move(stock: PartStock, delta: int) -> None:
    """Move the level with ``rules.apply_movement`` (never below zero)."""
    try:
        stock.quantity = rules.apply_movement({stock.part_number: stock.quantity}, stock.part_number,
                                              delta)[stock.part_number]
    except rules.Refused as exc:
        refuse(exc.refusals)


def _movement(stock, kind, qty, user, **fields) -> StockMovement:
    movement = StockMovement(branch_id=stock.branch_id, part_stock_id=stock.id, kind=kind, quantity=qty,
                             user_id=user.id if user else None, at=utcnow(), **fields)
    movement.part = stock
    db.session.add(movement)
    return movement


def _line_for(order: WorkOrder, part_number: str, line_id=None) -> WorkOrderLine | None:
    """The parts line the request is for: the line named, when it is on this order; else the
    first line of the part number with something still to issue."""
    lines = [line for line in order.lines if line.kind == "part"]
    if line_id not in (None, ""):
        wanted = as_id(line_id)
        return next((line for line in lines if line.id == wanted), None)
    matching = [line for line in lines if line.part_number == part_number]
    return next((line for line in matching if line.issued_quantity < int(line.quantity)),
                matching[0] if matching else None)


def issue(order: WorkOrder, form, user) -> StockMovement:
    """见单发料: issue parts against the work order, with ``rules.check_issue``'s refusals."""
    may(KEEPER, user, order.branch_id)
    require_settings(order.branch_id)
    part_number = text(form, "part_number", 40).upper()
    line = _line_for(order, part_number, form.get("line_id"))
    if line is not None:
        part_number = line.part_number
    qty = whole_number(form.get("quantity"), "quantity", required=True, minimum=-9_999_999)
    received_by = text(form, "received_by", 80)
    stock = stock_of(order.branch_id, part_number) if part_number else None
    refusals = rules.check_issue(order.state, line is not None, qty, int(line.quantity) if line else 0,
                                 line.issued_quantity if line else 0, stock.quantity if stock else 0)
    refuse(refusals)
    if not received_by:
        raise TicketError(_("Record who received the parts."), {"received_by": "x"})
    _move(stock, -qty)
    line.issued_quantity += qty
    movement = _movement(stock, "issue", qty, user, unit_price=line.unit_price, work_order_id=order.id,
                         line_id=line.id, received_by=received_by)
    movement.work_order, movement.line = order, line
    log(order, _("Issued %(qty)s × %(part)s to %(who)s.", qty=qty, part=f"{line.part_number} {line.name}",
                 who=received_by), user)
    order.updated_at = utcnow()
    if order.state == rules.WorkOrderState.STARTED.value:
        # The first parts out of the store: the order is at "parts issued" (三.2).
        order.state = rules.WorkOrderState.PARTS_ISSUED.value
        log(order, _("Parts issued: the work order moves on."), user)
    db.session.flush()
    return movement


def _issue_of(order: WorkOrder, issue_id) -> StockMovement:
    found = db.session.get(StockMovement, as_id(issue_id)) if as_id(issue_id) else None
    if found is None or found.work_order_id != order.id or found.kind != "issue":
        raise TicketError(_("This issue is not on the work order."))
    return found


def mark_used(order: WorkOrder, issue_id, user) -> None:
    """The issued parts were fitted to the car: they can no longer be returned."""
    may(("workshop.parts", "workshop.repair", "workshop.manage"), user, order.branch_id)
    movement = _issue_of(order, issue_id)
    if movement.used:
        raise TicketError(_("These parts are marked as used already."))
    if movement.outstanding <= 0:
        raise TicketError(_("Everything of this issue is back in stock."))
    movement.used = True
    log(order, _("Marked as fitted: %(qty)s × %(part)s.", qty=movement.outstanding + 0,
                 part=movement.part.part_number), user)
    order.updated_at = utcnow()


def take_back(order: WorkOrder, issue_id, form, user) -> StockMovement:
    """Return unused parts to stock, once the keeper confirms they are physically back."""
    may(KEEPER, user, order.branch_id)
    require_settings(order.branch_id)
    movement = _issue_of(order, issue_id)
    qty = whole_number(form.get("quantity"), "quantity", required=True, minimum=-9_999_999)
    received = str(form.get("physically_received") or "") in ("1", "on", "y", "yes", "true")
    refuse(rules.check_return(movement.quantity - movement.returned_quantity, movement.used, received, qty))
    stock = movement.part
    _move(stock, qty)
    movement.returned_quantity += qty
    line = movement.line
    if line is not None:
        line.issued_quantity = max(line.issued_quantity - qty, 0)
    back = _movement(stock, "return", qty, user, unit_price=movement.unit_price, work_order_id=order.id,
                     line_id=movement.line_id, issue_id=movement.id, note=text(form, "note", 255))
    log(order, _("Returned %(qty)s × %(part)s to stock (checked in the store).", qty=qty,
                 part=stock.part_number), user)
    order.updated_at = utcnow()
    db.session.flush()
    return back


def receive(branch, form, user) -> StockMovement:
    """Parts delivered into the branch's store (a new part number gets a stock row)."""
    may(KEEPER, user, branch.id)
    require_settings(branch.id)
    part_number = text(form, "part_number", 40, _("Enter the part number.")).upper()
    qty = whole_number(form.get("quantity"), "quantity", required=True, minimum=1, maximum=999_999)
    stock = stock_of(branch.id, part_number)
    if stock is None:
        name = text(form, "name", 120, _("Name the part."))
        try:
            with db.session.begin_nested():
                stock = PartStock(branch_id=branch.id, part_number=part_number, name=name, quantity=0)
                db.session.add(stock)
        except IntegrityError:  # a colleague received the same new part at the same moment
            stock = stock_of(branch.id, part_number)
    elif str(form.get("name") or "").strip():
        stock.name = text(form, "name", 120)
    price, cost = amount(form.get("unit_price"), "unit_price"), amount(form.get("unit_cost"), "unit_cost")
    if price:
        stock.unit_price = price
    if cost:
        stock.unit_cost = cost
    db.session.flush()
    _move(stock, qty)
    movement = _movement(stock, "receipt", qty, user, unit_price=stock.unit_cost, note=text(form, "note", 255))
    db.session.flush()
    return movement


def issues_of(order: WorkOrder) -> list[StockMovement]:
    return db.session.scalars(select(StockMovement).where(
        StockMovement.work_order_id == order.id, StockMovement.kind == "issue").order_by(StockMovement.id)).all()


def movements_query():
    return scope(db.session.query(StockMovement), StockMovement)


def waiting_lines_query():
    """Parts lines not yet fully issued on orders being worked on (the board's "parts waiting")."""
    from .orders import IN_WORKSHOP

    return scope(db.session.query(WorkOrderLine, WorkOrder), WorkOrder).join(
        WorkOrder, WorkOrderLine.work_order_id == WorkOrder.id).filter(
        WorkOrder.deleted_at.is_(None), WorkOrder.state.in_([s.value for s in IN_WORKSHOP]),
        WorkOrderLine.kind == "part", WorkOrderLine.issued_quantity < WorkOrderLine.quantity)


def count_waiting(branch_id) -> int:
    return waiting_lines_query().filter(WorkOrder.branch_id == branch_id).with_entities(
        func.count(WorkOrderLine.id)).scalar() or 0
