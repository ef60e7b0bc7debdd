"""Texts for the codes that ``rules.py`` returns, written for branch staff.

Article numbers ("art. 6") are those of the retail regulation, seed ``000``
"售后服务管理制度"; the clothing rules are seed ``001`` §4.2.3–4.2.4.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

DECISIONS = {
    "return": _l("Return"),
    "exchange": _l("Exchange"),
    "free_repair": _l("Free repair"),
    "paid_repair": _l("Paid repair"),
    "refused": _l("Refused"),
}

REQUEST_REASONS = {
    "no_reason": _l("No reason"),
    "quality": _l("Quality fault"),
    "other": _l("Other reason"),
}

CONDITIONS = {
    "resellable": _l("Can be sold again"),
    "used": _l("Used or altered"),
    "made_to_order": _l("Made or altered to order"),
    "packaging_missing": _l("Original packaging lost or damaged"),
    "parts_missing": _l("Parts missing or damaged"),
    "no_warranty_card": _l("No warranty card"),
    "customer_damage": _l("Damaged by the customer"),
    "sale_item": _l("Sale item"),
    "gift": _l("Gift"),
}

MATERIALS = {
    "textile": _l("Textile"),
    "leather": _l("Leather"),
}

#: The deciding rule of a counter decision.
RULES = {
    "return_any_reason_7d": _l("Return without a reason (art. 6)"),
    "quality_return": _l("Return for a quality fault (art. 7)"),
    "quality_exchange": _l("Exchange for a quality fault (art. 8)"),
    "quality_free_repair": _l("Free repair of a quality fault (art. 9)"),
    "quality_paid_repair": _l("Paid repair after the free-repair period (art. 10)"),
    "customer_damage_paid_repair": _l("Paid repair of damage caused by the customer (art. 14)"),
    "no_fault_paid_repair": _l("Paid repair: not a quality fault (art. 5)"),
    "no_fault_refused": _l("Refused: no quality fault and no return possible"),
}

#: The steps of a counter decision; placeholders are ``Decision.params``.
REASONS = {
    "within_any_reason_window": _l(
        "Day %(days)s since purchase: within the %(return_any_reason_days)s days in which a "
        "resellable item is taken back without a reason (art. 6)."),
    "past_any_reason_window": _l(
        "Day %(days)s since purchase: the %(return_any_reason_days)s days for a return "
        "without a reason are over (art. 6)."),
    "not_resellable": _l(
        "The item cannot be sold again, so it cannot be taken back without a reason (art. 6)."),
    "within_quality_return_window": _l(
        "Quality fault on day %(days)s since purchase: within the %(quality_return_days)s days "
        "for a return (art. 7)."),
    "within_quality_exchange_window": _l(
        "Quality fault on day %(days)s since purchase: past the %(quality_return_days)s days for "
        "a return, within the %(quality_exchange_days)s days for an exchange (art. 8)."),
    "within_free_repair_period": _l(
        "Quality fault on day %(days)s since purchase, no later than %(free_repair_until)s: "
        "the repair is free (art. 9)."),
    "past_free_repair_period": _l(
        "Quality fault after %(free_repair_until)s, more than %(free_repair_months)s months "
        "after purchase: the repair is charged (art. 10)."),
    "no_fault_nothing_to_repair": _l(
        "No quality fault and nothing to repair: refuse, and tell the customer clearly why "
        "(art. 25)."),
    "no_fault_repair_charged": _l(
        "Not a quality fault: the item can be repaired, but the repair is charged (art. 5)."),
    "excluded_used": _l(
        "No return or exchange: the item shows clear signs of use or alteration and has no "
        "quality fault (art. 11)."),
    "excluded_made_to_order": _l(
        "No return or exchange: the item was made or altered to order and has no quality "
        "fault (art. 12)."),
    "excluded_packaging_missing": _l(
        "No return or exchange: the original packaging is lost or damaged (art. 13)."),
    "excluded_parts_missing": _l(
        "No return or exchange: parts or accessories are missing or damaged (art. 13)."),
    "excluded_no_warranty_card": _l("No return or exchange: there is no warranty card (art. 13)."),
    "excluded_customer_damage": _l(
        "No return or exchange: the customer caused the damage, so the repair is charged "
        "(art. 14)."),
    "excluded_sale_item": _l("No return or exchange for sale items (art. 15)."),
    "excluded_gift": _l("No return or exchange for gifts (art. 15)."),
}

#: Tasks the rules' dates create; placeholders: ``due`` and, for a notice, ``notice``.
TASKS = {
    "late_repair_notice": _l("Tell the customer the repair will be late, by %(due)s (art. 26)"),
    "pickup_notice": _l("Pickup notice no. %(notice)s for the repaired item, due %(due)s (art. 27)"),
    "mail_repaired_item": _l(
        "Mail the repaired item to the customer, due %(due)s: the pickup notices were not "
        "answered (art. 28)"),
    "answer_out_of_stock": _l("Answer the customer about the out-of-stock item by %(due)s (art. 35)"),
}

STOCK_STATES = {
    "registered": _l("Registered"),
    "transfer_arranged": _l("Transfer arranged"),
    "customer_confirmed": _l("Confirmed by the customer"),
    "arrived": _l("Arrived in store"),
    "notified": _l("Customer notified"),
    "collected": _l("Collected"),
    "cancelled": _l("Cancelled"),
}

STOCK_REFUSALS = {
    "already_closed": _l("This registration is closed."),
    "same_state": _l("The registration is already at this step."),
    "cannot_go_back": _l("A registration cannot go back a step."),
    "transfer_not_arranged": _l("Arrange the transfer first (art. 33)."),
    "customer_not_confirmed": _l("Confirm with the customer before the transfer (art. 34)."),
    "not_arrived": _l("The goods have not arrived yet."),
    "customer_not_notified": _l("Notify the customer first (art. 36)."),
}

#: Placeholders: ``threshold`` (yuan) and ``months``.
CARE_REFUSALS = {
    "care_price_not_above_threshold": _l(
        "Free dry cleaning is only for items sold above %(threshold)s yuan."),
    "care_period_over": _l(
        "Free dry cleaning is only within %(months)s months of the purchase."),
    "care_used_up": _l("All free services of this purchase have been used."),
}

INPUT_ERRORS = {
    "unknown_conditions": _l("Unknown condition codes: %(codes)s."),
    "conditions_not_a_list": _l("The conditions must be a list of codes."),
    "unknown_reason": _l("Unknown reason “%(value)s”."),
    "unknown_material": _l("Unknown material “%(value)s”."),
    "unknown_state": _l("Unknown state “%(value)s”."),
    "unknown_decision": _l("Unknown decision “%(value)s”."),
    "not_a_date": _l("%(field)s: “%(value)s” is not a date."),
    "date_before_start": _l("%(field)s %(value)s is before the purchase date %(start)s."),
    "not_an_amount": _l("%(field)s: “%(value)s” is not an amount in yuan."),
    "not_a_count": _l("%(field)s: “%(value)s” is not a count."),
}


def _flat(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: ", ".join(map(str, value)) if isinstance(value, (list, tuple, set, frozenset))
            else value for key, value in params.items()}


def explain(decision) -> list[str]:
    """The steps of a ``rules.Decision`` as sentences, in order."""
    return [REASONS[code] % dict(decision.params) for code in decision.reasons]


def rule_text(decision) -> str:
    """The deciding rule of a ``rules.Decision``."""
    return str(RULES[decision.rule])


def texts(codes: Iterable[str], table: Mapping[str, Any], **params: Any) -> list[str]:
    """The texts of refusal codes from one of the tables above."""
    return [table[code] % params if params else str(table[code]) for code in codes]


def care_refusal_texts(codes: Iterable[str], settings: Mapping[str, Any]) -> list[str]:
    """Texts for ``rules.may_use_free_care`` refusals, quoting the branch's numbers."""
    from .rules import DRY_CLEAN_PERIOD_MONTHS

    return texts(codes, CARE_REFUSALS, threshold=settings["dry_clean_price_threshold"],
                 months=DRY_CLEAN_PERIOD_MONTHS)


def pickup_text(step) -> str:
    """The task text of a ``rules.PickupStep``."""
    if step.action == "mail":
        return TASKS["mail_repaired_item"] % {"due": step.due.isoformat()}
    return TASKS["pickup_notice"] % {"notice": step.notice, "due": step.due.isoformat()}


def input_error_text(error) -> str:
    """The text of a ``rules.RuleInputError`` (the API's 422 message)."""
    return INPUT_ERRORS[error.code] % _flat(error.params)
