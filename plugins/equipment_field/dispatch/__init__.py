"""equipment_field / dispatch: the dispatch board, arrival targets by distance, phone
guidance before a visit, travel approval with advances and expense claims, the engineer's
phone page and the penalty for leaving a site without calling HQ (issue 6 items 1–4).

These hooks run wherever the plugin runs (the core registers the part as its own pluggy
plugin); the plugin's permissions, roles and settings are declared in the package."""

from flask_babel import lazy_gettext as _l

from portal.plugin_api import Panel, hookimpl

NAME = "equipment_field"


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


# --- tickets and visits ------------------------------------------------------------------------------


@hookimpl
def portal_sla_targets(ticket, settings):
    """Arrival on site: 8 working hours in the province, 24 beyond (branch settings); a
    time promised to the customer replaces it, which the core applies itself."""
    mine = settings.get(NAME)
    if mine is None or ticket is None:
        return None
    from ..rules import arrival_target, distance_class

    customer, branch = ticket.customer, ticket.branch
    verdict = distance_class(customer.province if customer else None, branch.province if branch else None)
    return {"arrival": arrival_target(verdict.distance, mine).working_time}


@hookimpl
def portal_check_visit_step(ticket, visit, step, user, settings):
    mine = settings.get(NAME)
    if mine is None:
        return None
    from . import services

    if step == "schedule":
        return services.schedule_refusals(ticket, mine)
    if step == "depart" and visit is not None:
        return services.departure_refusals(ticket, visit, mine)
    return None


@hookimpl
def portal_ticket_event(ticket, event, settings):
    if event != "visit_completed" or NAME not in settings:
        return
    from .field_work import on_visit_completed

    on_visit_completed(ticket)


# --- pages of the core ----------------------------------------------------------------------------------


@hookimpl
def portal_dashboard_cards(user, branch, settings):
    from .views import dashboard_cards

    return dashboard_cards(user, branch)


@hookimpl
def portal_report_sections(month, branch, settings):
    if month is None or branch is None or NAME not in settings:
        return []
    from .summary import month_rows

    return [(_l("Field service: dispatches and travel"), month_rows(branch, month))]


@hookimpl
def portal_customer_panels(customer, user, settings):
    """The customer's distance class and trips, for whoever dispatches."""
    from portal.plugin_api import can

    if NAME not in settings or not can("field.dispatch", user, plugin=NAME, branch_id=customer.branch_id):
        return []
    from .panels import customer_panel

    return [Panel(*customer_panel(customer))]


@hookimpl
def portal_load_demo(branch, settings):
    if NAME not in settings:
        return None
    from .demo import load

    return load(branch, settings[NAME])
