"""Field visits with their signed service reports, and items taken in for repair
(REQUIREMENTS §2.5, issue 3 items 6 and 7).

Same rules as :mod:`portal.core.tickets`: these functions never commit — the caller does,
so a request is one transaction — and a refused request raises
:class:`portal.core.tickets.TicketError` before anything is changed.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from . import access, tickets
from .models import RepairReceipt, Ticket, User, Visit, VisitPart
from .models.types import utcnow
from .models.visit import OPEN_VISIT_STATES
from .tickets import TicketError

# Work happens on a ticket once it is triaged and until it is resolved.
WORK_STATES = ("triaged", "assigned", "in_progress", "waiting_customer")

VISIT_STATE_LABELS = {
    "scheduled": _l("Scheduled"), "departed": _l("On the way"), "arrived": _l("On site"),
    "finished": _l("Finished"), "cancelled": _l("Cancelled"),
}
# step → (states it may start from, state it leads to)
STEPS = {
    "depart": (("scheduled",), "departed"),
    "arrive": (("departed",), "arrived"),
    "finish": (("arrived",), "finished"),
    "cancel": (OPEN_VISIT_STATES, "cancelled"),
}
STEP_LABELS = {
    "depart": _l("Depart"), "arrive": _l("Arrived on site"), "finish": _l("Finish the visit"),
    "cancel": _l("Cancel the visit"),
}
# What the timeline says; written in the words of the person who did it.
TIMELINE_TEXT = {
    "scheduled": _l("Visit scheduled"), "depart": _l("Engineer departed for the customer"),
    "arrive": _l("Engineer arrived on site"), "finish": _l("Visit finished"),
    "cancel": _l("Visit cancelled"), "report": _l("Service report completed and signed"),
}

REPORT_LABELS = {
    "fault_cause": _l("Fault cause"), "solution": _l("Solution"), "hours": _l("Hours spent"),
    "customer_opinion": _l("Customer opinion"), "signed_by": _l("Signed by"),
    "signature": _l("Customer signature"),
}
REQUIRED_FOR_COMPLETION = ("fault_cause", "solution", "hours", "customer_opinion", "signed_by", "signature")
MAX_TEXT = 5000
MAX_AHEAD = timedelta(days=366)  # further out is a typo in the year
MAX_PART_LINES = 50

PNG_PREFIX = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Under Flask's 500 kB limit for one form field, with room to spare; a signature drawn on
# a dense phone screen is typically 20–80 kB.
MAX_SIGNATURE = 400 * 1024

RECEIPT_STATE_LABELS = {
    "in_store": _l("In store"), "at_hq": _l("Sent to HQ / factory"), "ready": _l("Ready for collection"),
    "returned": _l("Returned to the customer"),
}
# Where an item may go next; "returned" goes through return_item (it needs a name).
RECEIPT_MOVES = {"in_store": ("at_hq", "ready"), "at_hq": ("ready",), "ready": ("at_hq",), "returned": ()}
RETURNABLE_FROM = ("in_store", "ready")


# --- who ---------------------------------------------------------------------------------------

def engineer_choices(branch_id: int) -> list[User]:
    """Active staff of the branch whose roles let them work tickets."""
    staff = db.session.scalars(select(User).where(User.branch_id == branch_id, User.active.is_(True))
                               .order_by(User.full_name, User.username)).all()
    return [u for u in staff if access.permission_granted(u.permissions, "ticket.work")]


def is_engineer(visit: Visit, user: User) -> bool:
    return user is not None and any(e.id == user.id for e in visit.engineers)


def may_work(visit: Visit, user: User) -> bool:
    """The visit's engineers, and whoever dispatches in its branch."""
    if access.can("ticket.assign", user, branch_id=visit.branch_id):
        return True
    return is_engineer(visit, user) and access.can("ticket.work", user, branch_id=visit.branch_id)


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise TicketError(_("Your role does not allow this step."))


def _check_version(record, seen_version) -> None:
    if seen_version not in (None, "") and str(seen_version) != str(record.version):
        raise TicketError(_("Someone else changed this while you were looking at it. "
                            "Reload the page to see their changes, then try again."), conflict=True)


def _local(value: datetime, ticket: Ticket) -> str:
    return value.astimezone(ZoneInfo(ticket.branch.timezone)).strftime("%Y-%m-%d %H:%M")


# --- scheduling ----------------------------------------------------------------------------------

def default_address(ticket: Ticket) -> str:
    customer = ticket.customer
    if customer is None:
        return ""
    line = (customer.address or "").strip()
    prefix = ""
    for part in (customer.province, customer.city):  # 上海市 is both province and city
        if part and part not in line and part not in prefix:
            prefix += part
    return (prefix + line).strip()


