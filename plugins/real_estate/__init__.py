"""real_estate: property developer's after-sales — contracts, payments and mortgages,
move-in notices, handover, property certificates, disputes (§3.4)."""

from flask_babel import lazy_gettext as _l

from portal.plugin_api import Permission, PluginInfo, RoleSpec, Setting, hookimpl

NAME = "real_estate"
#: Each part answers hooks of its own wherever the plugin runs (portal.plugins).
PORTAL_PARTS = ('sales', 'handover')


@hookimpl
def portal_plugin_info():
    return PluginInfo(_l("Property sales office"), _l("Contracts, handovers and certificates"))


@hookimpl
def portal_permissions():
    return [
        Permission("estate.sell", _l("Register sales contracts")),
        Permission("estate.aftersales", _l("Archive contracts, payments, move-in and handover")),
        Permission("estate.liaison", _l("Property-management liaison")),
    ]


@hookimpl
def portal_roles():
    return [
        RoleSpec("sales_agent", _l("Sales agent"), ["customer.view", "customer.create", "customer.edit", "estate.sell",
                                                                "ticket.view", "ticket.create", "ticket.edit"]),
        RoleSpec("aftersales_officer", _l("After-sales (handover) officer"), ["customer.*", "estate.aftersales", "ticket.*", "repair.*"]),
        RoleSpec("property_liaison", _l("Property-management liaison"), ["customer.view", "estate.liaison", "ticket.view", "ticket.edit", "ticket.work"]),
    ]


@hookimpl
def portal_settings():
    return [
        Setting("certificate_months", "int", 3, _l("Property certificate within (months of handover)"), min=1, max=24),
        Setting("certificate_warning_days", "int", 14, _l("Warn before the certificate deadline (days)"), min=1, max=90),
        Setting("instalment_reminder_days", "int", 7, _l("Remind before each instalment (days)"), min=1, max=60),
        Setting("mortgage_chase_days", "int", 30, _l("Chase the bank when the loan is late by (days)"), min=1, max=180),
        Setting("handover_checklist", "str",
                "doors_windows,walls_ceiling,floor,plumbing,electrical,kitchen,bathroom,balcony",
                _l("Handover checklist items"),
                _l("Comma-separated; every item must be judged at the handover. The built-in items (doors_windows, "
                   "walls_ceiling, floor, plumbing, electrical, kitchen, bathroom, balcony) are shown translated, "
                   "items of your own as typed."),
                validate=lambda v: None if v.replace("，", ",").replace(",", "").strip()
                else _l("list at least one item")),
        Setting("handover_meters", "str", "water,electricity,gas", _l("Meters read at the handover"),
                _l("Comma-separated: water, electricity, gas, or meters of your own.")),
    ]
