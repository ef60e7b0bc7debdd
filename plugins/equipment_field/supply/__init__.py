"""equipment_field / supply: parts shipments (出库单) and parts requests to the factory,
installation and training requests, major projects with planned maintenance, supplier
faults, and the month's figures of all of them (issue 6 items 5–9; REQUIREMENTS §3.2)."""

from flask_babel import lazy_gettext as _l

from portal.plugin_api import Permission, RoleSpec, Setting, TicketKind, hookimpl

NAME = "equipment_field"


@hookimpl
def portal_permissions():
    return [
        Permission("field.parts", _l("Keep the parts stock, write and ship outbound slips")),
        Permission("field.approve_install", _l("Approve installation and training requests")),
        Permission("field.training", _l("Record the training signed by the customer")),
        Permission("field.supplier", _l("Pass faults of bought-in parts to suppliers")),
    ]


@hookimpl
def portal_roles():
    # Merged into the plugin's roles of the same code; the general manager holds field.*.
    return [
        RoleSpec("dispatcher", _l("Dispatcher"), ["field.parts"]),
        RoleSpec("field_engineer", _l("Field engineer"), ["field.training"]),
        RoleSpec("aftersales_manager", _l("After-sales manager"), ["field.parts", "field.supplier", "field.training"]),
    ]


@hookimpl
def portal_settings():
    return [
        Setting("parts_needed_by_days", "int", 7, _l("Parts needed from the factory within (days)"),
                _l("The needed-by day an outbound slip proposes for parts not in stock."), min=1, max=180),
    ]


@hookimpl
def portal_load_models():
    from . import models  # noqa: F401  (the tables join the shared metadata)


@hookimpl
def portal_register_views(admin, category):
    from .views import register

    register(admin, category)


@hookimpl
def portal_register_blueprints(app):
    from .views import blueprint

    app.register_blueprint(blueprint)


@hookimpl
def portal_ticket_kinds(settings):
    from .labels import MAINTENANCE_KIND, MAINTENANCE_KIND_LABEL

    return [TicketKind(MAINTENANCE_KIND, MAINTENANCE_KIND_LABEL)]


@hookimpl
def portal_dashboard_cards(user, branch, settings):
    from .views import dashboard_cards

    return dashboard_cards(user, branch)


@hookimpl
def portal_customer_panels(customer, user, settings):
    from .views import customer_panels

    return customer_panels(customer, user)


@hookimpl
def portal_report_sections(month, branch, settings):
    if month is None or branch is None:
        return []
    from .summary import month_rows

    return [(_l("Field equipment: parts, installations and projects"), month_rows(branch, month))]


@hookimpl
def portal_load_demo(branch, settings):
    from .demo import load

    return load(branch)