def _ids(raw) -> list[int]:
    values = raw if isinstance(raw, (list, tuple, set)) else [raw]
    ids = []
    for value in values:
        if value is None or str(value).strip() == "":
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            ids.append(-1)  # garbage counts as a wrong choice, not as no choice
            continue
        ids.append(number if 0 < number < 2**31 else -1)
    return list(dict.fromkeys(ids))


def schedule_visit(ticket: Ticket, when_utc: datetime | None, engineer_ids, address: str, user: User) -> Visit:
    """Send one or more engineers of the ticket's branch to the customer; the on-site
    arrival clock starts (8 h in-province / 24 h out-of-province working time from the
    ticket's creation, or the promised time)."""
    _refuse_unless(access.can("ticket.assign", user, branch_id=ticket.branch_id))
    errors = {}
    if ticket.deleted_at is not None or ticket.state not in WORK_STATES:
        errors["ticket"] = _("Visits are scheduled for open tickets once they are triaged and until they are "
                             "resolved.")
    if when_utc is None or when_utc.tzinfo is None:
        errors["when"] = _("Enter the date and time of the visit.")
    elif when_utc < ticket.created_at.replace(second=0, microsecond=0):
        errors["when"] = _("The visit cannot be before the ticket was opened.")
    elif when_utc > utcnow() + MAX_AHEAD:
        errors["when"] = _("Schedule the visit within the next year.")
    ids = _ids(engineer_ids or [])
    eligible = {u.id: u for u in engineer_choices(ticket.branch_id)}
    if not ids:
        errors["engineers"] = _("Choose at least one engineer.")
    elif any(i not in eligible for i in ids):
        errors["engineers"] = _("Engineers must be active colleagues of the ticket's branch who work on tickets.")
    address = (address or "").strip() or default_address(ticket)
    if not address:
        errors["address"] = _("Enter the address of the visit.")
    elif len(address) > 255:
        errors["address"] = _("Keep the address under 255 characters.")
    if errors:
        raise TicketError(list(errors.values()), errors)
    _plugin_vetoes(ticket, None, "schedule", user)
    engineers = [eligible[i] for i in ids]
    visit = Visit(branch_id=ticket.branch_id, ticket=ticket, scheduled_for=when_utc, state="scheduled",
                  address=address, scheduled_by_id=user.id)
    visit.engineers = engineers
    db.session.add(visit)
    ticket.arrival_required = True
    tickets.refresh_sla(ticket)
    db.session.flush()
    names = "、".join(e.full_name or e.username for e in engineers)
    tickets.log(ticket, "visit", f"{TIMELINE_TEXT['scheduled']}: {_local(when_utc, ticket)} · {names} · {address}",
                user, visit_id=visit.id, step="scheduled", state=visit.state,
                engineers=[e.username for e in engineers], when=when_utc.isoformat())
    return visit


# --- the trip ------------------------------------------------------------------------------------

def visit_step(visit: Visit, step: str, user: User, seen_version=None, reason: str = "") -> Visit:
    """depart → arrive → finish (or cancel while open). Arrival feeds the ticket's arrival
    clock; finishing needs a completed, signed report and tells the plugins."""
    _check_version(visit, seen_version)
    if step not in STEPS:
        raise TicketError(_("There is no such step."))
    if step == "cancel":
        _refuse_unless(access.can("ticket.assign", user, branch_id=visit.branch_id))
    else:
        _refuse_unless(may_work(visit, user))
    sources, target = STEPS[step]
    ticket = visit.ticket
    if visit.state not in sources:
        raise TicketError(_order_message(visit, step))
    if step in ("depart", "arrive") and not ticket.is_open:
        raise TicketError(_("The ticket is no longer open."))
    if step == "finish" and visit.report_completed_at is None:
        raise TicketError(_("Complete the service report, with the customer's signature, before finishing."))
    reason = (reason or "").strip()
    if step == "cancel" and not reason:
        raise TicketError(_("Give a reason."), {"reason": "x"})
    _plugin_vetoes(ticket, visit, step, user)
    now = utcnow()
    visit.state = target
    if step == "depart":
        visit.departed_at = now
    elif step == "arrive":
        visit.arrived_at = now
        if ticket.arrived_at is None:
            ticket.arrived_at = now  # the first arrival stops the ticket's arrival clock
            tickets.refresh_sla(ticket)
    elif step == "finish":
        visit.finished_at = now
    body = str(TIMELINE_TEXT[step]) + (f": {reason[:MAX_TEXT]}" if reason else "")
    tickets.log(ticket, "visit", body, user, visit_id=visit.id, step=step, state=target)
    if step == "arrive":
        tickets.emit(ticket, "visit_arrived")
    if step == "finish":
        tickets.emit(ticket, "visit_completed")
    return visit


