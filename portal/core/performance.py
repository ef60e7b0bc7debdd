"""Staff performance records (考核, REQUIREMENTS §2.8, issue 4 item 3).

Penalties and demerits against a person, with the ticket, visit or complaint as evidence.
Two of them the ticket data proves, and the portal proposes them by itself, in two places
only: a late arrival on site when the engineer arrives (the ``portal_ticket_event`` hook
below), and both late arrivals and service reports still incomplete a while after arrival
in the sweep (``flask --app portal staff sweep``, from cron) — a report goes stale with
nothing happening to the ticket. A manager confirms or dismisses every proposal and
records the rest by hand.

Same rules as :mod:`portal.core.tickets`: the functions people call never commit, and a
refused request raises :class:`portal.core.tickets.TicketError` before anything changes.
The sweep commits batch by batch, like the service-level sweep.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..extensions import db
from ..plugin_api import hookimpl
from . import access
from .models import Branch, Ticket, User, Visit, visit_engineer
from .models.performance import DEMERITS, PRICED_REASONS, REASONS, StaffRecord
from .models.types import utcnow
from .plugin_state import settings_for
from .tickets import TicketError, money

PLUGIN_NAME = "core_performance"

REASON_LABELS = {
    "late_arrival": _l("Late arrival at the customer"),
    "no_hq_call": _l("Left the site without calling HQ"),
    "incomplete_report": _l("Incomplete service report"),
    "phone_off": _l("Phone off between 08:00 and 22:00"),
    "disobey_dispatch": _l("Disobeyed dispatch"),
    "upheld_complaint": _l("Upheld complaint"),
    "other": _l("Other"),
}
DEMERIT_LABELS = {"none": _l("No demerit"), "demerit": _l("Demerit"), "serious_demerit": _l("Serious demerit")}
STATE_LABELS = {"proposed": _l("To decide"), "confirmed": _l("Confirmed"), "dismissed": _l("Dismissed")}
# Found in the ticket data: proposed by the portal, never typed in.
AUTOMATIC_REASONS = ("late_arrival", "incomplete_report")

MAX_NOTE = 2000
BATCH_SIZE = 500
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)  # older is a typo in the year


# --- amounts --------------------------------------------------------------------------------

def amount_for(reason: str, core: dict) -> Decimal:
    """The branch's amount for the reason today (``core`` is the branch's core settings)."""
    if reason in PRICED_REASONS:
        return Decimal(str(core[f"penalty_{reason}"])).quantize(Decimal("0.01"))
    return Decimal("0.00")


def default_demerit(reason: str) -> str:
    return "serious_demerit" if reason == "upheld_complaint" else "none"


def _core(branch_id: int) -> dict:
    return settings_for(branch_id)["core"]


# --- the proposals the ticket data proves ----------------------------------------------------------

def _not_proposed(reason: str):
    """No record of this reason for this visit and engineer yet (dismissed ones count: a
    dismissed proposal is not made again)."""
    return ~exists().where(StaffRecord.reason == reason, StaffRecord.visit_id == Visit.id,
                           StaffRecord.user_id == visit_engineer.c.user_id)


def _visit_engineers(*where):
    return (select(Visit.id.label("visit_id"), visit_engineer.c.user_id.label("user_id"),
                   Visit.ticket_id, Visit.branch_id, Visit.arrived_at)
            .join(visit_engineer, visit_engineer.c.visit_id == Visit.id)
            .join(Ticket, Ticket.id == Visit.ticket_id)
            .where(Ticket.deleted_at.is_(None), Visit.arrived_at.is_not(None), *where))


def late_arrivals(*where):
    """Engineers of a visit that reached the customer after the ticket's arrival due time.
    Only the ticket's first arrival counts: the on-site clock is about getting someone
    there, so a follow-up visit (with parts, a second engineer) is never "late"."""
    earlier = aliased(Visit)
    return _visit_engineers(
        Ticket.arrival_due.is_not(None), Visit.arrived_at > Ticket.arrival_due,
        ~exists().where(earlier.ticket_id == Visit.ticket_id, earlier.arrived_at.is_not(None),
                        earlier.arrived_at < Visit.arrived_at),
        _not_proposed("late_arrival"), *where)


def overdue_reports(now: datetime, hours: int, *where):
    """Engineers of a visit on site more than ``hours`` ago whose report is still not
    completed, unless the visit was cancelled."""
    return _visit_engineers(
        Visit.arrived_at <= now - timedelta(hours=hours), Visit.report_completed_at.is_(None),
        Visit.state != "cancelled", _not_proposed("incomplete_report"), *where)


def _proposal(reason: str, row, core: dict) -> StaffRecord:
    occurred = row.arrived_at
    if reason == "incomplete_report":
        occurred = row.arrived_at + timedelta(hours=core["incomplete_report_hours"])
    return StaffRecord(branch_id=row.branch_id, user_id=row.user_id, reason=reason, amount=amount_for(reason, core),
                       demerit="none", occurred_at=occurred, ticket_id=row.ticket_id, visit_id=row.visit_id,
                       state="proposed", proposed_by_id=None)


def _insert_once(record: StaffRecord) -> StaffRecord | None:
    """Add the record unless its unique key exists; a concurrent sweep may have won."""
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        return None
    return record


def propose_for_ticket(ticket: Ticket, core: dict) -> list[StaffRecord]:
    """Late arrivals on the ticket's visits not proposed yet, inside the caller's
    transaction (a ticket event follows the change that caused it). Only lateness: it is
    fixed by the times stored; a report becomes overdue by time passing, with no event, so
    the sweep proposes those."""
    made = []
    rows = db.session.execute(late_arrivals(Visit.ticket_id == ticket.id)
                              .order_by(Visit.id, visit_engineer.c.user_id)).all()
    for row in rows:
        record = _insert_once(_proposal("late_arrival", row, core))
        if record is not None:
            made.append(record)
    return made


@hookimpl
def portal_ticket_event(ticket, event, settings):
    """An engineer arrived (``visit_arrived``) — or anything later happened to the ticket,
    e.g. its promised time was corrected: was the first arrival late? A new ticket has no
    visits yet."""
    if event == "created" or ticket is None:
        return
    propose_for_ticket(ticket, settings["core"])


@dataclass
class SweepResult:
    counts: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        c = self.counts
        return (f"proposed {c['late_arrival']} late arrivals and {c['incomplete_report']} incomplete reports "
                f"in {c['branches']} branches")


def propose_due(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Propose every late arrival and overdue report not proposed yet. Idempotent: what is
    proposed already is skipped in SQL, and when another server proposes the same rows at
    the same moment the unique key refuses the batch, which is then looked at again.
    Commits batch by batch: it runs from cron, on its own."""
    now = now or utcnow()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("propose_due needs a timezone-aware 'now'")
    result = SweepResult()
    for branch_id in db.session.scalars(select(Branch.id).order_by(Branch.id)).all():
        core = _core(branch_id)
        result.counts["branches"] += 1
        mine = Visit.branch_id == branch_id
        for reason, query in (("late_arrival", late_arrivals(mine)),
                              ("incomplete_report", overdue_reports(now, core["incomplete_report_hours"], mine))):
            result.counts[reason] += _sweep(reason, query, core, batch_size)
    return result


