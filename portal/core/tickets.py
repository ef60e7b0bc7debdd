"""What people do with tickets, as one transaction each: open, move through the workflow,
reassign, write on the timeline, quote and charge (issue 3).

Views, the CLI and the API call these functions; they never commit — the caller does, so
a request is one transaction. Rule checks raise :class:`TicketError` with messages for
the person, and nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from ..extensions import db
from . import access, sla, workflow
from .models import (
    Attachment, Branch, Charge, Customer, Product, Quote, Ticket, TicketAssignment, TicketEvent, TicketPause,
    TicketSequence, User, Visit,
)
from .models.ticket import CHANNELS, CORE_KINDS, HANDLINGS, NATURES, PRIORITIES
from .models.visit import OPEN_VISIT_STATES
from .models.types import utcnow
from .plugin_state import branch_hooks
from .warranty import Exclusion, Quote as QuoteAmounts, decide
from .warranty import warranty_end as default_warranty_end

KIND_LABELS = {
    "repair": _l("Repair request"), "complaint": _l("Complaint"), "consultation": _l("Consultation"),
    "suggestion": _l("Suggestion"), "return_exchange": _l("Return / exchange"),
    "installation": _l("Installation & training"), "callback": _l("Callback"),
}
CHANNEL_LABELS = {
    "phone": _l("Phone"), "letter": _l("Letter"), "visit": _l("Visit"), "email": _l("E-mail"),
    "web": _l("Web"), "hotline": _l("Hotline"), "mailbox": _l("Mailbox"),
}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
HANDLING_LABELS = {
    "phone_guidance": _l("Phone guidance"), "parts_sent": _l("Parts sent"), "on_site": _l("On-site visit"),
    "taken_for_repair": _l("Taken for repair"), "sent_to_hq": _l("Sent to HQ / factory"),
}
NATURE_LABELS = {
    "product_quality": _l("Product quality"), "packaging_transport": _l("Packaging or transport damage"),
    "staff_attitude": _l("Staff attitude"), "contract_dispute": _l("Contract dispute"), "other": _l("Other"),
}
DEPARTMENT_LABELS = {
    "quality": _l("Quality department"), "warehouse_logistics": _l("Warehouse & logistics"),
    "sales_management": _l("Sales management"), "senior_management": _l("Senior management"),
    "after_sales": _l("After-sales service"),
}
EXCLUSION_LABELS = {
    "misuse": _l("Misuse"), "force_majeure": _l("Force majeure"),
    "modification": _l("Modified or taken apart by the customer"),
}
WARRANTY_REASONS = {
    "in_warranty": _l("In warranty: parts and labour are free."),
    "expired": _l("Warranty ended on %(end)s: paid service, quote first."),
    "excluded": _l("In warranty, but %(exclusions)s: paid service, quote first."),
    "unknown_start": _l("No delivery or purchase date on file: paid service unless the warranty is proven."),
    "no_product": _l("No product named: paid service, quote first."),
}
CLOCK_LABELS = {"first_answer": _l("First answer"), "arrival": _l("On site"), "resolution": _l("Resolution")}
EVENT_KINDS = ("note", "call", "letter", "email")
EVENT_LABELS = {
    "created": _l("Opened"), "transition": _l("Step"), "note": _l("Note"), "call": _l("Call"),
    "letter": _l("Letter"), "email": _l("E-mail"), "attachment": _l("File"), "assignment": _l("Assigned"),
    "visit": _l("Field visit"), "quote": _l("Quote"), "charge": _l("Charge"), "receipt": _l("Repair register"),
    "sla_breach": _l("Service level missed"), "escalation": _l("Escalation"), "plugin": _l("Plugin"),
}


class TicketError(Exception):
    """A request refused by a rule; ``messages`` are for the person, ``fields`` by field."""

    def __init__(self, messages, fields: dict | None = None, conflict: bool = False):
        self.messages = [str(m) for m in (messages if isinstance(messages, (list, tuple)) else [messages])]
        self.fields = fields or {}
        self.conflict = conflict
        super().__init__("; ".join(self.messages))


# --- the timeline is append-only -------------------------------------------------------------

@event.listens_for(Session, "before_flush")
def _timeline_is_append_only(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TicketEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise TicketError(_("The timeline is never edited, only appended to."))


def log(ticket: Ticket, kind: str, body: str = "", user: User | None = None, **data) -> TicketEvent:
    entry = TicketEvent(ticket=ticket, branch_id=ticket.branch_id, kind=kind, body=body or "",
                        user_id=(user.id if user is not None else access.current_user_id()), data=data, at=utcnow())
    db.session.add(entry)
    return entry


# --- numbers -----------------------------------------------------------------------------------

def next_number(branch: Branch, series: str = "T", year: int | None = None) -> str:
    """SH-2026-000123 for tickets, SH-R2026-00012 for repair receipts. One UPDATE takes
    the row lock, so concurrent requests (or servers) never get the same number."""
    year = year or utcnow().astimezone(ZoneInfo(branch.timezone)).year  # the branch's New Year, not UTC's
    key = (TicketSequence.branch_id == branch.id) & (TicketSequence.year == year) & (TicketSequence.series == series)
    for _attempt in range(3):
        value = db.session.execute(
            update(TicketSequence).where(key).values(last_value=TicketSequence.last_value + 1)
            .returning(TicketSequence.last_value)
        ).scalar()
        if value is not None:
            break
        try:
            with db.session.begin_nested():
                db.session.execute(insert(TicketSequence).values(branch_id=branch.id, year=year, series=series,
                                                                 last_value=1))
            value = 1
            break
        except IntegrityError:
            continue  # another request created the row first: take the UPDATE path
    else:  # pragma: no cover - three lost races in a row
        raise TicketError(_("Could not allocate a number, please try again."))
    if series == "T":
        return f"{branch.code}-{year}-{value:06d}"
    return f"{branch.code}-{series}{year}-{value:05d}"


# --- kinds and hooks ---------------------------------------------------------------------------

def kinds_for(branch_id: int) -> list[tuple[str, str]]:
    """Core kinds plus the kinds of the plugins running in the branch."""
    hooks, settings = branch_hooks(branch_id)
    kinds = [(code, KIND_LABELS[code]) for code in CORE_KINDS]
    for group in hooks.portal_ticket_kinds(settings=settings):
        kinds += [(k.code, k.label) for k in group if k.code not in dict(kinds)]
    return kinds


def all_kind_choices() -> list[tuple[str, str]]:
    """Every kind any plugin may add (for list filters). The plugins are fixed once the
    app is built, so the answer is kept with them; labels stay lazy, in any language."""
    from ..plugins import current_plugins

    plugins = current_plugins()
    kept = plugins.__dict__.get("_portal_all_kinds")
    if kept is not None:
        return list(kept)
    kinds = [(code, KIND_LABELS[code]) for code in CORE_KINDS]
    for name in plugins.names():
        settings = {name: plugins.defaults(name), "core": plugins.defaults("core")}
        for group in plugins.hook_for([name]).portal_ticket_kinds(settings=settings):
            kinds += [(k.code, k.label) for k in group if k.code not in dict(kinds)]
    plugins.__dict__["_portal_all_kinds"] = tuple(kinds)
    return kinds


def kind_labels() -> dict:
    """Labels of every kind in the reader's language, worked out once per language (lists
    label many rows; the kinds are fixed once the plugins are registered)."""
    from flask_babel import get_locale

    from ..plugins import current_plugins

    kept = current_plugins().__dict__.setdefault("_portal_kind_labels", {})
    locale = str(get_locale())
    if locale not in kept:
        kept[locale] = {code: str(label) for code, label in all_kind_choices()}
    return kept[locale]


def workflow_for(branch_id: int) -> workflow.Workflow:
    hooks, settings = branch_hooks(branch_id)
    return workflow.Workflow.with_steps(s for group in hooks.portal_workflow_steps(settings=settings) for s in group)


def state_label(state: str, flow: workflow.Workflow | None = None) -> str:
    if state in workflow.STATE_LABELS:
        return _core_state_labels().get(state) or str(workflow.STATE_LABELS[state])
    return str((flow.state_labels if flow else {}).get(state, state))


_STATE_LABELS_BY_LOCALE: dict = {}


def _core_state_labels() -> dict:
    """The core states in the reader's language, worked out once per language (lists
    label many rows)."""
    from flask import has_request_context
    from flask_babel import get_locale

    if not has_request_context():
        return {}
    locale = str(get_locale())
    if locale not in _STATE_LABELS_BY_LOCALE:
        _STATE_LABELS_BY_LOCALE[locale] = {code: str(label) for code, label in workflow.STATE_LABELS.items()}
    return _STATE_LABELS_BY_LOCALE[locale]


def emit(ticket: Ticket, event_name: str) -> None:
    hooks, settings = branch_hooks(ticket.branch_id)
    db.session.flush()
    hooks.portal_ticket_event(ticket=ticket, event=event_name, settings=settings)


def refresh_sla(ticket: Ticket) -> None:
    sla.recompute(ticket, sla.calendar_for(ticket.branch))


# --- opening ------------------------------------------------------------------------------------

@dataclass
class NewTicket:
    customer_id: int
    title: str
    kind: str = "repair"
    channel: str = "phone"
    priority: str = "normal"
    description: str = ""
    product_id: int | None = None
    promised_arrival_at: datetime | None = None
    extra: dict | None = None


def open_ticket(data: NewTicket, user: User, branch_id: int | None = None) -> Ticket:
    """Open a ticket for a customer of the user's branch (HQ: of the customer's branch)."""
    customer = access.scope(db.session.query(Customer), Customer, user).filter(
        Customer.id == data.customer_id, Customer.deleted_at.is_(None)).one_or_none()
    errors = {}
    if customer is None:
        errors["customer"] = _("Choose a customer of your branch.")
    branch_id = customer.branch_id if customer else (branch_id or user.branch_id)
    if data.kind not in dict(kinds_for(branch_id)):
        errors["kind"] = _("Choose a kind from the list.")
    if data.channel not in CHANNELS:
        errors["channel"] = _("Choose a channel from the list.")
    if data.priority not in PRIORITIES:
        errors["priority"] = _("Choose a priority from the list.")
    title = (data.title or "").strip()
    if not title:
        errors["title"] = _("Say in a few words what the customer needs.")
    elif len(title) > 200:
        errors["title"] = _("Keep the summary under 200 characters.")
    product = None
    if data.product_id and customer is not None:
        product = db.session.get(Product, data.product_id)
        if product is None or product.customer_id != customer.id or product.deleted_at is not None:
            errors["product"] = _("The product must be one of this customer's products.")
    if errors:
        raise TicketError(list(errors.values()), errors)
    branch = db.session.get(Branch, branch_id)
    ticket = Ticket(
        branch_id=branch.id, number=next_number(branch), kind=data.kind, channel=data.channel,
        priority=data.priority, title=title, description=(data.description or "").strip(),
        customer_id=customer.id, product_id=product.id if product else None,
        created_by_id=user.id, state="received", extra=data.extra or {},
        out_of_province=sla.is_out_of_province(customer.province, branch.province),
        promised_arrival_at=data.promised_arrival_at, created_at=utcnow(),
    )
    ticket.branch, ticket.customer, ticket.product = branch, customer, product
    hooks, settings = branch_hooks(branch.id)
    with db.session.no_autoflush:
        db.session.add(ticket)
        sla.set_targets(ticket, branch, settings, hooks.portal_sla_targets(ticket=ticket, settings=settings))
        refresh_sla(ticket)
        created = log(ticket, "created", title, user, ticket_kind=data.kind, channel=data.channel)
        created.at = ticket.created_at  # the timeline starts when the ticket does
    emit(ticket, "created")
    return ticket


# --- the workflow -------------------------------------------------------------------------------

def facts(ticket: Ticket, shown: tuple | None = None) -> workflow.TicketFacts:
    """What the workflow's guards read. ``shown``: the ticket's (quotes, charges, visits)
    a page has already read, counted instead of asked again."""
    accepted = charged = open_visits = 0
    if shown is not None:
        quotes, charges, visits = shown
        accepted = sum(q.state == "accepted" for q in quotes)
        charged = len(charges)
        open_visits = sum(v.state in OPEN_VISIT_STATES for v in visits)
    elif ticket.id:
        # One statement for the three counts.
        accepted, charged, open_visits = db.session.execute(select(
            select(func.count(Quote.id)).where(Quote.ticket_id == ticket.id, Quote.state == "accepted")
            .scalar_subquery(),
            select(func.count(Charge.id)).where(Charge.ticket_id == ticket.id).scalar_subquery(),
            select(func.count(Visit.id)).where(Visit.ticket_id == ticket.id, Visit.state.in_(OPEN_VISIT_STATES))
            .scalar_subquery(),
        )).one()
    return workflow.TicketFacts(
        state=ticket.state, kind=ticket.kind, nature=ticket.nature, assignee_id=ticket.assignee_id,
        handling=ticket.handling, warranty_free=ticket.warranty_free, accepted_quote=bool(accepted),
        open_visits=open_visits or 0, charged=bool(charged), solution=ticket.solution or "",
    )


@dataclass
class StepRequest:
    name: str
    seen_version: int | None = None
    reason: str = ""
    nature: str | None = None
    department: str | None = None
    exclusions: tuple[str, ...] = ()
    assignee_id: int | None = None
    handling: str | None = None
    solution: str = ""


def available_steps(ticket: Ticket, user: User, shown: tuple | None = None) -> list:
    """Steps the user could take now (legal from the state and permitted); guards that
    depend on what they type are checked when they send it. ``shown``: see :func:`facts`."""
    flow = workflow_for(ticket.branch_id)
    return [t for t in flow.available(facts(ticket, shown))
            if access.can(t.permission, user, branch_id=ticket.branch_id)]


def check_version(ticket: Ticket, seen_version) -> None:
    if seen_version not in (None, "") and str(seen_version) != str(ticket.version):
        raise TicketError(_("Someone else changed this ticket while you were looking at it. "
                            "Reload the page to see their changes, then try again."), conflict=True)


def transition(ticket: Ticket, request: StepRequest, user: User) -> Ticket:
    """Move the ticket one step, or raise TicketError with every reason it cannot."""
    check_version(ticket, request.seen_version)
    flow = workflow_for(ticket.branch_id)
    step = flow.get(request.name)
    errors = _validate_inputs(ticket, request)
    attempt = workflow.Attempt(reason=request.reason or "", handling=request.handling, nature=request.nature,
                               assignee_id=request.assignee_id, solution=request.solution or "")
    codes = flow.refusals(request.name, facts(ticket), attempt,
                          lambda code: access.can(code, user, branch_id=ticket.branch_id))
    reasons = [str(workflow.REFUSALS.get(c, c)) for c in codes] + list(errors.values())
    if step is not None and not codes:
        hooks, settings = branch_hooks(ticket.branch_id)
        for group in hooks.portal_check_transition(ticket=ticket, target=step.target, user=user, settings=settings):
            reasons += [str(r) for r in (group or [])]
    if reasons:
        raise TicketError(list(dict.fromkeys(reasons)), errors)
    source = ticket.state
    now = utcnow()
    # One flush for the whole step: one version bump and one audit entry, not one per
    # lazy load along the way.
    with db.session.no_autoflush:
        _effects(ticket, step.name, request, user, now)
        if step.target in ("resolved", "closed"):  # also reached by a plugin's own step (e.g. "confirm")
            ticket.resolved_at = ticket.resolved_at or now
        if step.target == "closed":
            ticket.closed_at = ticket.closed_at or now
        ticket.state = step.target
        refresh_sla(ticket)
        log(ticket, "transition", request.reason or request.solution or "", user,
            step=step.name, **{"from": source, "to": step.target})
    emit(ticket, f"transitioned:{step.target}")
    return ticket


def _validate_inputs(ticket: Ticket, request: StepRequest) -> dict:
    errors = {}
    if request.nature and request.nature not in NATURES:
        errors["nature"] = _("Choose a nature from the list.")
    if request.department and request.department not in DEPARTMENT_LABELS:
        errors["department"] = _("Choose a department from the list.")
    try:
        [Exclusion(code) for code in request.exclusions]
    except ValueError:
        errors["exclusions"] = _("Choose exclusions from the list.")
    if request.handling and request.handling not in HANDLINGS:
        errors["handling"] = _("Choose how the work is done from the list.")
    if request.assignee_id and _staff_of(ticket.branch_id, request.assignee_id) is None:
        errors["assignee"] = _("Choose an active colleague of the ticket's branch.")
    return errors


def _staff_of(branch_id: int, user_id) -> User | None:
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(select(User).where(User.id == user_id, User.branch_id == branch_id,
                                                User.active.is_(True)))


def _effects(ticket: Ticket, name: str, request: StepRequest, user: User, now: datetime) -> None:
    if name == "triage":
        ticket.nature = request.nature or ticket.nature
        ticket.department = request.department or workflow.department_for(ticket.nature)
        ticket.exclusions = list(request.exclusions)
        decide_warranty(ticket)
        ticket.first_answered_at = ticket.first_answered_at or now
    elif name == "assign":
        _hand_over(ticket, _staff_of(ticket.branch_id, request.assignee_id or ticket.assignee_id), user,
                   request.reason, now)
    elif name == "start":
        ticket.handling = request.handling or ticket.handling
        if ticket.handling == "on_site":
            ticket.arrival_required = True
    elif name == "wait":
        db.session.add(TicketPause(ticket=ticket, started_at=now))
        ticket.paused_since = now
    elif name == "resume":
        _end_pause(ticket, now)
    elif name == "resolve":
        ticket.solution = (request.solution or ticket.solution).strip()
        ticket.resolved_at = now
    elif name == "close":
        ticket.closed_at = now
    elif name == "reopen":
        ticket.resolved_at = None
        ticket.closed_at = None
    elif name == "cancel":
        _end_pause(ticket, now)
        ticket.closed_at = now


def _end_pause(ticket: Ticket, now: datetime) -> None:
    for pause in ticket.pauses:
        if pause.ended_at is None:
            pause.ended_at = now
    ticket.paused_since = None


def decide_warranty(ticket: Ticket) -> None:
    """Free or paid, and why (REQUIREMENTS §2.4), on the ticket's local date."""
    local_day = ticket.created_at.astimezone(sla.calendar_for(ticket.branch).zone).date()
    product = ticket.product
    result = decide(local_day, warranty_end=product_warranty_end(product),
                    exclusions=ticket.exclusions or (), has_product=product is not None)
    ticket.warranty_free = result.free
    ticket.warranty_reason = result.reason


