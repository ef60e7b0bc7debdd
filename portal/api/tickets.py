"""Tickets: the lists staff work from, the case file with its timeline and service-level
clocks, opening (idempotent), editing, and moving through the workflow by target state."""

from __future__ import annotations

from datetime import timedelta

import marshmallow as ma
from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import validate
from sqlalchemy import select

from ..core import access, sla, tickets, workflow
from ..core.models import Ticket, TicketEvent
from ..core.models.ticket import CHANNELS, CLOCKS, HANDLINGS, NATURES, PRIORITIES
from ..core.models.types import utcnow
from ..core.plugin_state import settings_for
from ..core.views.ticket_lists import SHOW_OPTIONS, show_condition
from ..core.warranty import Exclusion
from ..extensions import db
from . import idempotency
from .common import ID, get_or_404, require, scoped
from .errors import ApiError, invalid
from .fields import Id, QueryId, Text, UTCDateTime, choice
from .pagination import PageArgs, page_schema, paginate
from .schemas import VersionSchema

TIMELINE_LIMIT = 500
# Guards the caller can satisfy by sending a field; the others depend on the record.
GUARD_FIELDS = {
    "nature_required": "nature", "assignee_required": "assignee_id", "handling_required": "handling",
    "solution_required": "solution", "reason_required": "reason",
}

# -- answers ----------------------------------------------------------------------------------


class TicketSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    number = ma.fields.String(required=True)
    branch_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    channel = ma.fields.String(required=True, metadata={"enum": list(CHANNELS)})
    priority = ma.fields.String(required=True, metadata={"enum": list(PRIORITIES)})
    state = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    customer_id = ma.fields.Integer(required=True)
    product_id = ma.fields.Integer(required=True, allow_none=True)
    assignee_id = ma.fields.Integer(required=True, allow_none=True)
    created_at = UTCDateTime(required=True)
    updated_at = UTCDateTime(required=True)
    sla_next_due_at = UTCDateTime(required=True, allow_none=True, metadata={
        "description": "Earliest due time of a service-level clock still running."})
    sla_breached = ma.fields.Boolean(required=True)
    escalation_level = ma.fields.Integer(required=True)
    version = ma.fields.Integer(required=True)


class ClockSchema(ma.Schema):
    clock = ma.fields.String(required=True, metadata={"enum": list(CLOCKS)})
    due = UTCDateTime(required=True, allow_none=True)
    stopped_at = UTCDateTime(required=True, allow_none=True)
    status = ma.fields.String(required=True, metadata={"enum": [
        "not_applicable", "paused", "running", "at_risk", "breached", "met", "missed"]})


class EventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = UTCDateTime(required=True)
    kind = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    user_id = ma.fields.Integer(required=True, allow_none=True)
    data = ma.fields.Dict(required=True)


class StepSchema(ma.Schema):
    step = ma.fields.String(required=True)
    to = ma.fields.String(required=True, metadata={"description": "Send this as `to` to take the step."})
    label = ma.fields.String(required=True)


class TicketDetailSchema(TicketSchema):
    description = ma.fields.String(required=True)
    solution = ma.fields.String(required=True)
    handling = ma.fields.String(required=True, allow_none=True)
    nature = ma.fields.String(required=True, allow_none=True)
    department = ma.fields.String(required=True, allow_none=True)
    extra = ma.fields.Dict(required=True)
    warranty_free = ma.fields.Boolean(required=True, allow_none=True)
    warranty_reason = ma.fields.String(required=True, allow_none=True)
    exclusions = ma.fields.List(ma.fields.String(), required=True)
    promised_arrival_at = UTCDateTime(required=True, allow_none=True)
    out_of_province = ma.fields.Boolean(required=True)
    first_answer_due = UTCDateTime(required=True, allow_none=True)
    arrival_due = UTCDateTime(required=True, allow_none=True)
    resolution_due = UTCDateTime(required=True, allow_none=True)
    first_answered_at = UTCDateTime(required=True, allow_none=True)
    arrived_at = UTCDateTime(required=True, allow_none=True)
    resolved_at = UTCDateTime(required=True, allow_none=True)
    closed_at = UTCDateTime(required=True, allow_none=True)
    paused_since = UTCDateTime(required=True, allow_none=True)
    created_by_id = ma.fields.Integer(required=True, allow_none=True)
    clocks = ma.fields.List(ma.fields.Nested(ClockSchema), required=True, metadata={
        "description": "The three service-level clocks, on the branch's working calendar."})
    timeline = ma.fields.List(ma.fields.Nested(EventSchema), required=True, metadata={
        "description": f"The timeline, oldest first (the latest {TIMELINE_LIMIT} entries)."})
    transitions = ma.fields.List(ma.fields.Nested(StepSchema), required=True, metadata={
        "description": "Steps the caller may take now."})

    def get_attribute(self, obj, attr, default):
        if attr == "clocks":
            return _clocks(obj)
        if attr == "timeline":
            return _timeline(obj)
        if attr == "transitions":
            return [{"step": t.name, "to": t.target, "label": str(t.label)}
                    for t in tickets.available_steps(obj, current_user)]
        return super().get_attribute(obj, attr, default)


