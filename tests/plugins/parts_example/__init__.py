"""A plugin in two parts, for tests/plugins/test_plugin_parts.py."""

from portal.plugin_api import RoleSpec, Setting, hookimpl

PLUGIN_NAME = "parts_example"
PORTAL_PARTS = ("extra",)


@hookimpl
def portal_settings():
    return [Setting("main_limit", "int", 1, "Main limit")]


@hookimpl
def portal_roles():
    return [RoleSpec("parts_role", "Parts role", ["customer.view"])]
