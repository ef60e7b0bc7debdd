"""Work orders (工单): opened by the service advisor for a vehicle, with jobs and parts;
draft → started (开工) → parts issued → work done → quality check → delivered → closed, or
cancelled. ``rules.check_work_order_step`` decides each step, this module gathers its
facts and records the step. Nothing here commits."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.plugin_api import TicketError, User, can, db, scope, utcnow

from .. import NAME, messages, rules
from ..rules import WorkOrderState as S
from .common import amount, as_id, local_today, may, refuse, require_settings, text, user_name
from .models import JOB_TYPES, LINE_KINDS, StockMovement, WorkOrder, WorkOrderLine, WorkOrderLog
from .numbers import next_number

#: Who takes which step: the advisor opens and hands over, the workshop does the work,
#: the parts keeper's first issue moves the order to "parts issued".
STEP_PERMISSIONS = {
    S.STARTED: ("workshop.advise", "workshop.manage"),
    S.PARTS_ISSUED: ("workshop.parts", "workshop.manage"),
    S.WORK_DONE: ("workshop.repair", "workshop.manage"),
    S.QUALITY_CHECK: ("workshop.repair", "workshop.manage"),
    S.DELIVERED: ("workshop.advise", "workshop.manage"),
    S.CLOSED: ("workshop.advise", "workshop.manage"),
    S.CANCELLED: ("workshop.advise", "workshop.manage"),
}
STAMPS = {S.STARTED: "started_at", S.WORK_DONE: "work_done_at", S.QUALITY_CHECK: "checked_at",
          S.DELIVERED: "delivered_at", S.CLOSED: "closed_at", S.CANCELLED: "cancelled_at"}
OPEN_STATES = (S.DRAFT, S.STARTED, S.PARTS_ISSUED, S.WORK_DONE, S.QUALITY_CHECK)
IN_WORKSHOP = (S.STARTED, S.PARTS_ISSUED, S.WORK_DONE, S.QUALITY_CHECK)


def log(order: WorkOrder, body: str, user=None) -> WorkOrderLog:
    entry = WorkOrderLog(work_order_id=order.id, body=body[:4000], user_id=user.id if user else None, at=utcnow())
    db.session.add(entry)
    return entry


def orders_query():
    return scope(db.session.query(WorkOrder), WorkOrder).filter(WorkOrder.deleted_at.is_(None))


def order_in_scope(order_id):
    order_id = as_id(order_id)
    if order_id is None:
        return None
    return orders_query().filter(WorkOrder.id == order_id).one_or_none()


def order_by_number(number: str):
    number = (number or "").strip().upper()[:32]
    if not number:
        return None
    return orders_query().filter(WorkOrder.number == number).one_or_none()


def technicians(branch_id) -> list:
    """Active colleagues of the branch who work on cars."""
    users = db.session.scalars(select(User).where(User.branch_id == branch_id, User.active.is_(True))
                               .order_by(User.username)).all()
    return [u for u in users if can("workshop.repair", u)]


def _technician(raw, branch_id):
    tech_id = as_id(raw)
    if tech_id is None:
        return None
    found = next((u for u in technicians(branch_id) if u.id == tech_id), None)
    if found is None:
        raise TicketError(_("Choose a technician of the branch."), {"technician_id": "x"})
    return found


def open_order(vehicle, form, user) -> WorkOrder:
    """The advisor opens a work order for the car (a draft until it is started)."""
    may("workshop.advise", user, vehicle.branch_id)
    require_settings(vehicle.branch_id)
    job_type = str(form.get("job_type") or "")
    if job_type not in JOB_TYPES:
        raise TicketError(_("Choose the job type."), {"job_type": "x"})
    from .common import whole_number

    mileage = whole_number(form.get("mileage_km"), "mileage_km")
    technician = _technician(form.get("technician_id"), vehicle.branch_id)
    order = WorkOrder(
        branch_id=vehicle.branch_id, number=next_number(vehicle.branch), vehicle_id=vehicle.id,
        customer_id=vehicle.customer_id, job_type=job_type, state=S.DRAFT.value,
        complaint=text(form, "complaint", 4000), mileage_km=mileage, advisor_id=user.id,
        technician_id=technician.id if technician else None, opened_on=local_today(vehicle.branch),
    )
    order.vehicle = vehicle
    db.session.add(order)
    if mileage is not None and (vehicle.mileage_km or 0) < mileage:
        vehicle.mileage_km = mileage
    db.session.flush()
    log(order, _("Work order opened (%(job)s).", job=messages_job(job_type)), user)
    return order


def messages_job(job_type: str) -> str:
    from .labels import JOB_LABELS

    return str(JOB_LABELS.get(job_type, job_type))


def add_line(order: WorkOrder, form, user) -> WorkOrderLine:
    """A job or a part on the order. A part added after the order was started was found
    during the repair (三.4/三.6): it is marked so, and the quotation needs a fresh signature
    before it is ordered (the approvals part checks that)."""
    may("workshop.advise", user, order.branch_id)
    require_settings(order.branch_id)
    if order.state not in OPEN_STATES:
        raise TicketError(_("Lines are added only while the work order is open."))
    kind = str(form.get("kind") or "")
    if kind not in LINE_KINDS:
        raise TicketError(_("Choose a job or a part."), {"kind": "x"})
    part_number = text(form, "part_number", 40).upper()
    name = text(form, "name", 120)
    stock = None
    if kind == "part":
        if not part_number:
            raise TicketError(_("Enter the part number."), {"part_number": "x"})
        from .parts import stock_of

        stock = stock_of(order.branch_id, part_number)
        name = name or (stock.name if stock else "")
    if not name:
        raise TicketError(_("Name the job or part."), {"name": "x"})
    raw_qty = str(form.get("quantity") or "1").strip()
    try:
        quantity = Decimal(raw_qty)
    except Exception:  # noqa: BLE001 - any unreadable number is the same mistake
        quantity = Decimal(-1)
    if not quantity.is_finite() or quantity <= 0 or quantity > 9999 or (
            kind == "part" and quantity != quantity.to_integral_value()) or quantity != quantity.quantize(
            Decimal("0.01")):
        raise TicketError(_("Enter a quantity greater than zero (whole pieces for parts, hours for jobs)."),
                          {"quantity": "x"})
    price = amount(form.get("unit_price"), "unit_price")
    cost = amount(form.get("unit_cost"), "unit_cost")
    if stock is not None:
        price = price or stock.unit_price
        cost = cost or stock.unit_cost
    line = WorkOrderLine(work_order_id=order.id, kind=kind, part_number=part_number if kind == "part" else "",
                         name=name, quantity=quantity, unit_price=price, unit_cost=cost,
                         added_during_repair=kind == "part" and order.state != S.DRAFT.value)
    order.lines.append(line)
    db.session.flush()
    if line.added_during_repair:
        log(order, _("Additional part found during the repair: %(part)s × %(qty)s.",
                     part=f"{part_number} {name}", qty=int(quantity)), user)
    else:
        log(order, _("Line added: %(name)s × %(qty)s.", name=f"{part_number} {name}".strip(), qty=quantity), user)
    _touch(order)
    return line


def _touch(order: WorkOrder) -> None:
    """Changing a line changes the order: its version moves, so a stale page is caught."""
    order.updated_at = utcnow()


def line_of(order: WorkOrder, line_id):
    line_id = as_id(line_id)
    return next((line for line in order.lines if line.id == line_id), None)


def remove_line(order: WorkOrder, line_id, user) -> None:
    """A line no longer needed; only while nothing was issued on it."""
    may("workshop.advise", user, order.branch_id)
    line = line_of(order, line_id)
    if line is None:
        raise TicketError(_("This line is not on the work order."))
    if order.state not in OPEN_STATES:
        raise TicketError(_("Lines are changed only while the work order is open."))
    if line.issued_quantity or db.session.scalar(select(func.count(StockMovement.id)).where(
            StockMovement.line_id == line.id)):
        raise TicketError(_("Parts were issued on this line: return them to stock first."))
    order.lines.remove(line)
    db.session.delete(line)
    log(order, _("Line removed: %(name)s.", name=f"{line.part_number} {line.name}".strip()), user)
    _touch(order)


def finish_job(order: WorkOrder, line_id, user) -> None:
    may(("workshop.repair", "workshop.manage"), user, order.branch_id)
    line = line_of(order, line_id)
    if line is None or line.kind != "labour":
        raise TicketError(_("This job is not on the work order."))
    if order.state not in IN_WORKSHOP:
        raise TicketError(_("Jobs are finished while the car is in the workshop."))
    if line.done_at is None:
        line.done_at = utcnow()
        log(order, _("Job finished: %(name)s.", name=line.name), user)
        _touch(order)


def assign(order: WorkOrder, technician_id, user) -> None:
    may(("workshop.manage", "workshop.advise"), user, order.branch_id)
    if order.state not in OPEN_STATES:
        raise TicketError(_("The work order is no longer open."))
    technician = _technician(technician_id, order.branch_id)
    if technician is None:
        raise TicketError(_("Choose a technician of the branch."), {"technician_id": "x"})
    order.technician_id = technician.id
    order.technician = technician
    log(order, _("Assigned to %(name)s.", name=user_name(technician)), user)


def record_quality(order: WorkOrder, passed: bool, note: str, user) -> None:
    """The workshop manager's quality check (during "quality check"); a failed check keeps
    the car in the workshop for rework."""
    may("workshop.manage", user, order.branch_id)
    if order.state != S.QUALITY_CHECK.value:
        raise TicketError(_("The quality check is recorded when the work order is at the quality check."))
    note = (note or "").strip()[:2000]
    if not passed and not note:
        raise TicketError(_("Say what failed the check."), {"quality_note": "x"})
    order.quality_passed, order.quality_note = passed, note
    order.checked_by_id = user.id
    order.checked_at = utcnow()
    log(order, (_("Quality check passed.") if passed else _("Quality check failed: %(note)s", note=note))
        + (f" {note}" if passed and note else ""), user)


def settle(order: WorkOrder, note: str, user) -> None:
    """The bill is paid, or charged to warranty or insurance."""
    may(("workshop.advise", "workshop.manage"), user, order.branch_id)
    if order.state != S.DELIVERED.value:
        raise TicketError(_("The bill is settled once the car has been delivered."))
    if order.settled_at is not None:
        raise TicketError(_("The bill is settled already."))
    order.settled_at, order.settled_note = utcnow(), (note or "").strip()[:255]
    log(order, _("Bill settled. %(note)s", note=order.settled_note), user)


def facts(order: WorkOrder) -> rules.WorkOrderFacts:
    jobs = [line for line in order.lines if line.kind == "labour"]
    parts = [line for line in order.lines if line.kind == "part"]
    unsettled = db.session.scalar(select(func.count(StockMovement.id)).where(
        StockMovement.work_order_id == order.id, StockMovement.kind == "issue", StockMovement.used.is_(False),
        StockMovement.quantity > StockMovement.returned_quantity)) or 0
    return rules.WorkOrderFacts(
        jobs=len(jobs), jobs_open=sum(1 for j in jobs if j.done_at is None),
        lines_not_issued=sum(1 for p in parts if p.issued_quantity < int(p.quantity)),
        issued_lines=sum(1 for p in parts if p.issued_quantity > 0), issued_unsettled=unsettled,
        quality_passed=order.quality_passed if order.checked_at is not None else None,
        settled=order.settled_at is not None, cancel_reason=order.cancel_reason,
    )


def allowed_steps(order: WorkOrder, user) -> list[str]:
    """Next states the user's role may take this order to (the rules may still refuse)."""
    return [t.value for t in rules.next_states(order.state)
            if any(can(code, user, plugin=NAME, branch_id=order.branch_id) for code in STEP_PERMISSIONS[t])]