def _sweep(reason: str, query, core: dict, batch_size: int) -> int:
    made, last, lost_races = 0, (0, 0), 0
    key = tuple_(Visit.id, visit_engineer.c.user_id)
    while True:
        rows = db.session.execute(query.where(key > tuple_(*last))
                                  .order_by(Visit.id, visit_engineer.c.user_id).limit(batch_size)).all()
        if not rows:
            return made
        try:
            db.session.add_all([_proposal(reason, row, core) for row in rows])
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            lost_races += 1
            if lost_races > 3:
                raise
            continue  # the rows the other server wrote drop out of the query
        made += len(rows)
        last = (rows[-1].visit_id, rows[-1].user_id)


# --- proposals from plugins and complaints ----------------------------------------------------------

def _positive(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


def propose_penalty(user_id, reason: str, ticket_id=None, note: str = "", visit_id=None) -> StaffRecord:
    """A proposal from a plugin's rule (e.g. left the site without calling HQ); a manager
    decides it. With a ``visit_id`` it is made once per person, reason and visit."""
    if reason not in REASONS:
        raise TicketError(_("Choose a reason from the list."), {"reason": "x"})
    person = db.session.get(User, _positive(user_id) or 0)
    if person is None:
        raise TicketError(_("Choose a colleague of the branch."), {"user": "x"})
    visit = db.session.get(Visit, _positive(visit_id) or 0) if visit_id is not None else None
    if visit_id is not None and visit is None:
        raise TicketError(_("There is no such visit."), {"visit": "x"})
    if ticket_id is None and visit is not None:
        ticket_id = visit.ticket_id
    ticket = db.session.get(Ticket, _positive(ticket_id) or 0) if ticket_id is not None else None
    if ticket_id is not None and (ticket is None or ticket.deleted_at is not None):
        raise TicketError(_("There is no such ticket."), {"ticket": "x"})
    if visit is not None and visit.ticket_id != ticket.id:
        raise TicketError(_("The visit is not one of the ticket's."), {"visit": "x"})
    branch_id = ticket.branch_id if ticket is not None else person.branch_id
    if person.branch_id != branch_id:
        raise TicketError(_("Choose a colleague of the branch."), {"user": "x"})
    if visit is not None:
        existing = db.session.scalar(select(StaffRecord).where(
            StaffRecord.reason == reason, StaffRecord.visit_id == visit.id, StaffRecord.user_id == person.id))
        if existing is not None:
            return existing
    core = _core(branch_id)
    record = StaffRecord(branch_id=branch_id, user_id=person.id, reason=reason, amount=amount_for(reason, core),
                         demerit=default_demerit(reason), occurred_at=utcnow(),
                         ticket_id=ticket.id if ticket else None, visit_id=visit.id if visit else None,
                         state="proposed", note=(note or "").strip()[:MAX_NOTE], proposed_by_id=None)
    return _insert_once(record) or db.session.scalar(select(StaffRecord).where(
        StaffRecord.reason == reason, StaffRecord.visit_id == record.visit_id, StaffRecord.user_id == person.id))


def propose_from_complaint(complaint, person_id=None, note: str = "", amount=None,
                           demerit: str | None = None) -> StaffRecord | None:
    """An upheld complaint (rudeness, asking for money, delay, repeated repair of the same
    fault): a proposal against the responsible person — a serious demerit unless step 7
    set another penalty — when that person is a user of the complaint's branch. Once per
    complaint and person; None when nobody is named or the complaint was not upheld."""
    if getattr(complaint, "justified", True) is False:
        return None
    person_id = person_id or getattr(complaint, "responsible_user_id", None)
    person = db.session.get(User, _positive(person_id) or 0) if person_id else None
    if person is None or person.branch_id != complaint.branch_id:
        return None
    demerit = demerit or getattr(complaint, "penalty_demerit", None) or "serious_demerit"
    if demerit not in DEMERITS:
        raise TicketError(_("Choose a demerit from the list."), {"demerit": "x"})
    if amount is None:
        amount = getattr(complaint, "penalty_amount", None)
    value = money(amount, "amount") if amount not in (None, "") else Decimal("0.00")
    if demerit == "none" and value == 0:
        return None  # step 7 found nothing to penalise
    existing = _complaint_record(complaint.id, person.id)
    if existing is not None:
        return existing
    record = StaffRecord(branch_id=complaint.branch_id, user_id=person.id, reason="upheld_complaint", amount=value,
                         demerit=demerit, occurred_at=utcnow(), ticket_id=getattr(complaint, "ticket_id", None),
                         complaint_id=complaint.id, state="proposed", note=(note or "").strip()[:MAX_NOTE],
                         proposed_by_id=None)
    return _insert_once(record) or _complaint_record(complaint.id, person.id)


def _complaint_record(complaint_id: int, user_id: int) -> StaffRecord | None:
    return db.session.scalar(select(StaffRecord).where(
        StaffRecord.reason == "upheld_complaint", StaffRecord.complaint_id == complaint_id,
        StaffRecord.user_id == user_id))


# --- what managers do ---------------------------------------------------------------------------------

def _check_version(record: StaffRecord, seen_version) -> None:
    if seen_version not in (None, "") and str(seen_version) != str(record.version):
        raise TicketError(_("Someone else changed this while you were looking at it. "
                            "Reload the page to see their changes, then try again."), conflict=True)


def decide(record: StaffRecord, confirm: bool, note: str, user: User, seen_version=None) -> StaffRecord:
    """Confirm or dismiss a proposal; a dismissal says why."""
    _check_version(record, seen_version)
    if record.user_id == user.id:
        raise TicketError(_("A record against yourself is decided by another manager."))
    if not access.can_decide_staff_record(record, user):
        raise TicketError(_("Your role does not allow this step."))
    if record.deleted_at is not None or record.state != "proposed":
        raise TicketError(_("This record was decided already."))
    note = (note or "").strip()
    if not confirm and not note:
        raise TicketError(_("Give a reason for dismissing it."), {"note": "x"})
    record.state = "confirmed" if confirm else "dismissed"
    record.decided_by_id = user.id
    record.decided_at = utcnow()
    record.decision_note = note[:MAX_NOTE]
    return record


@dataclass
class ManualRecord:
    person_id: object
    reason: str
    occurred_at: datetime | None
    note: str
    ticket_number: str = ""
    amount: object = None
    demerit: str | None = None


def record_by_hand(data: ManualRecord, user: User) -> StaffRecord:
    """A manager records what the ticket data cannot show (phone off, disobeying dispatch,
    ...). It counts at once: the manager who writes it is the one who would confirm it."""
    errors = {}
    person = db.session.get(User, _positive(data.person_id) or 0)
    if person is None or not person.active or not access.can("staff.manage", user, branch_id=person.branch_id):
        errors["person"] = _("Choose a colleague of the branch.")
    elif person.id == user.id:
        errors["person"] = _("A record against yourself is decided by another manager.")
    if data.reason not in REASONS or data.reason in AUTOMATIC_REASONS:
        errors["reason"] = _("Choose a reason from the list.")
    now = utcnow()
    if data.occurred_at is None or data.occurred_at.tzinfo is None:
        errors["occurred_at"] = _("Enter when it happened, like 2026-11-23 14:30.")
    elif not EARLIEST <= data.occurred_at <= now + timedelta(minutes=5):
        errors["occurred_at"] = _("It cannot have happened in the future.") if data.occurred_at > now \
            else _("Enter when it happened, like 2026-11-23 14:30.")
    note = (data.note or "").strip()
    if not note:
        errors["note"] = _("Say what happened.")
    ticket = None
    number = (data.ticket_number or "").strip()
    if number and "person" not in errors:
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number[:32],
                                                        Ticket.branch_id == person.branch_id,
                                                        Ticket.deleted_at.is_(None)))
        if ticket is None:
            errors["ticket_number"] = _("No ticket of the person's branch has this number.")
    amount, demerit = Decimal("0.00"), default_demerit(data.reason)
    if data.reason in ("other", "upheld_complaint"):
        try:
            amount = money(data.amount if data.amount not in (None, "") else "0", "amount")
        except TicketError as exc:
            errors.update(exc.fields)
            errors["amount"] = exc.messages[0]
        if data.reason == "other":
            demerit = data.demerit or "none"
            if demerit not in DEMERITS:
                errors["demerit"] = _("Choose a demerit from the list.")
            elif amount == 0 and demerit == "none" and "amount" not in errors:
                errors["amount"] = _("Give an amount or a demerit.")
    if errors:
        raise TicketError(list(errors.values()), errors)
    if data.reason in PRICED_REASONS:
        amount = amount_for(data.reason, _core(person.branch_id))
    record = StaffRecord(branch_id=person.branch_id, user_id=person.id, reason=data.reason, amount=amount,
                         demerit=demerit, occurred_at=data.occurred_at, ticket_id=ticket.id if ticket else None,
                         state="confirmed", note=note[:MAX_NOTE], proposed_by_id=user.id, decided_by_id=user.id,
                         decided_at=now)
    db.session.add(record)
    db.session.flush()
    return record


