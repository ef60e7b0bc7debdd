"""The landing page: what this person needs first, by role."""

from datetime import timedelta

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ...contract import Card
from ...extensions import db
from .. import access
from ..models import Branch, Customer, User
from ..models.types import utcnow
from ..plugin_state import branch_hooks


def _core_cards():
    cards = []
    live = Customer.deleted_at.is_(None)
    if access.can("customer.view"):
        mine = access.scope(db.session.query(func.count(Customer.id)).filter(live), Customer).scalar()
        week = access.scope(
            db.session.query(func.count(Customer.id)).filter(live, Customer.created_at >= utcnow() - timedelta(days=7)),
            Customer,
        ).scalar()
        cards.append(Card(_("Customer files"), str(mine), url_for("customer.index_view")))
        cards.append(Card(_("New files in the last 7 days"), str(week), url_for("customer.index_view"), "success"))
    if access.can("ticket.view"):
        cards += _ticket_cards()
    if access.can("user.view"):
        staff = access.scope(db.session.query(func.count(User.id)).filter(User.active.is_(True)), User).scalar()
        cards.append(Card(_("Active staff"), str(staff), url_for("user.index_view")))
    if access.sees_all_branches() and access.can("branch.view"):
        count = db.session.scalar(select(func.count(Branch.id)).where(Branch.is_hq.is_(False)))
        cards.append(Card(_("Branches"), str(count), url_for("branch.index_view")))
    return cards


def _ticket_cards():
    """What needs doing first: my tickets, then what is late or escalated."""
    from ..models import Ticket
    from .ticket_lists import preset_url, show_condition

    def count(condition):
        query = db.session.query(func.count(Ticket.id)).filter(Ticket.deleted_at.is_(None), condition)
        return access.scope(query, Ticket).scalar()

    cards = [
        Card(_("My open tickets"), str(count(show_condition("mine"))), preset_url("mine")),
        Card(_("Open tickets"), str(count(show_condition("open"))), preset_url("open")),
        Card(_("Due today"), str(count(show_condition("due_today"))), preset_url("due_today"), "warning"),
        Card(_("Breached"), str(count(show_condition("breached"))), preset_url("breached"), "danger"),
    ]
    escalated = access.scope(db.session.query(func.count(Ticket.id)), Ticket).filter(
        Ticket.deleted_at.is_(None), show_condition("open"), access.receives_escalation(Ticket)).scalar()
    if escalated:
        cards.append(Card(_("Escalated to you"), str(escalated), preset_url("escalated"), "danger"))
    return cards


def _branch_table():
    """HQ: every branch side by side."""
    rows = db.session.execute(
        select(Branch.code, Branch.name, func.count(Customer.id))
        .outerjoin(Customer, (Customer.branch_id == Branch.id) & Customer.deleted_at.is_(None))
        .group_by(Branch.id, Branch.code, Branch.name)
        .order_by(Branch.code)
    ).all()
    return rows


class DashboardView(AdminIndexView):
    def is_accessible(self):
        return access.is_signed_in()

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        hooks, settings = branch_hooks(current_user.branch_id)
        plugin_cards = [c for group in hooks.portal_dashboard_cards(
            user=current_user, branch=current_user.branch, settings=settings) for c in group]
        return self.render(
            "portal/dashboard.html",
            cards=_core_cards() + plugin_cards,
            branch_table=_branch_table() if access.sees_all_branches() else None,
            roles=sorted(r.name for r in current_user.roles),
            can_create_customer=access.can("customer.create"),
        )