def step(order: WorkOrder, target: str, user, reason: str = "") -> None:
    """Move the order one step, with the rules' refusals as readable reasons."""
    try:
        wanted = S(target)
    except ValueError:
        raise TicketError(_("Choose a step from the page.")) from None
    require_settings(order.branch_id)
    if wanted not in rules.next_states(order.state):
        refuse(rules.check_work_order_step(order.state, wanted.value, facts(order)))
    may(STEP_PERMISSIONS[wanted], user, order.branch_id)
    if wanted is S.CANCELLED:
        order.cancel_reason = (reason or "").strip()[:2000]
    refuse(rules.check_work_order_step(order.state, wanted.value, facts(order)))
    if wanted is S.DELIVERED:
        from ..approvals.gates import delivery_refusals

        reasons = [str(r) for r in delivery_refusals(order) or ()]
        if reasons:
            raise TicketError(reasons)
    if wanted is S.QUALITY_CHECK:
        # A new round of checking: the result of an earlier check does not carry over.
        order.quality_passed, order.checked_at = None, None
    previous = order.state
    order.state = wanted.value
    stamp = STAMPS.get(wanted)
    if stamp and wanted is not S.QUALITY_CHECK:
        setattr(order, stamp, utcnow())
    log(order, _("%(from)s → %(to)s", **{"from": messages.WORK_ORDER_STATE_LABELS[previous],
                                          "to": messages.WORK_ORDER_STATE_LABELS[wanted.value]})
        + (f": {order.cancel_reason}" if wanted is S.CANCELLED else ""), user)
    db.session.flush()
    if wanted is S.DELIVERED:
        from .followups import schedule_after_delivery

        schedule_after_delivery(order, user)


def order_totals(order: WorkOrder) -> dict:
    parts = sum((line.quantity * line.unit_price for line in order.lines if line.kind == "part"), Decimal(0))
    labour = sum((line.quantity * line.unit_price for line in order.lines if line.kind == "labour"), Decimal(0))
    return {"parts": rules.money(parts), "labour": rules.money(labour), "total": rules.money(parts + labour)}


def history(order: WorkOrder) -> list[WorkOrderLog]:
    return db.session.scalars(select(WorkOrderLog).where(WorkOrderLog.work_order_id == order.id)
                              .order_by(WorkOrderLog.id)).all()
