"""Callbacks and satisfaction (REQUIREMENTS §2.6, issue 4 item 1).

The portal schedules callbacks by itself — a satisfaction callback after each finished
field visit, a product-use callback months after the start of use — and plugins ask for
their own through ``portal.plugin_api.schedule_callback``. Clerks call, record the survey
card or "no answer", and open a follow-up ticket with one click when the customer is
unhappy. Results go on the ticket's timeline, into the customer file and into the monthly
figures.

Same rules as :mod:`portal.core.tickets`: nothing here commits, and a refused request
raises :class:`~portal.core.tickets.TicketError` before anything is changed.

This module is also an always-on core plugin (``CORE_MODULES`` in ``portal.plugins``):
its ``portal_ticket_event`` schedules callbacks as tickets and visits move.
"""

from __future__ import annotations

import calendar as month_calendar
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.exc import IntegrityError

from .inputs import yes_no
from ..extensions import db
from ..plugin_api import hookimpl
from . import access, sla, tickets
from .calendar import WorkingCalendar
from .models import Branch, Charge, Customer, Product, Ticket, User, Visit
from .models.callback import CALLBACK_STATES, PENDING_STATES, RATING_FIELDS, Callback
from .models.types import utcnow
from .plugin_state import settings_for
from .tickets import TicketError

PLUGIN_NAME = "core_callbacks"

KIND_LABELS = {"satisfaction": _l("Satisfaction callback"), "product_use": _l("Product-use callback")}
STATE_LABELS = {
    "due": _l("Due"), "done": _l("Done"), "no_answer": _l("No answer"), "given_up": _l("Given up"),
    "cancelled": _l("Cancelled"),
}
FIELD_LABELS = {
    "fixed": _l("Fault fixed"), "on_time": _l("Engineer on time"), "fee_charged": _l("Fee charged"),
    "fee_standard_shown": _l("Fee standard shown first"), "rating_attitude": _l("Attitude"),
    "rating_skill": _l("Skill"), "rating_punctuality": _l("Punctuality"), "rating_service": _l("The service"),
    "suggestions": _l("Suggestions"),
}
FLAG_FIELDS = ("fixed", "on_time", "fee_charged", "fee_standard_shown")
# Asked only when the callback follows a service on a ticket; a product-use call has no
# engineer to rate.
SERVICE_FIELDS = ("fixed", "on_time", "fee_charged", "rating_attitude", "rating_skill", "rating_punctuality")
MAX_SUGGESTIONS = 2000
MAX_KIND = 64


# --- days ------------------------------------------------------------------------------------

def calendar_of(branch_id: int) -> WorkingCalendar:
    return sla.calendar_for(db.session.get(Branch, branch_id))


def local_day(at: datetime, calendar: WorkingCalendar) -> date:
    return at.astimezone(calendar.zone).date()


def today_for(branch_id: int | None) -> date:
    branch = db.session.get(Branch, branch_id) if branch_id else None
    return datetime.now(ZoneInfo(branch.timezone if branch else "Asia/Shanghai")).date()


def nth_working_day(calendar: WorkingCalendar, after: datetime, n: int) -> date:
    """The local day of the n-th working day after ``after``'s local day. The closing time
    may be midnight (the next day's 00:00), hence the step back by an instant."""
    try:
        closes = calendar.end_of_nth_working_day(after, n)
    except ValueError:  # a calendar without working days: count plain days rather than fail
        return local_day(after, calendar) + timedelta(days=n)
    return local_day(closes - timedelta(microseconds=1), calendar)


def satisfaction_window(calendar: WorkingCalendar, finished_at: datetime, core: dict) -> tuple[date, date]:
    """(first day in the queue, due day) after a visit finished at ``finished_at``: within
    ``callback_working_days`` working days (003 §4.4.2), or the next working day when the
    branch calls the day after (004/7 四.3.6)."""
    first = nth_working_day(calendar, finished_at, 1)
    if core.get("callback_next_day"):
        return first, first
    return first, nth_working_day(calendar, finished_at, max(1, int(core["callback_working_days"])))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def product_use_day(calendar: WorkingCalendar, start: date, months: int) -> date:
    day = add_months(start, months)
    if calendar.is_working_day(day):
        return day
    try:
        return calendar.next_working_day(day)
    except ValueError:
        return day


