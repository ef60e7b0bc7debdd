"""Complaints in eight steps (REQUIREMENTS §2.7; 004/7 一.(三), 004/9 二).

record → nature (justified or not) → responsible unit → investigation → solution (approved
by someone else above the branch's amount) → customer notified → responsibility and
penalty → improvement measure. One step at a time, never skipped or reordered; an
unjustified complaint is closed at step 2 with the explanation given to the customer.

The first part is pure rules (no database, no request): :func:`next_step` and
:func:`check_step` answer with refusal codes. The second part is the service: like
:mod:`portal.core.tickets` it never commits and raises :class:`TicketError` for refusals.

Closing a complaint does not move its ticket: the ticket keeps its own workflow (triage,
assignment, ...) and is resolved on its page by whoever holds it; the complaint only
writes a note on the ticket's timeline at every step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, event, func, select
from sqlalchemy.orm import Session

from .inputs import yes_no
from ..extensions import db
from ..plugin_api import hookimpl
from . import access, tickets
from .models import Ticket, User
from .models.complaint import (
    AGAINST_KINDS, COMPLAINT_NATURES, DEMERITS, NOTIFY_CHANNELS, Complaint, ComplaintStep,
)
from .models.types import utcnow
from .plugin_state import settings_for
from .tickets import TicketError

STEPS = (1, 2, 3, 4, 5, 6, 7, 8)
STEP_LABELS = {
    1: _l("Record the complaint"), 2: _l("Judge the nature"), 3: _l("Responsible unit"),
    4: _l("Investigate the cause"), 5: _l("Propose a solution"), 6: _l("Notify the customer"),
    7: _l("Responsibility and penalty"), 8: _l("Improvement measure"),
}
NATURE_LABELS = {
    "quality": _l("Product quality"), "service_attitude": _l("Service attitude"), "suggestion": _l("Suggestion"),
    "contract": _l("Contract dispute"), "transport": _l("Transport problem"),
}
AGAINST_LABELS = {"person": _l("A person"), "product": _l("A product"), "service": _l("A service")}
NOTIFY_LABELS = {code: tickets.CHANNEL_LABELS[code] for code in NOTIFY_CHANNELS}
DEMERIT_LABELS = {"none": _l("No demerit"), "demerit": _l("Demerit"), "serious_demerit": _l("Serious demerit")}
OUTCOME_LABELS = {"resolved": _l("Closed after the improvement measure"),
                  "unjustified": _l("Not justified: closed with an explanation")}
ACTION_LABELS = {
    "opened": _l("File opened"), "done": _l("Step done"), "approved": _l("Solution approved"),
    "sent_back": _l("Solution sent back"), "serious": _l("Flagged as serious"),
    "not_serious": _l("Serious flag removed"),
}
# Who usually answers for which nature (004/7 3.3): contract disputes go to senior
# management, transport to logistics, quality to the quality department. Only a proposal.
NATURE_DEPARTMENT = {
    "quality": "quality", "transport": "warehouse_logistics", "contract": "senior_management",
    "service_attitude": "after_sales", "suggestion": "after_sales",
}
MAX_TEXT = 5000

# --- pure rules --------------------------------------------------------------------------------

REFUSALS = {
    "unknown_step": (None, _l("There is no such complaint step.")),
    "closed": (None, _l("This complaint is closed; its steps can no longer be changed.")),
    "step_done": (None, _l("This step is done already: steps are recorded once, in order.")),
    "step_skipped": (None, _l("Steps cannot be skipped: do the current step first.")),
    "approval_required": (None, _l("The solution is above the branch's amount and must be approved first.")),
    "complainant_required": ("complainant", _l("Enter who complains.")),
    "received_required": ("received_at", _l("Enter when the complaint was received, like 2026-11-23 14:30.")),
    "received_in_future": ("received_at", _l("The complaint cannot be received in the future.")),
    "against_kind_required": ("against_kind",
                              _l("Say whether the complaint is against a person, a product or a service.")),
    "against_required": ("against", _l("Enter whom or what the complaint is against.")),
    "demand_required": ("demand", _l("Enter what the customer demands.")),
    "nature_required": ("nature", _l("Choose the nature of the complaint.")),
    "justified_required": ("justified", _l("Say whether the complaint is justified.")),
    "explanation_required": ("explanation",
                             _l("An unjustified complaint is closed with the explanation given to the customer: "
                                "enter it.")),
    "unit_required": ("responsible_department", _l("Choose the responsible unit or name it.")),
    "cause_required": ("cause", _l("Enter the cause found.")),
    "responsible_required": ("responsible", _l("Choose the responsible colleague or enter the name of the "
                                                "person outside the branch.")),
    "solution_required": ("solution", _l("Describe the solution proposed.")),
    "notified_how_required": ("notified_how", _l("Say how the customer was notified.")),
    "notified_required": ("notified_at", _l("Enter when the customer was notified, like 2026-11-23 14:30.")),
    "notified_in_future": ("notified_at", _l("The customer cannot be notified in the future.")),
    "notified_before_received": ("notified_at", _l("The customer cannot be notified before the complaint "
                                                    "was received.")),
    "attribution_required": ("attribution", _l("Say who is responsible and why.")),
    "improvement_required": ("improvement", _l("Describe the improvement measure.")),
    "no_approval_pending": (None, _l("No solution of this complaint is waiting for approval.")),
    "own_proposal": (None, _l("A solution is approved by someone other than the person who proposed it.")),
    "not_permitted": (None, _l("Your role does not allow this step.")),
    "reason_required": ("reason", _l("Give a reason.")),
}

# What each step must have; ``check_step`` reads these keys from ``facts``.
REQUIRED = {
    1: ("complainant", "received_at", "against_kind", "against", "demand"),
    2: ("nature", "justified"),
    3: (),  # department or free text, checked below
    4: ("cause",),
    5: ("solution",),
    6: ("notified_how", "notified_at"),
    7: ("attribution",),
    8: ("improvement",),
}
MISSING_CODE = {
    "complainant": "complainant_required", "received_at": "received_required",
    "against_kind": "against_kind_required", "against": "against_required", "demand": "demand_required",
    "nature": "nature_required", "justified": "justified_required", "cause": "cause_required",
    "solution": "solution_required", "notified_how": "notified_how_required", "notified_at": "notified_required",
    "attribution": "attribution_required", "improvement": "improvement_required",
}


@dataclass(frozen=True)
class ComplaintState:
    """What the rules need to know about a complaint."""

    last_step: int = 0
    closed: bool = False
    approval_needed: bool = False
    approved: bool = False


def state_of(complaint: Complaint) -> ComplaintState:
    return ComplaintState(last_step=complaint.last_step or 0, closed=complaint.closed_at is not None,
                          approval_needed=bool(complaint.approval_needed), approved=complaint.approved_at is not None)


def next_step(state: ComplaintState) -> int | None:
    """The one step that may be done now; None once the complaint is closed."""
    if state.closed or state.last_step >= STEPS[-1]:
        return None
    return state.last_step + 1


def needs_approval(amount: Decimal | None, limit: Decimal) -> bool:
    """Above (not at) the branch's amount (004/7 3.6: the solution is notified once approved)."""
    return amount is not None and Decimal(amount) > Decimal(limit)


