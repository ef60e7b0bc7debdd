"""The core's own permissions and roles, contributed through the same hooks a plugin uses."""

from flask_babel import lazy_gettext as _l

from ..contract import Permission, PluginInfo, RoleSpec
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
]

CORE_ROLES = [
    RoleSpec("hq_admin", _l("HQ administrator"), ["*"]),
    RoleSpec(
        "branch_manager",
        _l("Branch manager"),
        ["branch.view", "user.view", "user.manage", "customer.*"],
    ),
    RoleSpec("clerk", _l("Customer-service clerk"), ["customer.view", "customer.create", "customer.edit"]),
    RoleSpec("engineer", _l("Service engineer"), ["customer.view"]),
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
