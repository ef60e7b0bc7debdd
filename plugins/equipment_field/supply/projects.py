"""Major projects (000 §2.3): one big customer's installations and tickets, planned free
maintenance during warranty (``rules.maintenance_plan``) turned into tickets and visits,
and the on-site accompaniment after start-up (``rules.accompaniment_end``).

"Generate visits" opens, for each planned day not yet generated, a maintenance ticket
(the plugin's ticket kind), triages it and schedules a visit through the core's own
services, so the core's clocks, timeline and every plugin's vetoes apply. A day keeps its
ticket and visit in ``FieldMaintenance``, whose unique (project, day) pair means pressing
the button twice creates nothing twice. Nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.plugin_api import (
    Ticket, TicketError, Visit, db, engineer_choices, open_ticket, schedule_visit, scope, ticket_step, utcnow,
)

from .. import rules
from . import common
from .labels import MAINTENANCE_KIND
from .models import FieldInstall, FieldMaintenance, FieldProject

#: the core refuses visits more than a year ahead ("a typo in the year"): later days of
#: the plan are generated when they come within reach, by pressing the button again
HORIZON = timedelta(days=365)
VISIT_HOUR = time(9, 0)


def create(form, user, branch) -> FieldProject:
    common.may("field.install", user, branch.id)
    common.require_settings(branch.id)
    customer = common.customer_in_scope(form.get("customer_id"))
    if customer is None or customer.branch_id != branch.id:
        raise TicketError(_("Choose a customer of the branch."), {"customer_id": "x"})
    name = common.text(form, "name", 120, _("Name the project."))
    start_up = common.parse_date(form.get("start_up"), "start_up", _("Enter the start-up day."))
    warranty_end = common.parse_date(form.get("warranty_end"), "warranty_end", _("Enter the last day of warranty."))
    if warranty_end < start_up:
        raise TicketError(_("The warranty cannot end before the start-up."), {"warranty_end": "x"})
    project = FieldProject(branch_id=branch.id, customer_id=customer.id, name=name, start_up=start_up,
                           warranty_end=warranty_end, site=common.text(form, "site", 255) or common.address_of(customer),
                           note=common.text(form, "note", 4000))
    db.session.add(project)
    db.session.flush()
    return project


@dataclass
class PlannedDay:
    day: date
    record: FieldMaintenance | None
    past: bool
    beyond: bool


def plan(project: FieldProject, settings) -> list[PlannedDay]:
    """Every planned maintenance day with what became of it."""
    today = common.local_today(project.branch)
    made = {m.planned_on: m for m in project.maintenance}
    return [PlannedDay(day, made.get(day), day < today, day > today + HORIZON)
            for day in rules.maintenance_plan(project.start_up, project.warranty_end, settings)]


def accompaniment(project: FieldProject, settings) -> dict:
    today = common.local_today(project.branch)
    end = rules.accompaniment_end(project.start_up, settings)
    return {"end": end, "active": rules.in_accompaniment(today, project.start_up, settings),
            "days_left": (end - today).days if rules.in_accompaniment(today, project.start_up, settings) else 0,
            "not_started": today < project.start_up}


def _visit_time(day: date, branch) -> datetime:
    zone = ZoneInfo(branch.timezone or "Asia/Shanghai")
    when = datetime.combine(day, VISIT_HOUR, tzinfo=zone).astimezone(ZoneInfo("UTC"))
    # Today's visit after nine o'clock: the core refuses a visit before its ticket exists.
    soonest = (utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return max(when, soonest)


def generate(project: FieldProject, engineer_id, user) -> list[FieldMaintenance]:
    """Tickets and visits for the planned days from today up to a year ahead that have none."""
    common.may("field.install", user, project.branch_id)
    settings = common.require_settings(project.branch_id)
    engineer_id = common.as_id(engineer_id)
    if engineer_id is None or engineer_id not in {u.id for u in engineer_choices(project.branch_id)}:
        raise TicketError(_("Choose the engineer who carries out the maintenance."), {"engineer": "x"})
    created = []
    for planned in plan(project, settings):
        if planned.record is not None or planned.past or planned.beyond:
            continue
        title = _("Planned maintenance %(day)s · %(project)s", day=planned.day.isoformat(), project=project.name)
        ticket = open_ticket(project.customer_id, title[:200], MAINTENANCE_KIND, user,
                             description=_("Free maintenance during warranty (major project)."), channel="visit")
        db.session.flush()
        ticket_step(ticket, "triage", user, nature="other")
        ticket_step(ticket, "assign", user, assignee_id=engineer_id)  # the engineer holds the ticket too
        visit = schedule_visit(ticket, _visit_time(planned.day, project.branch), [engineer_id],
                               project.site or common.address_of(project.customer), user)
        record = FieldMaintenance(branch_id=project.branch_id, project_id=project.id, planned_on=planned.day,
                                  ticket_id=ticket.id, visit_id=visit.id)
        db.session.add(record)
        db.session.flush()
        created.append(record)
    return created


def installs_of(project: FieldProject) -> list[FieldInstall]:
    return (db.session.query(FieldInstall).filter(FieldInstall.project_id == project.id,
                                                  FieldInstall.deleted_at.is_(None))
            .order_by(FieldInstall.id).all())


def tickets_of(project: FieldProject, limit: int = 50) -> list:
    """The customer's tickets, newest first: a project's customer is the project."""
    return (scope(db.session.query(Ticket), Ticket)
            .filter(Ticket.customer_id == project.customer_id, Ticket.deleted_at.is_(None))
            .order_by(Ticket.id.desc()).limit(limit).all())


def projects_query():
    return scope(db.session.query(FieldProject), FieldProject).filter(FieldProject.deleted_at.is_(None))


def project_in_scope(project_id):
    project_id = common.as_id(project_id)
    return None if project_id is None else projects_query().filter(FieldProject.id == project_id).one_or_none()


OPEN_VISIT_STATES = ("scheduled", "departed", "arrived")


def due_this_week_condition(today: date):
    """Planned maintenance of the coming seven days whose visit is still to be done."""
    return FieldMaintenance.planned_on.between(today, today + timedelta(days=6)) & FieldMaintenance.visit_id.in_(
        select(Visit.id).where(Visit.state.in_(OPEN_VISIT_STATES)))


def count_due_this_week(today: date) -> int:
    return (scope(db.session.query(func.count(FieldMaintenance.id)), FieldMaintenance)
            .filter(due_this_week_condition(today)).scalar() or 0)


def due_this_week_projects(today: date):
    """Ids of projects with a maintenance visit due this week (the dashboard card's list)."""
    return select(FieldMaintenance.project_id).where(due_this_week_condition(today))
