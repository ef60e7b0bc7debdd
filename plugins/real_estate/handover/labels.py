"""Words of the handover part's own codes (the shared ones are in ``..messages``)."""

from flask_babel import lazy_gettext as _l

HANDOVER_STATES = {
    "scheduled": _l("Scheduled"),
    "done": _l("Handed over"),
    "cancelled": _l("Cancelled"),
}

FOLLOWUP_CHANNELS = {
    "call": _l("Phone call"),
    "letter": _l("Letter by post"),
    "fax": _l("Fax"),
}

TICKET_KINDS = {
    "estate_defect": _l("Defect found at handover (property company)"),
}

CERTIFICATE_TONES = {"ok": "secondary", "warn": "warning", "overdue": "danger", "done": "success"}

# The core's words for its callback states (same msgids, so the same translations).
CALLBACK_STATES = {
    "due": _l("Due"), "done": _l("Done"), "no_answer": _l("No answer"), "given_up": _l("Given up"),
    "cancelled": _l("Cancelled"),
}
