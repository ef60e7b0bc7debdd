"""The engineer's day on the phone (issue 6 item 4) and what finishing a visit means for
the staff rules: leaving the site without calling HQ proposes the penalty (004/1 四.4)."""

from __future__ import annotations

from sqlalchemy import or_, select

from portal.plugin_api import Ticket, User, Visit, db, propose_penalty

from ..rules import leave_site_penalty
from .services import OPEN_VISIT_STATES, day_bounds, local_today

STEP_AFTER = {"scheduled": "depart", "departed": "arrive", "arrived": "finish"}


def my_visits(user: User) -> list[Visit]:
    """Today's visits of the engineer, and trips begun earlier that are not over."""
    start, end = day_bounds(local_today(user.branch), user.branch)
    today = (Visit.scheduled_for >= start) & (Visit.scheduled_for < end)
    return db.session.scalars(
        select(Visit).where(Visit.branch_id == user.branch_id, Visit.engineers.any(User.id == user.id),
                            or_(today, Visit.state.in_(("departed", "arrived"))))
        .order_by(Visit.scheduled_for, Visit.id)).all()


def next_step(visit: Visit) -> str | None:
    return STEP_AFTER.get(visit.state)


def on_visit_completed(ticket: Ticket) -> list:
    """The visit just finished: a penalty proposal for each of its engineers unless HQ was
    called before leaving. Proposals are made once per person and visit by the core."""
    visit = db.session.scalar(select(Visit).where(Visit.ticket_id == ticket.id, Visit.state == "finished")
                              .order_by(Visit.finished_at.desc(), Visit.id.desc()).limit(1))
    if visit is None or not leave_site_penalty(bool(visit.called_hq_before_leaving)):
        return []
    from .. import messages as shared_messages

    return [propose_penalty(engineer.id, "no_hq_call", ticket_id=ticket.id, visit_id=visit.id,
                            note=str(shared_messages.LEAVE_SITE_PENALTY))
            for engineer in visit.engineers if engineer.branch_id == ticket.branch_id]


def is_open(visit: Visit) -> bool:
    return visit.state in OPEN_VISIT_STATES