# --- labels ----------------------------------------------------------------------------------

def kind_label(callback: Callback) -> str:
    if callback.kind in KIND_LABELS:
        return str(KIND_LABELS[callback.kind])
    return callback.label or callback.kind


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


# --- scheduling --------------------------------------------------------------------------------

def _insert_once(callback: Callback, existing):
    """Insert, or hand back the row a concurrent request inserted first (the unique
    constraint on visit and kind decides)."""
    try:
        with db.session.begin_nested():
            db.session.add(callback)
    except IntegrityError:
        return existing()
    return callback


def _for_visit(visit_id: int, kind: str) -> Callback | None:
    return db.session.scalar(select(Callback).where(Callback.visit_id == visit_id, Callback.kind == kind))


def schedule_satisfaction(visit: Visit, settings: dict | None = None) -> Callback | None:
    """The satisfaction callback of a finished visit; asking twice gives the same one."""
    if visit is None or visit.state != "finished" or visit.finished_at is None:
        return None
    found = _for_visit(visit.id, "satisfaction")
    if found is not None:
        return found
    ticket = visit.ticket
    core = (settings or settings_for(visit.branch_id))["core"]
    first, due = satisfaction_window(sla.calendar_for(ticket.branch), visit.finished_at, core)
    callback = Callback(
        branch_id=visit.branch_id, customer_id=ticket.customer_id, ticket_id=ticket.id,
        product_id=ticket.product_id, visit_id=visit.id, kind="satisfaction",
        label=f"{ticket.number} {ticket.title}"[:200], due_on=due, next_try_on=first, state="due",
    )
    return _insert_once(callback, lambda: _for_visit(visit.id, "satisfaction"))


def _product_use_of(product: Product) -> Callback | None:
    return db.session.scalar(select(Callback).where(
        Callback.product_id == product.id, Callback.kind == "product_use", Callback.state != "cancelled")
        .order_by(Callback.id.desc()).limit(1))


def schedule_product_use(product: Product, settings: dict | None = None, installed_on: date | None = None,
                         today: date | None = None) -> Callback | None:
    """The product-use callback ``product_use_callback_months`` after the start of use
    (delivery/commissioning, else the day an installation ticket was resolved, else the
    purchase), on a working day. Once per product: a changed date moves a callback nobody has called yet.
    A product whose months are over when it is filed gets none — the call would come
    too late to ask how the first months went."""
    if product is None or product.deleted_at is not None:
        return None
    # Called from the customer form while its rows are still pending: no early flush.
    with db.session.no_autoflush:
        return _schedule_product_use(product, settings, installed_on, today)


def _schedule_product_use(product, settings, installed_on, today):
    start = product.delivered_on or installed_on or product.purchase_date
    branch_id = product.branch_id or (product.customer.branch_id if product.customer else None)
    if start is None or branch_id is None:
        return None
    core = (settings or settings_for(branch_id))["core"]
    due = product_use_day(calendar_of(branch_id), start, int(core["product_use_callback_months"]))
    found = _product_use_of(product) if product.id is not None else None
    if found is not None:
        if found.state == "due" and found.attempts == 0 and found.due_on != due:
            found.due_on = found.next_try_on = due
        return found
    if due < (today or today_for(branch_id)):
        return None
    callback = Callback(branch_id=branch_id, kind="product_use", label=str(product)[:200], due_on=due,
                        next_try_on=due, state="due")
    callback.customer = product.customer
    callback.product = product
    db.session.add(callback)
    return callback


def _int(raw):
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


