"""retail_store: shops and chain stores — returns, exchanges and repairs by days since
purchase, pickup notices, out-of-stock registration (REQUIREMENTS §3.1)."""

from flask_babel import lazy_gettext as _l

from portal.plugin_api import Permission, PluginInfo, RoleSpec, Setting, TicketKind, Transition, hookimpl

NAME = "retail_store"


@hookimpl
def portal_plugin_info():
    return PluginInfo(_l("Retail store"), _l("Returns, exchanges and repairs at the counter"))


@hookimpl
def portal_permissions():
    return [
        Permission("retail.counter", _l("Handle after-sales requests at the counter")),
        Permission("retail.override", _l("Override a return/exchange decision with a reason")),
        Permission("retail.approve_return", _l("Approve returns")),
        Permission("retail.stock", _l("Register and follow out-of-stock requests")),
    ]


@hookimpl
def portal_roles():
    return [
        RoleSpec("store_clerk", _l("Store clerk"),
                 ["customer.view", "customer.create", "customer.edit", "retail.counter", "retail.stock",
                  "ticket.view", "ticket.create", "ticket.edit", "ticket.triage", "ticket.work", "ticket.charge",
                  "ticket.close", "repair.register"]),
        RoleSpec("store_manager", _l("Store manager"),
                 ["customer.*", "retail.*", "user.view", "ticket.*", "repair.*"]),
        # Given to HQ staff where branches' returns also need HQ approval (004/10 §十一).
        RoleSpec("retail_hq_approver", _l("HQ approver of store returns"),
                 ["retail.approve_return", "customer.view", "ticket.view"]),
    ]


@hookimpl
def portal_settings():
    return [
        Setting("return_any_reason_days", "int", 7, _l("Return without reason within (days)"),
                _l("Counted from the purchase day (day 0); the item must be resellable."), min=0, max=90),
        Setting("quality_return_days", "int", 15, _l("Return for a quality fault within (days)"), min=0, max=180),
        Setting("quality_exchange_days", "int", 30, _l("Exchange for a quality fault within (days)"), min=0, max=365),
        Setting("free_repair_months", "int", 3, _l("Free repair for a quality fault within (months)"), min=0, max=60),
        Setting("repair_days", "int", 7, _l("Repairs done within (days)"), min=1, max=60),
        Setting("pickup_notice_interval_days", "int", 3, _l("Days between pickup notices"), min=1, max=30),
        Setting("pickup_notices_before_mailing", "int", 3, _l("Unanswered notices before the item is mailed"), min=1, max=10),
        Setting("out_of_stock_answer_days", "int", 7, _l("Answer an out-of-stock request within (days)"), min=1, max=30),
        Setting("returns_need_hq_approval", "bool", False, _l("Returns also need HQ approval")),
        Setting("textile_warranty_months", "int", 3, _l("Warranty for textiles (months)"),
                _l("The clothing regulation leaves this number open: each branch sets its own."), min=0, max=60),
        Setting("leather_warranty_months", "int", 6, _l("Warranty for leather (months)"), min=0, max=60),
        Setting("depreciation_days", "int_list", [7, 15, 30], _l("Depreciation day ranges (upper bounds)"),
                _l("Comma-separated, increasing, e.g. 7,15,30."), min=1, max=3650,
                validate=lambda v: None if v == sorted(set(v)) else _l("must be increasing")),
        Setting("depreciation_percent", "int_list", [10, 20, 30], _l("Depreciation percent per range"),
                _l("One percentage per day range, e.g. 10,20,30."), min=0, max=100),
        Setting("dry_clean_price_threshold", "decimal", "1000.00", _l("Free dry cleaning above price (yuan)"), min=0),
        Setting("free_dry_cleanings", "int", 2, _l("Free dry cleanings per purchase"), min=0, max=20),
        Setting("free_leather_care", "int", 2, _l("Free leather care per purchase"), min=0, max=20),
    ]


# --- models, pages and the API ------------------------------------------------------------------


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
def portal_api(blueprint):
    from .api import register

    register(blueprint)


# --- tickets ----------------------------------------------------------------------------------------


@hookimpl
def portal_ticket_kinds(settings):
    from .labels import TICKET_KINDS

    return [TicketKind(code, label) for code, label in TICKET_KINDS.items()]


@hookimpl
def portal_workflow_steps(settings):
    # A return or exchange is finished at the counter, straight after the counter's triage;
    # the counter request records the money or the replacement and takes these steps.
    return [
        Transition("retail_refund", _l("Refund and take the item back"), ("triaged",), "resolved",
                   "retail.counter", kinds=("retail_return",)),
        Transition("retail_hand_over", _l("Hand over the replacement"), ("triaged",), "resolved",
                   "retail.counter", kinds=("retail_exchange",)),
    ]


@hookimpl
def portal_check_transition(ticket, target, user, settings):
    from .counter import transition_refusals

    return transition_refusals(ticket, target)


# --- pages of the core --------------------------------------------------------------------------------


@hookimpl
def portal_dashboard_cards(user, branch, settings):
    from .views import dashboard_cards

    return dashboard_cards(user, branch, settings[NAME])


@hookimpl
def portal_report_sections(month, branch, settings):
    if month is None or branch is None:
        return []
    from .summary import month_rows

    return [(_l("Retail store: returns, exchanges and repairs"), month_rows(branch, month))]
