"""Ticket states and transitions: pure rules, no database and no request.

received → triaged → assigned → in_progress ⇄ waiting_customer → resolved → closed, with
cancel from every open state and reopen from resolved or closed (issue 3, REQUIREMENTS
§2.2). Plugins add steps (``portal.contract.Transition``) and veto transitions through
``portal_check_transition``; the service layer (``portal.core.tickets``) combines both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from ..contract import Transition

CORE_STATES = ("received", "triaged", "assigned", "in_progress", "waiting_customer", "resolved", "closed", "cancelled")
OPEN_STATES = ("received", "triaged", "assigned", "in_progress", "waiting_customer")
FINAL_STATES = ("closed", "cancelled")

# Routing by nature (REQUIREMENTS §2.2; 001 §4.3.4–4.3.6, 004/7 3.3).
NATURE_DEPARTMENT = {
    "product_quality": "quality",
    "packaging_transport": "warehouse_logistics",
    "staff_attitude": "sales_management",
    "contract_dispute": "senior_management",
    "other": "after_sales",
}

# Handling that sends people or parts and so costs the customer money out of warranty.
BILLABLE_HANDLING = frozenset({"parts_sent", "on_site", "taken_for_repair", "sent_to_hq"})

CORE_TRANSITIONS = (
    Transition("triage", _l("Triage"), ("received",), "triaged", "ticket.triage"),
    Transition("assign", _l("Assign"), ("triaged",), "assigned", "ticket.assign"),
    Transition("start", _l("Start work"), ("assigned",), "in_progress", "ticket.work"),
    Transition("wait", _l("Wait for the customer"), ("in_progress",), "waiting_customer", "ticket.work"),
    Transition("resume", _l("Resume"), ("waiting_customer",), "in_progress", "ticket.work"),
    Transition("resolve", _l("Resolve"), ("in_progress",), "resolved", "ticket.work"),
    Transition("close", _l("Close"), ("resolved",), "closed", "ticket.close"),
    Transition("reopen", _l("Reopen"), ("resolved", "closed"), "in_progress", "ticket.reopen"),
    Transition("cancel", _l("Cancel"), OPEN_STATES, "cancelled", "ticket.cancel"),
)


STATE_LABELS = {
    "received": _l("Received"), "triaged": _l("Triaged"), "assigned": _l("Assigned"),
    "in_progress": _l("In progress"), "waiting_customer": _l("Waiting for the customer"),
    "resolved": _l("Resolved"), "closed": _l("Closed"), "cancelled": _l("Cancelled"),
}

REFUSALS = {
    "unknown_transition": _l("There is no such step."),
    "illegal_from_state": _l("This step is not possible from the ticket's current state."),
    "not_permitted": _l("Your role does not allow this step."),
    "nature_required": _l("Judge the nature of the request first."),
    "assignee_required": _l("Choose who takes the ticket."),
    "handling_required": _l("Say how the work will be done (phone guidance, parts, on site, ...)."),
    "quote_not_accepted": _l("Out of warranty: the customer must accept a quote before work starts."),
    "solution_required": _l("Describe the solution before resolving."),
    "visits_open": _l("A visit is still open: finish or cancel it first."),
    "charge_missing": _l("Record the charge with its invoice number before closing."),
    "reason_required": _l("Give a reason."),
}


@dataclass(frozen=True)
class TicketFacts:
    """What the guards need to know about a ticket, in plain values."""

    state: str
    kind: str = "repair"
    nature: str | None = None
    assignee_id: int | None = None
    handling: str | None = None
    warranty_free: bool | None = None
    accepted_quote: bool = False
    open_visits: int = 0
    charged: bool = False
    solution: str = ""


@dataclass(frozen=True)
class Attempt:
    """What the person asked for with the transition (a reason, a handling, ...)."""

    reason: str = ""
    handling: str | None = None
    nature: str | None = None
    assignee_id: int | None = None
    solution: str = ""


@dataclass(frozen=True)
class Workflow:
    transitions: tuple[Transition, ...] = CORE_TRANSITIONS
    state_labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def with_steps(cls, steps: Iterable[Transition]) -> "Workflow":
        """The core workflow plus plugin steps; a plugin step with the name of a core one
        replaces it (a plugin may insert a state by rerouting an edge)."""
        by_name = {t.name: t for t in CORE_TRANSITIONS}
        labels = {}
        for step in steps:
            by_name[step.name] = step
            if step.target_label:
                labels[step.target] = step.target_label
        return cls(tuple(by_name.values()), labels)

    @property
    def states(self) -> tuple[str, ...]:
        extra = [t.target for t in self.transitions if t.target not in CORE_STATES]
        return CORE_STATES + tuple(dict.fromkeys(extra))

    def get(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def available(self, facts: TicketFacts) -> list[Transition]:
        """Transitions that leave the ticket's current state (guards not yet applied)."""
        return [t for t in self.transitions if facts.state in t.sources and _applies(t, facts.kind)]

    def refusals(self, name: str, facts: TicketFacts, attempt: Attempt, permissions) -> list[str]:
        """Reason codes why ``name`` may not happen now; empty means allowed.

        ``permissions`` is a predicate ``code -> bool`` for the acting user, so the
        decision about who may do what stays in ``portal.core.access``.
        """
        step = self.get(name)
        if step is None:
            return ["unknown_transition"]
        if facts.state not in step.sources or not _applies(step, facts.kind):
            return ["illegal_from_state"]
        if not permissions(step.permission):
            return ["not_permitted"]
        return list(_guards(step.name, facts, attempt))


def _applies(step: Transition, kind: str) -> bool:
    return not step.kinds or kind in step.kinds


def _guards(name: str, facts: TicketFacts, attempt: Attempt):
    if name == "triage" and not (attempt.nature or facts.nature):
        yield "nature_required"
    if name == "assign" and not (attempt.assignee_id or facts.assignee_id):
        yield "assignee_required"
    if name == "start":
        handling = attempt.handling or facts.handling
        if not handling:
            yield "handling_required"
        elif handling in BILLABLE_HANDLING and facts.warranty_free is False and not facts.accepted_quote:
            yield "quote_not_accepted"
    if name == "resolve":
        if not (attempt.solution or facts.solution).strip():
            yield "solution_required"
        if facts.open_visits:
            yield "visits_open"
    if name == "close" and facts.warranty_free is False and facts.accepted_quote and not facts.charged:
        yield "charge_missing"
    if name in ("cancel", "reopen", "wait") and not attempt.reason.strip():
        yield "reason_required"


def department_for(nature: str | None) -> str | None:
    """The department the nature proposes; the person triaging may choose another."""
    return NATURE_DEPARTMENT.get(nature) if nature else None
