"""Load-test the portal against a generated database, side by side with a bare Flask route
(the ceiling) and a plain Flask-Admin list (the baseline) — issue 10, item 2.

    python -m benchmarks.run --url sqlite:////tmp/bench/portal.sqlite3 [--duration 10]
        [--connections 16] [--workers 2] [--out benchmarks/results/<timestamp>.json]

Starts gunicorn (sync workers) on 127.0.0.1 with benchmarks.bench_app, logs in as the
generated HQ admin and branch manager, loads every target for ``--duration`` seconds with
wrk (or a Python client when wrk is missing), prints a table and writes JSON. The server is
stopped at the end, whatever happens. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

from . import load
from .generate import ADMIN_USERNAME, PASSWORD, absolute_sqlite

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
USER_AGENT = "portal-benchmark/1"  # session protection ties the login to it: wrk must send the same
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
DEEP_PAGE = 40_000
PAGE_SIZE = 20  # Flask-Admin's default and the portal's


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- tools ------------------------------------------------------------------------------------------

def ensure_gunicorn() -> Path:
    """gunicorn from the project's virtualenv; installed there on first use (it is a
    benchmark tool, not a dependency of the portal)."""
    bindir = Path(sys.executable).parent
    gunicorn = bindir / "gunicorn"
    if not gunicorn.exists():
        say(f"gunicorn is not installed in {bindir.parent}: installing it now with {bindir / 'pip'} install gunicorn "
            "(benchmark tool only, not added to pyproject)")
        subprocess.run([str(bindir / "pip"), "install", "--quiet", "gunicorn"], check=True, timeout=600)
    return gunicorn


def ensure_wrk(client: str) -> str:
    """'wrk' or 'python'. As root, Debian's wrk is installed when missing."""
    if client == "python":
        return "python"
    if load.wrk_path() is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("wrk is not installed: installing Debian's package with apt-get install wrk")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        installed = subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True,
                                   timeout=600)
        if installed.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True, timeout=600)
    if load.wrk_path():
        return "wrk"
    if client == "wrk":
        raise SystemExit("wrk is not installed (apt-get install wrk) and --client wrk was asked for")
    say("wrk is not available: using the Python client instead (its figures are a floor, not comparable to wrk's)")
    return "python"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((load.LOOPBACK, 0))
        return s.getsockname()[1]


# --- what the database holds ------------------------------------------------------------------------

@dataclass
class Facts:
    dialect: str
    tickets: int
    ticket_id: int
    ticket_number: str
    phone: str
    manager: str
    state: str
    since: str
    until: str
    state_arg: str | None
    range_arg: str | None
    database_version: str
    max_id: int = 0
    notes: list[str] = field(default_factory=list)