def schedule_callback(customer_id, due_on: date, kind: str, label: str, ticket_id=None,
                      branch_id=None) -> Callback:
    """A callback a plugin asks for (``plugin_api.schedule_callback``). Asking again for
    the same customer, kind, ticket and day gives the callback already scheduled."""
    errors = {}
    customer = db.session.get(Customer, _int(customer_id)) if _int(customer_id) else None
    if customer is None or customer.deleted_at is not None:
        errors["customer"] = _("No such customer.")
    elif branch_id is not None and _int(branch_id) != customer.branch_id:
        errors["branch"] = _("The customer belongs to another branch.")
    kind = str(kind or "").strip()
    if not kind or len(kind) > MAX_KIND:
        errors["kind"] = _("Name the kind of callback (at most %(n)s characters).", n=MAX_KIND)
    if isinstance(due_on, datetime) or not isinstance(due_on, date):
        errors["due_on"] = _("Give the day of the callback as a date.")
    ticket = None
    if ticket_id is not None:
        ticket = db.session.get(Ticket, _int(ticket_id)) if _int(ticket_id) else None
        if ticket is None or customer is None or ticket.customer_id != customer.id:
            errors["ticket"] = _("The ticket must be one of this customer's tickets.")
    if errors:
        raise TicketError(list(errors.values()), errors)
    found = db.session.scalar(select(Callback).where(
        Callback.customer_id == customer.id, Callback.kind == kind, Callback.due_on == due_on,
        Callback.ticket_id == ticket.id if ticket else Callback.ticket_id.is_(None),
        Callback.state.in_(PENDING_STATES)).limit(1))
    if found is not None:
        return found
    callback = Callback(branch_id=customer.branch_id, customer_id=customer.id,
                        ticket_id=ticket.id if ticket else None,
                        product_id=ticket.product_id if ticket else None, kind=kind,
                        label=str(label or "").strip()[:200], due_on=due_on, next_try_on=due_on, state="due")
    db.session.add(callback)
    db.session.flush()
    return callback


def _latest_finished_visit(ticket: Ticket) -> Visit | None:
    return db.session.scalar(select(Visit).where(Visit.ticket_id == ticket.id, Visit.state == "finished")
                             .order_by(Visit.finished_at.desc(), Visit.id.desc()).limit(1))


@hookimpl
def portal_ticket_event(ticket, event, settings):
    """Schedule the core's callbacks: after a finished visit, and after an installation."""
    if not isinstance(ticket, Ticket) or ticket.id is None:
        return
    if event == "visit_completed":
        schedule_satisfaction(_latest_finished_visit(ticket), settings)
    elif event in ("transitioned:resolved", "transitioned:closed") and ticket.kind == "installation":
        # An installed product is in use from its commissioning.
        installed = local_day(ticket.resolved_at or utcnow(), sla.calendar_for(ticket.branch))
        if ticket.product is not None:
            schedule_product_use(ticket.product, settings, installed_on=installed)


# --- the call -----------------------------------------------------------------------------------

def _may_work(callback: Callback, user: User) -> None:
    if not access.can("callback.work", user, branch_id=callback.branch_id):
        raise TicketError(_("Your role does not allow this step."))


def _check_version(callback: Callback, seen_version) -> None:
    if seen_version not in (None, "") and str(seen_version) != str(callback.version):
        raise TicketError(_("Someone else recorded this callback while you were looking at it. "
                          "Reload the page to see what they recorded."), conflict=True)


def _pending(callback: Callback) -> None:
    if not callback.is_pending:
        raise TicketError(_("This callback is closed: %(state)s.", state=state_label(callback.state)))