def _present(value) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def check_order(current: ComplaintState, target: int) -> list[str]:
    """Is ``target`` the one step that may be done now?"""
    if target not in STEPS:
        return ["unknown_step"]
    if current.closed:
        return ["closed"]
    if target <= current.last_step:
        return ["step_done"]
    if target != next_step(current):
        return ["step_skipped"]
    if target == 6 and current.approval_needed and not current.approved:
        return ["approval_required"]
    return []


def check_step(current: ComplaintState, target: int, facts: Mapping) -> list[str]:
    """Refusal codes for doing step ``target`` now with ``facts`` (the cleaned input, plus
    ``now`` and, for step 6, the complaint's ``received_at``). Empty: allowed."""
    order = check_order(current, target)
    if order:
        return order
    codes = [MISSING_CODE[key] for key in REQUIRED[target] if not _present(facts.get(key))]
    now = facts.get("now")
    if target == 1 and facts.get("received_at") and now and facts["received_at"] > now:
        codes.append("received_in_future")
    if target == 2 and facts.get("justified") is False and not _present(facts.get("explanation")):
        codes.append("explanation_required")
    if target == 3 and not (_present(facts.get("responsible_department"))
                            or _present(facts.get("responsible_unit_note"))):
        codes.append("unit_required")
    if target == 4 and not (facts.get("responsible_user_id") or _present(facts.get("responsible_name"))):
        codes.append("responsible_required")
    if target == 6 and facts.get("notified_at"):
        if now and facts["notified_at"] > now:
            codes.append("notified_in_future")
        if facts.get("received_at") and facts["notified_at"] < facts["received_at"]:
            codes.append("notified_before_received")
    return codes


