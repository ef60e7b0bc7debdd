"""What the real_estate rules say, in words for the sales office staff.

``rules.py`` returns codes; this module holds their labels (``lazy_gettext``, so it can be
imported without an app) and :func:`explain`, which turns a ``rules.Problem`` into a
sentence in the user's language.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from .rules import Problem

UNIT_STATES = {
    "available": _l("Available"),
    "reserved": _l("Reserved"),
    "sold": _l("Sold"),
    "handed_over": _l("Handed over"),
}

CONTRACT_STATES = {
    "": _l("Not registered yet"),
    "registered": _l("Registered by the sales agent"),
    "handed_to_aftersales": _l("Handed to after-sales"),
    "confirmed": _l("Confirmed by after-sales"),
    "archived": _l("Archived"),
}

PAYMENT_METHODS = {
    "one_payment": _l("One payment"),
    "instalments": _l("Instalments"),
    "mortgage": _l("Mortgage"),
}

MORTGAGE_STEPS = {
    "documents_collected": _l("Documents collected from the buyer"),
    "submitted": _l("Submitted to the bank"),
    "approved": _l("Approved by the bank"),
    "loan_received": _l("Loan received"),
}

NOTICE_METHODS = {
    "registered_mail": _l("Registered mail"),
    "fax": _l("Fax"),
}

# Item codes of the default handover checklist (setting ``handover_checklist``); items a
# branch adds itself have no label here and are shown as typed.
CHECKLIST_ITEMS = {
    "doors_windows": _l("Doors and windows"),
    "walls_ceiling": _l("Walls and ceilings"),
    "floor": _l("Floors"),
    "plumbing": _l("Water supply and drains"),
    "electrical": _l("Electrical wiring, switches and sockets"),
    "kitchen": _l("Kitchen"),
    "bathroom": _l("Bathroom"),
    "balcony": _l("Balcony"),
}

JUDGEMENTS = {
    "ok": _l("In order"),
    "defect": _l("Defect"),
}

METERS = {
    "water": _l("Water meter"),
    "electricity": _l("Electricity meter"),
    "gas": _l("Gas meter"),
}

CERTIFICATE_STATUSES = {
    "ok": _l("In time"),
    "warn": _l("Deadline close"),
    "overdue": _l("Deadline passed"),
    "done": _l("Certificate obtained"),
}

ROLES = {
    "sales_agent": _l("Sales agent"),
    "aftersales_officer": _l("After-sales (handover) officer"),
}

REASONS = {
    # units
    "unit_step_not_allowed": _l("A unit that is “%(state)s” cannot be set to “%(target)s”."),
    # contract register
    "contract_step_not_allowed": _l("The contract is “%(state)s”; it cannot go to “%(target)s” from there."),
    "contract_step_needs_role": _l("Only the role “%(role)s” may set a contract to “%(target)s”."),
    "price_missing": _l("Enter the contract price."),
    "price_not_positive": _l("The contract price must be more than zero."),
    "price_not_in_cents": _l("The contract price has more than two decimals; enter it in yuan and fen."),
    "area_missing": _l("Enter the floor area."),
    "area_not_positive": _l("The floor area must be more than zero."),
    "signing_date_missing": _l("Enter the signing date."),
    "signing_date_in_future": _l("The signing date is in the future."),
    "unit_not_for_sale": _l("The unit is “%(state)s”; a contract needs an available or reserved unit."),
    "payment_method_unknown": _l("Choose the payment method: one payment, instalments or mortgage."),
    # mortgage
    "mortgage_step_out_of_order": _l("The next mortgage step is “%(expected)s”, not “%(target)s”; "
                                     "steps cannot be skipped or repeated."),
    "mortgage_finished": _l("The loan has been received; the mortgage case has no further steps."),
    # move-in notices
    "notice_method_unknown": _l("A move-in notice is sent by registered mail or by fax."),
    "tracking_number_missing": _l("Enter the tracking number of the registered letter."),
    "sent_at_missing": _l("Enter when the notice was sent."),
    "sent_at_in_future": _l("The sending date is in the future."),
    # handover
    "checklist_empty": _l("The handover checklist has no items; the branch's checklist template is empty."),
    "checklist_item_unjudged": _l("Checklist item “%(item)s” is not judged yet: mark it in order or defective."),
    "owner_signature_missing": _l("The owner has not signed the handover yet."),
    "keys_not_recorded": _l("Record how many keys were handed to the owner."),
    "meter_not_read": _l("Meter reading missing: %(meter)s."),
    "meter_reading_negative": _l("A meter reading cannot be negative: %(meter)s."),
}

# Which label table translates each parameter of each code.
_PARAM_LABELS: dict[str, dict[str, Mapping]] = {
    "unit_step_not_allowed": {"state": UNIT_STATES, "target": UNIT_STATES},
    "unit_not_for_sale": {"state": UNIT_STATES},
    "contract_step_not_allowed": {"state": CONTRACT_STATES, "target": CONTRACT_STATES},
    "contract_step_needs_role": {"role": ROLES, "target": CONTRACT_STATES},
    "mortgage_step_out_of_order": {"expected": MORTGAGE_STEPS, "target": MORTGAGE_STEPS},
    "checklist_item_unjudged": {"item": CHECKLIST_ITEMS},
    "meter_not_read": {"meter": METERS},
    "meter_reading_negative": {"meter": METERS},
}


def label(table: Mapping, code: str) -> str:
    """The translated label of ``code`` in ``table``; a code without one (e.g. a checklist
    item a branch added) is shown as it is."""
    text = table.get(code)
    return code if text is None else str(text)


def explain(problem: Problem) -> str:
    """``problem`` as a sentence in the current language (needs an app or request context)."""
    tables = _PARAM_LABELS.get(problem.code, {})
    params = {name: label(tables[name], value) if name in tables else value
              for name, value in problem.kwargs.items()}
    text = str(REASONS[problem.code])
    return text % params if params else text
