"""Text for the codes ``rules.py`` returns, written for the workshop staff who read them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .rules import Refusal

REFUSALS = {
    # work-order steps
    "step_not_allowed": _l("A work order cannot go from “%(state)s” to “%(target)s”."),
    "no_jobs": _l("Add at least one job before starting the work order."),
    "nothing_issued": _l("No parts have been issued on this work order yet."),
    "jobs_open": _l("%(count)s job(s) on this work order are not finished yet."),
    "parts_not_issued": _l("%(count)s parts line(s) have not been issued. Issue them, or ask the service "
                           "advisor to remove the lines that are no longer needed."),
    "quality_not_checked": _l("The car cannot be delivered before the quality check is recorded."),
    "quality_failed": _l("The last quality check failed. Rework the car and record a passing check "
                         "before delivery."),
    "not_settled": _l("The bill is not settled yet, so the work order cannot be closed."),
    "issued_parts_unsettled": _l("%(count)s issued part(s) are neither marked as used nor returned to "
                                 "stock."),
    "cancel_reason_missing": _l("Give a reason for cancelling the work order."),
    # parts issuance and returns
    "order_not_started": _l("Parts are issued only against a started work order. Start the work "
                            "order in the system first."),
    "order_not_open": _l("This work order is no longer open for parts (it is “%(state)s”)."),
    "not_on_order": _l("This part is not a line on the work order. Additional parts go through the "
                       "service advisor first."),
    "quantity_not_positive": _l("Enter a quantity greater than zero."),
    "exceeds_line": _l("Only %(remaining)s more can be issued on this line."),
    "stock_short": _l("Not enough in stock: %(in_stock)s available."),
    "used_part_no_return": _l("Parts that were issued and used cannot be returned to stock."),
    "not_physically_received": _l("The parts keeper must confirm that the part is physically back in the "
                                  "store before it is returned in the system."),
    "exceeds_issued": _l("Only %(issued)s issued and unused can be returned."),
    # accident-car quotations
    "quotation_not_signed": _l("The quotation has not been signed by the responsible person, so no "
                               "parts can be ordered."),
    "quotation_changed": _l("The quotation changed after it was signed (signed version %(signed)s, "
                            "current version %(current)s). It needs a new signature before ordering."),
    # warranty-claim orders
    "deposit_missing": _l("The customer's deposit has not been received."),
    "manager_signature_missing": _l("The workshop manager has not signed the claim order."),
    "director_signature_missing": _l("Claim orders above %(amount)s yuan also need the after-sales "
                                     "director's signature."),
    "part_not_fitted": _l("The deposit is refunded only after the claimed part has been fitted."),
    "deposit_already_refunded": _l("The deposit has already been refunded."),
    # own purchases
    "too_few_quotes": _l("Own purchases need quotes from %(needed)s different suppliers; "
                         "%(count)s recorded."),
    # discounts and margins
    "percent_invalid": _l("A discount must be between 0 and 100 %%."),
    "reason_missing": _l("Give a reason for the discount; it is reported to the after-sales director."),
    "over_advisor_percent": _l("A discount above %(limit)s %% needs the after-sales director's approval."),
    "weekly_limit_reached": _l("You have already given %(limit)s discounts this week; more need the "
                               "after-sales director's approval."),
    "director_needed": _l("Discounts on this kind of job need the after-sales director's approval."),
    "margin_reason_missing": _l("The gross margin is %(margin)s %%, below %(minimum)s %%. Write down "
                                "the reason."),
    "margin_needs_director": _l("The gross margin is %(margin)s %%, below %(minimum)s %%. The after-sales "
                                "director must approve it."),
}

WORK_ORDER_STATE_LABELS = {
    "draft": _l("Draft"),
    "started": _l("Started"),
    "parts_issued": _l("Parts issued"),
    "work_done": _l("Work done"),
    "quality_check": _l("Quality check"),
    "delivered": _l("Delivered"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
}

VEHICLE_FILE_FIELD_LABELS = {
    "plate": _l("Plate number"),
    "vin": _l("VIN"),
    "model": _l("Car model"),
    "owner": _l("Owner"),
    "mileage": _l("Mileage"),
    "service_items": _l("Service items"),
    "service_interval": _l("Service interval"),
    "next_service_date": _l("Next service date"),
}


def describe(refusal: Refusal) -> str:
    """The refusal as a sentence in the current locale; work-order states are named, not coded."""
    params = dict(refusal.params)
    for key in ("state", "target"):
        if key in params:
            params[key] = str(WORK_ORDER_STATE_LABELS[params[key]])
    return str(REFUSALS[refusal.code]) % params