def check_approval(current: ComplaintState, approver_id, proposer_id) -> list[str]:
    """May ``approver_id`` approve (or send back) the solution now?"""
    if current.closed:
        return ["closed"]
    if current.last_step != 5 or not current.approval_needed or current.approved:
        return ["no_approval_pending"]
    if approver_id is not None and approver_id == proposer_id:
        return ["own_proposal"]
    return []


def refusal(codes: list[str]) -> TicketError:
    fields = {}
    messages = []
    for code in codes:
        field, message = REFUSALS.get(code, (None, code))
        messages.append(str(message))
        if field:
            fields[field] = str(message)
    return TicketError(list(dict.fromkeys(messages)), fields)


# --- the append-only step record --------------------------------------------------------------

@event.listens_for(Session, "before_flush")
def _steps_are_append_only(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ComplaintStep) and (obj in session.deleted or session.is_modified(obj)):
            raise TicketError(_("The steps of a complaint are never edited, only added."))


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _record(complaint: Complaint, step: int, action: str, user: User | None, data: dict) -> ComplaintStep:
    row = ComplaintStep(complaint=complaint, branch_id=complaint.branch_id, step=step, action=action,
                        user_id=user.id if user is not None else access.current_user_id(), at=utcnow(),
                        data={k: _plain(v) for k, v in data.items()})
    db.session.add(row)
    return row


def _note(complaint: Complaint, body: str, user: User | None, **data) -> None:
    """Every step shows on the ticket's timeline too, as a note (the timeline has no kind
    of its own for complaints)."""
    tickets.log(complaint.ticket, "note", body[:MAX_TEXT], user, complaint_id=complaint.id, **data)


# --- opening -----------------------------------------------------------------------------------

def complaint_of(ticket: Ticket) -> Complaint | None:
    return db.session.scalar(select(Complaint).where(Complaint.ticket_id == ticket.id))


def open_complaint(ticket: Ticket, user: User | None = None) -> Complaint:
    """The complaint file of ``ticket``, created if it has none yet: filled in from the
    ticket (customer, when received, what they ask) for step 1 to confirm. Called for every
    new ticket of kind "complaint"; plugins start one for their own kinds (e.g. disputes)
    through ``portal.plugin_api.open_complaint``."""
    existing = complaint_of(ticket)
    if existing is not None:
        return existing
    # Opened with the ticket: by whoever opened it (also from the CLI, where nobody is signed in).
    if user is None and ticket.created_by_id is not None:
        user = db.session.get(User, ticket.created_by_id)
    customer = ticket.customer
    complaint = Complaint(
        branch_id=ticket.branch_id, ticket=ticket, ticket_id=ticket.id,
        complainant=(customer.name if customer else "")[:120], contact=(customer.phone if customer else "")[:120],
        received_at=ticket.created_at or utcnow(), demand=(ticket.description or ticket.title or "")[:MAX_TEXT],
        created_by_id=user.id if user is not None else access.current_user_id(),
    )
    db.session.add(complaint)
    db.session.flush()
    _record(complaint, 0, "opened", user, {"ticket": ticket.number})
    _note(complaint, _("Complaint file opened: it is handled in eight steps."), user, complaint_step=0)
    return complaint


def start_complaint(ticket: Ticket, user: User) -> Complaint:
    """"Start a complaint file" for an existing ticket of any kind (a repair that turned
    into a complaint). The ticket keeps its kind."""
    if not access.can("complaint.work", user, branch_id=ticket.branch_id):
        raise refusal(["not_permitted"])
    if ticket.deleted_at is not None:
        raise TicketError(_("This ticket is archived."))
    if complaint_of(ticket) is not None:
        raise TicketError(_("This ticket has a complaint file already."))
    return open_complaint(ticket, user)


@hookimpl
def portal_ticket_event(ticket, event, settings):
    if event == "created" and getattr(ticket, "kind", None) == "complaint":
        open_complaint(ticket)


