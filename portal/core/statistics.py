"""Monthly statistics (REQUIREMENTS §2.9): figures in SQL, kept fresh incrementally, and
closed months that no longer change.

How the figures stay fast at a million tickets (issue 10):

* ``compute_figures`` groups ONE branch-month with GROUP BY over that month's rows only
  (indexes (branch_id, created_at) on tickets and (branch_id, scheduled_for) on visits).
* The result is stored as one ``stats_month`` row per (branch, month). The HQ page reads
  a hundred such rows and adds them up; it never groups the ticket table.
* A row is stale when a committed change could have moved its figures. A session listener
  notes, for every changed ticket, visit, part, quote, charge, callback, complaint or staff
  record, its branch and the earliest date the row or its ticket carries (nothing about a
  ticket happens before the ticket was opened); after the commit it bumps ``dirty_seq`` of
  that branch's months ending after that date. A refresh stores the ``dirty_seq`` it read
  before reading the data as ``computed_seq``; ``dirty_seq > computed_seq`` means stale.
  Service-level clocks turn from running to breached with time alone, so a row is also
  stale once ``next_change_at`` (the earliest due time of a running clock) has passed.
* Pages and the CLI (``flask --app portal stats refresh``) call :func:`refresh_month` for
  stale rows only. Closed months are never recomputed: their snapshot is what they show.
* The HQ page first reads the rows' stamps (no figures); each worker keeps the company's
  sums, keyed by the stamps, until a branch row is recomputed.

Person-days are distinct (engineer, branch-local day) pairs of the visits carried out
(departed, on site or finished), per kind of work: an engineer who went out twice on one
day for repairs worked one person-day of dispatches. Person-times are visit × engineers.
A visit belongs to the month of its scheduled day. An installation is "covered by
contract" when its ticket has neither a charge nor an accepted quote: its cost is shown
but left out of the total after-sales cost.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import chain
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import Date, and_, case, event, exists, func, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..plugin_api import hookimpl
from . import access
from .models import Branch, BranchPlugin, Charge, Quote, Ticket, TicketEvent, User, Visit, VisitPart, visit_engineer
from .models.statistics import COMPANY, StatsClosing, StatsMonth
from .models.ticket import CLOCKS
from .models.types import UTCDateTime, utcnow
from .plugin_state import branch_hooks, settings_for
from .tickets import TicketError

log = logging.getLogger(__name__)

PLUGIN_NAME = "core_statistics"
FIGURES_VERSION = "1"
CATEGORIES = ("installation_covered", "installation_paid", "dispatch")
CARRIED_OUT = ("departed", "arrived", "finished")
FEATURES = ("callbacks", "complaints", "performance")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
TREND_MONTHS = 12
FEN = Decimal("0.01")


# --- months ------------------------------------------------------------------------------------

MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(raw) -> date | None:
    """"2026-11" → date(2026, 11, 1); anything else (or a year out of 2000–2100) → None."""
    match = MONTH_RE.match(str(raw or ""))
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(month: date, zone: str) -> tuple[datetime, datetime]:
    """The branch-local month [start, end) as UTC instants."""
    tz = ZoneInfo(zone)
    start = datetime.combine(month, time.min, tzinfo=tz)
    end = datetime.combine(add_months(month, 1), time.min, tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def local_month(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date().replace(day=1)


def today_in(zone: str) -> date:
    return utcnow().astimezone(ZoneInfo(zone)).date()


def _day_starts(month: date, zone: str) -> list[datetime]:
    """UTC instants at which days 2..n of the branch-local month begin."""
    tz = ZoneInfo(zone)
    days = (add_months(month, 1) - month).days
    return [datetime.combine(month + timedelta(days=i), time.min, tzinfo=tz).astimezone(timezone.utc)
            for i in range(1, days)]


# --- money ---------------------------------------------------------------------------------------

def to_fen(amount) -> int:
    """Yuan (Decimal, float from SQLite's SUM, str) → whole fen; figures are stored in fen
    so adding branches up is exact."""
    value = Decimal(str(amount or 0)).quantize(FEN, rounding=ROUND_HALF_UP)
    return int(value * 100)


def yuan(fen) -> Decimal:
    return (Decimal(int(fen or 0)) / 100).quantize(FEN)


def ratio(part, whole, places: str = "0.0001") -> Decimal | None:
    if not whole:
        return None
    return (Decimal(int(part or 0)) / Decimal(int(whole))).quantize(Decimal(places), rounding=ROUND_HALF_UP)


# --- the figures of one branch-month, in SQL ----------------------------------------------------------

def _ticket_figures(branch_id: int, start: datetime, end: datetime) -> dict:
    rows = db.session.execute(
        select(Ticket.kind, Ticket.channel, func.count(Ticket.id))
        .where(Ticket.branch_id == branch_id, Ticket.created_at >= start, Ticket.created_at < end,
               Ticket.deleted_at.is_(None))
        .group_by(Ticket.kind, Ticket.channel)).all()
    by_kind, by_channel = defaultdict(int), defaultdict(int)
    for kind, channel, count in rows:
        by_kind[kind] += int(count)
        by_channel[channel] += int(count)
    return {"total": sum(by_kind.values()), "by_kind": dict(by_kind), "by_channel": dict(by_channel)}


def _clock_columns(clock: str, now: datetime):
    """Per clock, as ``sla.clock_status`` decides it: met, missed, breached (still running
    past due), running (or paused); and the earliest due of a running clock."""
    stop = {"first_answer": Ticket.first_answered_at, "arrival": Ticket.arrived_at,
            "resolution": Ticket.resolved_at}[clock]
    due = getattr(Ticket, f"{clock}_due")
    live = Ticket.state != "cancelled"
    if clock == "arrival":
        live = live & or_(Ticket.arrival_required.is_(True), Ticket.promised_arrival_at.isnot(None))
    running = live & stop.is_(None) & (due >= now)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return [
        count(live & stop.isnot(None) & (due.is_(None) | (stop <= due))),
        count(live & stop.isnot(None) & due.isnot(None) & (stop > due)),
        count(live & stop.is_(None) & due.isnot(None) & (due < now)),
        count(running | (live & stop.is_(None) & due.is_(None) & Ticket.paused_since.isnot(None))),
        func.min(case((running, due))),
    ]


def _sla_figures(branch_id: int, start: datetime, end: datetime, now: datetime) -> tuple[dict, datetime | None]:
    columns = [c for clock in CLOCKS for c in _clock_columns(clock, now)]
    row = db.session.execute(
        select(*columns).where(Ticket.branch_id == branch_id, Ticket.created_at >= start, Ticket.created_at < end,
                               Ticket.deleted_at.is_(None))).one()
    figures, dues = {}, []
    for i, clock in enumerate(CLOCKS):
        met, missed, breached, running, next_due = row[i * 5: i * 5 + 5]
        figures[clock] = {"met": int(met or 0), "missed": int(missed or 0), "breached": int(breached or 0),
                          "running": int(running or 0)}
        if next_due is not None:
            dues.append(_aware(next_due))
    return figures, min(dues, default=None)


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite hands MIN() of a CASE back as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _visits_of_month(branch_id: int, start: datetime, end: datetime):
    """One row per visit carried out in the month with its kind of work; a subquery so
    the GROUP BYs below group by a plain column (PostgreSQL refuses to group by a CASE
    whose literals are bound twice)."""
    covered = and_(Ticket.kind == "installation",
                   ~exists().where(Charge.ticket_id == Ticket.id),
                   ~exists().where(Quote.ticket_id == Ticket.id, Quote.state == "accepted"))
    category = case((covered, "installation_covered"), (Ticket.kind == "installation", "installation_paid"),
                    else_="dispatch")
    return (select(Visit.id.label("visit_id"), Visit.hours.label("hours"),
                   Visit.scheduled_for.label("scheduled_for"), category.label("category"))
            .join(Ticket, Ticket.id == Visit.ticket_id)
            .where(Visit.branch_id == branch_id, Visit.scheduled_for >= start, Visit.scheduled_for < end,
                   Visit.state.in_(CARRIED_OUT))
            .subquery())


def _field_figures(branch: Branch, month: date, start: datetime, end: datetime) -> dict:
    visits = _visits_of_month(branch.id, start, end)
    cat = visits.c.category
    figures = {c: {"visits": 0, "person_times": 0, "person_days": 0, "hours_x100": 0, "materials_fen": 0,
                   "unpriced_parts": 0} for c in CATEGORIES}
    for category, count, hours in db.session.execute(
            select(cat, func.count(), func.sum(visits.c.hours)).group_by(cat)):
        figures[category]["visits"] = int(count)
        figures[category]["hours_x100"] = to_fen(hours)
    engineers = visits.join(visit_engineer, visit_engineer.c.visit_id == visits.c.visit_id)
    for category, count in db.session.execute(select(cat, func.count()).select_from(engineers).group_by(cat)):
        figures[category]["person_times"] = int(count)
    day = case(*[(visits.c.scheduled_for < b, i) for i, b in enumerate(_day_starts(month, branch.timezone), 1)],
               else_=(add_months(month, 1) - month).days)
    pairs = select(cat.label("category"), visit_engineer.c.user_id, day.label("day")).select_from(engineers) \
        .distinct().subquery()
    for category, count in db.session.execute(
            select(pairs.c.category, func.count()).group_by(pairs.c.category)):
        figures[category]["person_days"] = int(count)
    parts = visits.join(VisitPart, VisitPart.visit_id == visits.c.visit_id)
    for category, amount, unpriced in db.session.execute(
            select(cat, func.sum(VisitPart.quantity * func.coalesce(VisitPart.unit_price, 0)),
                   func.sum(case((VisitPart.unit_price.is_(None), 1), else_=0)))
            .select_from(parts).group_by(cat)):
        figures[category]["materials_fen"] = to_fen(amount)
        figures[category]["unpriced_parts"] = int(unpriced or 0)
    return figures


def _costs(field_figures: dict, core: dict, charged_fen: int) -> dict:
    day_fen, visit_fen = to_fen(core.get("cost_per_person_day")), to_fen(core.get("transport_cost_per_visit"))
    costs = {"labour_fen": 0, "transport_fen": 0, "materials_fen": 0, "total_fen": 0,
             "covered_installation_fen": 0, "charged_fen": charged_fen,
             "rate_person_day_fen": day_fen, "rate_visit_fen": visit_fen}
    for category, f in field_figures.items():
        f["labour_fen"] = f["person_days"] * day_fen
        f["transport_fen"] = f["visits"] * visit_fen
        f["cost_fen"] = f["labour_fen"] + f["transport_fen"] + f["materials_fen"]
        if category == "installation_covered":
            costs["covered_installation_fen"] += f["cost_fen"]
            continue
        costs["labour_fen"] += f["labour_fen"]
        costs["transport_fen"] += f["transport_fen"]
        costs["materials_fen"] += f["materials_fen"]
        costs["total_fen"] += f["cost_fen"]
    return costs


# --- figures the other features compute (callbacks, complaints, staff records) ------------------------

def feature(name: str):
    """The feature module when it is there and has ``monthly_figures``; None otherwise
    (its section then says "not available yet")."""
    try:
        module = importlib.import_module(f"portal.core.{name}")
    except Exception:  # not written yet, or broken: the statistics go on without it
        log.warning("feature module portal.core.%s not available", name, exc_info=True)
        return None
    return module if callable(getattr(module, "monthly_figures", None)) else None


@lru_cache(maxsize=1)
def figures_version() -> str:
    """Rows computed before a feature module existed are stale once it does."""
    return FIGURES_VERSION + ":" + "".join(n[:2] for n in FEATURES if feature(n) is not None)


def _plain_ints(values: dict) -> dict:
    return {k: int(v) for k, v in values.items() if isinstance(v, int) and not isinstance(v, bool)}


def _callback_figures(module, start, end, branch_id) -> dict:
    return _plain_ints(module.monthly_figures(start, end, branch_id))


def _complaint_figures(module, start, end, branch_id) -> dict:
    raw = module.monthly_figures(start, end, branch_id)
    figures = _plain_ints(raw)
    for key in ("by_nature", "by_unit"):
        figures[key] = {("" if code is None else str(code)): int(n) for code, n in (raw.get(key) or {}).items()}
    return figures


def _penalty_figures(module, start, end, branch_id) -> dict:
    raw = module.monthly_figures(start, end, branch_id)
    return {
        "count": int(raw.count), "amount_fen": to_fen(raw.amount),
        "by_reason": {str(reason): {"count": int(count), "amount_fen": to_fen(amount)}
                      for reason, (count, amount) in raw.by_reason.items()},
        "demerits": {str(k): int(v) for k, v in (raw.demerits or {}).items()},
    }


ADAPTERS = {"callbacks": _callback_figures, "complaints": _complaint_figures, "performance": _penalty_figures}


def _feature_figures(name: str, start: datetime, end: datetime, branch_id: int) -> dict | None:
    module = feature(name)
    if module is None:
        return None
    try:
        return ADAPTERS[name](module, start, end, branch_id)
    except Exception as exc:  # another feature's bug must not take the statistics page down
        log.exception("monthly figures of %s failed", name)
        if isinstance(exc, SQLAlchemyError):
            db.session.rollback()
        return None


def compute_figures(branch: Branch, month: date, now: datetime | None = None) -> tuple[dict, datetime | None]:
    """Every figure of one branch-month, from GROUP BY queries over that month's rows only;
    plus the time they next change by themselves (a running clock falling due)."""
    now = now or utcnow()
    start, end = month_bounds(month, branch.timezone)
    core = settings_for(branch.id)["core"]
    field_figures = _field_figures(branch, month, start, end)
    charged = db.session.scalar(select(func.sum(Charge.amount)).where(
        Charge.branch_id == branch.id, Charge.created_at >= start, Charge.created_at < end))
    sla_figures, next_change = _sla_figures(branch.id, start, end, now)
    figures = {
        "version": figures_version(),
        "tickets": _ticket_figures(branch.id, start, end),
        "field": field_figures,
        "costs": _costs(field_figures, core, to_fen(charged)),
        "sla": sla_figures,
        "callbacks": _feature_figures("callbacks", start, end, branch.id),
        "complaints": _feature_figures("complaints", start, end, branch.id),
        "penalties": _feature_figures("performance", start, end, branch.id),
    }
    return figures, next_change


# --- the aggregate rows ------------------------------------------------------------------------------

T = StatsMonth.__table__


def _is_stale(row, now: datetime) -> bool:
    if row.computed_at is None or row.dirty_seq > row.computed_seq or row.version != figures_version():
        return True
    return row.next_change_at is not None and row.next_change_at <= now


WROTE = "portal_stats_wrote"


@contextmanager
def _cache_connection():
    """Where the aggregate rows are written: a short transaction of their own, so a page
    that only reads commits its refresh at once; but the session's own connection once
    the session has written (SQLite would otherwise wait for a lock it holds itself)."""
    session = db.session()
    session.flush()
    if session.info.get(WROTE):
        yield session.connection()
        return
    with db.engine.begin() as conn:
        yield conn


def _ensure_rows(month: date, branches) -> None:
    """Missing rows are created stale, in their own transaction, before any figure is read:
    a change committed from then on bumps their ``dirty_seq`` instead of being missed."""
    values = []
    for branch in branches:
        start, end = month_bounds(month, branch.timezone)
        values.append({"branch_id": branch.id, "month": month, "start_utc": start, "end_utc": end, "figures": {},
                       "tickets": 0, "total_cost_fen": 0, "dirty_seq": 1, "computed_seq": 0, "version": ""})
    if not values:
        return
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    with _cache_connection() as conn:
        conn.execute(dialect_insert(T).on_conflict_do_nothing(index_elements=["branch_id", "month"]), values)


def rows_for(month: date, branch_ids=None) -> dict[int, object]:
    query = select(T).where(T.c.month == month)
    if branch_ids is not None:
        query = query.where(T.c.branch_id.in_(list(branch_ids)))
    return {row.branch_id: row for row in db.session.execute(query)}


def closings_for(months, scope_keys=None, snapshots: bool = True) -> dict[tuple[int, date], StatsClosing]:
    query = select(StatsClosing).where(StatsClosing.month.in_(list(months)))
    if scope_keys is not None:
        query = query.where(StatsClosing.scope_key.in_(list(scope_keys)))
    if not snapshots:
        query = query.options(defer(StatsClosing.snapshot))
    return {(c.scope_key, c.month): c for c in db.session.scalars(query)}


def refresh_month(branch_id: int, month: date, now: datetime | None = None) -> bool:
    """Recompute one branch-month and store it. Closed months are left as they were
    (False). The aggregate is a cache: it is written in a short transaction of its own
    (see ``_cache_connection``), not as part of whatever the request is doing."""
    now = now or utcnow()
    branch = db.session.get(Branch, branch_id)
    if branch is None:
        raise ValueError(f"no branch {branch_id}")
    if closings_for([month], [branch_id]):
        return False
    _ensure_rows(month, [branch])
    key = (T.c.branch_id == branch_id) & (T.c.month == month)
    with _cache_connection() as conn:
        seq = conn.execute(select(T.c.dirty_seq).where(key)).scalar_one()
    figures, next_change = compute_figures(branch, month, now)
    start, end = month_bounds(month, branch.timezone)
    with _cache_connection() as conn:
        conn.execute(update(T).where(key).values(
            figures=figures, computed_seq=seq, computed_at=now, next_change_at=next_change, start_utc=start,
            end_utc=end, tickets=figures["tickets"]["total"], total_cost_fen=figures["costs"]["total_fen"],
            version=figures["version"]))
    return True


STAMP_COLUMNS = (T.c.branch_id, T.c.dirty_seq, T.c.computed_seq, T.c.computed_at, T.c.version, T.c.next_change_at)


def fresh_stamps(month: date, branches, now: datetime | None = None, closed=frozenset()) -> dict[int, object]:
    """The month's rows of these branches without their figures, after refreshing the stale
    ones (closed ones never): what tells whether figures read earlier are still right."""
    now = now or utcnow()
    ids = [b.id for b in branches]

    def read():
        return {row.branch_id: row for row in db.session.execute(
            select(*STAMP_COLUMNS).where(T.c.month == month, T.c.branch_id.in_(ids)))}

    stamps = read()
    todo = [b for b in branches if b.id not in closed and (b.id not in stamps or _is_stale(stamps[b.id], now))]
    for branch in todo:
        refresh_month(branch.id, month, now)
    return read() if todo else stamps


def fresh_rows(month: date, branches, now: datetime | None = None) -> dict[int, object]:
    """The month's rows of these branches with their figures, refreshing the stale ones."""
    ids = [b.id for b in branches]
    closed = {key for key, _m in closings_for([month], ids, snapshots=False)}
    fresh_stamps(month, branches, now, closed)
    return rows_for(month, ids)


def add_up(items) -> dict:
    """Branch figures added up: counts and fen add, anything else keeps the first value.
    (A hundred branches per HQ page: plain loops, no deepcopy.)"""
    def clone(value):
        return {k: clone(v) for k, v in value.items()} if isinstance(value, dict) else value

    def merge(into: dict, more: dict) -> None:
        for key, value in more.items():
            mine = into.get(key)
            if mine is None:
                into[key] = clone(value)
            elif isinstance(mine, dict):
                if isinstance(value, dict):
                    merge(mine, value)
            elif type(mine) is int and type(value) is int:
                into[key] = mine + value

    total: dict = {}
    for figures in items:
        merge(total, figures or {})
    return total


# --- derived figures (what tables and cards show) -----------------------------------------------------

def sla_rate(clock: dict) -> Decimal | None:
    return ratio(clock.get("met"), clock.get("met", 0) + clock.get("missed", 0) + clock.get("breached", 0))


RATING_KEYS = ("rating_attitude", "rating_skill", "rating_punctuality", "rating_service")


def satisfaction(callbacks: dict | None) -> Decimal | None:
    """All ratings of the month's survey cards pooled (1–5)."""
    if not callbacks:
        return None
    total = sum(callbacks.get(f"{k}_sum", 0) for k in RATING_KEYS)
    count = sum(callbacks.get(f"{k}_n", 0) for k in RATING_KEYS)
    return ratio(total, count, "0.01")


def rating(callbacks: dict | None, key: str) -> Decimal | None:
    if not callbacks:
        return None
    return ratio(callbacks.get(f"{key}_sum"), callbacks.get(f"{key}_n"), "0.01")


# --- reports: what the page shows --------------------------------------------------------------------

@dataclass
class BranchLine:
    branch: Branch
    figures: dict
    closing: StatsClosing | None = None
    computed_at: datetime | None = None


@dataclass
class Report:
    month: date
    branch: Branch | None  # None: the whole company
    figures: dict
    start_utc: datetime
    end_utc: datetime
    closing: StatsClosing | None = None
    computed_at: datetime | None = None
    lines: list[BranchLine] = field(default_factory=list)  # company: each branch
    late_edits: list = field(default_factory=list)  # (branch, ticket id, number)
    late_edit_count: int = 0
    trend: list = field(default_factory=list)  # (month, tickets, total fen)
    sections: list = field(default_factory=list)  # plugins' (title, [(label, value)])
    unclosed: list = field(default_factory=list)  # company: branches whose month is still open
    # What the figures, trend and sections were made of; equal keys draw the same tables.
    key: tuple | None = None


def service_branches():
    """The branches the company summary adds up (HQ itself runs no service)."""
    return db.session.scalars(select(Branch).where(Branch.is_hq.is_(False)).order_by(Branch.code)).all()


def late_edits(branch: Branch, month: date, closing: StatsClosing, limit: int = 50) -> tuple[int, list]:
    """Tickets of the month (opened in it, or visited in it) changed after the closing:
    the ticket itself, or anything written on its timeline."""
    start, end = month_bounds(month, branch.timezone)
    visited = select(Visit.ticket_id).where(Visit.branch_id == branch.id, Visit.scheduled_for >= start,
                                            Visit.scheduled_for < end)
    condition = and_(
        Ticket.branch_id == branch.id,
        or_(and_(Ticket.created_at >= start, Ticket.created_at < end), Ticket.id.in_(visited)),
        or_(Ticket.updated_at > closing.closed_at,
            exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.at > closing.closed_at)))
    count = db.session.scalar(select(func.count(Ticket.id)).where(condition)) or 0
    rows = db.session.execute(select(Ticket.id, Ticket.number).where(condition).order_by(Ticket.id).limit(limit)).all()
    return count, [(branch, ticket_id, number) for ticket_id, number in rows]


