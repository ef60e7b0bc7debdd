"""A third-party plugin, installed through the ``portal.plugins`` entry point, that
implements every hook of the contract (tests/plugins/test_contract.py checks that)."""

from datetime import timedelta

import marshmallow as ma
from flask import Blueprint
from flask_admin import expose
from flask_login import current_user

from portal.plugin_api import (
    Card, Panel, Permission, PluginInfo, PortalView, RoleSpec, Setting, TicketKind, Transition, hookimpl, require,
    require_plugin,
)

NAME = "example_plugin"
CALLS = []

bp = Blueprint("example_plugin", __name__, url_prefix="/example")


@bp.route("/ping")
def ping():
    require_plugin(NAME)
    return {"pong": True}


class ExampleView(PortalView):
    plugin_name = NAME
    permission = "example.view"

    @expose("/")
    def index(self):
        return "example plugin page"


@hookimpl
def portal_plugin_info():
    return PluginInfo("Example", "A plugin from another package")


@hookimpl
def portal_load_models():
    CALLS.append("portal_load_models")


@hookimpl
def portal_permissions():
    return [Permission("example.view", "See the example page")]


@hookimpl
def portal_roles():
    return [RoleSpec("example_role", "Example role", ["example.view", "customer.view"])]


@hookimpl
def portal_settings():
    return [
        Setting("limit", "int", 5, "Limit", min=1, max=10),
        Setting("rate", "decimal", "1.50", "Rate", min=0),
        Setting("strict", "bool", False, "Strict"),
        Setting("mode", "choice", "a", "Mode", choices=[("a", "A"), ("b", "B")]),
    ]


@hookimpl
def portal_register_views(admin, category):
    admin.add_view(ExampleView(name="Example page", category=category, endpoint="example_page"))


@hookimpl
def portal_register_blueprints(app):
    app.register_blueprint(bp)


class ExamplePingSchema(ma.Schema):
    pong = ma.fields.Boolean(required=True)
    user = ma.fields.String(required=True)


@hookimpl
def portal_api(blueprint):
    @blueprint.route("/example/ping", tags=["example_plugin"])
    @blueprint.response(200, ExamplePingSchema)
    def example_api_ping():
        """The example plugin answers where it runs (needs example.view)"""
        require_plugin(NAME)
        require("example.view")
        return {"pong": True, "user": current_user.username}


@hookimpl
def portal_ticket_kinds(settings):
    return [TicketKind("example_kind", "Example kind", [("note", "Note")])]


@hookimpl
def portal_workflow_steps(settings):
    # A second opinion between "resolved" and "closed" for this plugin's own kind.
    return [Transition("second_opinion", "Second opinion", ("resolved",), "second_opinion", "ticket.close",
                       target_label="Second opinion", kinds=("example_kind",)),
            Transition("confirm", "Confirm", ("second_opinion",), "closed", "ticket.close",
                       kinds=("example_kind",))]


@hookimpl
def portal_check_transition(ticket, target, user, settings):
    return ["limit reached"] if settings[NAME]["strict"] else []


@hookimpl
def portal_ticket_event(ticket, event, settings):
    CALLS.append(("portal_ticket_event", event))


@hookimpl
def portal_sla_targets(ticket, settings):
    return {"first_answer": timedelta(hours=settings[NAME]["limit"])}


@hookimpl
def portal_dashboard_cards(user, branch, settings):
    return [Card("Example card", f"limit {settings[NAME]['limit']}")]


@hookimpl
def portal_report_sections(month, branch, settings):
    return [("Example section", [("limit", settings[NAME]["limit"])])]


@hookimpl
def portal_check_visit_step(ticket, visit, step, user, settings):
    return ["no trips today"] if settings[NAME]["strict"] and step == "depart" else []


@hookimpl
def portal_customer_panels(customer, user, settings):
    return [Panel("Example panel", [("limit", settings[NAME]["limit"])])]


@hookimpl
def portal_load_demo(branch, settings):
    CALLS.append(("portal_load_demo", branch.code))
    return f"example demo for {branch.code}"
