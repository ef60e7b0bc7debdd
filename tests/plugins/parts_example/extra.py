"""The second part: settings, a role grant and a dashboard card of its own."""

from portal.plugin_api import Card, RoleSpec, Setting, hookimpl


@hookimpl
def portal_settings():
    return [Setting("extra_limit", "int", 2, "Extra limit")]


@hookimpl
def portal_roles():
    return [RoleSpec("parts_role", "Parts role", ["ticket.view"])]


@hookimpl
def portal_dashboard_cards(user, branch, settings):
    return [Card("Extra part card", str(settings["parts_example"]["extra_limit"]))]