def _late_edits_of(branch: Branch, month: date, closing: StatsClosing | None, row) -> tuple[int, list]:
    if closing is None or row is None or row.dirty_seq <= closing.seq_at_close:
        return 0, []  # nothing committed since the closing touched this month
    return late_edits(branch, month, closing)


def _stale_condition(now: datetime):
    """``_is_stale`` in SQL, so the trend's hundreds of rows are checked without reading them."""
    return or_(T.c.computed_at.is_(None), T.c.dirty_seq > T.c.computed_seq, T.c.version != figures_version(),
               T.c.next_change_at <= now)


def _trend(month: date, branches, now: datetime) -> list:
    """Tickets and total cost of the twelve months up to ``month``: one GROUP BY over the
    aggregate rows, which also says whether any is stale or missing (usually none); only
    then are those refreshed and the sums read again."""
    months = [add_months(month, -i) for i in range(TREND_MONTHS - 1, -1, -1)]
    ids = [b.id for b in branches]
    current = today_in(branches[0].timezone).replace(day=1) if branches else month
    past = [m for m in months if m <= current]
    sums = _trend_sums(months, ids, now)
    if any(sums.get(m, (0, 0, 0, 0))[0] < len(ids) or sums[m][1] for m in past):
        _refresh_trend_rows(past, ids, now)
        sums = _trend_sums(months, ids, now)
    return [(m, *((int(sums[m][2] or 0), int(sums[m][3] or 0)) if m in sums else (0, 0))) for m in months]


