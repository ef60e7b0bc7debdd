"""Sales part of the property sales office (issue 8 items 1, 2, 3 and 7): projects,
buildings and units, the confidential register of sales contracts, payments by
instalments or mortgage, and disputes about contracts. Its models are shared with the
handover part."""

from flask_babel import lazy_gettext as _l

from portal.plugin_api import Permission, RoleSpec, TicketKind, hookimpl

NAME = "real_estate"

CONTRACT_VIEW = "estate.contract.view"


@hookimpl
def portal_load_models():
    from . import models  # noqa: F401


@hookimpl
def portal_permissions():
    return [
        Permission(CONTRACT_VIEW, _l("See the confidential register of sales contracts and its payments")),
        Permission("estate.unit.view", _l("See projects, buildings and units")),
        Permission("estate.property", _l("Keep projects, buildings and units")),
        Permission("estate.dispute.view", _l("See disputes about sales contracts")),
    ]


@hookimpl
def portal_roles():
    # Contracts are confidential (二、1): the branch's sales and after-sales staff only
    # (HQ sees them through its administrators). The branch manager is the leader disputes
    # are escalated to, so reads disputes — not the contracts' prices and payments.
    return [
        RoleSpec("sales_agent", _l("Sales agent"),
                 [CONTRACT_VIEW, "estate.unit.view", "estate.property", "estate.dispute.view", "complaint.view"]),
        # A dispute runs through the core's complaint steps, which after-sales works (二、11).
        RoleSpec("aftersales_officer", _l("After-sales (handover) officer"),
                 [CONTRACT_VIEW, "estate.unit.view", "estate.property", "estate.dispute.view", "complaint.view",
                  "complaint.work"]),
        RoleSpec("property_liaison", _l("Property-management liaison"), ["estate.unit.view"]),
        RoleSpec("branch_manager", _l("Branch manager"), ["estate.dispute.view"]),
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
    from .disputes import KIND, KIND_LABEL

    return [TicketKind(KIND, KIND_LABEL)]


@hookimpl
def portal_ticket_event(ticket, event, settings):
    # A dispute opened from the core's ticket page gets its complaint file too.
    from .disputes import KIND

    if event == "created" and getattr(ticket, "kind", None) == KIND:
        from portal.plugin_api import open_complaint

        open_complaint(ticket)


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

    return [(_l("Property sales: contracts and payments"), month_rows(branch, month))]


@hookimpl(tryfirst=True)  # the handover part's demo builds on the units sold here
def portal_load_demo(branch, settings):
    from .demo import load

    return load(branch)