def clean_card(answers: dict, about_service: bool) -> tuple[dict, dict]:
    """The survey card from what the clerk ticked: (values, errors by field)."""
    answers = answers or {}
    values, errors = {}, {}
    for key in FLAG_FIELDS:
        raw = answers.get(key)
        values[key] = yes_no(raw)
        if values[key] is None and str(raw or "").strip():
            errors[key] = _("%(field)s: answer yes or no.", field=FIELD_LABELS[key])
    for key in RATING_FIELDS:
        raw = str(answers.get(key) if answers.get(key) is not None else "").strip()
        values[key] = None
        if raw:
            if raw in ("1", "2", "3", "4", "5"):
                values[key] = int(raw)
            else:
                errors[key] = _("%(field)s: rate from 1 (poor) to 5 (excellent).", field=FIELD_LABELS[key])
    suggestions = str(answers.get("suggestions") or "").strip()
    if len(suggestions) > MAX_SUGGESTIONS:
        errors["suggestions"] = _("Keep the suggestions under %(n)s characters.", n=MAX_SUGGESTIONS)
    values["suggestions"] = suggestions[:MAX_SUGGESTIONS]
    required = (SERVICE_FIELDS if about_service else ()) + ("rating_service",)
    if values["fee_charged"]:
        required += ("fee_standard_shown",)
    else:
        values["fee_standard_shown"] = None  # only meaningful when a fee was charged
    for key in required:
        if key not in errors and values[key] is None:
            errors[key] = _("%(field)s is missing.", field=FIELD_LABELS[key])
    return values, errors


def poor_threshold(branch_id: int) -> int:
    return int(settings_for(branch_id)["core"]["poor_rating"])


def needs_follow_up(callback: Callback, poor_rating: int | None = None) -> bool:
    """An unfixed fault or a rating at or below the branch's poor mark."""
    if callback.state != "done":
        return False
    poor = poor_threshold(callback.branch_id) if poor_rating is None else poor_rating
    ratings = [getattr(callback, key) for key in RATING_FIELDS]
    return callback.fixed is False or any(r is not None and r <= poor for r in ratings)


def follow_up_kind(callback: Callback) -> str:
    return "repair" if callback.fixed is False else "complaint"


def _yes_no(value) -> str:
    return "" if value is None else (_("yes") if value else _("no"))


def summary(callback: Callback) -> str:
    """The result in one line, for the timeline and the follow-up ticket."""
    parts = []
    for key in FLAG_FIELDS:
        value = getattr(callback, key)
        if value is not None:
            parts.append(f"{FIELD_LABELS[key]}: {_yes_no(value)}")
    ratings = [f"{FIELD_LABELS[key]} {getattr(callback, key)}" for key in RATING_FIELDS
               if getattr(callback, key) is not None]
    if ratings:
        parts.append(" / ".join(ratings))
    if callback.suggestions:
        parts.append(f"{FIELD_LABELS['suggestions']}: {callback.suggestions}")
    return "; ".join(parts)


def record_result(callback: Callback, answers: dict, user: User, seen_version=None,
                  now: datetime | None = None) -> Callback:
    """The customer answered: the survey card is saved and the callback is done."""
    _check_version(callback, seen_version)
    _may_work(callback, user)
    _pending(callback)
    values, errors = clean_card(answers, about_service=callback.ticket_id is not None)
    if errors:
        raise TicketError(list(errors.values()), errors)
    now = now or utcnow()
    for key, value in values.items():
        setattr(callback, key, value)
    callback.state = "done"
    callback.attempts += 1
    callback.last_attempt_at = callback.done_at = now
    callback.done_on = local_day(now, calendar_of(callback.branch_id))
    callback.done_by_id = user.id
    callback.next_try_on = None
    if callback.ticket is not None:
        tickets.log(callback.ticket, "call", f"{kind_label(callback)}: {summary(callback)}", user,
                    callback_id=callback.id, result="done",
                    **{key: getattr(callback, key) for key in FLAG_FIELDS + RATING_FIELDS})
    return callback


