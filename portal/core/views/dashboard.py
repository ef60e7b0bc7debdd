"""The landing page: what this person needs first, by role (issue 4 item 5).

Clerks see today's callbacks and their tickets; engineers today's visits; branch managers
what is open, at risk and breached, and this month's cost and satisfaction; HQ every
branch side by side with a chart. Monthly figures come from the statistics aggregates,
never from grouping tickets here.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, func, or_, select
from werkzeug.routing import BuildError

from ...contract import Card
from ...extensions import db
from .. import access, statistics
from ..models import Branch, Customer, Ticket, User, Visit, visit_engineer
from ..models.types import utcnow
from ..plugin_state import branch_hooks
from .base import KeptUrlsMixin


def _core_cards(known=None):
    """``known``: counts already made for the HQ branch table (open, breached), so a million
    tickets are not counted twice."""
    cards = []
    live = Customer.deleted_at.is_(None)
    cards += _reminder_cards()
    if access.can("customer.view"):
        mine = (known or {}).get("customers")
        if mine is None:
            mine = access.scope(db.session.query(func.count(Customer.id)).filter(live), Customer).scalar()
        week = access.scope(
            db.session.query(func.count(Customer.id)).filter(live, Customer.created_at >= utcnow() - timedelta(days=7)),
            Customer,
        ).scalar()
        cards.append(Card(_("Customer files"), str(mine), url_for("customer.index_view")))
        cards.append(Card(_("New files in the last 7 days"), str(week), url_for("customer.index_view"), "success"))
    cards += _callback_cards()
    cards += _visit_cards()
    if access.can("ticket.view"):
        cards += _ticket_cards({k: v for k, v in (known or {}).items() if k in ("open", "breached")})
    cards += _complaint_cards()
    cards += _month_cards()
    if access.can("user.view"):
        staff = access.scope(db.session.query(func.count(User.id)).filter(User.active.is_(True)), User).scalar()
        cards.append(Card(_("Active staff"), str(staff), url_for("user.index_view")))
    if access.sees_all_branches() and access.can("branch.view"):
        count = db.session.scalar(select(func.count(Branch.id)).where(Branch.is_hq.is_(False)))
        cards.append(Card(_("Branches"), str(count), url_for("branch.index_view")))
    return cards


def _ticket_cards(known: dict):
    """What needs doing first: my tickets, then what is late or escalated."""
    from .ticket_lists import preset_url, show_condition

    def count(condition, name=None):
        if name in known:
            return known[name]
        query = db.session.query(func.count(Ticket.id)).filter(Ticket.deleted_at.is_(None), condition)
        return access.scope(query, Ticket).scalar()

    cards = [
        Card(_("My open tickets"), str(count(show_condition("mine"))), preset_url("mine")),
        Card(_("Open tickets"), str(count(show_condition("open"), "open")), preset_url("open")),
        Card(_("Due today"), str(count(show_condition("due_today"))), preset_url("due_today"), "warning"),
        Card(_("At risk"), str(count(show_condition("at_risk"))), preset_url("at_risk"), "warning"),
        Card(_("Breached"), str(count(show_condition("breached"), "breached")), preset_url("breached"), "danger"),
    ]
    escalated = access.scope(db.session.query(func.count(Ticket.id)), Ticket).filter(
        Ticket.deleted_at.is_(None), show_condition("open"), access.receives_escalation(Ticket)).scalar()
    if escalated:
        cards.append(Card(_("Escalated to you"), str(escalated), preset_url("escalated"), "danger"))
    return cards


def _callback_cards():
    """Clerks: the callbacks to make today (the overdue included)."""
    if not access.can("callback.view"):
        return []
    try:
        from .. import callbacks
        from .callbacks import queue_url
    except ImportError:
        return []
    return [Card(_("Callbacks to make today"), str(callbacks.due_today_count(current_user)), queue_url("today"),
                 "primary")]


def _complaint_cards():
    """HQ quality (and branch users holding complaint.quality): serious complaints open."""
    if not access.can("complaint.quality"):
        return []
    try:
        from ..complaints import serious_open_count
    except ImportError:
        return []
    count = serious_open_count(current_user)
    try:
        url = url_for("serious_complaint.index_view")
    except BuildError:  # the complaints views are not registered in this build
        url = None
    return [Card(_("Serious complaints open"), str(count), url, "danger" if count else "info")]


def today_visits_condition(user, now: datetime | None = None):
    """The engineer's visits of the local day, and trips begun earlier still under way —
    the same as the visit list's "my visits today"."""
    zone = ZoneInfo(user.branch.timezone if user.branch else "Asia/Shanghai")
    day = (now or utcnow()).astimezone(zone).date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = start + timedelta(days=1)
    # Engineers go out for their own branch only: the branch narrows the search to its
    # visits (index on branch_id) before each is checked for the engineer.
    mine = (Visit.branch_id == user.branch_id) & exists().where(
        visit_engineer.c.visit_id == Visit.id, visit_engineer.c.user_id == user.id)
    today = (Visit.scheduled_for >= start) & (Visit.scheduled_for < end)
    return mine & or_(today, Visit.state.in_(("departed", "arrived")))


