"""auto_workshop: car dealer workshop — vehicle files, work orders, parts issuance, quotations,
claims, special tools, discount authority, follow-up calls (§3.3)."""

from flask_babel import lazy_gettext as _l

from portal.plugin_api import Permission, PluginInfo, RoleSpec, Setting, hookimpl

NAME = "auto_workshop"
#: Each part answers hooks of its own wherever the plugin runs (portal.plugins).
PORTAL_PARTS = ('workshop', 'approvals')


@hookimpl
def portal_plugin_info():
    return PluginInfo(_l("Car workshop"), _l("Work orders, parts and follow-up calls"))


@hookimpl
def portal_permissions():
    return [
        Permission("workshop.advise", _l("Open work orders and quotations")),
        Permission("workshop.manage", _l("Run the workshop and sign claims")),
        Permission("workshop.parts", _l("Issue and take back parts")),
        Permission("workshop.repair", _l("Work on cars")),
        Permission("workshop.direct", _l("Approve discounts, margins and large claims")),
    ]


@hookimpl
def portal_roles():
    return [
        RoleSpec("service_advisor", _l("Service advisor"),
                 ["customer.view", "customer.create", "customer.edit", "workshop.advise",
                  "ticket.view", "ticket.create", "ticket.edit", "ticket.triage", "ticket.assign", "ticket.charge",
                  "ticket.close", "repair.register"]),
        RoleSpec("workshop_manager", _l("Workshop manager"), ["customer.*", "user.view", "workshop.manage", "workshop.advise",
                                                              "ticket.*", "repair.*"]),
        RoleSpec("parts_keeper", _l("Parts keeper"), ["customer.view", "workshop.parts", "ticket.view"]),
        RoleSpec("technician", _l("Technician"), ["customer.view", "workshop.repair", "ticket.view", "ticket.edit", "ticket.work"]),
        RoleSpec("aftersales_director", _l("After-sales director"), ["customer.*", "user.view", "workshop.*", "ticket.*", "repair.*"]),
    ]


@hookimpl
def portal_settings():
    return [
        Setting("vehicle_file_days", "int", 2, _l("Vehicle file completed within (days)"), min=1, max=30),
        Setting("first_call_min_days", "int", 3, _l("First follow-up call from (days after delivery)"), min=0, max=60),
        Setting("first_call_max_days", "int", 7, _l("First follow-up call until (days after delivery)"), min=1, max=60),
        Setting("second_call_days", "int", 7, _l("Second call within (days after the first)"), min=1, max=60),
        Setting("invitation_weeks", "int", 2, _l("Event invitations ahead (weeks)"), min=1, max=12),
        Setting("letter_days", "int", 2, _l("Letter after the call within (days)"), min=1, max=30),
        Setting("advisor_discount_percent", "int", 10, _l("Advisor's maximum discount (%)"), min=0, max=100),
        Setting("advisor_discounts_per_week", "int", 5, _l("Discounted orders per advisor per week"), min=0, max=100),
        Setting("accident_min_margin_percent", "int", 30, _l("Accident repair minimum gross margin (%)"), min=0, max=100),
        Setting("claim_director_amount", "decimal", "5000.00", _l("Claims above this amount need the director (yuan)"), min=0),
        Setting("purchase_quotes_required", "int", 3, _l("Supplier quotes before an own purchase"), min=1, max=10),
    ]
