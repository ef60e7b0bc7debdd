"""Fill a database with a realistic after-sales history at scale (issue 10, item 1).

    python -m benchmarks.generate --url sqlite:///bench/portal.sqlite3 \\
        --tickets 1000000 --customers 100000 --branches 100 [--seed 1]

The schema comes from the real Alembic migrations and the roles from
``portal.core.provisioning.sync_roles``; everything else is written in bulk with ids
computed here (SQLite: Core ``insert()`` executemany batches; PostgreSQL: COPY), never
through ORM objects, so a million tickets load in minutes and the audit trail (an ORM
flush hook) stays untouched, as for a data migration. A relative SQLite path is relative
to the current directory (not to the Flask instance folder). Every generated user's
password is ``bench-2026``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
import traceback
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from itertools import accumulate, count
from pathlib import Path
from queue import Empty, Full

from sqlalchemy import MetaData, func, insert, select, text
from sqlalchemy.engine import make_url

from portal.core.workflow import BILLABLE_HANDLING as BILLABLE
from portal.core.workflow import CORE_STATES, NATURE_DEPARTMENT, OPEN_STATES

from . import vocabulary as V

PASSWORD = "bench-2026"
ADMIN_USERNAME = "bench_admin"
BATCH_ROWS = 10_000       # rows per executemany
CHUNK = 5_000             # tickets (or customers) generated before their rows are written
COMMIT_EVERY = 1_000_000  # rows per transaction: fewer commits rewrite hot index pages less often
LOCAL_OFFSET = 8 * 3600   # every generated branch works on Asia/Shanghai time (no DST)
WORK_START, WORK_END = 9 * 3600, 18 * 3600
EPOCH = datetime(1970, 1, 1)
MIN, HOUR, DAY = 60, 3600, 86400

# Service-level targets in working minutes, as portal.core.sla derives them from the core
# defaults (24 h answer, 8/24 h on site, 7 working days of 9 h).
FIRST_ANSWER_MIN, ARRIVAL_IN_MIN, ARRIVAL_OUT_MIN, RESOLUTION_MIN = 24 * 60, 8 * 60, 24 * 60, 7 * 9 * 60

# How far along received → triaged → assigned → in_progress → resolved → closed a state is.
REACHED = {"received": 0, "triaged": 1, "assigned": 2, "in_progress": 3, "waiting_customer": 3, "resolved": 4,
           "closed": 5}
# State mix (weights in CORE_STATES order) by the ticket's age: new tickets are still
# open, old ones nearly all closed.
STATE_MIX = ((3 * DAY, (14, 12, 16, 26, 8, 12, 9, 3)),
             (30 * DAY, (1, 2, 4, 12, 6, 15, 57, 3)),
             (None, (0.02, 0.05, 0.1, 0.5, 0.35, 1.0, 93.98, 4.0)))
KINDS = (("repair", 68), ("complaint", 8), ("consultation", 8), ("installation", 6), ("return_exchange", 6),
         ("suggestion", 2), ("callback", 2))
CHANNELS = (("phone", 48), ("hotline", 15), ("visit", 15), ("web", 11), ("email", 5), ("letter", 3),
            ("mailbox", 3))
PRIORITIES = (("normal", 70), ("high", 15), ("low", 10), ("urgent", 5))
REPAIR_HANDLING = {
    "retail_store": (("phone_guidance", 20), ("parts_sent", 10), ("on_site", 2), ("taken_for_repair", 60),
                     ("sent_to_hq", 8)),
    "equipment_field": (("phone_guidance", 25), ("parts_sent", 15), ("on_site", 55), ("taken_for_repair", 3),
                        ("sent_to_hq", 2)),
    "auto_workshop": (("phone_guidance", 10), ("parts_sent", 5), ("on_site", 10), ("taken_for_repair", 75)),
    "real_estate": (("phone_guidance", 20), ("on_site", 80)),
}
OTHER_HANDLING = {
    "installation": (("on_site", 1),),
    "return_exchange": (("taken_for_repair", 60), ("parts_sent", 40)),
    "complaint": (("phone_guidance", 85), ("on_site", 15)),
}
NATURES = {
    "complaint": (("staff_attitude", 50), ("product_quality", 25), ("contract_dispute", 15), ("other", 10)),
    "goods": (("product_quality", 80), ("packaging_transport", 8), ("other", 12)),
    "talk": (("other", 1),),
}
WITH_PRODUCT = frozenset(("repair", "installation", "return_exchange", "complaint"))


def weighted(pairs):
    """(items, cumulative weights) for a fast ``pick``."""
    pairs = list(pairs)
    items = tuple(p[0] for p in pairs)
    return items, tuple(accumulate(p[1] for p in pairs))


# --- time -----------------------------------------------------------------------------------------

def as_datetime(seconds: int) -> datetime:
    """Naive UTC, as the portal's UTCDateTime columns store it."""
    return EPOCH + timedelta(seconds=seconds)


def add_working(start: int, minutes: int) -> int:
    """``start`` plus working minutes on a Mon–Fri 9:00–18:00 Shanghai calendar without
    holidays (the generated branches' calendar): what the portal's
    WorkingCalendar.add_working_time gives for it (checked), about ten times faster."""
    return _add_working_seconds(start, minutes * 60)


def _add_working_seconds(start: int, remaining: int) -> int:
    day, sec = divmod(start + LOCAL_OFFSET, DAY)
    while True:
        if (day + 3) % 7 < 5:  # 1970-01-01 was a Thursday
            if sec < WORK_START:
                sec = WORK_START
            if sec < WORK_END:
                available = WORK_END - sec
                if remaining <= available:
                    return day * DAY + sec + remaining - LOCAL_OFFSET
                remaining -= available
        day += 1
        sec = 0


def working_seconds(begin: int, end: int) -> int:
    """Working time in [begin, end) on the same calendar."""
    total = 0
    day, sec = divmod(begin + LOCAL_OFFSET, DAY)
    last_day, last_sec = divmod(end + LOCAL_OFFSET, DAY)
    while day <= last_day:
        if (day + 3) % 7 < 5:
            opens, closes = max(sec, WORK_START), min(WORK_END, last_sec if day == last_day else DAY)
            total += max(0, closes - opens)
        day += 1
        sec = 0
    return total


def due_time(start: int, minutes: int, pause: tuple[int, int | None] | None) -> int | None:
    """A clock's due time as portal.core.sla computes it: working time inside the pause
    does not count, and a clock still inside an open pause has no due time."""
    plain = add_working(start, minutes)
    if pause is None or plain <= pause[0]:
        return plain
    if pause[1] is None:
        return None
    return _add_working_seconds(start, minutes * 60 + working_seconds(*pause))


def squeeze(times: dict[str, int], origin: int, last: int, limit: int) -> dict[str, int]:
    """Scale a ticket's step times towards its opening so that ``last`` falls on ``limit``;
    the order of the steps stays."""
    factor = (limit - origin) / (last - origin)
    return {k: origin + int((v - origin) * factor) for k, v in times.items()}


