"""Text for the codes returned by ``rules.py``: what dispatchers, engineers and managers read."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from .rules import Problem

DISTANCE_LABELS = {
    "in_province": _l("In-province"),
    "out_of_province": _l("Out-of-province"),
}
UNKNOWN_DISTANCE = _l("Province missing or not recognised: check the distance class.")

EXPENSE_CATEGORY_LABELS = {
    "transport": _l("Transport"),
    "lodging": _l("Lodging"),
    "meals": _l("Meals"),
    "allowance": _l("Travel allowance"),
    "other": _l("Other"),
}

INSTALL_STATE_LABELS = {
    "requested": _l("Requested"),
    "approved": _l("Approved by the general manager"),
    "scheduled": _l("Date and team agreed"),
    "prepared": _l("Prepared"),
    "done": _l("Done, training record signed"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}

MESSAGES = {
    # Dispatch and travel
    "promise_before_request": _l("The promised arrival time is before the request was received."),
    "phone_guidance_missing": _l(
        "Try phone guidance first: record the attempt, or write why a visit is needed without it."),
    "travel_not_approved": _l("This trip needs the general manager's travel approval before departure."),
    # Expense claims
    "trip_dates_reversed": _l("The trip ends (%(end)s) before it starts (%(start)s)."),
    "no_lines": _l("The claim has no expense lines."),
    "date_outside_trip": _l("Line %(line)s: %(date)s is outside the trip (%(start)s to %(end)s)."),
    "place_missing": _l("Line %(line)s: the place is missing."),
    "place_not_on_trip": _l("Line %(line)s: %(place)s is not a place of this trip."),
    "unknown_category": _l("Line %(line)s: “%(category)s” is not an expense category."),
    "amount_not_positive": _l("Line %(line)s: the amount must be more than zero (%(amount)s)."),
    "receipt_missing": _l("Line %(line)s: no receipt attached for %(category)s."),
    # Outbound slips
    "slip_customer_missing": _l("The outbound slip does not name the customer."),
    "slip_no_parts": _l("The outbound slip lists no parts."),
    "slip_part_missing": _l("Line %(line)s: the part name is missing."),
    "slip_qty_not_positive": _l("Line %(line)s: the quantity must be at least 1 (%(qty)s)."),
    "slip_shipping_missing": _l("The outbound slip does not say how the parts are shipped."),
    "slip_not_approved": _l("The after-sales manager must approve the outbound slip before the parts leave."),
    # Installation and training
    "install_step_not_allowed": _l("This request cannot move to that step from where it is now."),
    "reason_missing": _l("Write the reason."),
    "agreed_date_missing": _l("Agree the date with the customer first."),
    "team_missing": _l("Name at least one engineer for the team."),
    "checklist_empty": _l("List the tools, fixtures and parts to take."),
    "checklist_incomplete": _l("Tick every item of the checklist of tools, fixtures and parts."),
    "training_material_missing": _l("Prepare the training material first."),
    "customer_signature_missing": _l("The customer must sign the training record."),
    # Supplier faults
    "supplier_deadline_missing": _l("Give the supplier a deadline."),
    "supplier_deadline_before_notice": _l("The supplier's deadline is before the notice date."),
    "supplier_cost_bearer_missing": _l("Say who bears the cost of the fault."),
}

SETTLEMENT_PAY_ENGINEER = _l("Pay the engineer %(amount)s yuan.")
SETTLEMENT_ENGINEER_RETURNS = _l("The engineer returns %(amount)s yuan.")
SETTLEMENT_EVEN = _l("The advance covers the claim exactly.")
LEAVE_SITE_PENALTY = _l("Left the site without calling HQ: a penalty is proposed.")
SUPPLIER_OVERDUE = _l("The supplier is past the deadline: chase them.")
SHORTAGE = _l("%(part)s: %(missing)s missing, request it from the factory.")


def describe(item: str | Problem) -> str:
    """The text for a refusal code or a Problem, with its parameters filled in."""
    code, params = (item.code, dict(item.params)) if isinstance(item, Problem) else (item, {})
    if "category" in params:
        params["category"] = EXPENSE_CATEGORY_LABELS.get(params["category"], params["category"])
    message = MESSAGES[code]
    return str(message) % params if params else str(message)


def settlement_text(settlement: Decimal) -> str:
    """Who pays whom after an expense claim (a claim minus the travel advance)."""
    if settlement > 0:
        return str(SETTLEMENT_PAY_ENGINEER) % {"amount": settlement}
    if settlement < 0:
        return str(SETTLEMENT_ENGINEER_RETURNS) % {"amount": -settlement}
    return str(SETTLEMENT_EVEN)