# --- the steps ---------------------------------------------------------------------------------

def approval_limit(branch_id: int) -> Decimal:
    return Decimal(settings_for(branch_id)["core"]["complaint_approval_amount"])


def _check_version(complaint: Complaint, seen_version) -> None:
    if seen_version not in (None, "") and str(seen_version) != str(complaint.version):
        raise TicketError(_("Someone else changed this complaint while you were looking at it. "
                            "Reload the page to see their changes, then try again."), conflict=True)


def _text(raw, limit=MAX_TEXT) -> str:
    return str(raw or "").strip()[:limit]




def _when(raw) -> datetime | None:
    """Times come typed by the view (aware UTC); anything else counts as missing."""
    return raw if isinstance(raw, datetime) and raw.tzinfo is not None else None


def _money(raw, field: str, errors: dict) -> Decimal | None:
    if raw in (None, ""):
        return Decimal("0.00")
    try:
        return tickets.money(raw, field)
    except TicketError as exc:
        errors[field] = exc.messages[0]
        return None


def _clean(complaint: Complaint, step: int, raw: Mapping) -> tuple[dict, dict]:
    """Typed values of the step's fields, and errors for values that are not allowed
    (choices outside the lists, bad amounts). Missing values are for check_step."""
    errors: dict = {}
    values: dict = {}
    if step == 1:
        values = {"complainant": _text(raw.get("complainant"), 120), "contact": _text(raw.get("contact"), 120),
                  "received_at": _when(raw.get("received_at")), "against_kind": raw.get("against_kind") or None,
                  "against": _text(raw.get("against"), 200), "demand": _text(raw.get("demand"))}
        if values["against_kind"] and values["against_kind"] not in AGAINST_KINDS:
            errors["against_kind"] = _("Choose from the list.")
    elif step == 2:
        values = {"nature": raw.get("nature") or None, "justified": yes_no(raw.get("justified")),
                  "explanation": _text(raw.get("explanation")), "serious": bool(yes_no(raw.get("serious")))}
        if values["nature"] and values["nature"] not in COMPLAINT_NATURES:
            errors["nature"] = _("Choose a nature from the list.")
        if values["justified"]:
            values["explanation"] = ""
    elif step == 3:
        values = {"responsible_department": raw.get("responsible_department") or None,
                  "responsible_unit_note": _text(raw.get("responsible_unit_note"), 200)}
        if values["responsible_department"] and values["responsible_department"] not in tickets.DEPARTMENT_LABELS:
            errors["responsible_department"] = _("Choose a department from the list.")
    elif step == 4:
        values = {"cause": _text(raw.get("cause")), "responsible_user_id": None,
                  "responsible_name": _text(raw.get("responsible_name"), 120)}
        if raw.get("responsible_user_id") not in (None, ""):
            colleague = tickets._staff_of(complaint.branch_id, raw.get("responsible_user_id"))
            if colleague is None:
                errors["responsible"] = _("Choose an active colleague of the ticket's branch.")
            else:
                values["responsible_user_id"] = colleague.id
                values["responsible_name"] = (colleague.full_name or colleague.username)[:120]
    elif step == 5:
        values = {"solution": _text(raw.get("solution")), "amount": _money(raw.get("amount"), "amount", errors)}
    elif step == 6:
        values = {"notified_how": raw.get("notified_how") or None, "notified_at": _when(raw.get("notified_at")),
                  "customer_reply": _text(raw.get("customer_reply"))}
        if values["notified_how"] and values["notified_how"] not in NOTIFY_CHANNELS:
            errors["notified_how"] = _("Choose from the list.")
    elif step == 7:
        values = {"attribution": _text(raw.get("attribution")),
                  "penalty_amount": _money(raw.get("penalty_amount"), "penalty_amount", errors),
                  "penalty_demerit": raw.get("penalty_demerit") or "none"}
        if values["penalty_demerit"] not in DEMERITS:
            errors["penalty_demerit"] = _("Choose from the list.")
    elif step == 8:
        values = {"improvement": _text(raw.get("improvement"))}
    return values, errors