def _trend_sums(months, ids, now) -> dict:
    """month → (rows, stale rows, tickets, total cost in fen)."""
    return {m: (rows, stale, tickets, cost) for m, rows, stale, tickets, cost in db.session.execute(
        select(T.c.month, func.count(), func.count().filter(_stale_condition(now)), func.sum(T.c.tickets),
               func.sum(T.c.total_cost_fen))
        .where(T.c.month.in_(months), T.c.branch_id.in_(ids)).group_by(T.c.month))}


def _refresh_trend_rows(past, ids, now) -> None:
    """Refresh the stale or missing branch-months of ``past`` (closed months stay as closed)."""
    todo = {(b, m) for b, m in db.session.execute(select(T.c.branch_id, T.c.month).where(
        T.c.month.in_(past), T.c.branch_id.in_(ids), _stale_condition(now)))}
    present = {m: n for m, n in db.session.execute(select(T.c.month, func.count()).where(
        T.c.month.in_(past), T.c.branch_id.in_(ids)).group_by(T.c.month))}
    for m in past:
        if present.get(m, 0) < len(ids):
            have = set(db.session.scalars(select(T.c.branch_id).where(T.c.month == m, T.c.branch_id.in_(ids))))
            todo |= {(b, m) for b in ids if b not in have}
    if todo:
        closed = {(b, m) for b, m in db.session.execute(select(StatsClosing.scope_key, StatsClosing.month).where(
            StatsClosing.month.in_(past), StatsClosing.scope_key.in_(ids)))}
        for branch_id, m in sorted(todo - closed, key=lambda key: (key[1], key[0])):
            refresh_month(branch_id, m, now)