def record_no_answer(callback: Callback, user: User, seen_version=None, now: datetime | None = None) -> Callback:
    """Nobody answered: try again after ``callback_retry_days`` working days, and give up
    after ``callback_max_attempts`` attempts."""
    _check_version(callback, seen_version)
    _may_work(callback, user)
    _pending(callback)
    core = settings_for(callback.branch_id)["core"]
    now = now or utcnow()
    callback.attempts += 1
    callback.last_attempt_at = now
    if callback.attempts >= int(core["callback_max_attempts"]):
        callback.state = "given_up"
        callback.next_try_on = None
        text = _("No answer after %(n)s attempts: callback given up.", n=callback.attempts)
    else:
        callback.state = "no_answer"
        callback.next_try_on = nth_working_day(calendar_of(callback.branch_id), now,
                                               max(1, int(core["callback_retry_days"])))
        text = _("No answer (attempt %(n)s of %(max)s); call again on %(day)s.", n=callback.attempts,
                 max=core["callback_max_attempts"], day=callback.next_try_on.isoformat())
    if callback.ticket is not None:
        tickets.log(callback.ticket, "call", f"{kind_label(callback)}: {text}", user, callback_id=callback.id,
                    result=callback.state, attempts=callback.attempts)
    return callback


def cancel(callback: Callback, reason: str, user: User, seen_version=None) -> Callback:
    """The call is no longer wanted (the customer asked not to be called, a duplicate)."""
    _check_version(callback, seen_version)
    _may_work(callback, user)
    _pending(callback)
    reason = str(reason or "").strip()[:255]
    if not reason:
        raise TicketError(_("Give a reason."), {"reason": "x"})
    callback.state = "cancelled"
    callback.cancel_reason = reason
    callback.next_try_on = None
    if callback.ticket is not None:
        tickets.log(callback.ticket, "call", f"{kind_label(callback)}: {_('Cancelled')}: {reason}", user,
                    callback_id=callback.id, result="cancelled")
    return callback


def open_follow_up(callback: Callback, user: User, seen_version=None) -> Ticket:
    """One click after a poor result: a repair ticket for an unfixed fault, a complaint for
    a poor rating, for the same customer and product; both timelines say so."""
    _check_version(callback, seen_version)
    _may_work(callback, user)
    if not access.can("ticket.create", user, branch_id=callback.branch_id):
        raise TicketError(_("Your role does not allow this step."))
    if callback.follow_up_ticket_id is not None:
        raise TicketError(_("A follow-up ticket was opened already: %(number)s.",
                            number=callback.follow_up_ticket.number))
    if not needs_follow_up(callback):
        raise TicketError(_("Only an unfixed fault or a poor rating needs a follow-up ticket."))
    kind = follow_up_kind(callback)
    title = _("Callback: fault not fixed") if kind == "repair" else _("Callback: poor rating")
    product = callback.product
    origin = callback.ticket
    if origin is not None:
        title = f"{title} ({origin.number})"
    ticket = tickets.open_ticket(tickets.NewTicket(
        customer_id=callback.customer_id, title=title, kind=kind, channel="phone", priority="high",
        description=summary(callback),
        product_id=product.id if product is not None and product.deleted_at is None else None), user)
    callback.follow_up_ticket_id = ticket.id
    callback.follow_up_ticket = ticket
    tickets.log(ticket, "call", _("Opened after the callback of %(day)s: %(result)s",
                                  day=(callback.done_on or callback.due_on).isoformat(), result=summary(callback)),
                user, callback_id=callback.id, origin_ticket=origin.number if origin else None)
    if origin is not None:
        tickets.log(origin, "call", _("Follow-up ticket %(number)s opened after the callback.", number=ticket.number),
                    user, callback_id=callback.id, follow_up=ticket.number)
    return ticket


# --- what the pages read --------------------------------------------------------------------------

QUEUE_PRESETS = ("today", "overdue", "upcoming", "no_answer", "done", "all")


def queue_condition(preset: str, today: date):
    """The SQL behind each preset of the queue; the (branch, state, day) indexes serve them.
    "today" is the day's work: everything callable today, the overdue included."""
    pending = Callback.state.in_(PENDING_STATES)
    if preset == "today":
        return pending & (Callback.next_try_on <= today)
    if preset == "overdue":
        return pending & (Callback.due_on < today)
    if preset == "upcoming":
        return pending & (Callback.next_try_on > today)
    if preset == "no_answer":
        return Callback.state.in_(("no_answer", "given_up"))
    if preset == "done":
        return Callback.state == "done"
    return None


