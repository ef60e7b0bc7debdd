"""The service-level sweep: marks missed clocks and escalates them, assignee → branch
manager → HQ (REQUIREMENTS §2.3, issue 3 item 4).

Run from cron (``flask --app portal sla sweep``) by one or several servers at once. The
unique constraint on ``SlaEscalation`` decides who records an escalation; whoever loses the
insert leaves the timeline alone, so every step is recorded and announced exactly once.
Unlike the service functions of ``portal.core.tickets`` the sweep commits itself, batch by
batch: a million open tickets must not sit in one transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from . import access, sla, tickets
from .models import SlaEscalation, Ticket
from .models.ticket import CLOCKS
from .models.types import utcnow
from .plugin_state import branch_hooks

BATCH_SIZE = 500
LEVELS = (1, 2, 3)  # 1 the assignee, 2 the branch manager, 3 HQ
CLOSED_STATES = ("resolved", "closed", "cancelled")  # as Ticket.is_open


@dataclass
class SweepResult:
    counts: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        c = self.counts
        return (f"swept {c['tickets']} tickets: {c['breaches']} breaches marked, {c['escalations']} escalations "
                f"(L1 {c['L1']}, L2 {c['L2']}, L3 {c['L3']})")


def _open():
    return and_(Ticket.state.notin_(CLOSED_STATES), Ticket.deleted_at.is_(None))


def _candidates(now: datetime):
    # Nothing escalates while the ticket waits for the customer: the clocks are paused, and
    # a clock missed before the pause catches up on its levels once work resumes.
    return and_(_open(), Ticket.paused_since.is_(None), or_(
        Ticket.sla_next_due_at < now,
        and_(Ticket.sla_breached.is_(True), Ticket.escalation_level < LEVELS[-1]),
    ))


def sweep(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Escalate every running clock past due as far as ``now`` warrants. Idempotent."""
    now = now or utcnow()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("sweep needs a timezone-aware 'now'")
    result = SweepResult()
    delays: dict[int, dict[int, timedelta]] = {}
    last_id = 0
    while True:
        batch = db.session.scalars(
            select(Ticket).where(_candidates(now), Ticket.id > last_id).order_by(Ticket.id).limit(batch_size)
        ).all()
        if not batch:
            break
        last_id = batch[-1].id
        ids = [t.id for t in batch]
        done = {tuple(row) for row in db.session.execute(
            select(SlaEscalation.ticket_id, SlaEscalation.clock, SlaEscalation.level)
            .where(SlaEscalation.ticket_id.in_(ids)))}
        for ticket in batch:
            if ticket.branch_id not in delays:
                delays[ticket.branch_id] = _delays(ticket.branch_id)
            _sweep_ticket(ticket, now, delays[ticket.branch_id], done, result.counts)
        # One transaction per batch; the identity map holds committed rows only weakly, so
        # memory stays flat however many batches there are.
        db.session.commit()
    return result


def _delays(branch_id: int) -> dict[int, timedelta]:
    """Wall-clock time after the breach at which each level is reached, per branch."""
    core = branch_hooks(branch_id)[1]["core"]
    return {1: timedelta(0), 2: timedelta(hours=core["escalate_manager_hours"]),
            3: timedelta(hours=core["escalate_hq_hours"])}


def _sweep_ticket(ticket: Ticket, now: datetime, delays: dict, done: set, counts: Counter) -> None:
    counts["tickets"] += 1
    top, pending = 0, []
    for clock in CLOCKS:
        status = sla.clock_status(ticket, clock, now)
        if status.status != "breached":
            continue
        for level in LEVELS:
            if now >= status.due + delays[level]:
                top = max(top, level)
                if (ticket.id, clock, level) not in done:
                    pending.append((clock, level, status.due))
    if not top:
        return
    _mark(ticket, top, bool(pending), counts)
    for clock, level, due in pending:
        if _record(ticket, clock, level, due, now):
            counts["escalations"] += 1
            counts[f"L{level}"] += 1
            _announce(ticket, clock, level, due)


def _record(ticket: Ticket, clock: str, level: int, due: datetime, now: datetime) -> bool:
    """Insert the escalation; False when another sweep recorded it first."""
    try:
        with db.session.begin_nested():
            db.session.execute(insert(SlaEscalation).values(
                ticket_id=ticket.id, branch_id=ticket.branch_id, clock=clock, level=level, at=now, due_at=due))
    except IntegrityError:
        return False
    return True


def _announce(ticket: Ticket, clock: str, level: int, due: datetime) -> None:
    """The timeline entries; written in the portal's default language, as the sweep runs
    outside any request."""
    label = str(tickets.CLOCK_LABELS[clock])
    local_due = due.astimezone(sla.calendar_for(ticket.branch).zone).strftime("%Y-%m-%d %H:%M")
    if level == 1:
        tickets.log(ticket, "sla_breach", _("%(clock)s was due %(due)s and is missed.", clock=label, due=local_due),
                    clock=clock, due=due.isoformat())
        body = _("%(clock)s is missed: escalated to the assignee.", clock=label)
    elif level == 2:
        body = _("%(clock)s is still missed: escalated to the branch manager.", clock=label)
    else:
        body = _("%(clock)s is still missed: escalated to HQ.", clock=label)
    tickets.log(ticket, "escalation", body, clock=clock, level=level)


def _mark(ticket: Ticket, top: int, pending: bool, counts: Counter) -> None:
    """Core UPDATEs, not the ORM object: the ticket's version stays as it was, so an edit
    form a clerk has open is not made stale by the sweep, and two sweeps never fight over
    the version column. The WHERE clauses keep a concurrent sweep from counting twice or
    lowering a level.

    They run before the escalations are inserted: on SQLite the UPDATE opens the batch's
    transaction, where pysqlite would otherwise let the first SAVEPOINT open it and commit
    it on RELEASE, separating an escalation from its timeline entry."""
    plain = {"synchronize_session": False}
    if not ticket.sla_breached:
        marked = db.session.execute(
            update(Ticket).where(Ticket.id == ticket.id, Ticket.sla_breached.is_(False)).values(sla_breached=True),
            execution_options=plain)
        counts["breaches"] += marked.rowcount
    if pending or ticket.escalation_level < top:
        db.session.execute(
            update(Ticket).where(Ticket.id == ticket.id, Ticket.escalation_level < top)
            .values(escalation_level=top, sla_breached=True),
            execution_options=plain)


def escalations_for(user):
    """Open tickets escalated to ``user`` (see ``access.receives_escalation``), most
    escalated first."""
    return (select(Ticket)
            .where(_open(), access.receives_escalation(Ticket, user))
            .order_by(Ticket.escalation_level.desc(), Ticket.sla_next_due_at, Ticket.id))