def _sections(branch: Branch, month: date) -> list:
    hooks, settings = branch_hooks(branch.id)
    sections = []
    for group in hooks.portal_report_sections(month=month, branch=branch, settings=settings):
        for title, rows in group or ():
            sections.append([str(title), [[str(label), _cell(value)] for label, value in rows or ()]])
    return sections


def _cell(value):
    if isinstance(value, bool) or value is None:
        return str(value) if value is not None else ""
    if isinstance(value, (int, float)):
        return value
    return str(value)


def branch_report(branch: Branch, month: date, now: datetime | None = None) -> Report:
    now = now or utcnow()
    start, end = month_bounds(month, branch.timezone)
    closing = closings_for([month], [branch.id]).get((branch.id, month))
    row = fresh_rows(month, [branch], now).get(branch.id)
    report = Report(month=month, branch=branch, figures={}, start_utc=start, end_utc=end, closing=closing)
    if closing is not None:
        report.figures = closing.snapshot.get("figures", {})
        report.sections = closing.snapshot.get("sections", [])
        report.late_edit_count, report.late_edits = _late_edits_of(branch, month, closing, row)
    else:
        report.figures = dict(row.figures) if row is not None else {}
        report.computed_at = row.computed_at if row is not None else None
        report.sections = _sections(branch, month)
    report.trend = _trend(month, [branch], now)
    return report