def due_today_count(user: User) -> int:
    """Callbacks the user's branch (HQ: every branch) should make today, for the dashboard."""
    if not access.can("callback.view", user):
        return 0
    query = db.session.query(func.count(Callback.id)).filter(
        queue_condition("today", today_for(user.branch_id)))
    return access.scope(query, Callback, user).scalar() or 0


def for_customer(customer: Customer, user: User | None = None, limit: int = 50) -> list[Callback]:
    """The customer file's callbacks and their results, newest first."""
    query = db.session.query(Callback).filter(Callback.customer_id == customer.id)
    return access.scope(query, Callback, user).order_by(Callback.due_on.desc(), Callback.id.desc()).limit(limit).all()


def fee_charged_on(ticket: Ticket | None) -> list[Charge]:
    if ticket is None:
        return []
    return db.session.scalars(select(Charge).where(Charge.ticket_id == ticket.id).order_by(Charge.id)).all()


# --- monthly figures ------------------------------------------------------------------------------

_RAW_KEYS = ("due", "done", "done_on_time", "no_answer", "given_up", "open", "results", "fixed_yes", "fixed_asked",
             "fee_charged", "fee_standard_shown") + tuple(f"{k}_sum" for k in RATING_FIELDS) + \
    tuple(f"{k}_n" for k in RATING_FIELDS)


def _month_days(branches, start_utc: datetime, end_utc: datetime):
    """due_on is a branch-local day: each time zone gets its own first and last day."""
    by_zone = defaultdict(list)
    for branch_id, zone in branches:
        by_zone[zone].append(branch_id)
    conditions = []
    for zone, ids in by_zone.items():
        first = start_utc.astimezone(ZoneInfo(zone)).date()
        after = end_utc.astimezone(ZoneInfo(zone)).date()
        conditions.append(and_(Callback.branch_id.in_(ids), Callback.due_on >= first, Callback.due_on < after))
    return or_(*conditions) if conditions else false()


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def _raw(start_utc: datetime, end_utc: datetime, branch_id: int | None) -> dict[int, dict]:
    """Counts and sums per branch, from two GROUP BY queries: callbacks due in the month,
    and survey cards recorded in the month."""
    branch_query = select(Branch.id, Branch.timezone, Branch.is_hq)
    if branch_id is not None:
        branch_query = branch_query.where(Branch.id == branch_id)
    branches = db.session.execute(branch_query).all()
    done = Callback.state == "done"
    due_rows = db.session.execute(
        select(Callback.branch_id, func.count(Callback.id), _count(done),
               _count(and_(done, Callback.done_on <= Callback.due_on)), _count(Callback.state == "no_answer"),
               _count(Callback.state == "given_up"), _count(Callback.state == "due"))
        .where(_month_days([(b.id, b.timezone) for b in branches], start_utc, end_utc),
               Callback.state != "cancelled")
        .group_by(Callback.branch_id)).all()
    rating_columns = [getattr(Callback, k) for k in RATING_FIELDS]
    result_query = (
        select(Callback.branch_id, func.count(Callback.id), _count(Callback.fixed.is_(True)),
               func.count(Callback.fixed), _count(Callback.fee_charged.is_(True)),
               _count(and_(Callback.fee_charged.is_(True), Callback.fee_standard_shown.is_(True))),
               *[func.sum(c) for c in rating_columns], *[func.count(c) for c in rating_columns])
        .where(done, Callback.done_at >= start_utc, Callback.done_at < end_utc)
        .group_by(Callback.branch_id))
    if branch_id is not None:
        result_query = result_query.where(Callback.branch_id == branch_id)
    result_rows = db.session.execute(result_query).all()

    raw = {b.id: dict.fromkeys(_RAW_KEYS, 0) for b in branches if not b.is_hq or b.id == branch_id}
    for row in due_rows:
        figures = raw.setdefault(row[0], dict.fromkeys(_RAW_KEYS, 0))
        for key, value in zip(("due", "done", "done_on_time", "no_answer", "given_up", "open"), row[1:]):
            figures[key] = int(value or 0)
    keys = ("results", "fixed_yes", "fixed_asked", "fee_charged", "fee_standard_shown") + \
        tuple(f"{k}_sum" for k in RATING_FIELDS) + tuple(f"{k}_n" for k in RATING_FIELDS)
    for row in result_rows:
        figures = raw.setdefault(row[0], dict.fromkeys(_RAW_KEYS, 0))
        for key, value in zip(keys, row[1:]):
            figures[key] = int(value or 0)
    return raw