# --- reading -----------------------------------------------------------------------------------------

def visible_records(user=None, own_only: bool = False):
    """Live records the user may see, as a query to filter further."""
    query = db.session.query(StaffRecord).filter(StaffRecord.deleted_at.is_(None))
    return access.scope_staff_records(query, StaffRecord, user, own_only=own_only)


def record_for(record_id, user=None, own_only: bool = False) -> StaffRecord | None:
    pk = _positive(record_id)
    if pk is None:
        return None
    return visible_records(user, own_only).filter(StaffRecord.id == pk).one_or_none()


def people_for(user) -> list[User]:
    """Whom a manager may record against: active colleagues they manage, not themselves."""
    query = access.scope(db.session.query(User), User, user).filter(User.active.is_(True), User.id != user.id)
    return [p for p in query.join(User.branch).order_by(Branch.code, User.full_name, User.username).all()
            if access.can("staff.manage", user, branch_id=p.branch_id)]


@dataclass
class MonthlyFigures:
    """Confirmed penalties of a period: count and amount by reason, demerits by kind."""

    by_reason: dict = field(default_factory=dict)  # reason -> (count, amount)
    demerits: dict = field(default_factory=dict)  # demerit -> count
    count: int = 0
    amount: Decimal = Decimal("0.00")


def monthly_figures(start_utc: datetime, end_utc: datetime, branch_id: int | None = None) -> MonthlyFigures:
    """Confirmed records that happened in [start_utc, end_utc), of one branch or all, in
    SQL (GROUP BY)."""
    where = [StaffRecord.state == "confirmed", StaffRecord.deleted_at.is_(None),
             StaffRecord.occurred_at >= start_utc, StaffRecord.occurred_at < end_utc]
    if branch_id is not None:
        where.append(StaffRecord.branch_id == branch_id)
    figures = MonthlyFigures()
    rows = db.session.execute(
        select(StaffRecord.reason, func.count(StaffRecord.id), func.coalesce(func.sum(StaffRecord.amount), 0),
               func.sum(case((StaffRecord.demerit == "demerit", 1), else_=0)),
               func.sum(case((StaffRecord.demerit == "serious_demerit", 1), else_=0)))
        .where(*where).group_by(StaffRecord.reason)).all()
    figures.demerits = {"demerit": 0, "serious_demerit": 0}
    for reason, count, amount, demerits, serious in rows:
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        figures.by_reason[reason] = (count, amount)
        figures.count += count
        figures.amount += amount
        figures.demerits["demerit"] += int(demerits or 0)
        figures.demerits["serious_demerit"] += int(serious or 0)
    return figures
