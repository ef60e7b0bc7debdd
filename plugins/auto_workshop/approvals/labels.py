"""Names of the approvals part's codes, as people read them."""

from flask_babel import lazy_gettext as _l

SIGN_METHODS = {
    "drawn": _l("Signed on the screen"),
    "phone": _l("Approved by phone"),
    "written": _l("Approved in writing"),
    "in_person": _l("Approved in person"),
}
LINE_KINDS = {"part": _l("Part"), "labour": _l("Labour")}
JOB_TYPES = {
    "general_repair": _l("General repair"),
    "maintenance": _l("Maintenance"),
    "accident_repair": _l("Accident repair"),
    "warranty_claim": _l("Warranty claim"),
}
DISCOUNT_STATES = {
    "given": _l("Given by the advisor"),
    "pending": _l("Waiting for the director"),
    "approved": _l("Approved by the director"),
    "rejected": _l("Refused"),
}
ORDER_KINDS = {"quotation": _l("Accident quotation"), "claim": _l("Warranty claim"),
               "own_purchase": _l("Own purchase")}