def record_step(complaint: Complaint, step, raw: Mapping, user: User, seen_version=None) -> ComplaintStep:
    """Do step ``step`` of the complaint with the values in ``raw`` (strings as posted;
    times as aware datetimes), or raise TicketError with every reason it cannot."""
    _check_version(complaint, seen_version)
    if not access.can("complaint.work", user, branch_id=complaint.branch_id):
        raise refusal(["not_permitted"])
    try:
        step = int(step)
    except (TypeError, ValueError):
        raise refusal(["unknown_step"])
    current = state_of(complaint)
    order = check_order(current, step)
    if order:
        raise refusal(order)
    values, errors = _clean(complaint, step, raw)
    now = utcnow()
    facts = {**values, "now": now}
    if step == 6:
        facts["received_at"] = complaint.received_at
    codes = check_step(current, step, facts)
    if codes or errors:
        failure = refusal(codes)
        failure.messages = list(dict.fromkeys(failure.messages + list(errors.values())))
        failure.fields.update(errors)
        raise failure
    with db.session.no_autoflush:
        _apply(complaint, step, values, user, now)
        complaint.last_step = step
        complaint.updated_at = now
        row = _record(complaint, step, "done", user, values)
        _note(complaint, _summary(complaint, step), user, complaint_step=step)
    if step == 7:
        _propose_penalty(complaint)
    return row


def _apply(complaint: Complaint, step: int, values: dict, user: User, now: datetime) -> None:
    for key, value in values.items():
        if key != "serious":
            setattr(complaint, key, value)
    if step == 2:
        # Step 2 can only raise the flag; taking it down needs a reason (set_serious).
        if values["serious"] and not complaint.serious:
            _flag(complaint, True, user, now, "", step)
        if values["justified"] is False:
            complaint.closed_at = now
            complaint.outcome = "unjustified"
    elif step == 5:
        complaint.proposed_by_id = user.id
        complaint.approval_needed = needs_approval(values["amount"], approval_limit(complaint.branch_id))
        complaint.approved_by_id = None
        complaint.approved_at = None
    elif step == 8:
        complaint.closed_at = now
        complaint.outcome = "resolved"


def _summary(complaint: Complaint, step: int) -> str:
    """The note on the ticket's timeline, in the words of the step."""
    head = _("Complaint step %(n)s · %(name)s", n=step, name=STEP_LABELS[step])
    if step == 1:
        detail = f"{complaint.complainant}: {complaint.demand}"
    elif step == 2:
        nature = str(NATURE_LABELS.get(complaint.nature, complaint.nature))
        if complaint.justified:
            detail = _("%(nature)s, justified", nature=nature)
        else:
            detail = _("%(nature)s, not justified; closed. Explained to the customer: %(text)s", nature=nature,
                       text=complaint.explanation)
    elif step == 3:
        detail = unit_label(complaint)
    elif step == 4:
        detail = f"{complaint.cause} · {responsible_label(complaint)}"
    elif step == 5:
        detail = _("%(text)s (%(amount)s yuan)", text=complaint.solution, amount=complaint.amount)
        if complaint.approval_needed:
            detail += " · " + _("waiting for approval")
    elif step == 6:
        detail = str(NOTIFY_LABELS.get(complaint.notified_how, complaint.notified_how))
        if complaint.customer_reply:
            detail += f": {complaint.customer_reply}"
    elif step == 7:
        detail = f"{complaint.attribution} · {penalty_label(complaint)}"
    else:
        detail = complaint.improvement + " · " + _("Complaint closed.")
    return f"{head}: {detail}"


def unit_label(complaint: Complaint) -> str:
    parts = []
    if complaint.responsible_department:
        parts.append(str(tickets.DEPARTMENT_LABELS.get(complaint.responsible_department,
                                                       complaint.responsible_department)))
    if complaint.responsible_unit_note:
        parts.append(complaint.responsible_unit_note)
    return " · ".join(parts)


def responsible_label(complaint: Complaint) -> str:
    # The name is kept as it was at step 4, also for a colleague, so the file reads the same
    # after a rename (and the export needs no extra query).
    return complaint.responsible_name


def penalty_label(complaint: Complaint) -> str:
    parts = []
    if complaint.penalty_amount:
        parts.append(_("%(amount)s yuan", amount=complaint.penalty_amount))
    parts.append(str(DEMERIT_LABELS.get(complaint.penalty_demerit or "none")))
    return " · ".join(parts)


