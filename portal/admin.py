"""Builds the admin: core views, then each plugin's views under its own menu."""

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from .core.models import AuditEntry, Branch, Customer, Product, RepairReceipt, Role, Ticket, User, Visit
from .core.views.audit import AuditView
from .core.views.customers import CustomerView, ProductView
from .core.views.dashboard import DashboardView
from .core.views.organisation import BranchView, RoleView, UserView
from .core.views.plugins import PluginSwitchboardView
from .core.views import archive, callbacks, complaints, performance, statistics
from .core.views.tickets import TicketView
from .core.views.visits import RepairRegisterView, VisitView


def init_admin(app, plugins) -> Admin:
    admin = Admin(
        app,
        name=_l("After-sales portal"),
        theme=Bootstrap4Theme(base_template="portal/admin_base.html", swatch=app.config["FLASK_ADMIN_SWATCH"]),
        index_view=DashboardView(name=_l("Dashboard"), url="/admin"),
    )
    customers = _l("Customers")
    organisation = _l("Organisation")
    service = _l("Service")
    admin.add_view(TicketView(Ticket, name=_l("Tickets"), category=service, endpoint="ticket"))
    admin.add_view(VisitView(Visit, name=_l("Visits"), category=service, endpoint="visit"))
    admin.add_view(RepairRegisterView(RepairReceipt, name=_l("Repair register"), category=service, endpoint="repair"))
    for feature in (callbacks, complaints, performance, archive):
        feature.register(admin, service)
    statistics.register(admin, _l("Reports"))
    admin.add_view(CustomerView(Customer, name=_l("Customer files"), category=customers, endpoint="customer"))
    admin.add_view(ProductView(Product, name=_l("Products"), category=customers, endpoint="product"))
    admin.add_view(UserView(User, name=_l("Staff"), category=organisation, endpoint="user"))
    admin.add_view(BranchView(Branch, name=_l("Branches"), category=organisation, endpoint="branch"))
    admin.add_view(RoleView(Role, name=_l("Roles"), category=organisation, endpoint="role"))
    admin.add_view(PluginSwitchboardView(name=_l("Plugins per branch"), category=organisation,
                                         endpoint="plugins", url="/admin/plugins"))
    admin.add_view(AuditView(AuditEntry, name=_l("Audit trail"), category=organisation, endpoint="audit"))
    from .api.admin_views import ApiTokenView
    admin.add_view(ApiTokenView(name=_l("API tokens"), category=organisation, endpoint="api_tokens",
                                url="/admin/api-tokens"))
    for name in plugins.names():
        category = plugins.info(name).label
        plugins.hook_for([name]).portal_register_views(admin=admin, category=category)
    return admin
