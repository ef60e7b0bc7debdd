"""The workshop part of the car workshop plugin (issue 7 items 1–3, 9, 10): vehicle files,
work orders and their lifecycle, parts issuance and returns with the branch's stock,
follow-up calls and event invitations, the workshop board. Its models are shared with the
approvals part."""

from flask_babel import lazy_gettext as _l

from portal.plugin_api import RoleSpec, hookimpl

NAME = "auto_workshop"


@hookimpl
def portal_load_models():
    from . import models  # noqa: F401


@hookimpl
def portal_roles():
    # Follow-up calls and invitations are worked in the core callback queue by the front desk
    # (000 汽车 §(三).4–6); the workshop manager and the director follow them there.
    return [
        RoleSpec("service_advisor", _l("Service advisor"), ["callback.view", "callback.work"]),
        RoleSpec("workshop_manager", _l("Workshop manager"), ["callback.view", "callback.work"]),
        RoleSpec("aftersales_director", _l("After-sales director"), ["callback.view", "callback.work"]),
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
    if NAME not in settings:
        return []
    from .board import dashboard_cards

    return dashboard_cards(user, branch, settings[NAME])


@hookimpl
def portal_customer_panels(customer, user, settings):
    if NAME not in settings:
        return []
    from .board import customer_panels

    return customer_panels(customer, user)


@hookimpl
def portal_report_sections(month, branch, settings):
    if month is None or branch is None or NAME not in settings:
        return []
    from .board import month_rows

    return [(_l("Car workshop: work orders and parts"), month_rows(branch, month))]


@hookimpl
def portal_load_demo(branch, settings):
    if NAME not in settings:
        return None
    from .demo import load

    return load(branch, settings[NAME])