# The company's figures of a month, per worker process, keyed by what they were made of
# (each branch row's computed_seq and computed_at, the closings): the HQ page then reads a
# hundred small stamps instead of a hundred JSON documents and adds nothing up again.
_COMPANY_MEMO: dict = {}
MEMO_SIZE = 6


def _company_key(month: date, ids: list[int], stamps: dict, closings: dict) -> tuple:
    return (month, figures_version(),
           tuple((b, stamps[b].computed_seq, stamps[b].computed_at) if b in stamps else (b,) for b in ids),
           tuple(sorted((scope, c.id) for (scope, _m), c in closings.items())))


def _company_figures(month: date, ids: list[int], stamps: dict, closings: dict) -> tuple[dict, dict]:
    key = _company_key(month, ids, stamps, closings)
    found = _COMPANY_MEMO.get(key)
    if found is not None:
        return found
    snapshots = {scope: snapshot for scope, snapshot in db.session.execute(
        select(StatsClosing.scope_key, StatsClosing.snapshot).where(
            StatsClosing.id.in_([c.id for c in closings.values()])))} if closings else {}
    rows = rows_for(month, [b for b in ids if b not in snapshots])
    per_branch = {b: (snapshots[b].get("figures", {}) if b in snapshots
                      else dict(rows[b].figures) if b in rows else {}) for b in ids}
    total = snapshots[COMPANY].get("figures", {}) if COMPANY in snapshots else add_up(per_branch.values())
    while len(_COMPANY_MEMO) >= MEMO_SIZE:
        _COMPANY_MEMO.pop(next(iter(_COMPANY_MEMO)))
    _COMPANY_MEMO[key] = (per_branch, total)
    return per_branch, total


