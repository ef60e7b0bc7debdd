"""Accident-car quotations (004/2 三.3–4): the work order's parts and labour lines, signed
by the responsible person — drawn on the pad or an approval the advisor records — before
any part is ordered. The lines stay editable; a change after a signature makes the next
revision, which needs its own signature before ordering."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.plugin_api import TicketError, clean_signature, db, utcnow

from .. import rules
from ..workshop.models import LINE_KINDS, WorkOrder, WorkOrderLine
from . import common
from .models import SIGN_METHODS, AutoPartsOrder, AutoQuotationRevision

CLOSED_STATES = ("delivered", "closed", "cancelled")
CENT = Decimal("0.01")
WAITING_LIMIT = 200  # open accident repairs looked at for missing signatures


def line_total(line) -> Decimal:
    return (Decimal(line.quantity or 0) * Decimal(line.unit_price or 0)).quantize(CENT)


def snapshot(lines) -> list[dict]:
    """The lines as the customer agrees to them (kept with the signature)."""
    return [{"id": l.id, "kind": l.kind, "part_number": l.part_number or "", "name": l.name,
             "quantity": str(Decimal(l.quantity or 0).quantize(CENT)),
             "unit_price": str(Decimal(l.unit_price or 0).quantize(CENT)),
             "added_during_repair": bool(l.added_during_repair)} for l in sorted(lines, key=lambda x: x.id)]


def fingerprint(lines) -> str:
    """What a signature covers: kinds, names, quantities and prices (not internal costs)."""
    body = [{k: v for k, v in row.items() if k != "added_during_repair"} for row in snapshot(lines)]
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def latest_revision(work_order_id):
    return db.session.scalars(select(AutoQuotationRevision).where(
        AutoQuotationRevision.work_order_id == work_order_id).order_by(
        AutoQuotationRevision.revision.desc()).limit(1)).first()


@dataclass
class QuoteState:
    lines: list
    total: Decimal
    current: int
    signed: AutoQuotationRevision | None
    fingerprint: str
    refusals: list  # rules.Refusal: why parts may not be ordered now
    ordered_revisions: set

    @property
    def signed_revision(self):
        return self.signed.revision if self.signed else None

    @property
    def needs_signature(self) -> bool:
        return bool(self.lines) and (self.signed is None or self.signed.revision < self.current)


def states_for(orders) -> dict:
    """Each order's quotation state, with one query for the signatures and one for the
    orders placed, however many orders a list or a dashboard card shows."""
    ids = [o.id for o in orders]
    if not ids:
        return {}
    latest: dict[int, AutoQuotationRevision] = {}
    for revision in db.session.scalars(select(AutoQuotationRevision).where(
            AutoQuotationRevision.work_order_id.in_(ids))):
        known = latest.get(revision.work_order_id)
        if known is None or revision.revision > known.revision:
            latest[revision.work_order_id] = revision
    ordered: dict[int, set] = {}
    for order_id, revision in db.session.execute(select(AutoPartsOrder.work_order_id,
                                                        AutoPartsOrder.quotation_revision).where(
            AutoPartsOrder.work_order_id.in_(ids), AutoPartsOrder.kind == "quotation")):
        ordered.setdefault(order_id, set()).add(revision)
    states = {}
    for order in orders:
        lines = list(order.lines)
        signed = latest.get(order.id)
        print_ = fingerprint(lines)
        if signed is None:
            current = 1
        else:
            current = signed.revision if signed.fingerprint == print_ else signed.revision + 1
        states[order.id] = QuoteState(
            lines=lines, total=sum((line_total(l) for l in lines), Decimal("0.00")), current=current, signed=signed,
            fingerprint=print_, refusals=rules.check_order_parts(signed.revision if signed else None, current),
            ordered_revisions=ordered.get(order.id, set()))
    return states


def state_of(work_order) -> QuoteState:
    return states_for([work_order])[work_order.id]


def _open(work_order) -> None:
    if work_order.state in CLOSED_STATES:
        raise TicketError(_("This work order is finished; its quotation can no longer change."))


def _seen(state: QuoteState, seen_fingerprint) -> None:
    if seen_fingerprint not in (None, "") and seen_fingerprint != state.fingerprint:
        raise TicketError(_("The quotation changed while you were looking at it. Reload the page, check the "
                            "lines, then try again."))


def _line_values(form) -> dict:
    kind = form.get("kind", "part")
    if kind not in LINE_KINDS:
        raise TicketError(_("Choose parts or labour."), {"kind": "x"})
    name = common.text(form.get("name"), 120)
    if not name:
        raise TicketError(_("Name the part or the job."), {"name": "x"})
    quantity = common.number(form.get("quantity") or "1", "quantity", low=Decimal("0.01"), high=Decimal("9999"))
    price = common.amount(form.get("unit_price"), "unit_price", allow_zero=True)
    cost = common.amount(form.get("unit_cost") or "0", "unit_cost", allow_zero=True)
    return {"kind": kind, "name": name, "part_number": common.text(form.get("part_number"), 40),
            "quantity": quantity, "unit_price": price, "unit_cost": cost}


def add_line(work_order, form, user) -> WorkOrderLine:
    """A line the advisor adds; once the car is in work it is an additional part found
    during the repair, and (like any change) the quotation needs a new signature."""
    common.may("workshop.advise", user, work_order.branch_id)
    _open(work_order)
    _seen(state_of(work_order), form.get("seen_fingerprint"))
    values = _line_values(form)
    line = WorkOrderLine(work_order_id=work_order.id, added_during_repair=work_order.state != "draft", **values)
    db.session.add(line)
    work_order.lines.append(line)
    db.session.flush()
    return line


def edit_line(work_order, line_id, form, user) -> WorkOrderLine:
    common.may("workshop.advise", user, work_order.branch_id)
    _open(work_order)
    _seen(state_of(work_order), form.get("seen_fingerprint"))
    line = next((l for l in work_order.lines if l.id == common.as_id(line_id)), None)
    if line is None:
        raise TicketError(_("This line is not on the work order."))
    values = _line_values(form)
    issued = getattr(line, "issued_quantity", 0) or 0  # the workshop part counts what left the store
    if line.kind == "part" and values["quantity"] < issued:
        raise TicketError(_("%(issued)s of this part have already been issued; the quantity cannot be less.",
                            issued=issued), {"quantity": "x"})
    for key, value in values.items():
        setattr(line, key, value)
    db.session.flush()
    return line


def sign(work_order, form, user) -> AutoQuotationRevision:
    """The responsible person agrees to the current lines: drawn on the pad, or an
    approval given by phone, in writing or in person that the advisor records."""
    common.may("workshop.advise", user, work_order.branch_id)
    _open(work_order)
    state = state_of(work_order)
    _seen(state, form.get("seen_fingerprint"))
    if not state.lines:
        raise TicketError(_("Add the parts and labour before the quotation is signed."))
    if not state.needs_signature:
        raise TicketError(_("This version of the quotation is already signed."))
    method = form.get("method", "")
    if method not in SIGN_METHODS:
        raise TicketError(_("Choose how the quotation was approved."), {"method": "x"})
    signer = common.text(form.get("signed_by_name"), 80)
    if not signer:
        raise TicketError(_("Enter the name of the person who approves the quotation."), {"signed_by_name": "x"})
    note = common.text(form.get("note"))
    signature = None
    if method == "drawn":
        signature = clean_signature(form.get("signature"))
        if signature is None:
            raise TicketError(_("Ask the person to sign on the pad."), {"signature": "x"})
    elif not note:
        raise TicketError(_("Write down how and when the approval was given (e.g. the call, the letter)."),
                          {"note": "x"})
    revision = AutoQuotationRevision(
        branch_id=work_order.branch_id, work_order_id=work_order.id, revision=state.current,
        lines=snapshot(state.lines), fingerprint=state.fingerprint, total=state.total, method=method,
        signed_by_name=signer, signature=signature, note=note, signed_at=utcnow(),
        recorded_by_id=user.id)
    db.session.add(revision)
    db.session.flush()
    return revision


def order_parts(work_order, form, user) -> AutoPartsOrder:
    """Order the quotation's parts from the manufacturer or a supplier: only once the
    current version is signed (rules.check_order_parts)."""
    common.may("workshop.order", user, work_order.branch_id)
    _open(work_order)
    state = state_of(work_order)
    _seen(state, form.get("seen_fingerprint"))
    common.refuse(state.refusals)
    if state.current in state.ordered_revisions:
        raise TicketError(_("The parts of this version of the quotation are already ordered."))
    parts = [l for l in state.lines if l.kind == "part"]
    if not parts:
        raise TicketError(_("The quotation has no parts to order."))
    supplier = common.text(form.get("supplier"), 120)
    if not supplier:
        raise TicketError(_("Name the manufacturer or supplier the parts are ordered from."), {"supplier": "x"})
    order = AutoPartsOrder(branch_id=work_order.branch_id, kind="quotation", work_order_id=work_order.id,
                           quotation_revision=state.current, supplier=supplier,
                           amount=sum((line_total(l) for l in parts), Decimal("0.00")),
                           note=common.text(form.get("note")), ordered_at=utcnow(), ordered_by_id=user.id)
    db.session.add(order)
    db.session.flush()
    return order


def waiting_for_signature(branch_id, limit: int = WAITING_LIMIT) -> list:
    """Open accident repairs whose quotation lacks a signature of its current version.
    Each order's lines are compared in Python, so the look-up is bounded (a branch has
    tens of open accident repairs, not thousands)."""
    orders = db.session.scalars(select(WorkOrder).options(selectinload(WorkOrder.lines)).where(
        WorkOrder.branch_id == branch_id, WorkOrder.deleted_at.is_(None),
        WorkOrder.job_type == rules.JobKind.ACCIDENT_REPAIR.value,
        WorkOrder.state.notin_(CLOSED_STATES)).order_by(WorkOrder.id.desc()).limit(limit)).all()
    states = states_for(orders)
    return [o for o in orders if states[o.id].needs_signature]


def revision_count(work_order_id) -> int:
    return db.session.scalar(select(func.count()).select_from(AutoQuotationRevision).where(
        AutoQuotationRevision.work_order_id == work_order_id)) or 0
