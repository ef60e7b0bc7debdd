"""What the supply pages call their states and choices (the rules' own codes are worded in
``equipment_field.messages``)."""

from flask_babel import lazy_gettext as _l

SLIP_STATES = {
    "waiting": _l("Waiting for approval"),
    "approved": _l("Approved, ready to ship"),
    "shipped": _l("Shipped"),
    "cancelled": _l("Cancelled"),
}
SLIP_TONES = {"waiting": "warning", "approved": "info", "shipped": "success", "cancelled": "dark"}

FACTORY_STATES = {
    "requested": _l("Requested from the factory"),
    "in_production": _l("In production"),
    "shipped": _l("Shipped by the factory"),
    "received": _l("Received into stock"),
}

SHIPPING_METHODS = {
    "express": _l("Express courier"),
    "logistics": _l("Freight logistics"),
    "engineer": _l("Carried by the engineer"),
    "pickup": _l("Collected by the customer"),
}

COST_BEARERS = {
    "supplier": _l("The supplier"),
    "company": _l("Our company"),
    "shared": _l("Shared"),
}

MAINTENANCE_KIND = "field_maintenance"
MAINTENANCE_KIND_LABEL = _l("Planned maintenance (major project)")
