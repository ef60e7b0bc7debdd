"""Supplier faults (004/5 二.3): a fault caused by a bought-in part goes to the supplier in
writing with the deadline and who bears the cost (``rules.check_supplier_notice``); it is
chased until closed, and overdue ones reach the dashboard (``rules.supplier_fault_overdue``).
Nothing here commits."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func

from portal.plugin_api import Ticket, TicketError, db, scope, utcnow

from .. import messages, rules
from . import common
from .labels import COST_BEARERS
from .models import FieldSupplierChase, FieldSupplierFault


def create(form, user, branch) -> FieldSupplierFault:
    common.may("field.supplier", user, branch.id)
    common.require_settings(branch.id)
    supplier = common.text(form, "supplier", 120, _("Name the supplier."))
    part = common.text(form, "part", 120, _("Name the bought-in part."))
    description = common.text(form, "description", 4000, _("Describe the fault."))
    today = common.local_today(branch)
    notified_on = common.parse_date(form.get("notified_on"), "notified_on") or today
    deadline = common.parse_date(form.get("deadline"), "deadline")
    bearer = (form.get("cost_bearer") or "").strip()
    problems = rules.check_supplier_notice(notified_on, deadline, bearer)
    if problems:
        raise TicketError([messages.describe(code) for code in problems],
                          {"deadline" if "deadline" in code else "cost_bearer": "x" for code in problems})
    if bearer not in COST_BEARERS:
        raise TicketError(_("Choose who bears the cost from the list."), {"cost_bearer": "x"})
    customer = None
    if str(form.get("customer_id") or "").strip():
        customer = common.customer_in_scope(form.get("customer_id"))
        if customer is None or customer.branch_id != branch.id:
            raise TicketError(_("Choose a customer of the branch."), {"customer_id": "x"})
    ticket = None
    number = common.text(form, "ticket_number", 40)
    if number:
        ticket = scope(db.session.query(Ticket), Ticket).filter(Ticket.number == number,
                                                                Ticket.branch_id == branch.id).one_or_none()
        if ticket is None:
            raise TicketError(_("There is no ticket %(number)s in the branch.", number=number),
                              {"ticket_number": "x"})
    fault = FieldSupplierFault(branch_id=branch.id, supplier=supplier, part=part, description=description,
                               customer_id=customer.id if customer else (ticket.customer_id if ticket else None),
                               ticket_id=ticket.id if ticket else None, notified_on=notified_on, deadline=deadline,
                               cost_bearer=bearer, cost_note=common.text(form, "cost_note", 255),
                               created_by_id=user.id)
    db.session.add(fault)
    db.session.flush()
    return fault


def chase(fault: FieldSupplierFault, note: str, user) -> FieldSupplierChase:
    common.may("field.supplier", user, fault.branch_id)
    if fault.closed_at is not None:
        raise TicketError(_("This supplier fault is closed."))
    note = (note or "").strip()[:255]
    if not note:
        raise TicketError(_("Write what the supplier said."), {"note": "x"})
    entry = FieldSupplierChase(branch_id=fault.branch_id, fault_id=fault.id, note=note, by_id=user.id,
                               chased_on=common.local_today(fault.branch))
    db.session.add(entry)
    fault.updated_at = utcnow()  # a chase is a change of the fault: the version moves on
    return entry


def close(fault: FieldSupplierFault, note: str, user) -> None:
    common.may("field.supplier", user, fault.branch_id)
    if fault.closed_at is not None:
        raise TicketError(_("This supplier fault is closed."))
    note = (note or "").strip()[:255]
    if not note:
        raise TicketError(_("Write how the supplier solved the fault."), {"close_note": "x"})
    fault.closed_at = utcnow()
    fault.close_note = note


def is_overdue(fault: FieldSupplierFault) -> bool:
    return rules.supplier_fault_overdue(fault.notified_on, fault.deadline, fault.closed_at is not None,
                                        common.local_today(fault.branch))


def faults_query():
    return scope(db.session.query(FieldSupplierFault), FieldSupplierFault).filter(
        FieldSupplierFault.deleted_at.is_(None))


def fault_in_scope(fault_id):
    fault_id = common.as_id(fault_id)
    return None if fault_id is None else faults_query().filter(FieldSupplierFault.id == fault_id).one_or_none()


def overdue_condition(today):
    return FieldSupplierFault.closed_at.is_(None) & (FieldSupplierFault.deadline < today)


def count_overdue(today) -> int:
    return faults_query().with_entities(func.count(FieldSupplierFault.id)).filter(
        overdue_condition(today)).scalar() or 0
