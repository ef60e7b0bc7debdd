"""equipment_field: equipment makers with field engineers — dispatch, arrival by distance,
travel approval, parts shipments, installation and training, major projects (§3.2)."""

from flask_babel import lazy_gettext as _l

from portal.plugin_api import Permission, PluginInfo, RoleSpec, Setting, hookimpl

NAME = "equipment_field"
#: Each part answers hooks of its own wherever the plugin runs (portal.plugins).
PORTAL_PARTS = ('dispatch', 'supply')


@hookimpl
def portal_plugin_info():
    return PluginInfo(_l("Field equipment service"), _l("Dispatching engineers to customers' sites"))


@hookimpl
def portal_permissions():
    return [
        Permission("field.dispatch", _l("Dispatch field engineers")),
        Permission("field.visit", _l("Carry out field visits")),
        Permission("field.approve_travel", _l("Approve travel and expense claims")),
        Permission("field.approve_shipment", _l("Approve parts outbound slips")),
        Permission("field.install", _l("Plan installation and training")),
    ]


@hookimpl
def portal_roles():
    return [
        RoleSpec("dispatcher", _l("Dispatcher"), ["customer.view", "customer.create", "customer.edit", "field.dispatch",
                  "ticket.view", "ticket.create", "ticket.edit", "ticket.triage", "ticket.assign", "ticket.close"]),
        RoleSpec("field_engineer", _l("Field engineer"), ["customer.view", "field.visit", "ticket.view", "ticket.edit", "ticket.work"]),
        RoleSpec("aftersales_manager", _l("After-sales manager"),
                 ["customer.*", "user.view", "field.dispatch", "field.approve_shipment", "field.install",
                  "ticket.*", "repair.*"]),
        RoleSpec("general_manager", _l("General manager"), ["customer.view", "user.view", "field.*", "ticket.view", "ticket.escalations"]),
    ]


@hookimpl
def portal_settings():
    return [
        Setting("arrival_hours_in_province", "int", 8, _l("Arrival in-province within (working hours)"), min=1, max=720),
        Setting("arrival_hours_out_of_province", "int", 24, _l("Arrival out-of-province within (working hours)"), min=1, max=720),
        Setting("travel_approval_km", "int", 100, _l("Travel needs approval beyond (km)"), min=0, max=5000),
        Setting("accompaniment_days", "int", 90, _l("On-site accompaniment after start-up (days)"), min=0, max=365),
        Setting("maintenance_interval_months", "int", 3, _l("Planned maintenance every (months) during warranty"), min=1, max=24),
        Setting("phone_guidance_first", "bool", True, _l("Phone guidance before any visit")),
    ]