def _clocks(ticket: Ticket) -> list:
    at_risk = timedelta(hours=settings_for(ticket.branch_id)["core"]["at_risk_hours"])
    return sla.clock_statuses(ticket, utcnow(), ticket.branch, at_risk)


def _timeline(ticket: Ticket) -> list:
    latest = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                .order_by(TicketEvent.id.desc()).limit(TIMELINE_LIMIT)).all()
    return list(reversed(latest))


# -- requests ---------------------------------------------------------------------------------


class TicketArgs(PageArgs):
    show = choice([code for code, _label in SHOW_OPTIONS], metadata={
        "description": "A quick list, as in the portal: mine, open, due_today, at_risk, breached, waiting, "
                       "escalated."})
    state = ma.fields.List(Text(32), metadata={"description": "Any of these states (repeat the parameter)."})
    kind = ma.fields.List(Text(32), metadata={"description": "Any of these kinds."})
    priority = ma.fields.List(choice(PRIORITIES))
    channel = ma.fields.List(choice(CHANNELS))
    assignee_id = QueryId()
    customer_id = QueryId()
    branch_id = QueryId(metadata={"description": "Only this branch (HQ staff)."})
    created_from = UTCDateTime(metadata={"description": "Opened at or after this time."})
    created_to = UTCDateTime(metadata={"description": "Opened before this time."})


class TicketCreateSchema(ma.Schema):
    customer_id = Id(required=True)
    title = Text(200, min_length=1, required=True)
    kind = Text(32, load_default="repair", metadata={
        "description": "repair, complaint, consultation, …, or a kind of a plugin running in the branch."})
    channel = choice(CHANNELS, load_default="phone")
    priority = choice(PRIORITIES, load_default="normal")
    description = Text(10000, load_default="")
    product_id = Id(allow_none=True, load_default=None)
    promised_arrival_at = UTCDateTime(allow_none=True, load_default=None)
    extra = ma.fields.Dict(keys=Text(64), values=Text(500), validate=validate.Length(max=30), load_default=dict,
                           metadata={"description": "The extra fields of a plugin's ticket kind."})


class TicketUpdateSchema(VersionSchema):
    title = Text(200, min_length=1)
    description = Text(10000)
    priority = choice(PRIORITIES)
    channel = choice(CHANNELS)


class TransitionSchema(ma.Schema):
    to = Text(32, min_length=1, required=True, metadata={
        "description": "The state to move to; see `transitions` on the ticket."})
    version = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1), metadata={
        "description": "The ticket's version as you read it; a stale one is refused with 409."})
    reason = Text(2000, load_default="", metadata={"description": "Needed to wait, cancel and reopen."})
    nature = choice(NATURES, metadata={"description": "Triage: the nature of the request."})
    department = choice(list(tickets.DEPARTMENT_LABELS), metadata={"description": "Triage: another department."})
    exclusions = ma.fields.List(choice([e.value for e in Exclusion]), validate=validate.Length(max=3),
                                load_default=list, metadata={"description": "Triage: warranty exclusions."})
    assignee_id = Id(metadata={"description": "Assign: a colleague of the ticket's branch."})
    handling = choice(HANDLINGS, metadata={"description": "Start: how the work is done."})
    solution = Text(10000, load_default="", metadata={"description": "Resolve: the solution."})


class EntrySchema(ma.Schema):
    kind = choice(tickets.EVENT_KINDS, required=True)
    body = Text(tickets.MAX_ENTRY, min_length=1, required=True)


# -- the workflow by target state --------------------------------------------------------------


def _step_to(ticket: Ticket, target: str):
    """The workflow step from the ticket's state to ``target`` that the caller may take."""
    flow = tickets.workflow_for(ticket.branch_id)
    if target not in flow.states:
        raise invalid({"to": _("Unknown state.")})
    candidates = [t for t in flow.available(tickets.facts(ticket)) if t.target == target]
    if not candidates:
        raise ApiError(409, _("This step is not possible from the ticket's current state."),
                       code="illegal_transition")
    permitted = [t for t in candidates if access.can(t.permission, branch_id=ticket.branch_id)]
    if not permitted:
        raise ApiError(403, _("Your role does not allow this step."))
    return flow, permitted[0]


def _missing_inputs(flow, step, ticket: Ticket, data: dict) -> None:
    """Guards the caller can fix by sending a field answer 422 with that field."""
    attempt = workflow.Attempt(reason=data.get("reason") or "", handling=data.get("handling"),
                               nature=data.get("nature"), assignee_id=data.get("assignee_id"),
                               solution=data.get("solution") or "")
    codes = flow.refusals(step.name, tickets.facts(ticket), attempt,
                          lambda code: access.can(code, branch_id=ticket.branch_id))
    fields = {GUARD_FIELDS[c]: str(workflow.REFUSALS[c]) for c in codes if c in GUARD_FIELDS}
    if fields:
        raise invalid(fields, " ".join(fields.values()))