def _visit_cards():
    """Engineers: today's visits, linked to the visit list's "my visits today"."""
    if not access.can("ticket.work") or access.sees_all_branches():
        return []
    count = db.session.scalar(select(func.count(Visit.id)).where(today_visits_condition(current_user)))
    return [Card(_("My visits today"), str(count), url_for("visit.index_view", preset="mine_today"), "primary")]


def _money(fen) -> str:
    return format_decimal(statistics.yuan(fen), "#,##0.00")


def _month_cards():
    """Branch managers: this month's cost and satisfaction, from the aggregates."""
    if not access.can("stats.view") or access.sees_all_branches() or current_user.branch is None:
        return []
    branch = current_user.branch
    month = statistics.today_in(branch.timezone).replace(day=1)
    row = statistics.fresh_rows(month, [branch]).get(branch.id)
    figures = row.figures if row is not None else {}
    url = url_for("stats.index", month=month.strftime("%Y-%m"))
    average = statistics.satisfaction(figures.get("callbacks"))
    return [
        Card(_("After-sales cost this month (yuan)"), _money((figures.get("costs") or {}).get("total_fen")), url),
        Card(_("Satisfaction this month"), "–" if average is None else format_decimal(average, "0.00"), url,
             "success"),
    ]


def _reminder_cards():
    """On the 1st and until it is closed: last month's report, due by the 4th (branch) or
    the 5th (HQ summary)."""
    due = statistics.reminder(current_user)
    if due is None:
        return []
    month = due.month.strftime("%Y-%m")
    if due.company:
        title = _("HQ summary for %(month)s due by %(day)s", month=month, day=due.due.strftime("%Y-%m-%d"))
    else:
        title = _("Monthly report for %(month)s due by %(day)s", month=month, day=due.due.strftime("%Y-%m-%d"))
    value = _("Overdue") if due.overdue else _("To close")
    return [Card(title, value, url_for("stats.index", month=month), "danger" if due.overdue else "warning")]


def _branch_table():
    """HQ: every branch side by side. Counts by GROUP BY; this month's figures from the
    statistics aggregates (one row per branch)."""
    from .ticket_lists import show_condition

    # Each count is grouped on its own table, read from a covering index; joining files to
    # branches first would read every customer row.
    rows = db.session.execute(select(Branch.id, Branch.code, Branch.name).order_by(Branch.code)).all()
    files_by = dict(db.session.execute(select(Customer.branch_id, func.count())
                                       .where(Customer.deleted_at.is_(None)).group_by(Customer.branch_id)).all())
    live = Ticket.deleted_at.is_(None)
    open_by, late_by = {}, {}
    for branch_id, count, breached in db.session.execute(
            select(Ticket.branch_id, func.count(), func.count().filter(show_condition("breached")))
            .where(live, show_condition("open")).group_by(Ticket.branch_id)):
        open_by[branch_id], late_by[branch_id] = count, breached
    month_figures = {}
    if access.can("stats.view"):
        month = statistics.today_in(current_user.branch.timezone).replace(day=1)
        month_figures = statistics.branch_figures(month)
    table = []
    for branch_id, code, name in rows:
        figures = month_figures.get(branch_id) or {}
        average = statistics.satisfaction(figures.get("callbacks"))
        table.append({
            "id": branch_id, "code": code, "name": name, "customers": files_by.get(branch_id, 0),
            "open": open_by.get(branch_id, 0), "breached": late_by.get(branch_id, 0),
            "month_tickets": (figures.get("tickets") or {}).get("total", 0) if figures else None,
            "satisfaction": None if average is None else f"{average:.2f}",
        })
    return table


def _branch_chart(table):
    return {
        "labels": [row["code"] for row in table],
        "datasets": [
            {"label": _("Open tickets"), "data": [row["open"] for row in table]},
            {"label": _("Breached"), "data": [row["breached"] for row in table]},
            {"label": _("Tickets this month"), "data": [row["month_tickets"] or 0 for row in table]},
        ],
    }


class DashboardView(KeptUrlsMixin, AdminIndexView):
    def is_accessible(self):
        return access.is_signed_in()

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        hooks, settings = branch_hooks(current_user.branch_id)
        plugin_cards = [c for group in hooks.portal_dashboard_cards(
            user=current_user, branch=current_user.branch, settings=settings) for c in group]
        table = _branch_table() if access.sees_all_branches() else None
        known = {"open": sum(r["open"] for r in table), "breached": sum(r["breached"] for r in table),
                 "customers": sum(r["customers"] for r in table)} if table is not None else None
        return self.render(
            "portal/dashboard.html",
            cards=_core_cards(known) + plugin_cards,
            branch_table=table,
            branch_chart=_branch_chart(table) if table else None,
            show_month=access.can("stats.view"),
            roles=sorted(r.name for r in current_user.roles),
            can_create_customer=access.can("customer.create"),
        )
