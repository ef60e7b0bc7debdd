"""The counter's decision for a till or a web shop: ``POST /api/v1/retail/decision``.

The REST API authenticates the caller by bearer token and answers errors as
``{"error": {"code", "message", "fields"}}``; this endpoint joins it through the
``portal_api`` hook. The decision is made in the settings of the caller's branch (HQ
names the branch, or sends a ``product_id`` whose file decides it). Nothing is saved.
"""

from __future__ import annotations

import functools
from datetime import date

import marshmallow as ma
from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import validate

from portal.plugin_api import Branch, TicketError, db, require, require_plugin, scope, sees_all_branches

from . import NAME, messages, rules
from .counter import local_today, product_in_scope, settings_of

MAX_ID = 2**31 - 1
# The dates a till can mean; outside them the calendar arithmetic has nothing to say.
DAYS = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31),
                      error=_l("Enter a date between 2000-01-01 and 2100-12-31."))


class DecisionRequestSchema(ma.Schema):
    """Either the purchase date or the purchase in a customer file (``product_id``)."""

    purchase_date = ma.fields.Date(validate=DAYS, metadata={
        "description": "Day of purchase (day 0), YYYY-MM-DD. Send this or product_id."})
    product_id = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "A purchase in a customer file of the caller's branch; its purchase date is used."})
    request_date = ma.fields.Date(validate=DAYS, metadata={
        "description": "Day of the request, YYYY-MM-DD; today in the branch when left out."})
    reason = ma.fields.String(required=True, validate=validate.OneOf(rules.REQUEST_REASONS), metadata={
        "description": "What the customer says: no reason, a quality fault, or another reason."})
    conditions = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=40)), load_default=list,
        validate=validate.Length(max=len(rules.CONDITIONS) * 2),
        metadata={"description": "Condition codes of the item: " + ", ".join(rules.CONDITIONS)
                  + ". Unknown codes are refused (422)."})
    branch_id = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "HQ callers: the branch whose settings decide (not needed with product_id)."})

    @ma.validates_schema
    def _one_purchase_and_known_conditions(self, data, **kwargs):
        errors = {}
        if ("purchase_date" in data) == ("product_id" in data):
            errors["purchase_date"] = [_("Send either purchase_date or product_id.")]
        try:
            rules.parse_conditions(data.get("conditions", []))
        except rules.RuleInputError as exc:
            errors["conditions"] = [messages.input_error_text(exc)]
        if errors:
            raise ma.ValidationError(errors)


class DecisionSchema(ma.Schema):
    decision = ma.fields.String(required=True, metadata={"enum": list(rules.DECISIONS)})
    reasons = ma.fields.List(ma.fields.String(), required=True, metadata={
        "description": "Codes of the steps of the judgement, in order."})
    rule = ma.fields.String(required=True, metadata={"description": "Code of the deciding rule."})
    days = ma.fields.Integer(required=True, metadata={"description": "Calendar days since purchase."})
    explanation = ma.fields.List(ma.fields.String(), required=True, metadata={
        "description": "The reasons as sentences, in the language of Accept-Language."})
    branch_id = ma.fields.Integer(required=True, metadata={"description": "The branch whose settings decided."})


def _guard(view):
    """Where the plugin is off the endpoint does not exist (404), before the body is read;
    then the counter permission (403)."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        require_plugin(NAME)
        require("retail.counter", plugin=NAME)
        return view(*args, **kwargs)
    return guarded


def _branch_for(args):
    """(branch, purchase date): from the purchase in a customer file, or the caller's branch."""
    if "product_id" in args:
        product = product_in_scope(args["product_id"])
        if product is None:
            abort(404)
        if product.purchase_date is None:
            message = _("The customer file has no purchase date for this product: send purchase_date.")
            raise TicketError(message, {"product_id": message})
        return product.branch, product.purchase_date
    if sees_all_branches(current_user):
        if "branch_id" not in args:
            message = _("HQ callers name the branch whose settings decide.")
            raise TicketError(message, {"branch_id": message})
        branch_id = args["branch_id"]
    else:
        branch_id = args.get("branch_id", current_user.branch_id)
    branch = scope(db.session.query(Branch), Branch).filter(Branch.id == branch_id).one_or_none()
    if branch is None:
        abort(404)
    return branch, args["purchase_date"]


def register(blueprint) -> None:
    @blueprint.route("/retail/decision", methods=["POST"], tags=["retail_store"])
    @_guard
    @blueprint.arguments(DecisionRequestSchema)
    @blueprint.response(200, DecisionSchema)
    def retail_decision(args):
        """Return, exchange or repair? The store's rules by days since purchase (needs retail.counter)"""
        branch, purchase = _branch_for(args)
        settings = settings_of(branch.id)
        if settings is None:
            abort(404)  # the rules do not run in that branch
        request_date = args.get("request_date") or local_today(branch)
        try:
            decision = rules.decide(purchase, request_date, args["reason"], args.get("conditions", []), settings)
        except rules.RuleInputError as exc:
            message = messages.input_error_text(exc)
            raise TicketError(message, {"request_date" if exc.code == "date_before_start" else "reason": message})
        return {**decision.as_json(), "explanation": messages.explain(decision), "branch_id": branch.id}