def branch_figures(month: date, now: datetime | None = None) -> dict[int, dict]:
    """Each service branch's figures of a month (a closed month's as closed), through the
    same per-worker memo as the HQ statistics page: HQ's dashboard shows them too."""
    branches = service_branches()
    ids = [b.id for b in branches]
    closings = closings_for([month], ids + [COMPANY], snapshots=False)
    stamps = fresh_stamps(month, branches, now or utcnow(), {scope for scope, _m in closings})
    return _company_figures(month, ids, stamps, closings)[0]


def company_report(month: date, now: datetime | None = None, zone: str = "Asia/Shanghai") -> Report:
    now = now or utcnow()
    branches = service_branches()
    start, end = month_bounds(month, zone)
    ids = [b.id for b in branches]
    closings = closings_for([month], ids + [COMPANY], snapshots=False)
    stamps = fresh_stamps(month, branches, now, {scope for scope, _m in closings})
    per_branch, total = _company_figures(month, ids, stamps, closings)
    report = Report(month=month, branch=None, figures=total, start_utc=start, end_utc=end,
                    closing=closings.get((COMPANY, month)))
    for branch in branches:
        closing = closings.get((branch.id, month))
        stamp = stamps.get(branch.id)
        report.lines.append(BranchLine(branch, per_branch[branch.id], closing,
                                       None if closing or stamp is None else stamp.computed_at))
        if closing is None and branch.created_at < month_bounds(month, branch.timezone)[1]:
            report.unclosed.append(branch)
        count, edits = _late_edits_of(branch, month, closing, stamp)
        report.late_edit_count += count
        report.late_edits += edits
    if report.closing is None:
        computed = [line.computed_at for line in report.lines if line.computed_at]
        report.computed_at = max(computed) if computed else None
    report.trend = _trend(month, branches, now) if branches else []
    report.key = ("company", _company_key(month, ids, stamps, closings), tuple(report.trend),
                  tuple((b.id, b.code, b.name) for b in branches))
    return report


def branch_codes(branches, limit: int = 10) -> str:
    codes = [b.code for b in branches]
    return ", ".join(codes[:limit]) + (f" … (+{len(codes) - limit})" if len(codes) > limit else "")


