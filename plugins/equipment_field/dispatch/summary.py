"""The dispatch part's monthly figures (issue 6 item 9, the part about people on the road):
dispatches in person-times and person-days and the travel cost, each one SQL aggregate."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from portal.plugin_api import User, Visit, db

from ..rules import add_months
from .models import FieldExpenseClaim, FieldTrip


def month_bounds(month: date, branch) -> tuple[datetime, datetime]:
    zone = ZoneInfo(branch.timezone or "Asia/Shanghai")
    start = datetime.combine(month.replace(day=1), time.min, tzinfo=zone)
    end = datetime.combine(add_months(month.replace(day=1), 1), time.min, tzinfo=zone)
    return start, end


def _yuan(value) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def month_rows(branch, month: date) -> list:
    start, end = month_bounds(month, branch)
    in_month = and_(Visit.branch_id == branch.id, Visit.state != "cancelled",
                    Visit.scheduled_for >= start, Visit.scheduled_for < end)
    visits = db.session.scalar(select(func.count(Visit.id)).where(in_month)) or 0
    # One row per engineer of each visit; a trip's days count for each of them.
    person_times, person_days = db.session.execute(
        select(func.count(User.id), func.coalesce(func.sum(func.coalesce(FieldTrip.days, 1)), 0))
        .select_from(Visit).join(Visit.engineers)
        .outerjoin(FieldTrip, and_(FieldTrip.visit_id == Visit.id, FieldTrip.deleted_at.is_(None)))
        .where(in_month)).one()
    trips = db.session.execute(
        select(func.count(FieldTrip.id), func.coalesce(func.sum(case((FieldTrip.advance_state == "approved", FieldTrip.advance_amount), else_=0)), 0))
        .where(FieldTrip.branch_id == branch.id, FieldTrip.deleted_at.is_(None), FieldTrip.state == "approved",
               FieldTrip.decided_at >= start, FieldTrip.decided_at < end)).one()
    claims = db.session.execute(
        select(func.count(FieldExpenseClaim.id), func.coalesce(func.sum(FieldExpenseClaim.total), 0))
        .where(FieldExpenseClaim.branch_id == branch.id, FieldExpenseClaim.deleted_at.is_(None),
               FieldExpenseClaim.state == "approved",
               FieldExpenseClaim.decided_at >= start, FieldExpenseClaim.decided_at < end)).one()
    return [
        (_l("Field visits dispatched"), int(visits)),
        (_l("Dispatches (person-times)"), int(person_times or 0)),
        (_l("Dispatches (person-days)"), int(person_days or 0)),
        (_l("Trips approved by the general manager"), int(trips[0] or 0)),
        (_l("Travel advances in approved trips (yuan)"), _yuan(trips[1])),
        (_l("Expense claims approved"), int(claims[0] or 0)),
        (_l("Travel cost: approved expense claims (yuan)"), _yuan(claims[1])),
    ]