def _propose_penalty(complaint: Complaint) -> bool:
    """Hand step 7 to staff performance (§2.8) when that feature is installed: it proposes
    the penalty against the responsible person for a manager to confirm."""
    try:
        from . import performance
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.performance":
            raise
        return False
    propose = getattr(performance, "propose_from_complaint", None)
    if propose is None:
        return False
    propose(complaint)
    return True


# --- approval and the serious flag -------------------------------------------------------------

def decide_solution(complaint: Complaint, approve: bool, user: User, note: str = "", seen_version=None) -> None:
    """Approve the proposed solution, or send it back to step 5 with a reason. Never by
    the person who proposed it."""
    _check_version(complaint, seen_version)
    if not access.can("complaint.approve", user, branch_id=complaint.branch_id):
        raise refusal(["not_permitted"])
    codes = check_approval(state_of(complaint), user.id, complaint.proposed_by_id)
    note = _text(note)
    if not codes and not approve and not note:
        codes = ["reason_required"]
    if codes:
        raise refusal(codes)
    now = utcnow()
    with db.session.no_autoflush:
        if approve:
            complaint.approved_by_id = user.id
            complaint.approved_at = now
            _record(complaint, 5, "approved", user, {"amount": complaint.amount, "note": note})
            body = _("Complaint solution approved (%(amount)s yuan).", amount=complaint.amount)
        else:
            complaint.last_step = 4
            complaint.approval_needed = False
            _record(complaint, 5, "sent_back", user, {"amount": complaint.amount, "note": note})
            body = _("Complaint solution sent back for a new proposal.")
        complaint.updated_at = now
        _note(complaint, body + (f" {note}" if note else ""), user, complaint_step=5)


def _flag(complaint: Complaint, serious: bool, user: User, now: datetime, reason: str, step: int) -> None:
    complaint.serious = serious
    complaint.serious_at = now if serious else None
    _record(complaint, step, "serious" if serious else "not_serious", user, {"reason": reason})
    body = (_("Complaint flagged as serious: reported to HQ's quality department.") if serious
            else _("Complaint no longer flagged as serious."))
    _note(complaint, body + (f" {reason}" if reason else ""), user, complaint_serious=serious)


def set_serious(complaint: Complaint, serious: bool, user: User, reason: str = "", seen_version=None) -> None:
    """Flag (or unflag) a complaint as serious at any time (004/8 4.3: serious ones go to
    the quality department)."""
    _check_version(complaint, seen_version)
    if not access.can("complaint.work", user, branch_id=complaint.branch_id):
        raise refusal(["not_permitted"])
    if bool(serious) == bool(complaint.serious):
        raise TicketError(_("Nothing to change."))
    reason = _text(reason, 500)
    if not serious and not reason:
        raise refusal(["reason_required"])
    with db.session.no_autoflush:
        _flag(complaint, bool(serious), user, utcnow(), reason, complaint.last_step)
        complaint.updated_at = utcnow()


# --- questions other pages ask -------------------------------------------------------------------

def serious_open_condition():
    return Complaint.deleted_at.is_(None) & Complaint.serious.is_(True) & Complaint.closed_at.is_(None)


def serious_open_count(user=None) -> int:
    """For the dashboard: serious complaints still open that reach ``user`` (HQ's quality
    role sees every branch's; a branch user with complaint.quality their own)."""
    if not access.can("complaint.quality", user):
        return 0
    query = db.session.query(func.count(Complaint.id)).filter(serious_open_condition())
    return access.scope(query, Complaint, user).scalar() or 0


def current_step_label(complaint: Complaint) -> str:
    if complaint.closed_at is not None:
        return str(OUTCOME_LABELS.get(complaint.outcome, _("Closed")))
    if complaint.awaiting_approval:
        return _("Waiting for approval")
    step = next_step(state_of(complaint))
    return f"{step}. {STEP_LABELS[step]}"


# --- monthly figures (§2.9; 004/9 二.(四)) ----------------------------------------------------------

RATE_PLACES = Decimal("0.0001")


def _rate(count: int, tickets_opened: int) -> Decimal | None:
    if not tickets_opened:
        return None
    return (Decimal(count) / Decimal(tickets_opened)).quantize(RATE_PLACES)


