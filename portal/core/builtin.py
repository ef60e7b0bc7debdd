"""The core's own permissions and roles, contributed through the same hooks a plugin uses."""

from flask_babel import lazy_gettext as _l

from ..contract import Permission, PluginInfo, RoleSpec, Setting
from ..plugin_api import hookimpl

PLUGIN_NAME = "core"

CORE_PERMISSIONS = [
    Permission("branch.view", _l("See branches")),
    Permission("branch.manage", _l("Manage branches and their calendars")),
    Permission("plugin.manage", _l("Switch plugins on per branch and set their numbers")),
    Permission("user.view", _l("See staff")),
    Permission("user.manage", _l("Manage staff accounts")),
    Permission("role.manage", _l("Manage roles and permissions")),
    Permission("customer.view", _l("See customer files")),
    Permission("customer.create", _l("Create customer files")),
    Permission("customer.edit", _l("Edit customer files")),
    Permission("customer.delete", _l("Archive customer files")),
    Permission("customer.export", _l("Export customer files")),
    Permission("audit.view", _l("Browse the audit trail")),
    Permission("ticket.view", _l("See tickets")),
    Permission("ticket.create", _l("Open tickets")),
    Permission("ticket.edit", _l("Add notes, calls, letters and files to tickets")),
    Permission("ticket.triage", _l("Triage tickets: nature, warranty, department")),
    Permission("ticket.assign", _l("Assign and reassign tickets, schedule visits")),
    Permission("ticket.work", _l("Work tickets: start, wait, resolve; service reports")),
    Permission("ticket.charge", _l("Prepare quotes and record charges")),
    Permission("ticket.close", _l("Close resolved tickets")),
    Permission("ticket.cancel", _l("Cancel tickets")),
    Permission("ticket.reopen", _l("Reopen tickets")),
    Permission("ticket.export", _l("Export ticket lists")),
    Permission("ticket.escalations", _l("Receive escalations of missed service levels")),
    Permission("repair.register", _l("Keep the register of items taken in for repair")),
]

CORE_ROLES = [
    RoleSpec("hq_admin", _l("HQ administrator"), ["*"]),
    RoleSpec(
        "branch_manager",
        _l("Branch manager"),
        ["branch.view", "user.view", "user.manage", "customer.*", "ticket.*", "repair.*"],
    ),
    RoleSpec("clerk", _l("Customer-service clerk"), [
        "customer.view", "customer.create", "customer.edit", "ticket.view", "ticket.create", "ticket.edit",
        "ticket.triage", "ticket.assign", "ticket.charge", "ticket.close", "repair.register",
    ]),
    RoleSpec("engineer", _l("Service engineer"), ["customer.view", "ticket.view", "ticket.edit", "ticket.work"]),
]

# Service levels and money rules every branch has; HQ sets them per branch like a
# plugin's numbers (they live in the "core" row of the plugin switchboard).
CORE_SETTINGS = [
    Setting("first_answer_hours", "int", 24, _l("Answer a request within (working hours)"),
            _l("REQUIREMENTS §2.3: any service request is answered within 24 hours."), min=1, max=720),
    Setting("arrival_in_province_hours", "int", 8, _l("On site in-province within (working hours)"), min=1, max=720),
    Setting("arrival_out_of_province_hours", "int", 24, _l("On site out-of-province within (working hours)"),
            min=1, max=720),
    Setting("resolution_days", "int", 7, _l("Repairs resolved within (working days)"), min=1, max=90),
    Setting("at_risk_hours", "int", 4, _l("A clock is at risk this many hours before it is due"), min=1, max=168),
    Setting("escalate_manager_hours", "int", 4, _l("Escalate to the branch manager (hours after a breach)"),
            min=0, max=720),
    Setting("escalate_hq_hours", "int", 24, _l("Escalate to HQ (hours after a breach)"), min=0, max=2160),
    Setting("fee_standard", "str", "人工费 80 元/小时；上门费 50 元/次（市内）；配件按价目表。",
            _l("Fee standard shown to the customer before charging")),
]


@hookimpl
def portal_plugin_info():
    return PluginInfo(label=_l("Core"), description=_l("What every branch shares"))


@hookimpl
def portal_permissions():
    return CORE_PERMISSIONS


@hookimpl
def portal_roles():
    return CORE_ROLES


@hookimpl
def portal_settings():
    return CORE_SETTINGS