def absolute_sqlite(url: str) -> str:
    """Flask-SQLAlchemy reads a relative SQLite path against the instance folder; people
    typing ``sqlite:///bench/x.sqlite3`` mean the current directory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    path = Path(parsed.database)
    if not path.is_absolute():
        path = Path.cwd() / path
    return parsed.set(database=str(path)).render_as_string(hide_password=False)


class SqliteValues:
    """Values in the form SQLAlchemy's SQLite dialect stores them, computed directly:
    per-row bind processing would cost more than generating the data."""

    def __init__(self):
        self._days: dict[int, tuple[str, int]] = {}
        self._seconds = [f"{s // HOUR:02d}:{s // MIN % 60:02d}:{s % 60:02d}.000000" for s in range(DAY)]

    def _day(self, day: int) -> tuple[str, int]:
        known = self._days.get(day)
        if known is None:
            d = date.fromordinal(day + 719163)  # 719163 = date(1970, 1, 1).toordinal()
            known = self._days[day] = (d.isoformat() + " ", d.year)
        return known

    def dt(self, seconds: int) -> str:
        day, rest = divmod(seconds, DAY)
        known = self._days.get(day) or self._day(day)
        return known[0] + self._seconds[rest]

    def year(self, seconds: int) -> int:
        return self._day(seconds // DAY)[1]

    def day(self, value: date) -> str:
        return value.isoformat()

    def clock(self, value: clock) -> str:
        return f"{value:%H:%M:%S}.000000"

    def money(self, value: Decimal) -> float:
        return float(value)  # SQLite has no decimal type; SQLAlchemy stores floats too


class PostgresValues(SqliteValues):
    def dt(self, seconds: int) -> datetime:
        return EPOCH + timedelta(seconds=seconds)

    def day(self, value: date) -> date:
        return value

    def clock(self, value: clock) -> clock:
        return value

    def money(self, value: Decimal) -> Decimal:
        return value


def jsonify(value) -> str:
    return json.dumps(value)


_TRANSITIONS: dict[tuple, str] = {}


def transition_data(step: str, source: str, target: str) -> str:
    key = (step, source, target)
    if key not in _TRANSITIONS:
        _TRANSITIONS[key] = jsonify({"step": step, "from": source, "to": target})
    return _TRANSITIONS[key]


# --- progress on stderr ---------------------------------------------------------------------------

class Progress:
    def __init__(self, stream=sys.stderr, quiet: bool = False):
        self.stream, self.quiet = stream, quiet
        self.tty = getattr(stream, "isatty", lambda: False)()

    def start(self, phase: str, total: int) -> None:
        self.phase, self.total, self.done, self.rows = phase, total, 0, 0
        self.began = self.last = time.monotonic()

    def advance(self, units: int, rows: int) -> None:
        self.done += units
        self.rows += rows
        now = time.monotonic()
        if now - self.last >= (1.0 if self.tty else 5.0) and self.done < self.total:
            self.last = now
            self._show(now)

    def _show(self, now: float, end: str = "") -> None:
        if self.quiet:
            return
        spent = max(now - self.began, 1e-6)
        share = self.done / self.total if self.total else 1.0
        eta = spent / share - spent if share else 0.0
        line = (f"[{self.phase}] {self.done:,}/{self.total:,} ({share:5.1%}) · {self.rows / spent:,.0f} rows/s"
                f" · {spent:,.0f}s spent · ETA {eta:,.0f}s")
        self.stream.write(("\r" + line + " " * 4 + end) if self.tty else line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        self._show(time.monotonic(), end="\n" if self.tty else "")

    def note(self, message: str) -> None:
        if not self.quiet:
            self.stream.write(message + "\n")
            self.stream.flush()


# --- writing rows ---------------------------------------------------------------------------------

class Loader:
    """Writes a chunk of rows parents first (PostgreSQL checks foreign keys at once) and
    commits every ``COMMIT_EVERY`` rows. Values arrive ready for the driver (see
    SqliteValues).

    SQLite: each table's Core ``insert()``, compiled once, as executemany batches of
    ``BATCH_ROWS``. PostgreSQL: ``COPY ... FROM STDIN`` through psycopg, because executemany
    (one round of bind/execute per row) measured about five times slower there
    (~9 000 vs ~50 000 rows/s on this machine)."""

    def __init__(self, conn, metadata: MetaData):
        self.conn = conn
        tables = metadata.sorted_tables
        self.order = [t.name for t in tables]
        self.columns = {t.name: set(t.c.keys()) for t in tables}
        self.column_order = {t.name: list(t.c.keys()) for t in tables}
        self.copy = conn.dialect.name == "postgresql"
        quote = conn.dialect.identifier_preparer.quote
        self.copy_sql = {t.name: f"COPY {quote(t.name)} ({', '.join(quote(c) for c in t.c.keys())}) FROM STDIN"
                         for t in tables}
        dialect = conn.dialect
        if dialect.name == "sqlite":  # dict rows need named parameters
            dialect = type(dialect)(paramstyle="named")
        self.sql = {t.name: str(insert(t).compile(dialect=dialect)) for t in tables}
        self.counts: Counter = Counter()
        self.checked: set[str] = set()
        self.uncommitted = 0

    def _check(self, name: str, row: dict) -> None:
        """The generator writes every column explicitly; say so clearly when a model
        gained or lost one."""
        expected, given = self.columns[name], set(row)
        if expected != given:
            raise SystemExit(f"benchmarks.generate is out of date for table {name}: "
                             f"columns not generated {sorted(expected - given)}, unknown {sorted(given - expected)}")
        self.checked.add(name)

    def write(self, rows_by_table: dict[str, list]) -> int:
        written = 0
        for name in self.order:
            rows = rows_by_table.get(name)
            if not rows:
                continue
            if name not in self.checked:
                self._check(name, rows[0])
            if self.copy:
                self._copy(name, rows)
            else:
                for i in range(0, len(rows), BATCH_ROWS):
                    self.conn.exec_driver_sql(self.sql[name], rows[i:i + BATCH_ROWS])
            written += len(rows)
            self.counts[name] += len(rows)
        self.uncommitted += written
        if self.uncommitted >= COMMIT_EVERY:
            self.commit()
        return written

    def _copy(self, name: str, rows: list[dict]) -> None:
        columns = self.column_order[name]
        with self.conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(self.copy_sql[name]) as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])

    def commit(self) -> None:
        self.conn.commit()
        self.uncommitted = 0


class Rows:
    """Rows generated and not yet handed to the writer, by table."""

    def __init__(self):
        self.by_table: dict[str, list] = {}

    def add(self, table: str, row: dict) -> None:
        bucket = self.by_table.get(table)
        if bucket is None:
            bucket = self.by_table[table] = []
        bucket.append(row)

    def take(self) -> dict[str, list]:
        taken, self.by_table = self.by_table, {}
        return taken


# --- the world --------------------------------------------------------------------------------------

@dataclass
class BranchInfo:
    id: int
    code: str
    industry: str
    province: str
    city: str
    manager: int = 0
    clerks: list[int] = field(default_factory=list)
    engineers: list[int] = field(default_factory=list)


@dataclass
class Plan:
    tickets: int
    customers: int
    branches: int
    seed: int = 1
    months: int = 24


class Generator:
    """Produces the rows as chunks ``(phase, phase total, units done, rows by table)``;
    it never touches the database, so it can run in a process of its own."""

    def __init__(self, plan: Plan, values: SqliteValues, role_ids: dict[str, int], plugin_settings: dict[str, dict],
                 password_hash: str, now: int | None = None):
        self.plan, self.out, self.v, self.dt = plan, Rows(), values, values.dt
        self.role_ids, self.plugin_settings, self.password_hash = role_ids, plugin_settings, password_hash
        self.rng = random.Random(plan.seed)
        self.now = now if now is not None else int(time.time()) // 60 * 60
        self.start = self.now - round(plan.months * 365.25 / 12) * DAY
        self.branches: dict[int, BranchInfo] = {}
        self.users: dict[int, tuple[str, str]] = {}  # id -> (username, full name)
        self.sequences: Counter = Counter()  # (branch id, year, series) -> last value
        self.ids = {name: count(1) for name in (
            "ticket_event", "ticket_assignment", "ticket_pause", "sla_escalation", "visit", "visit_part", "quote",
            "charge", "repair_receipt", "customer_contact", "customer_address", "product", "callback", "complaint",
            "complaint_step")}

    # -- helpers -------------------------------------------------------------------------------------
    def pick(self, table):
        items, cumulative = table
        return items[bisect(cumulative, self.rng.random() * cumulative[-1])]

    def person(self) -> str:
        return self.rng.choice(V.SURNAMES) + self.rng.choice(V.GIVEN)

    def next_id(self, table: str) -> int:
        return next(self.ids[table])

    def number(self, branch: BranchInfo, when: int, series: str = "T") -> str:
        """As portal.core.tickets.next_number: per branch, UTC year and series."""
        year = self.v.year(when)
        key = (branch.id, year, series)
        self.sequences[key] += 1
        value = self.sequences[key]
        return f"{branch.code}-{year}-{value:06d}" if series == "T" else f"{branch.code}-{series}{year}-{value:05d}"

    # -- organisation --------------------------------------------------------------------------------
    def chunks(self):
        yield from self.organisation()
        yield from self.customers()
        yield from self.tickets()

    @staticmethod
    def branch_code(k: int) -> str:
        """Branch k (1-based): province code and a serial, SH01, BJ01, ..., SH02, ..."""
        return f"{V.PROVINCES[(k - 1) % len(V.PROVINCES)][1]}{(k - 1) // len(V.PROVINCES) + 1:02d}"

    def organisation(self):
        founded = self.dt(self.start - 400 * DAY)
        common = dict(timezone="Asia/Shanghai", active=True, working_weekdays=jsonify([1, 2, 3, 4, 5]),
                      work_start=self.v.clock(clock(9, 0)), work_end=self.v.clock(clock(18, 0)),
                      created_at=founded, updated_at=founded, version=1)
        self.out.add("branch", dict(id=1, code="HQ", name="总部售后服务中心", is_hq=True, province="上海",
                                    region="华东", address="上海市黄浦区中山东一路1号", phone="021-60000000",
                                    **common))
        self.add_user(1, ADMIN_USERNAME, "总部管理员", "hq_admin", founded)
        user_id = 2
        for k in range(1, self.plan.branches + 1):
            province, _abbr, city, region = V.PROVINCES[(k - 1) % len(V.PROVINCES)]
            serial = (k - 1) // len(V.PROVINCES) + 1
            industry = V.INDUSTRIES[(k - 1) % len(V.INDUSTRIES)]
            branch = BranchInfo(id=k + 1, code=self.branch_code(k), industry=industry, province=province, city=city)
            self.branches[branch.id] = branch
            name = f"{city}{V.BRANCH_SUFFIX[industry]}" + (f"{serial}号" if serial > 1 else "")
            self.out.add("branch", dict(id=branch.id, code=branch.code, name=name, is_hq=False, province=province,
                                        region=region, address=f"{city}市{self.rng.choice(V.STREETS)}{k * 7}号",
                                        phone=f"0{k + 10}-{6000_0000 + k}", **common))
            self.out.add("branch_plugin", dict(id=k, branch_id=branch.id, plugin=industry, enabled=True,
                                               settings=jsonify(self.plugin_settings[industry]), created_at=founded,
                                               updated_at=founded, version=1))
            prefix = branch.code.lower()
            branch.manager = self.add_user(user_id, f"{prefix}_manager", f"{name}店长", "branch_manager", founded,
                                           branch.id)
            user_id += 1
            for n in (1, 2):
                branch.clerks.append(self.add_user(user_id, f"{prefix}_clerk{n}", self.person(), "clerk", founded,
                                                   branch.id))
                user_id += 1
            for n in (1, 2, 3):
                branch.engineers.append(self.add_user(user_id, f"{prefix}_engineer{n}", self.person(), "engineer",
                                                      founded, branch.id))
                user_id += 1
        yield "organisation", 1, 1, self.out.take()

    def add_user(self, user_id: int, username: str, full_name: str, role: str, when,
                 branch_id: int = 1) -> int:
        self.users[user_id] = (username, full_name)
        self.out.add("user", dict(
            id=user_id, username=username, full_name=full_name, phone=f"137{user_id:08d}", email="",
            password_hash=self.password_hash, branch_id=branch_id, active=True, locale=None, failed_logins=0,
            locked_until=None, last_login_at=None, created_at=when, updated_at=when, version=1))
        self.out.add("user_role", dict(user_id=user_id, role_id=self.role_ids[role]))
        return user_id

    # -- customer files ------------------------------------------------------------------------------
    def customers(self):
        """Customer files sorted by creation time, so a ticket can pick a customer that
        already existed when it was opened."""
        from portal.core.warranty import warranty_end

        rng, total = self.rng, self.plan.customers
        first = self.start - 365 * DAY
        times = sorted(rng.randrange(first, self.now - HOUR) for _ in range(total))
        times[0] = first
        ids = list(self.branches)
        weights = [rng.lognormvariate(0, 0.45) for _ in ids]
        self.cust_time = times
        self.cust_branch = rng.choices(ids, weights=weights, k=total)
        self.cust_name: list[str] = []
        self.cust_out: list[bool] = []
        self.cust_first_product: list[int] = []
        self.cust_products: list[int] = []
        self.product_end: list[int] = [0]  # by product id: warranty end as a date ordinal
        self.product_name: list[str] = [""]
        for i in range(total):
            cid = i + 1
            branch = self.branches[self.cust_branch[i]]
            created = self.dt(times[i])
            created_day = date.fromordinal(times[i] // DAY + 719163)
            company = rng.random() < 0.2
            province, city = branch.province, branch.city
            out_of_province = rng.random() < 0.08
            if out_of_province:
                province, _abbr, city, _region = rng.choice(V.PROVINCES)
                out_of_province = province != branch.province
            name = (f"{city}{self.person()}{rng.choice(V.COMPANY_WORDS)}有限公司" if company else self.person())
            self.cust_name.append(name)
            self.cust_out.append(out_of_province)
            self.out.add("customer", dict(
                id=cid, branch_id=branch.id, kind="company" if company else "person", name=name,
                phone=f"{('138', '139', '150', '186', '177')[cid % 5]}{(cid * 7919 + 12345) % 10**8:08d}",
                email="", province=province, city=city,
                address=f"{city}市{rng.choice(V.STREETS)}{rng.randint(1, 999)}号", notes="",
                created_by_id=rng.choice(branch.clerks), created_at=created, updated_at=created, deleted_at=None,
                version=1))
            if company or rng.random() < 0.15:
                for _n in range(1 + (company and rng.random() < 0.4)):
                    self.out.add("customer_contact", dict(
                        id=self.next_id("customer_contact"), customer_id=cid, name=self.person(),
                        title=rng.choice(V.CONTACT_TITLES), phone=f"139{rng.randrange(10**8):08d}", email=""))
            if company:
                self.out.add("customer_address", dict(
                    id=self.next_id("customer_address"), customer_id=cid, label="工厂", province=province, city=city,
                    line=f"{city}市开发区{rng.choice(V.STREETS)}{rng.randint(1, 300)}号"))
            products = 1 + (rng.random() < 0.45) + (rng.random() < 0.1)
            self.cust_first_product.append(len(self.product_end))
            self.cust_products.append(products)
            for _n in range(products):
                pid = self.next_id("product")
                product_name, model = rng.choice(V.PRODUCTS[branch.industry])
                bought = created_day - timedelta(days=rng.randrange(0, 90))
                delivered = bought + timedelta(days=rng.randrange(0, 20) if branch.industry == "equipment_field" else 0)
                end = warranty_end(delivered, V.WARRANTY_MONTHS[branch.industry])
                self.product_end.append(end.toordinal())
                self.product_name.append(f"{product_name} {model}")
                self.out.add("product", dict(
                    id=pid, branch_id=branch.id, customer_id=cid, name=product_name, model=model,
                    serial_number=f"{branch.code}{bought:%y%m}{pid:07d}", purchase_date=self.v.day(bought),
                    invoice_number=f"FP{pid:08d}", warranty_card_number=f"BK{pid:07d}",
                    delivered_on=self.v.day(delivered), warranty_end=self.v.day(end), created_at=created,
                    updated_at=created, deleted_at=None, version=1))
            if cid % CHUNK == 0 or cid == total:
                yield "customers", total, cid - (cid - 1) // CHUNK * CHUNK, self.out.take()

    # -- tickets ---------------------------------------------------------------------------------------
    def ticket_times(self) -> list[int]:
        """Opening times over the months, growing by half over the period, quieter at
        weekends, within local 8:00–20:00; sorted, so ids and numbers follow time."""
        rng = self.rng
        first_day = (self.start + LOCAL_OFFSET) // DAY
        days = (self.now + LOCAL_OFFSET) // DAY - first_day + 1
        weights = [(0.75 + 0.5 * d / days) * (0.55 if (first_day + d + 3) % 7 >= 5 else 1.0) for d in range(days)]
        chosen = rng.choices(range(days), cum_weights=list(accumulate(weights)), k=self.plan.tickets)
        latest = self.now - 10 * MIN
        times = [min(latest, (first_day + d) * DAY - LOCAL_OFFSET + rng.randrange(8 * HOUR, 20 * HOUR))
                 for d in chosen]
        times.sort()
        return times

    def tickets(self):
        total = self.plan.tickets
        times = self.ticket_times()
        # The newest tickets walk through every state, so even a tiny run has them all.
        first_forced = total - len(CORE_STATES)
        forced = {first_forced + i: s for i, s in enumerate(CORE_STATES) if first_forced + i >= 0}
        tables = self._ticket_tables()
        for j, opened in enumerate(times):
            self.ticket(j + 1, opened, forced.get(j), tables)
            if (j + 1) % CHUNK == 0:
                yield "tickets", total, CHUNK, self.out.take()
        self.sequences_table()  # after the last ticket: the portal numbers on from here
        yield "tickets", total, total % CHUNK, self.out.take()

    def _ticket_tables(self):
        return dict(
            kinds=weighted(KINDS), channels=weighted(CHANNELS), priorities=weighted(PRIORITIES),
            mix=[(age, weighted(zip(CORE_STATES, w))) for age, w in STATE_MIX],
            repair={k: weighted(v) for k, v in REPAIR_HANDLING.items()},
            other={k: weighted(v) for k, v in OTHER_HANDLING.items()},
            natures={k: weighted(v) for k, v in NATURES.items()},
        )

    def state_for(self, age: int, tables) -> str:
        for limit, mix in tables["mix"]:
            if limit is None or age < limit:
                return self.pick(mix)
        raise AssertionError("unreachable")

    def ticket(self, tid: int, t0: int, forced: str | None, tables) -> None:  # noqa: C901 - one story
        rng, rand, add = self.rng, self.rng.random, self.out.add
        cust = int(rand() * bisect(self.cust_time, t0))
        branch = self.branches[self.cust_branch[cust]]
        bid, industry = branch.id, branch.industry
        kind = self.pick(tables["kinds"])
        state = forced or self.state_for(self.now - t0, tables)
        product_id = None
        if kind in WITH_PRODUCT and rand() < 0.92:
            product_id = self.cust_first_product[cust] + int(rand() * self.cust_products[cust])
        if kind == "repair":
            handling = self.pick(tables["repair"][industry])
            title = rng.choice(V.FAULTS[industry])
        else:
            handling = self.pick(tables["other"][kind]) if kind in tables["other"] else "phone_guidance"
            title = rng.choice(V.OTHER_TITLES[kind])
        if product_id:
            title = f"{self.product_name[product_id].split(' ')[0]}{title}"
        nature = self.pick(tables["natures"]["complaint" if kind == "complaint" else
                                            "goods" if kind in WITH_PRODUCT else "talk"])
        out_of_province = self.cust_out[cust]
        clerk, engineer = rng.choice(branch.clerks), rng.choice(branch.engineers)

        if state == "cancelled":
            reached = self.pick(((0, 1, 2, 3), (40, 65, 85, 100)))
        else:
            reached = REACHED[state]
        # warranty as decided at triage, on the local day the ticket was opened
        local_day = date.fromordinal((t0 + LOCAL_OFFSET) // DAY + 719163)
        exclusion = kind == "repair" and rand() < 0.03
        if product_id is None:
            free, warranty_reason = False, "no_product"
        elif local_day.toordinal() > self.product_end[product_id]:
            free, warranty_reason = False, "expired"
        elif exclusion:
            free, warranty_reason = False, "excluded"
        else:
            free, warranty_reason = True, "in_warranty"
        paid = not free and handling in BILLABLE
        on_site = handling == "on_site"

        # -- the story in time, step after step -----------------------------------------------------
        fa_due = add_working(t0, FIRST_ANSWER_MIN)
        res_due = add_working(t0, RESOLUTION_MIN)
        arr_due = add_working(t0, ARRIVAL_OUT_MIN if out_of_province else ARRIVAL_IN_MIN) if on_site else None
        T: dict[str, int] = {}
        cur = t0
        if reached >= 1:
            late = rand() < 0.06
            cur = T["triage"] = (fa_due + rng.randrange(30 * MIN, 2 * DAY) if late
                                 else t0 + rng.randrange(5 * MIN, 6 * HOUR))
        if reached >= 2:
            cur = T["assign"] = cur + rng.randrange(5 * MIN, 4 * HOUR)
        handover = reached >= 3 and rand() < 0.04  # a substitute takes over after the start
        quote = paid and reached >= 2 and (reached >= 3 or state == "cancelled" or rand() < 0.5)
        declined = quote and state == "cancelled" and reached == 2 and rand() < 0.5
        pending = quote and state == "assigned" and rand() < 0.5  # the customer has not answered yet
        if quote:
            cur = T["quote"] = cur + rng.randrange(10 * MIN, 4 * HOUR)
            if not pending:
                cur = T["quote_decided"] = T["quote"] + rng.randrange(1 * HOUR, 2 * DAY)
        visit_state = None
        if reached >= 3:
            cur = T["start"] = cur + rng.randrange(10 * MIN, 24 * HOUR)
            if handover:
                cur = T["handover"] = cur + rng.randrange(HOUR, DAY)
            if on_site:
                T["scheduled_made"] = cur + rng.randrange(5 * MIN, HOUR)
                if reached >= 4:
                    visit_state = "finished"
                elif state == "cancelled":
                    visit_state = "cancelled"
                else:
                    visit_state = self.pick((("scheduled", "departed", "arrived", "finished"), (30, 40, 75, 100)))
                if visit_state in ("departed", "arrived", "finished"):
                    if rand() < 0.10:  # late on site
                        arrive = max(arr_due, cur) + rng.randrange(HOUR, DAY)
                    else:
                        arrive = cur + rng.randrange(HOUR, 6 * HOUR)
                        target = arr_due - rng.randrange(5 * MIN, HOUR)
                        if arrive > target > T.get("triage", t0) + HOUR:
                            # in time: everything so far happened faster than drawn
                            T = squeeze(T, t0, arrive, target)
                            arrive, cur = target, max(T.values())
                    T["departed"] = max(T["scheduled_made"] + MIN, arrive - rng.randrange(20 * MIN, 2 * HOUR))
                    arrive = max(arrive, T["departed"] + 10 * MIN)
                    T["scheduled_for"] = max(T["scheduled_made"] + MIN, arrive - rng.randrange(0, HOUR))
                    cur = T["departed"]
                    if visit_state != "departed":
                        cur = T["arrived"] = arrive
                    if visit_state == "finished":
                        cur = T["finished"] = arrive + rng.randrange(HOUR, 5 * HOUR)
                else:
                    T["scheduled_for"] = T["scheduled_made"] + rng.randrange(2 * HOUR, 2 * DAY)
            if handling in ("taken_for_repair", "sent_to_hq"):
                cur = T["taken_in"] = cur + rng.randrange(5 * MIN, 2 * HOUR)
            if state == "waiting_customer" or (reached >= 3 and state != "cancelled" and rand() < 0.12):
                cur = T["wait"] = cur + rng.randrange(HOUR, 2 * DAY)
                if state != "waiting_customer":
                    cur = T["resume"] = T["wait"] + rng.randrange(2 * HOUR, 5 * DAY)
        paused = (T["resume"] - T["wait"]) if "resume" in T else 0
        if reached >= 4:
            due = res_due + paused
            if rand() < 0.12 or due <= cur + HOUR:
                T["resolve"] = max(cur, due) + rng.randrange(2 * HOUR, 10 * DAY)
            else:
                T["resolve"] = cur + rng.randrange(30 * MIN, int(HOUR + (due - cur) * 0.9))
            cur = T["resolve"]
            if "taken_in" in T:
                cur = T["returned"] = cur + rng.randrange(HOUR, 2 * DAY)
            if quote:
                cur = T["charge"] = cur + rng.randrange(10 * MIN, DAY)
        if reached >= 5:
            T["close"] = cur + rng.randrange(HOUR, 4 * DAY)
        if state == "cancelled":
            T["cancel"] = cur + rng.randrange(10 * MIN, 3 * DAY)
        # A story that would end in the future happened faster, by now.
        last = max(T.values(), default=t0)
        if last > self.now - MIN:
            T = squeeze(T, t0, last, self.now - MIN)

        # -- clocks, as the portal computes them from the final times ---------------------------------
        answered, arrived, resolved = T.get("triage"), T.get("arrived"), T.get("resolve")
        closed_at = T.get("close") or T.get("cancel")
        pause = (T["wait"], T.get("resume")) if "wait" in T else None
        arrival_target = ARRIVAL_OUT_MIN if out_of_province else ARRIVAL_IN_MIN
        first_answer_due = due_time(t0, FIRST_ANSWER_MIN, pause)
        resolution_due = due_time(t0, RESOLUTION_MIN, pause)
        arrival_due = due_time(t0, arrival_target, pause) if on_site and reached >= 3 else None
        dues = {"first_answer": (first_answer_due, answered), "arrival": (arrival_due, arrived),
                "resolution": (resolution_due, resolved)}
        is_open = state in OPEN_STATES
        running = [d for d, stop in dues.values() if is_open and stop is None and d is not None]
        next_due = min(running) if running else None
        level = 0
        for clock_name, (due_at, stop) in dues.items():
            if due_at is None or (stop is None and not is_open):
                continue
            end = stop if stop is not None else self.now
            if end <= due_at:
                continue
            late_by = end - due_at
            steps = 1 + (late_by > 4 * HOUR) + (late_by > DAY)
            level = max(level, steps)
            for lvl, after in zip((1, 2, 3)[:steps], (0, 4 * HOUR, DAY)):
                add("sla_escalation", dict(id=self.next_id("sla_escalation"), ticket_id=tid, branch_id=bid,
                                           clock=clock_name, level=lvl, at=self.dt(min(end, due_at + after + MIN)),
                                           due_at=self.dt(due_at)))
        breached = level > 0

        holder = engineer if reached >= 2 else None
        if handover:
            holder = rng.choice([e for e in branch.engineers if e != engineer] or [engineer])
        solution = ""
        if reached >= 4:
            solution = V.APOLOGY if kind in ("complaint", "suggestion") else rng.choice(V.SOLUTIONS)
        customer_name = self.cust_name[cust]
        events = []  # (at, user, kind, body, data)
        title_text = title[:200]
        channel = self.pick(tables["channels"])
        events.append((t0, clerk, "created", title_text, {"ticket_kind": kind, "channel": channel}))

        def step(name, source, target, when, user, body=""):
            events.append((when, user, "transition", body, transition_data(name, source, target)))

        if "triage" in T:
            step("triage", "received", "triaged", T["triage"], clerk)
        if "assign" in T:
            events.append((T["assign"], clerk, "assignment", "", {"to": self.users[engineer][0],
                                                                  "to_name": self.users[engineer][1]}))
            step("assign", "triaged", "assigned", T["assign"], clerk)
            self.assignments(tid, engineer, holder, clerk, T, events)
        total = self.quote(tid, bid, clerk, on_site, declined, T, events) if quote else None
        if "start" in T:
            step("start", "assigned", "in_progress", T["start"], engineer)
        if visit_state:
            self.visit(tid, bid, branch, holder, clerk, visit_state, customer_name, paid, T, events)
        if "taken_in" in T:
            self.receipt(tid, branch, clerk, handling, state, customer_name, product_id, T, events)
        if "wait" in T:
            step("wait", "in_progress", "waiting_customer", T["wait"], holder, rng.choice(V.WAIT_REASONS))
            add("ticket_pause", dict(id=self.next_id("ticket_pause"), ticket_id=tid,
                                     started_at=self.dt(T["wait"]),
                                     ended_at=self.dt(T["resume"]) if "resume" in T else None))
            if "resume" in T:
                step("resume", "waiting_customer", "in_progress", T["resume"], holder)
        if "resolve" in T:
            step("resolve", "in_progress", "resolved", T["resolve"], holder, solution)
        if "charge" in T:
            self.charge(tid, bid, clerk, total, T["charge"], events)
        if "close" in T:
            step("close", "resolved", "closed", T["close"], clerk)
        if "cancel" in T:
            source = ("received", "triaged", "assigned", "in_progress")[reached]
            step("cancel", source, "cancelled", T["cancel"], branch.manager,
                 "客户不接受报价" if declined else rng.choice(V.CANCEL_REASONS))
        events.sort(key=lambda e: e[0])
        for when, user, ev_kind, body, data in events:
            add("ticket_event", dict(id=self.next_id("ticket_event"), ticket_id=tid, branch_id=bid,
                                     at=self.dt(when), user_id=user, kind=ev_kind, body=body,
                                     data=data if isinstance(data, str) else jsonify(data)))
        self.callbacks_and_complaints(tid, bid, kind, state, T, cust, product_id, clerk, branch.manager, customer_name)

        add("ticket", dict(
            id=tid, branch_id=bid, number=self.number(branch, t0), kind=kind, channel=channel,
            priority=self.pick(tables["priorities"]), state=state, handling=handling if reached >= 3 else None,
            nature=nature if reached >= 1 else None,
            department=NATURE_DEPARTMENT[nature] if reached >= 1 else None,
            title=title_text, description=f"客户来电：{title_text}，请尽快处理。", solution=solution, extra="{}",
            customer_id=cust + 1, product_id=product_id, assignee_id=holder, created_by_id=clerk,
            warranty_free=free if reached >= 1 else None, warranty_reason=warranty_reason if reached >= 1 else None,
            exclusions='["misuse"]' if exclusion and reached >= 1 else "[]",
            first_answer_target_min=FIRST_ANSWER_MIN,
            arrival_target_min=arrival_target,
            resolution_target_min=RESOLUTION_MIN, promised_arrival_at=None, out_of_province=out_of_province,
            arrival_required=on_site and reached >= 3,
            first_answer_due=self.dt(first_answer_due) if first_answer_due is not None else None,
            arrival_due=self.dt(arrival_due) if arrival_due is not None else None,
            resolution_due=self.dt(resolution_due) if resolution_due is not None else None,
            first_answered_at=self.dt(answered) if answered else None,
            arrived_at=self.dt(arrived) if arrived else None,
            resolved_at=self.dt(resolved) if resolved else None,
            closed_at=self.dt(closed_at) if closed_at else None,
            paused_since=self.dt(T["wait"]) if state == "waiting_customer" else None,
            sla_next_due_at=self.dt(next_due) if next_due is not None else None,
            sla_breached=breached, escalation_level=level,
            created_at=self.dt(t0), updated_at=self.dt(events[-1][0]), deleted_at=None,
            version=len(events)))

    def assignments(self, tid, engineer, holder, clerk, T, events) -> None:
        add = self.out.add
        handover = T.get("handover")
        add("ticket_assignment", dict(id=self.next_id("ticket_assignment"), ticket_id=tid, user_id=engineer,
                                      assigned_by_id=clerk, since=self.dt(T["assign"]),
                                      until=self.dt(handover) if handover else None, reason=""))
        if handover:
            add("ticket_assignment", dict(id=self.next_id("ticket_assignment"), ticket_id=tid, user_id=holder,
                                          assigned_by_id=clerk, since=self.dt(handover), until=None,
                                          reason="原工程师休假，代班处理"))
            events.append((handover, clerk, "assignment", "原工程师休假，代班处理",
                           {"to": self.users[holder][0], "to_name": self.users[holder][1]}))

    def quote(self, tid, bid, clerk, on_site, declined, T, events) -> Decimal:
        rng = self.rng
        parts = Decimal(rng.randrange(0, 80000)) / 100
        labour = Decimal(80 * rng.randint(1, 4))
        travel = Decimal(50 if on_site else 0)
        total = parts + labour + travel
        qid = self.next_id("quote")
        decided_at = T.get("quote_decided")
        decided = "proposed" if decided_at is None else "declined" if declined else "accepted"
        self.out.add("quote", dict(
            id=qid, branch_id=bid, ticket_id=tid, parts=self.v.money(parts), labour=self.v.money(labour),
            travel=self.v.money(travel), total=self.v.money(total), note="",
            state=decided, decided_at=self.dt(decided_at) if decided_at else None,
            decided_how="客户电话确认" if decided_at else "", created_by_id=clerk,
            created_at=self.dt(T["quote"]), updated_at=self.dt(decided_at or T["quote"]),
            version=2 if decided_at else 1))
        events.append((T["quote"], clerk, "quote", "", {"quote_id": qid, "total": str(total), "state": "proposed"}))
        if decided_at:
            events.append((decided_at, clerk, "quote", "客户电话确认",
                           {"quote_id": qid, "total": str(total), "state": decided}))
        return total

    def charge(self, tid, bid, clerk, amount, when, events) -> None:
        cid = self.next_id("charge")
        invoice = f"FP{bid:03d}{cid:08d}"
        self.out.add("charge", dict(id=cid, branch_id=bid, ticket_id=tid, amount=self.v.money(amount),
                                    invoice_number=invoice,
                                    fee_standard_shown=True, charged_by_id=clerk, created_at=self.dt(when),
                                    updated_at=self.dt(when)))
        events.append((when, clerk, "charge", invoice, {"charge_id": cid, "amount": str(amount)}))

    def visit(self, tid, bid, branch, holder, clerk, visit_state, customer_name, paid, T, events) -> None:
        rng, add = self.rng, self.out.add
        vid = self.next_id("visit")
        crew = [holder] + ([e for e in branch.engineers if e != holder][:1] if rng.random() < 0.3 else [])
        finished = visit_state == "finished"
        done_at = T.get("finished")
        add("visit", dict(
            id=vid, branch_id=bid, ticket_id=tid, scheduled_for=self.dt(T["scheduled_for"]), state=visit_state,
            address=f"{branch.city}市{rng.choice(V.STREETS)}{rng.randint(1, 999)}号",
            departed_at=self.dt(T["departed"]) if "departed" in T else None,
            arrived_at=self.dt(T["arrived"]) if "arrived" in T else None,
            finished_at=self.dt(done_at) if finished else None,
            fault_cause="部件老化磨损" if finished else "", solution=rng.choice(V.SOLUTIONS) if finished else "",
            hours=self.v.money(Decimal(rng.randint(2, 16)) / 2) if finished else None,
            customer_opinion="满意" if finished else "", signed_by=customer_name[:80] if finished else "",
            signature=None, called_hq_before_leaving=True if finished else None,
            report_completed_at=self.dt(done_at) if finished else None, scheduled_by_id=clerk,
            created_at=self.dt(T["scheduled_made"]),
            updated_at=self.dt(max(v for k, v in T.items() if k in ("scheduled_made", "departed", "arrived",
                                                                          "finished"))),
            version=1 + sum(k in T for k in ("departed", "arrived", "finished"))))
        for engineer in crew:
            add("visit_engineer", dict(visit_id=vid, user_id=engineer))
        if finished and rng.random() < 0.4:
            for part_name, part_number in rng.sample(V.PARTS[branch.industry], rng.randint(1, 2)):
                add("visit_part", dict(id=self.next_id("visit_part"), visit_id=vid, name=part_name,
                                       part_number=part_number, quantity=rng.randint(1, 3), charged=paid,
                                       unit_price=self.v.money(Decimal(rng.randrange(2000, 50000)) / 100)
                                       if paid else None))
        events.append((T["scheduled_made"], clerk, "visit", "已安排上门", {"visit_id": vid, "step": "scheduled",
                                                                          "state": "scheduled"}))
        for key, step_name, target, text_ in (("departed", "depart", "departed", "已出发"),
                                               ("arrived", "arrive", "arrived", "已到达现场"),
                                               ("finished", "finish", "finished", "服务完成"),
                                               ("cancel", "cancel", "cancelled", "上门取消")):
            if key in T and (key != "cancel" or visit_state == "cancelled"):
                events.append((T[key], holder, "visit", text_, {"visit_id": vid, "step": step_name, "state": target}))
        if finished:
            events.append((done_at, holder, "visit", "服务报告已签字",
                           {"visit_id": vid, "step": "report", "state": "arrived", "signed_by": customer_name[:80]}))

    def receipt(self, tid, branch, clerk, handling, state, customer_name, product_id, T, events) -> None:
        rid = self.next_id("repair_receipt")
        number = self.number(branch, T["taken_in"], series="R")
        returned = "returned" in T or state == "cancelled"
        if returned:
            current = "returned"
        elif handling == "sent_to_hq":
            current = "at_hq"
        else:
            current = self.pick((("in_store", "ready"), (70, 100)))
        item = self.product_name[product_id] if product_id else "客户送修物品"
        returned_at = T.get("returned") or T.get("cancel")
        self.out.add("repair_receipt", dict(
            id=rid, branch_id=branch.id, number=number, ticket_id=tid, item=item, accessories="",
            condition="外观完好", state=current, received_by_id=clerk,
            returned_at=self.dt(returned_at) if returned else None,
            returned_to=customer_name[:80] if returned else "", created_at=self.dt(T["taken_in"]),
            updated_at=self.dt(returned_at if returned else T["taken_in"]), deleted_at=None,
            version=2 if returned else 1))
        events.append((T["taken_in"], clerk, "receipt", f"{number} {item}",
                       {"receipt_id": rid, "number": number, "state": "in_store"}))
        if returned:
            events.append((returned_at, clerk, "receipt", f"{number} 已取回: {customer_name[:80]}",
                           {"receipt_id": rid, "number": number, "state": "returned"}))

    def callbacks_and_complaints(self, tid, bid, kind, state, T, cust, product_id, clerk, manager,
                                 customer_name) -> None:
        """A satisfaction callback for ~60 % of closed tickets, three days after closing
        (REQUIREMENTS §2.6), and a complaint file for every complaint ticket past triage,
        as far along its eight steps as the ticket is (§2.7)."""
        rng, add = self.rng, self.out.add
        if state == "closed" and rng.random() < 0.6:
            due = self.local_day(T["close"] + 3 * DAY)
            called = T["close"] + 3 * DAY + rng.randrange(9 * HOUR)
            done = called < self.now and rng.random() < 0.9
            given_up = not done and called < self.now - 7 * DAY
            ratings = [rng.choice((3, 4, 4, 5, 5, 5)) for _ in range(4)] if done else [None] * 4
            add("callback", dict(
                id=self.next_id("callback"), branch_id=bid, customer_id=cust + 1, ticket_id=tid,
                product_id=product_id, visit_id=None, kind="satisfaction", label="", due_on=self.v.day(due),
                state="done" if done else "given_up" if given_up else "due",
                attempts=1 if done else 3 if given_up else 0,
                last_attempt_at=self.dt(called) if done or given_up else None,
                next_try_on=None if done or given_up else self.v.day(due),
                fixed=(rng.random() < 0.95) if done else None, on_time=(rng.random() < 0.85) if done else None,
                fee_charged=None, fee_standard_shown=None,
                rating_attitude=ratings[0], rating_skill=ratings[1], rating_punctuality=ratings[2],
                rating_service=ratings[3], suggestions="", done_at=self.dt(called) if done else None,
                done_on=self.v.day(self.local_day(called)) if done else None, done_by_id=clerk if done else None,
                follow_up_ticket_id=None, cancel_reason="",
                created_at=self.dt(T["close"]), updated_at=self.dt(called if done or given_up else T["close"]),
                version=2 if done or given_up else 1))
        if kind != "complaint" or "triage" not in T:
            return
        cid = self.next_id("complaint")
        closed = T.get("close") or T.get("cancel")
        last_step = 8 if state == "closed" else 0 if state == "cancelled" else min(7, 2 + len(T) % 5)
        add("complaint", dict(
            id=cid, branch_id=bid, ticket_id=tid, last_step=last_step, created_by_id=clerk,
            complainant=customer_name[:120], contact="", received_at=self.dt(T["triage"]), against_kind="person",
            against="", demand="赔礼道歉", nature="service_attitude" if last_step >= 2 else None,
            justified=True if last_step >= 2 else None, explanation="", serious=False, serious_at=None,
            responsible_department="sales_management" if last_step >= 3 else None, responsible_unit_note="",
            cause="服务人员沟通不到位" if last_step >= 4 else "", responsible_user_id=None, responsible_name="",
            solution="上门致歉并回访" if last_step >= 5 else "", amount=None, approval_needed=False,
            proposed_by_id=manager if last_step >= 5 else None, approved_by_id=None, approved_at=None,
            notified_how="phone" if last_step >= 6 else None, notified_at=self.dt(T["triage"]) if last_step >= 6 else None,
            customer_reply="接受" if last_step >= 6 else "", attribution="", penalty_amount=None,
            penalty_demerit=None, improvement="加强服务礼仪培训" if last_step >= 8 else "",
            closed_at=self.dt(closed) if state == "closed" else None,
            outcome="resolved" if state == "closed" else None,
            created_at=self.dt(T["triage"]), updated_at=self.dt(closed or T["triage"]), deleted_at=None,
            version=1 + last_step))
        for step in range(0, last_step + 1):
            add("complaint_step", dict(
                id=self.next_id("complaint_step"), complaint_id=cid, branch_id=bid, step=step,
                action="opened" if step == 0 else "done", user_id=clerk if step < 5 else manager,
                at=self.dt(T["triage"]), data="{}"))

    def local_day(self, seconds: int) -> date:
        """The branch's local day (all generated branches are on Asia/Shanghai, UTC+8)."""
        return (EPOCH + timedelta(seconds=seconds + 8 * HOUR)).date()

    def sequences_table(self) -> None:
        for (branch_id, year, series), last in sorted(self.sequences.items()):
            self.out.add("ticket_sequence", dict(branch_id=branch_id, year=year, series=series, last_value=last))