def monthly_figures(start_utc: datetime, end_utc: datetime, branch_id: int | None = None) -> dict:
    """Complaint figures of [start_utc, end_utc), computed with GROUP BY.

    * ``received``: complaints whose step-1 "received" time is in the period (archived
      files left out); ``justified`` / ``unjustified`` / ``undecided`` and ``serious`` among them;
      ``by_nature`` and ``by_unit`` of those (key None: not judged / no unit yet — unjustified
      complaints never get a unit).
    * ``closed``: complaints closed in the period, whenever received.
    * ``tickets``: the denominator of the complaint rate — every ticket (any kind, the
      complaint tickets included, archived ones left out) opened in the period in the branch.
    * ``rate_by_unit``: complaints received of that unit / tickets, a Decimal fraction with
      four places (0.0250 = 2.5 %), None when the branch opened no ticket.

    The same keys come per branch under ``branches[branch_id]``; the top level adds them up
    (the company-wide rate uses all the branches' tickets).
    """
    live = Complaint.deleted_at.is_(None)
    received = (Complaint.received_at >= start_utc) & (Complaint.received_at < end_utc)
    where = [live, received] + ([Complaint.branch_id == branch_id] if branch_id is not None else [])
    closed_where = [live, Complaint.closed_at >= start_utc, Complaint.closed_at < end_utc] + (
        [Complaint.branch_id == branch_id] if branch_id is not None else [])
    ticket_where = [Ticket.deleted_at.is_(None), Ticket.created_at >= start_utc, Ticket.created_at < end_utc] + (
        [Ticket.branch_id == branch_id] if branch_id is not None else [])

    def one(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    totals = db.session.execute(
        select(Complaint.branch_id, func.count(Complaint.id), one(Complaint.justified.is_(True)),
               one(Complaint.justified.is_(False)), one(Complaint.serious.is_(True)))
        .where(*where).group_by(Complaint.branch_id)).all()
    natures = db.session.execute(select(Complaint.branch_id, Complaint.nature, func.count(Complaint.id))
                                 .where(*where).group_by(Complaint.branch_id, Complaint.nature)).all()
    units = db.session.execute(select(Complaint.branch_id, Complaint.responsible_department, func.count(Complaint.id))
                               .where(*where).group_by(Complaint.branch_id, Complaint.responsible_department)).all()
    closed = db.session.execute(select(Complaint.branch_id, func.count(Complaint.id))
                                .where(*closed_where).group_by(Complaint.branch_id)).all()
    opened = db.session.execute(select(Ticket.branch_id, func.count(Ticket.id))
                                .where(*ticket_where).group_by(Ticket.branch_id)).all()

    def blank():
        return {"received": 0, "justified": 0, "unjustified": 0, "undecided": 0, "serious": 0, "closed": 0,
                "tickets": 0, "by_nature": {}, "by_unit": {}, "rate_by_unit": {}, "rate": None}

    branches: dict[int, dict] = {}
    for branch, count, yes, no, serious in totals:
        row = branches.setdefault(branch, blank())
        row.update(received=int(count), justified=int(yes), unjustified=int(no), serious=int(serious),
                   undecided=int(count) - int(yes) - int(no))
    for branch, nature, count in natures:
        branches.setdefault(branch, blank())["by_nature"][nature] = int(count)
    for branch, unit, count in units:
        branches.setdefault(branch, blank())["by_unit"][unit] = int(count)
    for branch, count in closed:
        branches.setdefault(branch, blank())["closed"] = int(count)
    for branch, count in opened:
        branches.setdefault(branch, blank())["tickets"] = int(count)

    company = blank()
    for row in branches.values():
        row["rate_by_unit"] = {unit: _rate(n, row["tickets"]) for unit, n in row["by_unit"].items()}
        row["rate"] = _rate(row["received"], row["tickets"])
        for key in ("received", "justified", "unjustified", "undecided", "serious", "closed", "tickets"):
            company[key] += row[key]
        for key in ("by_nature", "by_unit"):
            for code, n in row[key].items():
                company[key][code] = company[key].get(code, 0) + n
    company["rate_by_unit"] = {unit: _rate(n, company["tickets"]) for unit, n in company["by_unit"].items()}
    company["rate"] = _rate(company["received"], company["tickets"])
    company["branches"] = branches
    return company
