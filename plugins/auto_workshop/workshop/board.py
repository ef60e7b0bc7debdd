"""What the workshop manager sees (item 10): cars in, orders by state, technicians' load,
parts waiting, tools out; the dashboard cards; and the month's figures, all from SQL
aggregates."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from portal.plugin_api import Card, Panel, User, can, db, scope

from .. import NAME, messages
from .common import local_today, may_any
from .labels import JOB_LABELS
from .models import JOB_TYPES, StockMovement, Vehicle, WorkOrder
from .orders import IN_WORKSHOP, orders_query


def _in_workshop():
    return WorkOrder.state.in_([s.value for s in IN_WORKSHOP])


def board(branch_id: int | None) -> dict:
    """The board of one branch (HQ: ``branch_id`` None, every branch it sees)."""
    base = orders_query()
    if branch_id is not None:
        base = base.filter(WorkOrder.branch_id == branch_id)
    by_state = dict(base.with_entities(WorkOrder.state, func.count(WorkOrder.id))
                    .filter(WorkOrder.state.notin_(("closed", "cancelled"))).group_by(WorkOrder.state).all())
    cars = base.filter(_in_workshop()).order_by(WorkOrder.started_at, WorkOrder.id).limit(200).all()
    load_rows = base.filter(_in_workshop()).with_entities(WorkOrder.technician_id, func.count(WorkOrder.id)) \
        .group_by(WorkOrder.technician_id).all()
    names = {u.id: (u.full_name or u.username) for u in db.session.scalars(
        select(User).where(User.id.in_([r[0] for r in load_rows if r[0]]))).all()} if load_rows else {}
    load = sorted(((names.get(tech_id, _("Not assigned")) if tech_id else _("Not assigned"), count)
                   for tech_id, count in load_rows), key=lambda row: (-row[1], row[0]))
    from .parts import waiting_lines_query

    waiting = waiting_lines_query()
    if branch_id is not None:
        waiting = waiting.filter(WorkOrder.branch_id == branch_id)
    return {"by_state": [(s, messages.WORK_ORDER_STATE_LABELS[s], by_state.get(s, 0))
                         for s in ("draft", "started", "parts_issued", "work_done", "quality_check", "delivered")],
            "cars": cars, "load": load, "waiting": waiting.order_by(WorkOrder.id, ).limit(200).all(),
            "tools": tools_out(branch_id)}


def tools_out(branch_id: int | None):
    """Special tools lent and not back (the approvals part keeps the register); None when
    that register is not there."""
    try:
        from ..approvals.models import ToolLoan
    except ImportError:  # the register belongs to the other part of the plugin
        return None
    query = scope(db.session.query(ToolLoan), ToolLoan).filter(ToolLoan.returned_at.is_(None),
                                                               ToolLoan.lost_at.is_(None))
    if branch_id is not None:
        query = query.filter(ToolLoan.branch_id == branch_id)
    return query.order_by(ToolLoan.due_back_at).limit(200).all()


# --- dashboard ------------------------------------------------------------------------------------

def dashboard_cards(user, branch, settings) -> list:
    if branch is None or branch.is_hq:
        return []
    cards = []
    if can("workshop.advise", user, plugin=NAME):
        from .vehicles import count_late

        late = count_late(branch, settings)
        cards.append(Card(_("Vehicle files not completed in time"), str(late),
                          url_for("workshop_vehicles.index", show="late"), "danger" if late else "info"))
        from .followups import count_letters_due

        letters = count_letters_due(branch)
        cards.append(Card(_("Event letters to post"), str(letters), url_for("workshop_events.index"),
                          "warning" if letters else "info"))
    if can("workshop.manage", user, plugin=NAME):
        cars = orders_query().filter(WorkOrder.branch_id == branch.id, _in_workshop()).with_entities(
            func.count(WorkOrder.id)).scalar() or 0
        cards.append(Card(_("Cars in the workshop"), str(cars), url_for("workshop_board.index"), "info"))
    if can("workshop.parts", user, plugin=NAME):
        from .parts import count_waiting

        waiting = count_waiting(branch.id)
        cards.append(Card(_("Parts lines waiting to be issued"), str(waiting), url_for("workshop_stock.index"),
                          "warning" if waiting else "info"))
    return cards


# --- customer file -----------------------------------------------------------------------------

def customer_panels(customer, user) -> list:
    if not may_any(("workshop.advise", "workshop.manage", "workshop.repair", "workshop.parts", "workshop.direct"),
                   user, customer.branch_id):
        return []
    from .vehicles import for_customer

    rows = []
    for vehicle in for_customer(customer):
        state = _("file complete") if vehicle.file_completed_at else _("file incomplete")
        due = vehicle.next_service_on.isoformat() if vehicle.next_service_on else "–"
        rows.append((f"{vehicle.plate} {vehicle.model}".strip(),
                     _("%(state)s · next service %(day)s · %(km)s km", state=state, day=due,
                       km=vehicle.mileage_km if vehicle.mileage_km is not None else "–")))
    link = url_for("workshop_vehicles.new", customer_id=customer.id) if can(
        "workshop.advise", user, plugin=NAME, branch_id=customer.branch_id) else None
    if not rows:
        rows.append((_("Vehicles"), _("No vehicle file yet.")))
    return [Panel(_("Vehicles"), rows, link, _("Add a vehicle file") if link else None)]


# --- monthly figures -------------------------------------------------------------------------------

def _month_bounds(month: date, branch) -> tuple[datetime, datetime]:
    zone = ZoneInfo(branch.timezone or "Asia/Shanghai")
    start = datetime.combine(month.replace(day=1), time(0), zone)
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, datetime.combine(following, time(0), zone)


def month_rows(branch, month: date) -> list:
    """Orders opened and delivered per job type, and the value of parts issued (net of
    returns), in the branch's month."""
    start, end = _month_bounds(month, branch)
    W = WorkOrder
    live = (W.branch_id == branch.id) & W.deleted_at.is_(None)
    opened = dict(db.session.execute(select(W.job_type, func.count(W.id)).where(
        live, W.created_at >= start, W.created_at < end).group_by(W.job_type)).all())
    delivered = dict(db.session.execute(select(W.job_type, func.count(W.id)).where(
        live, W.delivered_at >= start, W.delivered_at < end).group_by(W.job_type)).all())
    M = StockMovement
    signed = case((M.kind == "issue", 1), (M.kind == "return", -1), else_=0)
    value = db.session.scalar(select(func.coalesce(func.sum(signed * M.quantity * M.unit_price), 0)).where(
        M.branch_id == branch.id, M.kind.in_(("issue", "return")), M.at >= start, M.at < end))
    rows = []
    for job in JOB_TYPES:
        rows.append((_("Work orders opened: %(job)s", job=JOB_LABELS[job]), opened.get(job, 0)))
    for job in JOB_TYPES:
        rows.append((_("Cars delivered: %(job)s", job=JOB_LABELS[job]), delivered.get(job, 0)))
    rows.append((_("Parts issued (yuan, net of returns)"), f"{Decimal(value or 0):.2f}"))
    return rows


def late_vehicle_files(branch, settings, limit=50):
    from .vehicles import late_condition, vehicles_query

    return vehicles_query().filter(Vehicle.branch_id == branch.id, late_condition(
        local_today(branch), settings["vehicle_file_days"])).order_by(Vehicle.first_visit_on).limit(limit).all()