# --- closing a month ---------------------------------------------------------------------------------

def _month_over(month: date, zone: str, now: datetime) -> bool:
    return month_bounds(month, zone)[1] <= now


def close_branch_month(branch: Branch, month: date, user: User, now: datetime | None = None) -> StatsClosing:
    """Freeze a branch's month once its figures are checked (the caller commits)."""
    now = now or utcnow()
    if not access.can("stats.close", user, branch_id=branch.id) or branch.is_hq:
        raise TicketError(_("Your role does not allow this step."))
    if not _month_over(month, branch.timezone, now):
        raise TicketError(_("A month can be closed once it is over."))
    if closings_for([month], [branch.id]):
        raise TicketError(_("This month is closed already."))
    refresh_month(branch.id, month, now)
    row = rows_for(month, [branch.id])[branch.id]
    closing = StatsClosing(scope_key=branch.id, branch_id=branch.id, month=month, closed_at=utcnow(),
                           closed_by_id=user.id, seq_at_close=row.computed_seq,
                           snapshot={"figures": row.figures, "sections": _sections(branch, month),
                                     "computed_at": row.computed_at.isoformat()})
    db.session.add(closing)
    return closing


def close_company_month(month: date, user: User, now: datetime | None = None) -> StatsClosing:
    """HQ's summary: the branches' closed figures added up, once every branch closed."""
    now = now or utcnow()
    if not (access.sees_all_branches(user) and access.can("stats.close", user)):
        raise TicketError(_("Your role does not allow this step."))
    if not _month_over(month, user.branch.timezone, now):
        raise TicketError(_("A month can be closed once it is over."))
    if closings_for([month], [COMPANY]):
        raise TicketError(_("This month is closed already."))
    report = company_report(month, now, user.branch.timezone)
    if report.unclosed:
        raise TicketError(_("Every branch closes its month first; still open: %(codes)s.",
                            codes=branch_codes(report.unclosed)))
    closing = StatsClosing(scope_key=COMPANY, branch_id=None, month=month, closed_at=utcnow(), closed_by_id=user.id,
                           seq_at_close=0, snapshot={"figures": report.figures})
    db.session.add(closing)
    return closing


# --- the reminder on the 1st -------------------------------------------------------------------------

@dataclass(frozen=True)
class Reminder:
    month: date
    due: date
    overdue: bool
    company: bool


def reminder(user: User, today: date | None = None) -> Reminder | None:
    """From the 1st until it is closed: last month's report (branch managers, due on the
    branch's ``report_due_day``) or HQ's summary (``hq_summary_due_day``)."""
    if not access.can("stats.close", user) or user.branch is None:
        return None
    branch = user.branch
    today = today or today_in(branch.timezone)
    month = add_months(today.replace(day=1), -1)
    core = settings_for(branch.id)["core"]
    company = access.sees_all_branches(user)
    if not company and branch.created_at >= month_bounds(month, branch.timezone)[1]:
        return None  # the branch did not exist yet
    if closings_for([month], [COMPANY if company else branch.id]):
        return None
    due = today.replace(day=int(core["hq_summary_due_day" if company else "report_due_day"]))
    return Reminder(month, due, today > due, company)


# --- keeping the rows fresh: which commits touch which months ----------------------------------------

# The timeline too: a note on a closed month's ticket is a late edit to list.
WATCHED = frozenset({"Ticket", "TicketEvent", "TicketPause", "Charge", "Quote", "Visit", "VisitPart", "Callback",
                     "Complaint", "ComplaintStep", "StaffRecord"})
PENDING = "portal_stats_dirty"


def _values(obj, key):
    history = sa_inspect(obj).attrs[key].history
    return [v for v in chain(history.added or (), history.unchanged or (), history.deleted or ()) if v is not None]


def _dates(obj) -> list[datetime]:
    found = []
    for attr in sa_inspect(obj).mapper.column_attrs:
        column = attr.columns[0]
        if isinstance(column.type, UTCDateTime):
            found += [v for v in _values(obj, attr.key) if isinstance(v, datetime)]
        elif isinstance(column.type, Date):  # a branch-local day: begins at most 14 h before UTC's
            found += [datetime.combine(v, time.min, tzinfo=timezone.utc) - timedelta(days=1)
                      for v in _values(obj, attr.key) if isinstance(v, date)]
    return [d if d.tzinfo else d.replace(tzinfo=timezone.utc) for d in found]


def _lookup(session, model, ids, columns) -> dict[int, tuple]:
    """Column values of rows by id: from the session when loaded, else one SELECT on the
    flush's own connection (a query through the session would flush again)."""
    found, missing = {}, []
    for id_ in ids:
        obj = session.identity_map.get(identity_key(model, (id_,)))
        if obj is not None and all(c in obj.__dict__ for c in columns):
            found[id_] = tuple(obj.__dict__[c] for c in columns)
        else:
            missing.append(id_)
    if missing:
        table = model.__table__
        for row in session.connection().execute(
                select(table.c.id, *[table.c[c] for c in columns]).where(table.c.id.in_(missing))):
            found[row[0]] = tuple(row[1:])
    return found