# --- the command ------------------------------------------------------------------------------------

def _prepare_sqlite(url: str, force: bool) -> None:
    path = Path(make_url(url).database)
    path.parent.mkdir(parents=True, exist_ok=True)
    if force:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _tune(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.exec_driver_sql("PRAGMA cache_size=-1000000")  # 1 GB of page cache for the index updates
        conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET synchronous_commit TO off")


def _finish(conn, progress: Progress) -> None:
    """Statistics for the planner; PostgreSQL sequences moved past the ids written here."""
    if conn.dialect.name == "postgresql":
        for (name,) in conn.execute(text(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name = 'id' AND column_default LIKE 'nextval%'")).all():
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                              f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)"))
        conn.commit()
        progress.note("ANALYZE ...")
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    else:
        conn.commit()
        progress.note("ANALYZE ...")
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _produce(world: Generator, queue, parent: int) -> None:
    def hand_over(item) -> bool:
        while True:
            try:
                queue.put(item, timeout=5)
                return True
            except Full:
                if os.getppid() != parent:  # the writer is gone: stop instead of waiting forever
                    return False

    try:
        for chunk in world.chunks():
            if not hand_over(chunk):
                return
        hand_over(None)
    except BaseException:  # noqa: BLE001 - the parent reports it
        hand_over(traceback.format_exc())


def chunks_from_child(world: Generator):
    """The same chunks, generated in a forked process while this one writes: on two
    cores generating and writing overlap. The queue is short, so memory stays flat."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=3)
    child = context.Process(target=_produce, args=(world, queue, os.getpid()), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = queue.get(timeout=5)
            except Empty:
                if not child.is_alive():
                    raise SystemExit("the generating process stopped without a word") from None
                continue
            if item is None:
                return
            if isinstance(item, str):
                raise SystemExit(f"the generating process failed:\n{item}")
            yield item
    finally:
        if child.is_alive():
            child.terminate()
        child.join(10)


def load(chunks, loader: Loader, progress: Progress) -> None:
    phase = None
    for name, total, units, rows in chunks:
        if name != phase:
            if phase is not None:
                progress.finish()
            progress.start(name, total)
            phase = name
        progress.advance(units, loader.write(rows))
    progress.finish()


def generate(url: str, tickets: int, customers: int, branches: int, seed: int = 1, months: int = 24,
             force: bool = False, quiet: bool = False, now: int | None = None, jobs: int = 2) -> dict:
    """Build the database and return a summary (row counts, seconds, logins)."""
    import flask_migrate
    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.core.models import Role
    from portal.core.provisioning import sync_roles
    from portal.extensions import db
    from portal.plugins import current_plugins

    if branches < 1 or customers < 1 or tickets < 0:
        raise SystemExit("need at least one branch and one customer")
    began = time.monotonic()
    progress = Progress(quiet=quiet)
    url = absolute_sqlite(url)
    sqlite = make_url(url).get_backend_name() == "sqlite"
    if sqlite:
        _prepare_sqlite(url, force)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if force and not sqlite:
            flask_migrate.downgrade(revision="base")
        flask_migrate.upgrade()
        if db.session.scalar(select(func.count()).select_from(db.metadata.tables["branch"])):
            raise SystemExit(f"{make_url(url).render_as_string()} already holds data; pass --force to start over")
        sync_roles()
        db.session.commit()
        role_ids = dict(db.session.execute(select(Role.code, Role.id)).all())
        plugins = current_plugins()
        missing = [p for p in V.INDUSTRIES if p not in plugins.names()]
        if missing:
            raise SystemExit(f"plugins not installed: {', '.join(missing)}")
        settings = {p: {s.key: s.to_storage(s.default) for s in plugins.settings_spec(p)} for p in V.INDUSTRIES}
        db.session.remove()
        password_hash = generate_password_hash(PASSWORD)  # scrypt once, shared by every user
        with db.engine.connect() as conn:
            _tune(conn)
            loader = Loader(conn, db.metadata)
            values = SqliteValues() if conn.dialect.name == "sqlite" else PostgresValues()
            world = Generator(Plan(tickets, customers, branches, seed, months), values, role_ids, settings,
                              password_hash, now=now)
            load(chunks_from_child(world) if jobs > 1 else world.chunks(), loader, progress)
            loader.commit()
            _finish(conn, progress)
        db.engine.dispose()
    return {
        "url": make_url(url).render_as_string(),
        "seconds": round(time.monotonic() - began, 1),
        "rows": dict(sorted(loader.counts.items())),
        "logins": {"hq_admin": ADMIN_USERNAME, "branch_manager": f"{Generator.branch_code(1).lower()}_manager",
                   "password": PASSWORD},
        "period": [as_datetime(world.start).isoformat(), as_datetime(world.now).isoformat()],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="sqlite:///path/file.sqlite3 or postgresql+psycopg://...")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--branches", type=int, default=100)
    parser.add_argument("--months", type=int, default=24, help="history length (default 24)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true",
                        help="start over: delete the SQLite file, or downgrade a PostgreSQL database to empty")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--jobs", type=int, choices=(1, 2), default=2 if (os.cpu_count() or 1) > 1 else 1,
                        help="2: generate in a second process while this one writes (default on 2+ cores)")
    args = parser.parse_args(argv)
    summary = generate(args.url, args.tickets, args.customers, args.branches, args.seed, args.months, args.force,
                       args.quiet, jobs=args.jobs)
    print(f"database   {summary['url']}")
    print(f"period     {summary['period'][0]} .. {summary['period'][1]} (UTC)")
    for name, rows in summary["rows"].items():
        print(f"  {name:<18} {rows:>12,}")
    print(f"total rows {sum(summary['rows'].values()):,} in {summary['seconds']:.1f}s")
    logins = summary["logins"]
    print(f"log in as  {logins['hq_admin']} (HQ) or {logins['branch_manager']} (branch manager), "
          f"password {logins['password']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
