"""Callbacks (回访) through the API: the queue of calls due, and recording what the
customer said — or that nobody answered (REQUIREMENTS §2.6)."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from marshmallow import validate

from ..core import callbacks
from ..core.models.callback import CALLBACK_STATES, Callback
from ..extensions import db
from .common import ID, get_or_404, require, scoped
from .fields import Bool, QueryId, Text, UTCDateTime, choice
from .pagination import PageArgs, page_schema, paginate


class CallbackSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    branch_id = ma.fields.Integer(required=True)
    customer_id = ma.fields.Integer(required=True)
    ticket_id = ma.fields.Integer(required=True, allow_none=True)
    product_id = ma.fields.Integer(required=True, allow_none=True)
    visit_id = ma.fields.Integer(required=True, allow_none=True)
    kind = ma.fields.String(required=True, metadata={
        "description": "satisfaction, product_use, or a plugin's kind such as auto_workshop.first_call."})
    label = ma.fields.String(required=True)
    due_on = ma.fields.Date(required=True, metadata={"description": "The branch's local day it is due."})
    next_try_on = ma.fields.Date(required=True, allow_none=True)
    state = ma.fields.String(required=True, metadata={"enum": list(CALLBACK_STATES)})
    attempts = ma.fields.Integer(required=True)
    last_attempt_at = UTCDateTime(required=True, allow_none=True)
    fixed = ma.fields.Boolean(required=True, allow_none=True)
    on_time = ma.fields.Boolean(required=True, allow_none=True)
    fee_charged = ma.fields.Boolean(required=True, allow_none=True)
    fee_standard_shown = ma.fields.Boolean(required=True, allow_none=True)
    rating_attitude = ma.fields.Integer(required=True, allow_none=True)
    rating_skill = ma.fields.Integer(required=True, allow_none=True)
    rating_punctuality = ma.fields.Integer(required=True, allow_none=True)
    rating_service = ma.fields.Integer(required=True, allow_none=True)
    suggestions = ma.fields.String(required=True)
    done_at = UTCDateTime(required=True, allow_none=True)
    done_by_id = ma.fields.Integer(required=True, allow_none=True)
    follow_up_ticket_id = ma.fields.Integer(required=True, allow_none=True)
    needs_follow_up = ma.fields.Function(lambda c: callbacks.needs_follow_up(c), required=True, metadata={
        "type": "boolean", "description": "An unfixed fault or a poor rating: open a follow-up ticket."})
    version = ma.fields.Integer(required=True)


class CallbackArgs(PageArgs):
    show = choice(callbacks.QUEUE_PRESETS, load_default="today", metadata={
        "description": "today (everything callable today, overdue included), overdue, upcoming, no_answer, "
                       "done, all."})
    customer_id = QueryId()
    ticket_id = QueryId()
    branch_id = QueryId(metadata={"description": "Only this branch (HQ staff)."})


def _rating(**kwargs):
    return ma.fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=5), **kwargs)


class ResultSchema(ma.Schema):
    outcome = choice(("answered", "no_answer"), required=True, metadata={
        "description": "answered: the survey card below is recorded and the callback is done; no_answer: "
                       "it is tried again after the branch's retry days, and given up after its attempts."})
    version = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1), metadata={
        "description": "The callback's version as you read it; a stale one is refused with 409."})
    fixed = Bool(allow_none=True)
    on_time = Bool(allow_none=True)
    fee_charged = Bool(allow_none=True)
    fee_standard_shown = Bool(allow_none=True)
    rating_attitude = _rating()
    rating_skill = _rating()
    rating_punctuality = _rating()
    rating_service = _rating(metadata={"description": "1 (poor) to 5 (excellent); always asked."})
    suggestions = Text(callbacks.MAX_SUGGESTIONS)


def register(bp):
    @bp.route("/callbacks", tags=["callbacks"])
    @bp.arguments(CallbackArgs, location="query")
    @bp.response(200, page_schema(CallbackSchema))
    def list_callbacks(args):
        """The callback queue: by default the calls to make today (needs callback.view)"""
        require("callback.view")
        query = scoped(Callback)
        condition = callbacks.queue_condition(args["show"], callbacks.today_for(current_user.branch_id))
        if condition is not None:
            query = query.filter(condition)
        for name, column in (("customer_id", Callback.customer_id), ("ticket_id", Callback.ticket_id),
                             ("branch_id", Callback.branch_id)):
            if args.get(name):
                query = query.filter(column == args[name])
        return paginate(query, Callback.id, args)

    @bp.route(f"/callbacks/<{ID}:callback_id>", tags=["callbacks"])
    @bp.response(200, CallbackSchema)
    def get_callback(callback_id):
        """One callback with its survey card (needs callback.view)"""
        require("callback.view")
        return get_or_404(Callback, callback_id)

    @bp.route(f"/callbacks/<{ID}:callback_id>/result", methods=["POST"], tags=["callbacks"])
    @bp.arguments(ResultSchema)
    @bp.response(200, CallbackSchema)
    def record_result(data, callback_id):
        """Record the call: the customer's answers, or that nobody answered (needs callback.work)"""
        require("callback.view")
        callback = get_or_404(Callback, callback_id)
        require("callback.work", branch_id=callback.branch_id)
        if data["outcome"] == "no_answer":
            callbacks.record_no_answer(callback, current_user, data.get("version"))
        else:
            answers = {k: v for k, v in data.items() if k not in ("outcome", "version")}
            callbacks.record_result(callback, answers, current_user, data.get("version"))
        db.session.commit()
        return callback