def product_warranty_end(product: Product | None):
    """The file's warranty end, or the default 12 months from delivery/purchase when the
    file has the dates but nobody filled the end in (REQUIREMENTS §2.4)."""
    if product is None:
        return None
    start = product.delivered_on or product.purchase_date
    return product.warranty_end or (default_warranty_end(start) if start else None)


def warranty_explanation(ticket: Ticket) -> str:
    if ticket.warranty_reason is None:
        return _("Decided at triage.")
    end_day = product_warranty_end(ticket.product)
    end = end_day.isoformat() if end_day else ""
    names = "、".join(str(EXCLUSION_LABELS.get(e, e)) for e in ticket.exclusions or ())
    template = WARRANTY_REASONS.get(ticket.warranty_reason)
    if template is None:  # a plugin decided with a reason code of its own (it explains it on the timeline)
        return _("Decided by the rules of the branch's industry; see the timeline.")
    return str(template) % {"end": end, "exclusions": names}


# --- holders -------------------------------------------------------------------------------------

def _hand_over(ticket: Ticket, new_holder: User, by: User, reason: str, now: datetime) -> None:
    for row in ticket.assignments:
        if row.until is None:
            row.until = now
    db.session.add(TicketAssignment(ticket=ticket, user_id=new_holder.id, assigned_by_id=by.id, since=now,
                                    reason=reason or ""))
    ticket.assignee_id = new_holder.id
    ticket.assignee = new_holder
    log(ticket, "assignment", reason, by, to=new_holder.username, to_name=new_holder.full_name)