def register(bp):
    @bp.route("/tickets", tags=["tickets"])
    @bp.arguments(TicketArgs, location="query")
    @bp.response(200, page_schema(TicketSchema))
    def list_tickets(args):
        """Tickets, newest first, with the portal's filters and quick lists (needs ticket.view)"""
        require("ticket.view")
        query = scoped(Ticket)
        if args.get("show"):
            query = query.filter(show_condition(args["show"]))
        for name, column in (("state", Ticket.state), ("kind", Ticket.kind), ("priority", Ticket.priority),
                             ("channel", Ticket.channel)):
            if args.get(name):
                query = query.filter(column.in_(args[name]))
        for name, column in (("assignee_id", Ticket.assignee_id), ("customer_id", Ticket.customer_id),
                             ("branch_id", Ticket.branch_id)):
            if args.get(name):
                query = query.filter(column == args[name])
        if args.get("created_from"):
            query = query.filter(Ticket.created_at >= args["created_from"])
        if args.get("created_to"):
            query = query.filter(Ticket.created_at < args["created_to"])
        return paginate(query, Ticket.id, args)

    @bp.route("/tickets", methods=["POST"], tags=["tickets"])
    @bp.arguments(idempotency.IdempotencyHeaderSchema, location="headers")
    @bp.arguments(TicketCreateSchema)
    @bp.response(201, TicketDetailSchema)
    def create_ticket(headers, data):
        """Open a ticket for a customer; retry safely with an Idempotency-Key (needs ticket.create)"""
        require("ticket.create")
        key = headers.get("key")
        answer = idempotency.replay(current_user.id, key) if key else None
        if answer is None:
            ticket = tickets.open_ticket(tickets.NewTicket(**data), current_user)
            body = TicketDetailSchema().dump(ticket)
            answer = idempotency.remember(current_user.id, key, body, 201, ticket.id) if key else None
            if answer is None:
                db.session.commit()
                return jsonify(body), 201
        body, status = answer
        return jsonify(body), status, {idempotency.REPLAYED: "true"}

    @bp.route(f"/tickets/<{ID}:ticket_id>", tags=["tickets"])
    @bp.response(200, TicketDetailSchema)
    def get_ticket(ticket_id):
        """One ticket with its timeline, service-level clocks and the steps the caller may take (needs ticket.view)"""
        require("ticket.view")
        return get_or_404(Ticket, ticket_id)

    @bp.route(f"/tickets/<{ID}:ticket_id>", methods=["PATCH"], tags=["tickets"])
    @bp.arguments(TicketUpdateSchema)
    @bp.response(200, TicketDetailSchema)
    def update_ticket(data, ticket_id):
        """Change title, description, priority or channel; send the version you read (needs ticket.edit)"""
        require("ticket.view")
        ticket = get_or_404(Ticket, ticket_id)
        require("ticket.edit", branch_id=ticket.branch_id)
        tickets.check_version(ticket, data["version"])
        for name in ("title", "description", "priority", "channel"):
            if name in data:
                setattr(ticket, name, data[name].strip() if name == "title" else data[name])
        if not ticket.title:
            raise invalid({"title": _("Say in a few words what the customer needs.")})
        tickets.log_request_edits(ticket, current_user)
        db.session.commit()
        return ticket

    @bp.route(f"/tickets/<{ID}:ticket_id>/transitions", methods=["POST"], tags=["tickets"])
    @bp.arguments(TransitionSchema)
    @bp.response(200, TicketDetailSchema)
    def transition_ticket(data, ticket_id):
        """Move the ticket to another state, e.g. {"to": "triaged", "nature": "other"} (needs the step's permission)"""
        require("ticket.view")
        ticket = get_or_404(Ticket, ticket_id)
        tickets.check_version(ticket, data.get("version"))
        flow, step = _step_to(ticket, data["to"])
        _missing_inputs(flow, step, ticket, data)
        tickets.transition(ticket, tickets.StepRequest(
            name=step.name, seen_version=data.get("version"), reason=data.get("reason") or "",
            nature=data.get("nature"), department=data.get("department"),
            exclusions=tuple(data.get("exclusions") or ()), assignee_id=data.get("assignee_id"),
            handling=data.get("handling"), solution=data.get("solution") or ""), current_user)
        db.session.commit()
        return ticket

    @bp.route(f"/tickets/<{ID}:ticket_id>/entries", methods=["POST"], tags=["tickets"])
    @bp.arguments(EntrySchema)
    @bp.response(201, EventSchema)
    def add_entry(data, ticket_id):
        """Write a note, call, letter or e-mail on the timeline (needs ticket.edit)"""
        require("ticket.view")
        ticket = get_or_404(Ticket, ticket_id)
        require("ticket.edit", branch_id=ticket.branch_id)
        entry = tickets.add_entry(ticket, data["kind"], data["body"], current_user)
        db.session.commit()
        return entry
