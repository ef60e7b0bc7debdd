"""Labels of the plugin's own records (states, channels, materials) for pages and forms.

The texts of the rules' codes (decisions, reasons, conditions, tasks) are in
``messages.py``; these name what the pages add around them.
"""

from flask_babel import lazy_gettext as _l

REQUEST_STATES = {
    "escalated": _l("Waiting for the store manager"),
    "processing": _l("Being processed"),
    "refused": _l("Refused"),
    "done": _l("Done"),
}

REPAIR_STATES = {
    "in_repair": _l("In repair"),
    "back_in_store": _l("Back in store"),
    "collected": _l("Collected"),
    "mailed": _l("Mailed to the customer"),
    "cancelled": _l("Cancelled"),
}

NOTICE_CHANNELS = {"phone": _l("Phone"), "sms": _l("SMS"), "letter": _l("Letter")}

CARE_SERVICES = {"dry_cleaning": _l("Free dry cleaning"), "leather_care": _l("Free leather care")}

TICKET_KINDS = {
    "retail_return": _l("Store return"),
    "retail_exchange": _l("Store exchange"),
    "retail_repair": _l("Store repair"),
}

DECISION_TONES = {"return": "success", "exchange": "info", "free_repair": "primary", "paid_repair": "warning",
                  "refused": "danger"}