REQUEST_FIELD_LABELS = {
    "title": _l("Summary"), "description": _l("Description"), "channel": _l("Channel"),
    "priority": _l("Priority"), "promised_arrival_at": _l("Arrival promised for"),
}


def log_request_edits(ticket: Ticket, user: User | None) -> list[str]:
    """After the request fields were edited (page or API): the timeline says which, and a
    new promised arrival moves the on-site clock. Returns the changed field names."""
    from sqlalchemy import inspect as sa_inspect

    changed = [a.key for a in sa_inspect(ticket).attrs
               if a.key in REQUEST_FIELD_LABELS and a.history.has_changes()]
    if "promised_arrival_at" in changed:
        refresh_sla(ticket)
    if changed:
        log(ticket, "note", _("Changed: %(fields)s", fields=", ".join(str(REQUEST_FIELD_LABELS[c]) for c in changed)),
            user, edited=changed)
    return changed


def reassign(ticket: Ticket, user_id, by: User, reason: str, seen_version=None) -> Ticket:
    """Hand an assigned ticket to someone else (a substitute, REQUIREMENTS §1); the
    history keeps who held it when."""
    check_version(ticket, seen_version)
    if not access.can("ticket.assign", by, branch_id=ticket.branch_id):
        raise TicketError(_("Your role does not allow this step."))
    if ticket.state not in ("assigned", "in_progress", "waiting_customer"):
        raise TicketError(_("Only an assigned ticket can be handed to someone else."))
    holder = _staff_of(ticket.branch_id, user_id)
    if holder is None:
        raise TicketError(_("Choose an active colleague of the ticket's branch."), {"assignee": "x"})
    if holder.id == ticket.assignee_id:
        raise TicketError(_("The ticket is already with this person."))
    if not (reason or "").strip():
        raise TicketError(_("Give a reason."), {"reason": "x"})
    _hand_over(ticket, holder, by, reason.strip(), utcnow())
    ticket.updated_at = utcnow()
    emit(ticket, "reassigned")
    return ticket


