"""real_estate / handover: move-in notices, the handover with its inspection and the
owner's signature, property-certificate files, after-sales follow-ups and internal work
contact forms (REQUIREMENTS §3.4, issue 8 items 4, 5, 6 and 8)."""

from flask_babel import lazy_gettext as _l

from portal.plugin_api import Permission, RoleSpec, Setting, TicketKind, hookimpl

NAME = "real_estate"


@hookimpl
def portal_load_models():
    from . import models  # noqa: F401  (the tables join the shared metadata)


@hookimpl
def portal_permissions():
    return [Permission("estate.leadership", _l("Answer internal work contact forms (branch leader)"))]


@hookimpl
def portal_roles():
    # The branch leader of a sales office is its branch manager (二、12: 反馈给公司领导); the
    # officer makes the follow-up calls, which are callbacks of the core's queue.
    return [RoleSpec("branch_manager", _l("Branch manager"), ["estate.leadership"]),
            RoleSpec("aftersales_officer", _l("After-sales (handover) officer"), ["callback.view", "callback.work"])]


@hookimpl
def portal_settings():
    return [
        Setting("followup_call_days", "int", 30, _l("Follow-up call after the handover (days)"),
                _l("A callback asking the owner about the service is scheduled this many days after "
                   "each handover."), min=1, max=365),
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
def portal_ticket_kinds(settings):
    from .labels import TICKET_KINDS

    return [TicketKind(code, label) for code, label in TICKET_KINDS.items()]


@hookimpl
def portal_dashboard_cards(user, branch, settings):
    if NAME not in settings:
        return []
    from .summary import dashboard_cards

    return dashboard_cards(user, branch, settings[NAME])


@hookimpl
def portal_customer_panels(customer, user, settings):
    if NAME not in settings:
        return []
    from .summary import customer_panels

    return customer_panels(customer, user, settings[NAME])


@hookimpl
def portal_report_sections(month, branch, settings):
    if month is None or branch is None:
        return []
    from .summary import month_rows

    return [(_l("Property sales office: move-in, handover and certificates"), month_rows(branch, month))]


@hookimpl
def portal_load_demo(branch, settings):
    from .demo import load

    return load(branch, settings)