def _ratio(part: int, whole: int, digits: int) -> float | None:
    return round(part / whole, digits) if whole else None


def _finish(raw: dict) -> dict:
    """Shares (0..1) and averages (1..5, two decimals); None where there is nothing to
    divide by."""
    figures = dict(raw)
    figures["on_time_share"] = _ratio(raw["done_on_time"], raw["due"], 4)
    for key in RATING_FIELDS:
        figures[f"avg_{key.removeprefix('rating_')}"] = _ratio(raw[f"{key}_sum"], raw[f"{key}_n"], 2)
    figures["avg_overall"] = _ratio(sum(raw[f"{k}_sum"] for k in RATING_FIELDS),
                                    sum(raw[f"{k}_n"] for k in RATING_FIELDS), 2)
    figures["fixed_share"] = _ratio(raw["fixed_yes"], raw["fixed_asked"], 4)
    figures["fee_standard_shown_share"] = _ratio(raw["fee_standard_shown"], raw["fee_charged"], 4)
    return figures


def monthly_figures(start_utc: datetime, end_utc: datetime, branch_id: int | None = None) -> dict:
    """Callback figures of one month, computed in SQL.

    ``start_utc``/``end_utc`` bound the month ([start, end), aware). Callbacks *due* in the
    month (their due day, a local day, falls in it; cancelled ones do not count) give
    ``due``, ``done``, ``done_on_time`` (done on or before the due day), ``no_answer``
    (waiting for a retry), ``given_up``, ``open`` and ``on_time_share``. Survey cards
    *recorded* in the month give ``results``, ``avg_attitude``, ``avg_skill``,
    ``avg_punctuality``, ``avg_service``, ``avg_overall`` (all ratings pooled),
    ``fixed_share`` (of those asked) and ``fee_standard_shown_share`` (of those charged),
    plus the counts and sums behind them. Shares are 0..1, averages have two decimals;
    None where nothing was counted.

    With ``branch_id`` the figures of that branch; without, ``{branch_id: figures}`` for
    every branch (HQ only when it has callbacks). :func:`company_figures` adds them up.
    """
    raw = _raw(start_utc, end_utc, branch_id)
    if branch_id is not None:
        return _finish(raw.get(branch_id, dict.fromkeys(_RAW_KEYS, 0)))
    return {key: _finish(value) for key, value in sorted(raw.items())}


def company_figures(start_utc: datetime, end_utc: datetime) -> dict:
    """The whole company's figures of the month (the branches' counts and sums added)."""
    total = dict.fromkeys(_RAW_KEYS, 0)
    for figures in _raw(start_utc, end_utc, None).values():
        for key in _RAW_KEYS:
            total[key] += figures[key]
    return _finish(total)


__all__ = [
    "CALLBACK_STATES", "KIND_LABELS", "STATE_LABELS", "FIELD_LABELS", "QUEUE_PRESETS", "schedule_satisfaction",
    "schedule_product_use", "schedule_callback", "record_result", "record_no_answer", "cancel", "open_follow_up",
    "needs_follow_up", "follow_up_kind", "queue_condition", "due_today_count", "for_customer", "monthly_figures",
    "company_figures", "portal_ticket_event",
]