def _int_values(obj, key) -> list[int]:
    if key not in sa_inspect(obj).mapper.column_attrs:
        return []
    return [v for v in _values(obj, key) if isinstance(v, int)]


@event.listens_for(Session, "after_flush")
def _note_changes(session, flush_context):
    session.info[WROTE] = True
    pending = session.info.setdefault(PENDING, {})

    def mark(branch_id, when):
        if branch_id is not None:
            when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
            pending[branch_id] = min(pending.get(branch_id, when), when)

    by_ticket, by_visit, by_complaint = defaultdict(set), defaultdict(set), defaultdict(set)
    now = utcnow()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, BranchPlugin):
            if obj.plugin == "core":  # the cost rates changed: every open month of the branch
                mark(obj.branch_id, EPOCH)
            continue
        if type(obj).__name__ not in WATCHED or not type(obj).__module__.startswith("portal.core.models"):
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        branches = set(_int_values(obj, "branch_id"))
        for branch_id in branches:
            mark(branch_id, min(_dates(obj), default=now))
        for ticket_id in _int_values(obj, "ticket_id"):
            by_ticket[ticket_id] |= branches
        for visit_id in _int_values(obj, "visit_id") if isinstance(obj, VisitPart) else ():
            by_visit[visit_id].add(None)
        for complaint_id in _int_values(obj, "complaint_id"):
            by_complaint[complaint_id] |= branches
    if by_visit:
        for visit_id, (branch_id, ticket_id, scheduled) in _lookup(
                session, Visit, by_visit, ("branch_id", "ticket_id", "scheduled_for")).items():
            mark(branch_id, scheduled)
            by_ticket[ticket_id].add(branch_id)
    if by_complaint:
        from .models.complaint import Complaint

        for complaint_id, (ticket_id,) in _lookup(session, Complaint, by_complaint, ("ticket_id",)).items():
            by_ticket[ticket_id] |= by_complaint[complaint_id]
    if by_ticket:
        for ticket_id, (branch_id, created) in _lookup(session, Ticket, by_ticket, ("branch_id", "created_at")).items():
            for b in by_ticket[ticket_id] | {branch_id}:
                mark(b, created)


@event.listens_for(Session, "after_commit")
def _mark_stale(session):
    if session.get_nested_transaction() is not None:
        return  # a SAVEPOINT released: the transaction (and its locks) go on
    session.info.pop(WROTE, None)
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    try:
        with session.get_bind().begin() as conn:
            for branch_id in sorted(pending):
                conn.execute(update(T).where(T.c.branch_id == branch_id, T.c.end_utc > pending[branch_id])
                             .values(dirty_seq=T.c.dirty_seq + 1))
    except SQLAlchemyError:  # the change is committed; at worst a figure stays stale until the CLI refresh
        log.exception("could not mark monthly statistics stale for branches %s", sorted(pending))


@event.listens_for(Session, "after_rollback")
def _forget_changes(session):
    if session.get_nested_transaction() is None:  # not a SAVEPOINT: the whole transaction is gone
        session.info.pop(PENDING, None)
        session.info.pop(WROTE, None)


# --- command line ------------------------------------------------------------------------------------

stats_cli = AppGroup("stats", help="Monthly statistics: refresh the aggregates.")


@stats_cli.command("refresh")
@click.option("--month", "months", multiple=True, help="Month as YYYY-MM; repeat for several. "
                                                        "Default: this month and last month.")
@click.option("--since", default=None, help="Every month from YYYY-MM up to this month.")
@click.option("--branch", "codes", multiple=True, help="Only this branch code; repeat for several.")
@click.option("--stale-only", is_flag=True, help="Skip months whose figures are still fresh.")
def refresh_command(months, since, codes, stale_only):
    """Recompute monthly figures (closed months are left as they were)."""
    wanted = []
    for raw in months:
        month = parse_month(raw)
        if month is None:
            raise click.BadParameter(f"{raw!r} is not a month like 2026-11", param_hint="--month")
        wanted.append(month)
    query = select(Branch).where(Branch.is_hq.is_(False)).order_by(Branch.code)
    if codes:
        query = query.where(Branch.code.in_([c.upper() for c in codes]))
    branches = db.session.scalars(query).all()
    if since:
        first = parse_month(since)
        if first is None:
            raise click.BadParameter(f"{since!r} is not a month like 2026-11", param_hint="--since")
    now = utcnow()
    done = skipped = fresh = 0
    for branch in branches:
        current = today_in(branch.timezone).replace(day=1)
        todo = list(wanted)
        if since:
            todo += [add_months(first, i) for i in range(max(0, _months_between(first, current)) + 1)]
        if not todo:
            todo = [add_months(current, -1), current]
        rows = {}
        for month in sorted(set(todo)):
            if stale_only:
                rows = rows_for(month, [branch.id])
                if branch.id in rows and not _is_stale(rows[branch.id], now):
                    fresh += 1
                    continue
            if refresh_month(branch.id, month, now):
                done += 1
            else:
                skipped += 1
        db.session.expire_all()
    click.echo(f"refreshed {done} branch-months; {skipped} closed left as they were; {fresh} already fresh")


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


@hookimpl
def portal_register_blueprints(app):
    app.cli.add_command(stats_cli)
