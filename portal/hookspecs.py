"""THE plugin contract of the after-sales portal.

Every way a plugin can change the portal is a hook below. Hooks take keyword arguments
and are named ``portal_*``. A plugin implements any subset with ``@hookimpl`` from
``portal.plugin_api`` and imports nothing else from the core.

Hooks are grouped by when they run:

* **Start-up** hooks run once per application for *every* registered plugin, because the
  schema, the permission list and the admin menu are the same in every branch.
* **Branch** hooks run during a request or command for the plugins *enabled in the branch
  concerned* only (``portal.plugins.PortalPlugins.hook_for``). They receive ``settings``:
  a mapping from plugin name to that plugin's settings for the branch, defaults filled in.

Results of hooks that are not ``firstresult`` come back as a list, newest-registered plugin
first; ``None`` results are dropped by pluggy.
"""

import pluggy

hookspec = pluggy.HookspecMarker("portal")

# --- start-up -------------------------------------------------------------------------


@hookspec(firstresult=True)
def portal_plugin_info():
    """Describe the plugin for HQ's plugin switchboard.

    Called when the switchboard is drawn. Return a ``portal.contract.PluginInfo``.
    """


@hookspec
def portal_load_models():
    """Import the plugin's SQLAlchemy models so they join the shared metadata.

    Called once in ``create_app`` before migrations are configured, so Alembic
    autogenerate and ``flask db check`` see the plugin's tables. Return nothing.
    """


@hookspec
def portal_permissions():
    """Contribute permission codes.

    Called when roles are synchronised and when the role editor lists permissions.
    Return a list of ``portal.contract.Permission``; codes are ``<area>.<verb>``.
    """


@hookspec
def portal_roles():
    """Contribute default roles (created by ``flask --app portal roles sync``).

    Return a list of ``portal.contract.RoleSpec``. HQ may change a role's permissions
    afterwards; sync never overwrites an existing role.
    """


@hookspec
def portal_settings():
    """Declare the plugin's per-branch settings.

    Called when HQ opens the plugin settings form and whenever settings are read. Return a
    list of ``portal.contract.Setting``; each default is the value a branch gets until HQ
    changes it, and each is validated before it is saved.
    """


@hookspec
def portal_register_views(admin, category):
    """Add admin views under the plugin's own menu category.

    Called once in ``create_app`` with the ``flask_admin.Admin`` and the translated
    category label. Views should subclass ``portal.plugin_api.PluginModelView`` or
    ``PluginView`` and set ``plugin_name``: they are then shown, and reachable, only in
    branches where HQ enabled the plugin. Return nothing.
    """


@hookspec
def portal_register_blueprints(app):
    """Register the plugin's Flask blueprints (pages outside the admin, JSON endpoints).

    Called once in ``create_app``. Endpoints must guard themselves with
    ``portal.plugin_api.require_plugin`` so they answer only where the plugin is enabled.
    Return nothing.
    """


@hookspec
def portal_api(blueprint):
    """Add the plugin's endpoints to the REST API under ``/api/v1/``.

    Called once in ``create_app`` with the API blueprint (a ``flask_smorest.Blueprint``)
    before it is registered. Put routes under ``/<plugin name>/...`` and describe them with
    ``blueprint.arguments`` / ``blueprint.response`` (marshmallow schemas) so they join the
    OpenAPI document. Requests arrive authenticated by bearer token as ``current_user``;
    guard every endpoint with ``portal.plugin_api.require_plugin`` (404 where the plugin is
    off) and check permissions with ``can``. Return nothing.
    """


@hookspec
def portal_load_demo(branch, settings):
    """Add demo records of the plugin to a demo branch where it is on.

    Called by ``flask --app portal demo load`` once per demo branch (inside a request
    context, after the core's demo customers, tickets and visits exist), so the plugin's
    pages are not empty on ``make run``. The branch's demo users are named
    ``<branch code in lower case>_<role code>`` (e.g. ``zz_dispatcher``). Add rows to the
    session and return a short summary string (or nothing); do not commit.
    """


# --- branch: tickets ------------------------------------------------------------------


@hookspec
def portal_ticket_kinds(settings):
    """Add ticket kinds for this branch.

    Called when a ticket form is built or a ticket kind is validated. Return a list of
    ``portal.contract.TicketKind``.
    """


@hookspec
def portal_workflow_steps(settings):
    """Add steps to the ticket workflow of this branch.

    Called whenever the workflow of a branch is assembled (ticket page, transition).
    Return a list of ``portal.contract.Transition``. A step with the name of a core step
    replaces it, so a plugin can put a state of its own between two core states.
    """


@hookspec
def portal_check_transition(ticket, target, user, settings):
    """Veto a ticket transition.

    Called before a ticket moves from its current state to ``target`` on behalf of
    ``user``. Return a list of reasons (translated strings) to refuse, or an empty list
    or ``None`` to allow. Any reason from any enabled plugin refuses the transition.
    """


@hookspec
def portal_check_visit_step(ticket, visit, step, user, settings):
    """Veto a step of an on-site visit.

    Called before ``step`` is taken on behalf of ``user``: ``"schedule"`` (``visit`` is
    ``None``: engineers are about to be sent to ``ticket``'s customer), ``"depart"``,
    ``"arrive"``, ``"finish"`` or ``"cancel"``. E.g. a plugin refuses dispatch before phone
    guidance was tried, or departure before a trip was approved. Return a list of reasons
    (translated strings) to refuse, or an empty list or ``None`` to allow.
    """


@hookspec
def portal_ticket_event(ticket, event, settings):
    """React to something that happened to a ticket.

    Called after the change is flushed, inside the same transaction, with ``event`` one
    of ``created``, ``transitioned:<state>``, ``visit_arrived`` (an engineer reached the
    customer), ``visit_completed``, ``reassigned``.
    May add rows (callbacks, tasks) to the session. Return nothing.
    """


@hookspec(firstresult=True)
def portal_sla_targets(ticket, settings):
    """Decide service-level targets for one ticket.

    Called when a ticket is created or its kind, customer or promised time changes.
    Return a dict with any of ``first_answer``, ``arrival``, ``resolution`` mapped to a
    ``datetime.timedelta`` of working time, or ``None`` to keep the branch defaults.
    The first plugin that answers wins.
    """


# --- branch: pages --------------------------------------------------------------------


@hookspec
def portal_dashboard_cards(user, branch, settings):
    """Add cards to the user's landing page.

    Called when the dashboard is drawn for ``user`` looking at ``branch`` (for HQ users,
    the HQ branch). Return a list of ``portal.contract.Card``.
    """


@hookspec
def portal_customer_panels(customer, user, settings):
    """Add sections to a customer's file page (e.g. the customer's vehicles or contracts).

    Called when ``user`` opens the file of ``customer`` (in the customer's branch). Return
    a list of ``portal.contract.Panel``; show only what ``user`` may see (check with
    ``can``), and return nothing otherwise.
    """


@hookspec
def portal_report_sections(month, branch, settings):
    """Add sections to the monthly statistics of ``branch`` for ``month`` (a date, day 1).

    Return a list of ``(title, rows)`` where rows is a list of ``(label, value)``.
    """