def staff_choices(branch_id: int) -> list[User]:
    """The branch's active staff for a "hand over to" list (their roles are not read)."""
    return db.session.scalars(select(User).options(lazyload(User.roles))
                              .where(User.branch_id == branch_id, User.active.is_(True))
                              .order_by(User.full_name)).all()


# --- the record principle -------------------------------------------------------------------------

MAX_ENTRY = 5000


def add_entry(ticket: Ticket, kind: str, body: str, user: User) -> TicketEvent:
    """A note, call, letter or e-mail on the timeline (记录原则)."""
    if kind not in EVENT_KINDS:
        raise TicketError(_("Choose what kind of entry this is."))
    body = (body or "").strip()
    if not body:
        raise TicketError(_("Write what was said or done."), {"body": "x"})
    if len(body) > MAX_ENTRY:
        raise TicketError(_("Keep an entry under %(n)s characters.", n=MAX_ENTRY), {"body": "x"})
    if not access.can("ticket.edit", user, branch_id=ticket.branch_id):
        raise TicketError(_("Your role does not allow this step."))
    return log(ticket, kind, body, user)


MAX_ATTACHMENT = 10 * 1024 * 1024
ALLOWED_TYPES = ("image/", "application/pdf", "text/plain", "application/msword",
                 "application/vnd.openxmlformats-officedocument", "application/vnd.ms-excel")


