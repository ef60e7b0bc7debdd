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
    Permission("callback.view", _l("See the callback queue and results")),
    Permission("callback.work", _l("Make callbacks and record the survey card")),
    Permission("complaint.view", _l("See complaints")),
    Permission("complaint.work", _l("Work complaints through their eight steps")),
    Permission("complaint.approve", _l("Approve complaint solutions above the branch's amount")),
    Permission("complaint.quality", _l("Receive serious complaints (quality department)")),
    Permission("staff.view", _l("See the branch's staff performance records")),
    Permission("staff.manage", _l("Record, confirm and dismiss penalties and demerits")),
    Permission("stats.view", _l("See monthly statistics")),
    Permission("stats.close", _l("Close a month once its figures are checked")),
    Permission("archive.view", _l("Browse the archive of letters and e-mails")),
    Permission("api.tokens", _l("Create and revoke API tokens for staff")),
]

CORE_ROLES = [
    RoleSpec("hq_admin", _l("HQ administrator"), ["*"]),
    RoleSpec(
        "branch_manager",
        _l("Branch manager"),
        ["branch.view", "user.view", "user.manage", "customer.*", "ticket.*", "repair.*", "callback.*",
         "complaint.view", "complaint.work", "complaint.approve", "staff.*", "stats.*", "archive.view",
         "api.tokens"],
    ),
    RoleSpec("clerk", _l("Customer-service clerk"), [
        "customer.view", "customer.create", "customer.edit", "ticket.view", "ticket.create", "ticket.edit",
        "ticket.triage", "ticket.assign", "ticket.charge", "ticket.close", "repair.register",
        "callback.view", "callback.work", "complaint.view", "complaint.work", "archive.view",
    ]),
    RoleSpec("engineer", _l("Service engineer"), ["customer.view", "ticket.view", "ticket.edit", "ticket.work"]),
    # HQ's quality department: serious complaints and the figures of every branch (§2.7).
    RoleSpec("hq_quality", _l("HQ quality department"), [
        "customer.view", "ticket.view", "complaint.view", "complaint.quality", "stats.view", "archive.view",
        "staff.view",
    ]),
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
    # Callbacks (§2.6)
    Setting("callback_next_day", "bool", False, _l("Satisfaction callback on the next working day"),
            _l("Off: within 3 working days after each on-site service (003 §4.4.2); on: the next day (004/7 四.3.6).")),
    Setting("callback_working_days", "int", 3, _l("Satisfaction callback within (working days)"), min=1, max=30),
    Setting("product_use_callback_months", "int", 6, _l("Product-use callback after (months of use)"), min=1, max=60),
    Setting("callback_retry_days", "int", 1, _l("Call again after no answer (working days)"), min=1, max=10),
    Setting("callback_max_attempts", "int", 3, _l("Attempts before a callback is given up"), min=1, max=10),
    Setting("poor_rating", "int", 2, _l("A rating at or below this is poor (1–5)"), min=1, max=4),
    # Complaints (§2.7)
    Setting("complaint_approval_amount", "decimal", "1000.00",
            _l("Complaint solutions above this amount need approval (yuan)"), min=0),
    # Staff performance (§2.8; 004/1 四, 002 §4)
    Setting("penalty_late_arrival", "decimal", "50.00", _l("Penalty: late arrival at the customer (yuan)"), min=0),
    Setting("penalty_no_hq_call", "decimal", "50.00", _l("Penalty: left the site without calling HQ (yuan)"), min=0),
    Setting("penalty_incomplete_report", "decimal", "20.00", _l("Penalty: incomplete service report (yuan)"), min=0),
    Setting("penalty_phone_off", "decimal", "10.00", _l("Penalty: phone off between 08:00 and 22:00 (yuan)"), min=0),
    Setting("penalty_disobey_dispatch", "decimal", "100.00", _l("Penalty: disobeying dispatch (yuan)"), min=0),
    Setting("incomplete_report_hours", "int", 24,
            _l("A report still incomplete this many hours after arrival is proposed for a penalty"), min=1, max=720),
    # Monthly statistics (§2.9)
    Setting("report_due_day", "int", 4, _l("Branch monthly report due on day"), min=1, max=28),
    Setting("hq_summary_due_day", "int", 5, _l("HQ summary due on day"), min=1, max=28),
    Setting("cost_per_person_day", "decimal", "300.00", _l("Cost of one engineer-day in the field (yuan)"),
            _l("Monthly statistics: person-days of installations and dispatches are costed at this rate."), min=0),
    Setting("transport_cost_per_visit", "decimal", "50.00", _l("Transport cost per visit (yuan)"),
            _l("Monthly statistics: each visit carried out adds this transport cost."), min=0),
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
