"""Names of the workshop's codes, for pages and documents."""

from flask_babel import lazy_gettext as _l

JOB_LABELS = {
    "general_repair": _l("General repair"),
    "maintenance": _l("Maintenance"),
    "accident_repair": _l("Accident repair"),
    "warranty_claim": _l("Warranty claim"),
}
LINE_LABELS = {"part": _l("Part"), "labour": _l("Job")}
MOVEMENT_LABELS = {"issue": _l("Issue"), "return": _l("Return"), "receipt": _l("Receipt")}