def add_attachment(ticket: Ticket, filename: str, content_type: str, data: bytes, user: User) -> Attachment:
    if not access.can("ticket.edit", user, branch_id=ticket.branch_id):
        raise TicketError(_("Your role does not allow this step."))
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    if not name or not data:
        raise TicketError(_("Choose a file to attach."))
    if len(data) > MAX_ATTACHMENT:
        raise TicketError(_("Files up to 10 MB can be attached."))
    content_type = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    if not content_type.startswith(ALLOWED_TYPES):
        raise TicketError(_("Attach pictures, PDF, text, Word or Excel files."))
    item = Attachment(branch_id=ticket.branch_id, ticket_id=ticket.id, filename=name, content_type=content_type,
                      size=len(data), data=data, uploaded_by_id=user.id)
    db.session.add(item)
    db.session.flush()
    log(ticket, "attachment", name, user, attachment_id=item.id, size=len(data))
    return item


# --- money ----------------------------------------------------------------------------------------

def money(raw, field: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip() or "0")
    except (InvalidOperation, ValueError):
        raise TicketError(_("Enter an amount in yuan, e.g. 120.50."), {field: "x"})
    if not value.is_finite() or value < 0 or value > Decimal("9999999999.99"):
        raise TicketError(_("Enter an amount in yuan, e.g. 120.50."), {field: "x"})
    if value != value.quantize(Decimal("0.01")):
        raise TicketError(_("Amounts have at most two decimals (fen)."), {field: "x"})
    return value


