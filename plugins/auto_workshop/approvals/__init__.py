"""Approvals part of the car workshop (issue 7 items 4–8): accident-car quotations and
their signatures, warranty-claim orders, own purchases, special tools, discount authority
and the accident margin, with their cards, monthly figures and demo records."""

from flask_babel import lazy_gettext as _l

from portal.plugin_api import Permission, RoleSpec, Setting, hookimpl


@hookimpl
def portal_load_models():
    from . import models  # noqa: F401  (the tables join the shared metadata)


@hookimpl
def portal_permissions():
    return [
        Permission("workshop.order", _l("Order parts from suppliers (quotations, claims, own purchases)")),
        Permission("workshop.tools", _l("Keep the special-tool register and lend tools")),
    ]


@hookimpl
def portal_roles():
    # Merged with the plugin's roles of the same code; the director has workshop.*.
    return [
        RoleSpec("parts_keeper", _l("Parts keeper"), ["workshop.order", "workshop.tools"]),
        RoleSpec("workshop_manager", _l("Workshop manager"), ["workshop.order", "workshop.tools"]),
    ]


@hookimpl
def portal_settings():
    return [
        Setting("tool_loan_hours", "int", 8, _l("Special tools due back after (hours)"),
                _l("Used when the lending form gives no time."), min=1, max=24 * 30),
    ]


@hookimpl
def portal_register_views(admin, category):
    from .views import register

    register(admin, category)


@hookimpl
def portal_register_blueprints(app):
    from .views import blueprint

    app.register_blueprint(blueprint)


@hookimpl
def portal_dashboard_cards(user, branch, settings):
    from .summary import dashboard_cards

    return dashboard_cards(user, branch)


@hookimpl
def portal_report_sections(month, branch, settings):
    if month is None or branch is None or getattr(branch, "is_hq", False):
        return []
    from .summary import discount_rows, margin_rows

    return [(_l("Car workshop: gross margins of delivered orders"), margin_rows(branch, month)),
            (_l("Car workshop: discounts"), discount_rows(branch, month))]


@hookimpl(trylast=True)  # after the workshop part's demo made the work orders this one builds on
def portal_load_demo(branch, settings):
    from .demo import load

    return load(branch, settings)