def _plugin_vetoes(ticket: Ticket, visit: Visit | None, step: str, user: User) -> None:
    hooks, settings = tickets.branch_hooks(ticket.branch_id)
    reasons = [str(r) for group in hooks.portal_check_visit_step(
        ticket=ticket, visit=visit, step=step, user=user, settings=settings) for r in (group or [])]
    if reasons:
        raise TicketError(list(dict.fromkeys(reasons)))


def _order_message(visit: Visit, step: str) -> str:
    if visit.state in ("finished", "cancelled"):
        return _("This visit is over.")
    if step == "arrive" and visit.state == "scheduled":
        return _("Record the departure first.")
    if step == "finish" and visit.state in ("scheduled", "departed"):
        return _("Record the arrival on site first.")
    return _("This step was done already.")


# --- the service report ---------------------------------------------------------------------------

def _text(raw, limit: int = MAX_TEXT) -> str:
    return str(raw or "").strip()[:limit]


def _flag(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    return str(raw or "").strip().lower() in ("1", "y", "yes", "on", "true")


def _hours(raw, engineers: int) -> tuple[Decimal | None, str | None]:
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    if not text:
        return None, None
    ceiling = Decimal(24 * max(1, engineers))
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value <= 0 or value > ceiling \
            or value != value.quantize(Decimal("0.01")):
        return None, _("Enter the hours spent as a number above 0 and at most %(max)s, e.g. 2.5.", max=ceiling)
    return value, None


def clean_signature(raw) -> str | None:
    """The drawn signature as a PNG data URL, or None when there is none. Anything else
    (another image type, broken base64, not a PNG, too large) is refused."""
    text = str(raw or "").strip()
    if not text:
        return None
    if len(text) > MAX_SIGNATURE:
        raise TicketError(_("The signature picture is too large: clear it and sign again."), {"signature": "x"})
    if not text[: len(PNG_PREFIX)].lower() == PNG_PREFIX:
        raise TicketError(_("The signature is not a picture drawn on the pad: clear it and sign again."),
                          {"signature": "x"})
    try:
        data = base64.b64decode(text[len(PNG_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not (data.startswith(PNG_MAGIC) and data[12:16] == b"IHDR"):
        raise TicketError(_("The signature is not a picture drawn on the pad: clear it and sign again."),
                          {"signature": "x"})
    return PNG_PREFIX + base64.b64encode(data).decode("ascii")


def _part_lines(parts) -> tuple[list[dict], dict]:
    lines, errors = [], {}
    for raw in parts or ():
        raw = raw or {}
        name = _text(raw.get("name"), 120)
        number = _text(raw.get("part_number"), 80)
        quantity_raw = str(raw.get("quantity") or "").strip()
        price_raw = str(raw.get("unit_price") or "").strip()
        charged = _flag(raw.get("charged"))
        if not (name or number or quantity_raw or price_raw):
            continue  # an empty line of the form
        n = len(lines) + 1
        if not name:
            errors[f"parts-{n}-name"] = _("Part line %(n)s: name the part.", n=n)
        try:
            quantity = int(quantity_raw or "1")
        except ValueError:
            quantity = 0
        if not 1 <= quantity <= 100000:
            errors[f"parts-{n}-quantity"] = _("Part line %(n)s: the quantity is a whole number of at least 1.", n=n)
        price = None
        if price_raw:
            try:
                price = tickets.money(price_raw, "unit_price")
            except TicketError:
                errors[f"parts-{n}-unit_price"] = _("Part line %(n)s: enter the unit price in yuan, e.g. 120.50.",
                                                    n=n)
        elif charged:
            errors[f"parts-{n}-unit_price"] = _("Part line %(n)s: a charged part needs its unit price.", n=n)
        lines.append({"name": name, "part_number": number, "quantity": quantity, "charged": charged,
                      "unit_price": price})
    if len(lines) > MAX_PART_LINES:
        errors["parts"] = _("A report lists at most %(n)s parts.", n=MAX_PART_LINES)
    return lines, errors


def save_report(visit: Visit, fields: dict, parts, signature, complete: bool, user: User,
                seen_version=None) -> Visit:
    """Save the service report (a draft, or ``complete``). A complete report needs every
    required field and the customer's signature; a refused save changes nothing."""
    _check_version(visit, seen_version)
    _refuse_unless(may_work(visit, user))
    if visit.state in ("finished", "cancelled"):
        raise TicketError(_("The report of a finished or cancelled visit can no longer be changed."))
    fields = fields or {}
    errors = {}
    values = {key: _text(fields.get(key)) for key in ("fault_cause", "solution", "customer_opinion")}
    values["signed_by"] = _text(fields.get("signed_by"), 80)
    values["hours"], problem = _hours(fields.get("hours"), len(visit.engineers))
    if problem:
        errors["hours"] = problem
    try:
        values["signature"] = clean_signature(signature)
    except TicketError as exc:
        values["signature"] = None
        errors["signature"] = exc.messages[0]
    lines, part_errors = _part_lines(parts)
    errors.update(part_errors)
    if complete:
        for key in REQUIRED_FOR_COMPLETION:
            if key not in errors and values[key] in (None, ""):
                errors[key] = _("%(field)s is missing.", field=REPORT_LABELS[key])
        if visit.state != "arrived":
            errors["state"] = _("Record the arrival on site before completing the report.")
    if errors:
        raise TicketError(list(errors.values()), errors)
    for key, value in values.items():
        setattr(visit, key, value)
    visit.called_hq_before_leaving = _flag(fields.get("called_hq_before_leaving"))
    visit.parts = [VisitPart(**line) for line in lines]
    visit.report_completed_at = utcnow() if complete else None
    if complete:
        tickets.log(visit.ticket, "visit", str(TIMELINE_TEXT["report"]), user, visit_id=visit.id, step="report",
                    state=visit.state, signed_by=values["signed_by"], hours=str(values["hours"]))
    return visit


# --- items taken in for repair -----------------------------------------------------------------------

def take_in(ticket: Ticket, item: str, accessories: str, condition: str, user: User) -> RepairReceipt:
    """客户货品领取收据: the item gets a receipt number and stays in the register until it
    is back with the customer."""
    _refuse_unless(access.can("repair.register", user, branch_id=ticket.branch_id))
    errors = {}
    if ticket.deleted_at is not None or not ticket.is_open:
        errors["ticket"] = _("Items are taken in for open tickets only.")
    item = _text(item, 200)
    if not item:
        errors["item"] = _("Describe the item taken in (product, model, serial number).")
    accessories, condition = _text(accessories, 255), _text(condition, 255)
    if errors:
        raise TicketError(list(errors.values()), errors)
    receipt = RepairReceipt(branch_id=ticket.branch_id, number=tickets.next_number(ticket.branch, series="R"),
                            ticket_id=ticket.id, item=item, accessories=accessories, condition=condition,
                            state="in_store", received_by_id=user.id)
    receipt.ticket = ticket
    db.session.add(receipt)
    db.session.flush()
    tickets.log(ticket, "receipt", f"{receipt.number} {item}", user, receipt_id=receipt.id, number=receipt.number,
                state=receipt.state)
    return receipt


def move_receipt(receipt: RepairReceipt, state: str, user: User, seen_version=None) -> RepairReceipt:
    """in_store → at_hq → ready (and back to HQ if the repair failed)."""
    _check_version(receipt, seen_version)
    _refuse_unless(access.can("repair.register", user, branch_id=receipt.branch_id))
    if state not in RECEIPT_MOVES.get(receipt.state, ()):
        raise TicketError(_("The item cannot go from “%(from)s” to “%(to)s”.",
                            **{"from": RECEIPT_STATE_LABELS.get(receipt.state, receipt.state),
                               "to": RECEIPT_STATE_LABELS.get(state, state)}))
    source = receipt.state
    receipt.state = state
    tickets.log(receipt.ticket, "receipt", f"{receipt.number} {RECEIPT_STATE_LABELS[state]}", user,
                receipt_id=receipt.id, number=receipt.number, state=state, **{"from": source})
    return receipt


def return_item(receipt: RepairReceipt, returned_to: str, user: User, seen_version=None) -> RepairReceipt:
    """The item is back with the customer: it leaves the register's open list."""
    _check_version(receipt, seen_version)
    _refuse_unless(access.can("repair.register", user, branch_id=receipt.branch_id))
    if receipt.state not in RETURNABLE_FROM:
        if receipt.state == "returned":
            raise TicketError(_("This item was returned already."))
        raise TicketError(_("The item is at HQ / the factory: record that it is back before returning it."))
    returned_to = _text(returned_to, 80)
    if not returned_to:
        raise TicketError(_("Enter the name of the person collecting the item."), {"returned_to": "x"})
    source = receipt.state
    receipt.state = "returned"
    receipt.returned_at = utcnow()
    receipt.returned_to = returned_to
    tickets.log(receipt.ticket, "receipt", f"{receipt.number} {RECEIPT_STATE_LABELS['returned']}: {returned_to}",
                user, receipt_id=receipt.id, number=receipt.number, state="returned", **{"from": source})
    return receipt