def propose_quote(ticket: Ticket, parts, labour, travel, note: str, user: User) -> Quote:
    """Out of warranty: parts, labour and travel quoted before work starts (§2.4)."""
    if not access.can("ticket.charge", user, branch_id=ticket.branch_id):
        raise TicketError(_("Your role does not allow this step."))
    if not ticket.is_open:
        raise TicketError(_("The ticket is no longer open."))
    amounts = QuoteAmounts(money(parts, "parts"), money(labour, "labour"), money(travel, "travel"))
    if amounts.total <= 0:
        raise TicketError(_("A quote needs an amount."))
    quote = Quote(branch_id=ticket.branch_id, ticket_id=ticket.id, parts=amounts.parts, labour=amounts.labour,
                  travel=amounts.travel, total=amounts.total, note=(note or "").strip()[:255],
                  created_by_id=user.id)
    db.session.add(quote)
    db.session.flush()
    log(ticket, "quote", note, user, quote_id=quote.id, total=str(amounts.total), state="proposed")
    return quote


def decide_quote(ticket: Ticket, quote_id, accepted: bool, how: str, user: User) -> Quote:
    if not access.can("ticket.charge", user, branch_id=ticket.branch_id):
        raise TicketError(_("Your role does not allow this step."))
    quote = db.session.scalar(select(Quote).where(Quote.id == _int(quote_id), Quote.ticket_id == ticket.id))
    if quote is None:
        raise TicketError(_("No such quote on this ticket."))
    if quote.state != "proposed":
        raise TicketError(_("This quote was decided already."))
    if not (how or "").strip():
        raise TicketError(_("Say how the customer answered (signed, by phone, ...)."), {"how": "x"})
    quote.state = "accepted" if accepted else "declined"
    quote.decided_at = utcnow()
    quote.decided_how = how.strip()[:255]
    log(ticket, "quote", how, user, quote_id=quote.id, total=str(quote.total), state=quote.state)
    return quote


def record_charge(ticket: Ticket, amount, invoice_number: str, fee_standard_shown: bool, user: User) -> Charge:
    """After the service: the amount and the invoice; only once the fee standard was shown."""
    if not access.can("ticket.charge", user, branch_id=ticket.branch_id):
        raise TicketError(_("Your role does not allow this step."))
    errors = {}
    value = money(amount, "amount")
    if value <= 0:
        errors["amount"] = _("Enter the amount charged.")
    if not (invoice_number or "").strip():
        errors["invoice_number"] = _("Enter the invoice number.")
    if not fee_standard_shown:
        errors["fee_standard_shown"] = _("Show the customer the fee standard before charging.")
    if ticket.state not in ("in_progress", "resolved", "closed"):
        errors["state"] = _("Charges are recorded after the service.")
    if errors:
        raise TicketError(list(errors.values()), errors)
    charge = Charge(branch_id=ticket.branch_id, ticket_id=ticket.id, amount=value,
                    invoice_number=invoice_number.strip()[:80], fee_standard_shown=True, charged_by_id=user.id)
    db.session.add(charge)
    db.session.flush()
    log(ticket, "charge", charge.invoice_number, user, charge_id=charge.id, amount=str(value))
    return charge


def _int(raw):
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None