def read_facts(url: str) -> Facts:
    """Real ids, a real phone and the list page's own filter arguments, read once through
    the portal (in this process, before the server starts)."""
    from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter, DateTimeNotBetweenFilter
    from sqlalchemy import func, select, text

    from portal import create_app
    from portal.core.models import Customer, Role, Ticket, User, user_role
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        dialect = db.engine.dialect.name
        version = db.session.scalar(text("SELECT sqlite_version()" if dialect == "sqlite" else "SELECT version()"))
        count = db.session.scalar(select(func.count()).select_from(Ticket).where(Ticket.deleted_at.is_(None)))
        if not count:
            raise SystemExit("the database has no tickets: run python -m benchmarks.generate first")
        middle = db.session.execute(select(Ticket.id, Ticket.number, Customer.phone).join(Customer)
                                    .where(Ticket.id >= db.session.scalar(select(func.max(Ticket.id))) // 2)
                                    .order_by(Ticket.id).limit(1)).one()
        max_id = db.session.scalar(select(func.max(Ticket.id)))
        manager = db.session.scalar(
            select(User.username).join(user_role).join(Role)
            .where(Role.code == "branch_manager", User.active.is_(True)).order_by(User.branch_id, User.id).limit(1))
        newest = db.session.scalar(select(func.max(Ticket.created_at)))
        # closed tickets opened in one month, about a quarter ago: "what did we close then?"
        until = (newest - timedelta(days=60)).replace(hour=23, minute=59, second=59, microsecond=0)
        since = (until - timedelta(days=30)).replace(hour=0, minute=0, second=0)
        view = next(v for admin in app.extensions["admin"] for v in admin._views if v.endpoint == "ticket")
        state_arg = range_arg = None
        for key, (_index, flt) in view._filter_args.items():
            column = getattr(getattr(flt, "column", None), "key", None)
            if column == "state" and type(flt).__name__ == "ChoiceFilter":
                state_arg = key
            if column == "created_at" and isinstance(flt, DateTimeBetweenFilter) \
                    and not isinstance(flt, DateTimeNotBetweenFilter):
                range_arg = key
        db.engine.dispose()
    fmt = "%Y-%m-%d %H:%M:%S"
    return Facts(dialect=dialect, tickets=count, ticket_id=middle.id, ticket_number=middle.number,
                 phone=middle.phone, manager=manager or "", state="closed", since=since.strftime(fmt),
                 until=until.strftime(fmt), state_arg=state_arg, range_arg=range_arg,
                 database_version=str(version).split(" on ")[0], max_id=max_id)


def time_statistics_refresh(url: str) -> dict:
    """How long a month's figures take to refresh once new data made them stale (what the
    portal does on the next statistics page): the busiest branch's newest month, then
    every branch's. Staleness is marked as a change marks it, by bumping ``dirty_seq``."""
    from sqlalchemy import func, select, update

    from portal import create_app
    from portal.core import statistics
    from portal.core.models import Ticket
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    T = statistics.T
    with app.app_context():
        month = db.session.scalar(select(func.max(Ticket.created_at))).date().replace(day=1)
        branches = [b.id for b in statistics.service_branches()]
        busiest = db.session.scalar(select(T.c.branch_id).where(T.c.month == month)
                                    .order_by(T.c.tickets.desc()).limit(1)) or branches[0]

        def stale_then_refresh(ids):
            db.session.execute(update(T).where(T.c.month == month, T.c.branch_id.in_(ids))
                               .values(dirty_seq=T.c.dirty_seq + 1))
            db.session.commit()
            started = time.perf_counter()
            for branch_id in ids:
                statistics.refresh_month(branch_id, month)
            db.session.commit()
            return round((time.perf_counter() - started) * 1000, 1)

        # Three times: one sample of a tenth of a second on a shared machine is mostly the
        # machine (the same refresh took 0.12 s and 1.1 s minutes apart). All are reported.
        ones = [stale_then_refresh([busiest]) for _ in range(3)]
        every = stale_then_refresh(branches)
        db.engine.dispose()
    return {"month": month.strftime("%Y-%m"), "one_branch_ms": sorted(ones)[1], "one_branch_runs_ms": ones,
            "branches": len(branches), "every_branch_ms": every}


# --- targets ---------------------------------------------------------------------------------------

@dataclass
class Target:
    name: str
    path: str
    user: str | None        # "admin", "manager" or None (anonymous)
    baseline: str           # which baseline target to compare with
    optional: bool = False  # a page not built yet: a 404 is reported, not an error


def targets(facts: Facts) -> list[Target]:
    last_page = max(0, math.ceil(facts.tickets / PAGE_SIZE) - 1)
    deep = min(DEEP_PAGE, last_page)
    found = [
        Target("ceiling (bare Flask route)", "/bench/ceiling", None, "baseline page 1"),
        Target("baseline page 1", "/bench-admin/ticket/", None, "baseline page 1"),
        Target(f"baseline page {deep}", f"/bench-admin/ticket/?page={deep}", None, "deep"),
        Target("HQ ticket list page 1", "/admin/ticket/", "admin", "baseline page 1"),
        # The portal pages big lists by keyset ("older" continues after the last id shown),
        # so its page `deep` is the list after the id that many rows down.
        Target(f"HQ ticket list page {deep}", f"/admin/ticket/?after={max(1, facts.max_id - deep * PAGE_SIZE)}",
               "admin", "deep"),
        Target("branch manager ticket list", "/admin/ticket/", "manager", "baseline page 1"),
    ]
    if facts.state_arg and facts.range_arg:
        query = urlencode({f"flt0_{facts.state_arg}": facts.state,
                           f"flt1_{facts.range_arg}": f"{facts.since} to {facts.until}"})
        found.append(Target("filtered list (state + dates)", f"/admin/ticket/?{query}", "admin", "baseline page 1"))
    else:
        facts.notes.append("filtered list skipped: the ticket list has no state or created_at-between filter")
    found += [
        Target("search by phone", "/admin/ticket/?" + urlencode({"search": facts.phone}), "admin", "baseline page 1"),
        Target("ticket details", f"/admin/ticket/details/?id={facts.ticket_id}", "admin", "baseline page 1"),
        Target("dashboard (branch manager)", "/admin/", "manager", "baseline page 1"),
        Target("dashboard (HQ)", "/admin/", "admin", "baseline page 1"),
        Target("HQ monthly statistics", "/admin/stats/", "admin", "baseline page 1", optional=True),
    ]
    for target in found:
        if target.baseline == "deep":
            target.baseline = f"baseline page {deep}"
    return found


# --- the server ------------------------------------------------------------------------------------

class Server:
    """gunicorn in its own process group on loopback; ``stop`` ends the whole group."""

    def __init__(self, gunicorn: Path, url: str, workers: int, port: int, log_path: Path):
        self.port, self.log_path, self.workers = port, log_path, workers
        env = {**os.environ, "BENCH_DATABASE_URL": url, "PORTAL_SECRET_KEY": secrets.token_hex(16)}
        command = [str(gunicorn), "--workers", str(workers), "--worker-class", "sync",
                   "--bind", f"{load.LOOPBACK}:{port}", "--timeout", "120", "--graceful-timeout", "5",
                   "--log-level", "warning", "benchmarks.bench_app:app"]
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped (exit {self.process.returncode}):\n{self.log_tail()}")
            try:
                if fetch(self.port, "GET", "/bench/ceiling").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within {timeout:.0f}s:\n{self.log_tail()}")

    def drain(self, limit: float = 600) -> float:
        """Wait until every worker is free again: wrk stops after its duration, but sync
        workers still answer every request it left queued (a deep baseline page takes
        seconds). One quick answer only shows that one worker is free, and the next target
        was then measured on the other alone; so one request that holds its worker for
        0.2 s is sent per worker at once: all back within 0.4 s, all workers are free.
        Returns the seconds waited."""
        began = time.monotonic()
        with ThreadPoolExecutor(self.workers) as pool:
            while time.monotonic() - began < limit:
                try:
                    took = list(pool.map(lambda _: fetch(self.port, "GET", "/bench/hold", timeout=limit).seconds,
                                         range(self.workers)))
                    if max(took) < 2 * load.HOLD_SECONDS:
                        break
                except OSError:
                    time.sleep(1)
        return time.monotonic() - began

    def log_tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    def worker_memory(self) -> list[dict]:
        """VmRSS (now) and VmHWM (peak) of each worker, from /proc."""
        found = []
        for pid in _children(self.process.pid):
            status = _proc_status(pid)
            if status:
                found.append({"pid": pid, "rss_mb": round(status.get("VmRSS", 0) / 1024, 1),
                              "peak_rss_mb": round(status.get("VmHWM", 0) / 1024, 1)})
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
            except ProcessLookupError:
                pass
        self.log.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def _proc_status(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: int(v.split()[0]) for k, _, v in (ln.partition(":") for ln in lines) if v.strip().endswith("kB")}


# --- HTTP for the login and the check of each target -----------------------------------------------

@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: str
    seconds: float


def fetch(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None,
          timeout: float = 120) -> Answer:
    started = time.perf_counter()
    conn = http.client.HTTPConnection(load.LOOPBACK, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Answer(response.status, response.getheaders(), text, time.perf_counter() - started)
    finally:
        conn.close()


def _cookies(answer: Answer, jar: dict[str, str]) -> dict[str, str]:
    for name, value in answer.headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            jar[key.strip()] = rest.split(";", 1)[0]
    return jar


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def log_in(port: int, username: str, password: str) -> str:
    """The login form like a browser: GET for the CSRF token, POST; returns the Cookie header."""
    page = fetch(port, "GET", "/login")
    jar = _cookies(page, {})
    match = CSRF_RE.search(page.body)
    if not match:
        raise SystemExit("the login page has no CSRF token")
    form = urlencode({"username": username, "password": password, "csrf_token": match.group(1) or match.group(2)})
    answer = fetch(port, "POST", "/login", {"Content-Type": "application/x-www-form-urlencoded",
                                             "Cookie": cookie_header(jar)}, form)
    _cookies(answer, jar)
    location = dict((k.lower(), v) for k, v in answer.headers).get("location", "")
    if answer.status != 302 or "/login" in location:  # the form answers 200 with a message when it refuses
        raise SystemExit(f"could not log in as {username} (the login form answered {answer.status})")
    return cookie_header(jar)


# --- the run ---------------------------------------------------------------------------------------

def machine() -> dict:
    info = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")),
                           "")
        meminfo = Path("/proc/meminfo").read_text()
        info["memory_gb"] = round(int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1)) / 1024 / 1024, 1)
        info["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError, StopIteration):
        pass
    return info


def git_commit() -> dict:
    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
        return done.stdout.strip() if done.returncode == 0 else None

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


def tool_version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else ""


def measure(args, facts: Facts, client: str, server: Server) -> list[dict]:
    cookies = {"admin": log_in(server.port, args.admin, args.password)}
    if facts.manager:
        cookies["manager"] = log_in(server.port, facts.manager, args.password)
    runner = load.run_wrk if client == "wrk" else load.run_python
    rows = []
    for target in targets(facts):
        if args.only and not any(word.lower() in target.name.lower() for word in args.only):
            continue
        row = {"name": target.name, "path": target.path, "user": {"admin": args.admin, "manager": facts.manager}.get(
            target.user), "baseline": target.baseline}
        if target.user and target.user not in cookies:
            rows.append({**row, "status": None, "note": "skipped: no branch manager in the database"})
            continue
        headers = {"User-Agent": USER_AGENT}
        if target.user:
            headers["Cookie"] = cookies[target.user]
        waited = server.drain()
        if waited > 2:
            say(f"  (waited {waited:.0f}s for the workers to finish the previous run's queued requests)")
        try:
            check = fetch(server.port, "GET", target.path, headers)
        except (OSError, http.client.HTTPException) as exc:
            rows.append({**row, "status": None, "note": f"error: {exc.__class__.__name__} {exc}"})
            say(f"  {target.name}: {exc.__class__.__name__} {exc}, not loaded")
            continue
        row.update(status=check.status, bytes=len(check.body.encode()), first_request_ms=round(check.seconds * 1000, 1))
        if check.status == 404 and target.optional:
            rows.append({**row, "note": "missing (404)"})
            say(f"  {target.name}: missing (404)")
            continue
        if check.status != 200:
            rows.append({**row, "note": f"error: answered {check.status}"})
            say(f"  {target.name}: answered {check.status}, not loaded")
            continue
        say(f"  {target.name}: first request {check.seconds * 1000:.0f} ms; {args.duration}s at "
            f"{args.connections} connections ...")
        try:
            result = runner(server.port, target.path, headers, args.duration, args.connections, args.threads)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            rows.append({**row, "note": f"error: {exc}"})
            say(f"  {target.name}: {exc}")
            continue
        note = f"{result.errors} errors" if result.errors else ""
        if not result.requests:
            note = f"no answer within {args.duration}s"
        rows.append({**row, **result.as_dict(), "note": note})
        say(f"    {result.rps:.1f} req/s, p50 {result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms"
            + (f", {note}" if note else ""))
    server.drain()
    return rows


def add_ratios(rows: list[dict]) -> None:
    by_name = {r["name"]: r for r in rows}
    ceiling = next((r.get("rps") for r in rows if r["name"].startswith("ceiling")), None)
    for row in rows:
        rps = row.get("rps")
        base = by_name.get(row["baseline"], {}).get("rps")
        row["ratio_to_ceiling"] = round(rps / ceiling, 4) if rps is not None and ceiling else None
        row["ratio_to_baseline"] = round(rps / base, 2) if rps is not None and base else None


def table(rows: list[dict]) -> str:
    def cell(value, width, digits):
        return f"{value:>{width}.{digits}f}" if isinstance(value, (int, float)) else f"{'-':>{width}}"

    lines = [f"{'target':<34} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'x ceiling':>10} {'x baseline':>11} "
             f"{'1st ms':>8}  note"]
    for r in rows:
        lines.append(f"{r['name']:<34} {cell(r.get('rps'), 9, 1)} {cell(r.get('p50_ms'), 9, 1)} "
                     f"{cell(r.get('p99_ms'), 9, 1)} {cell(r.get('ratio_to_ceiling'), 10, 4)} "
                     f"{cell(r.get('ratio_to_baseline'), 11, 2)} {cell(r.get('first_request_ms'), 8, 0)}  "
                     f"{r.get('note', '')}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True,
                        help="the generated database (sqlite:///... or postgresql+psycopg://...)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per target (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--out", type=Path, help="JSON file (default benchmarks/results/<timestamp>.json)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto", help="load tool")
    parser.add_argument("--only", nargs="*", help="run only targets whose name contains one of these words")
    parser.add_argument("--admin", default=ADMIN_USERNAME, help=f"HQ admin to log in as (default {ADMIN_USERNAME})")
    parser.add_argument("--password", default=PASSWORD, help="password of the generated users")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600 or not 1 <= args.connections <= 1000:
        parser.error("--duration must be 1..600 s and --connections 1..1000")

    command = shlex.join(["python", "-m", "benchmarks.run", *(sys.argv[1:] if argv is None else argv)])
    url = absolute_sqlite(args.url)
    gunicorn = ensure_gunicorn()
    client = ensure_wrk(args.client)
    say("reading the database ...")
    facts = read_facts(url)
    started = datetime.now(timezone.utc)
    RESULTS.mkdir(exist_ok=True)
    out = args.out or RESULTS / f"{started:%Y%m%dT%H%M%SZ}.json"
    log_path = out.with_suffix(".gunicorn.log")
    out.parent.mkdir(parents=True, exist_ok=True)
    info = machine()
    server = Server(gunicorn, url, args.workers, free_port(), log_path)
    try:
        server.wait_ready()
        say(f"gunicorn ({args.workers} sync workers) on {load.LOOPBACK}:{server.port}, {facts.tickets:,} tickets "
            f"in {facts.dialect}; load with {client}")
        rows = measure(args, facts, client, server)
        memory = server.worker_memory()
    finally:
        server.stop()
    say("refreshing a month's statistics after a change ...")
    refresh = time_statistics_refresh(url)
    add_ratios(rows)
    info["load_average_after"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    report = {
        "started": started.isoformat(timespec="seconds"), "command": command, "machine": info, "git": git_commit(),
        "database": {"kind": facts.dialect, "version": facts.database_version, "tickets": facts.tickets,
                     "url": re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)},
        "load": {"tool": client, "version": tool_version(["wrk", "-v"]) if client == "wrk" else "python client",
                 "duration_s": args.duration, "connections": args.connections, "threads": args.threads},
        "server": {"gunicorn": tool_version([str(gunicorn), "--version"]), "workers": args.workers,
                   "worker_class": "sync", "worker_memory": memory},
        "inputs": {"ticket_id": facts.ticket_id, "ticket_number": facts.ticket_number, "phone": facts.phone,
                   "branch_manager": facts.manager, "filter": {"state": facts.state, "from": facts.since,
                                                               "to": facts.until}},
        "notes": facts.notes,
        "statistics_refresh": refresh,
        "results": rows,
    }
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(table(rows))
    print("gunicorn workers after the run: " + ", ".join(
        f"pid {m['pid']} {m['rss_mb']} MB (peak {m['peak_rss_mb']} MB)" for m in memory))
    print(f"statistics of {refresh['month']} refreshed after a change: the busiest branch in "
          f"{refresh['one_branch_ms']} ms (median of {', '.join(map(str, refresh['one_branch_runs_ms']))}), "
          f"all {refresh['branches']} branches in {refresh['every_branch_ms']} ms")
    for note in facts.notes:
        print(f"note: {note}")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
