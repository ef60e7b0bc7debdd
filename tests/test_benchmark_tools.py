"""The benchmark tooling (issue 10): the generator builds a small but consistent world the
portal can work with, and the load-test command starts. No timings here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from benchmarks.generate import ADMIN_USERNAME, PASSWORD, generate
from portal import create_app
from portal.extensions import db

ROOT = Path(__file__).resolve().parent.parent
CORE_STATES = {"received", "triaged", "assigned", "in_progress", "waiting_customer", "resolved", "closed", "cancelled"}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    url = "sqlite:///" + str(tmp_path_factory.mktemp("bench") / "bench.sqlite3")
    summary = generate(url, tickets=500, customers=50, branches=3, seed=7, quiet=True, jobs=1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    yield summary, app
    with app.app_context():
        db.engine.dispose()


def test_counts_states_and_timeline(generated):
    summary, app = generated
    assert summary["rows"]["ticket"] == 500
    assert summary["rows"]["customer"] == 50
    assert summary["rows"]["branch"] == 4  # HQ and three branches
    with app.app_context():
        run = lambda sql: db.session.execute(text(sql)).all()  # noqa: E731
        assert run("SELECT count(*) FROM ticket")[0][0] == 500
        assert {s for (s,) in run("SELECT DISTINCT state FROM ticket")} == CORE_STATES
        plugins = Counter(p for (p,) in run("SELECT plugin FROM branch_plugin WHERE enabled"))
        assert set(plugins) == {"retail_store", "equipment_field", "auto_workshop"}
        # every ticket's timeline starts with "created" and its last step ends in its state
        last_step = {}
        for ticket_id, kind, data in run("SELECT ticket_id, kind, data FROM ticket_event ORDER BY id"):
            if kind == "transition":
                last_step[ticket_id] = json.loads(data)["to"]
        first_kinds = {k for (k,) in run("SELECT kind FROM ticket_event e WHERE id = "
                                         "(SELECT min(id) FROM ticket_event WHERE ticket_id = e.ticket_id)")}
        assert first_kinds == {"created"}
        for ticket_id, state in run("SELECT id, state FROM ticket"):
            assert last_step.get(ticket_id, "received") == state, ticket_id
        # service levels filled in: open tickets with a running clock have a next due time
        assert run("SELECT count(*) FROM ticket WHERE first_answer_due IS NULL "
                   "AND state != 'waiting_customer'")[0][0] == 0  # an open pause leaves no due time
        assert run("SELECT count(*) FROM ticket WHERE state IN ('received', 'triaged', 'assigned', 'in_progress') "
                   "AND sla_next_due_at IS NULL")[0][0] == 0
        assert run("SELECT count(*) FROM ticket WHERE sla_breached")[0][0] > 0
        # callbacks for most closed tickets, a complaint file for complaint tickets past triage
        closed = run("SELECT count(*) FROM ticket WHERE state = 'closed'")[0][0]
        callbacks = run("SELECT count(*) FROM callback WHERE kind = 'satisfaction'")[0][0]
        assert 0.4 * closed < callbacks < 0.8 * closed
        assert run("SELECT count(*) FROM callback c JOIN ticket t ON t.id = c.ticket_id "
                   "WHERE t.state != 'closed' OR c.customer_id != t.customer_id")[0][0] == 0
        assert run("SELECT count(*) FROM complaint c JOIN ticket t ON t.id = c.ticket_id "
                   "WHERE t.kind != 'complaint'")[0][0] == 0
        assert run("SELECT count(*) FROM complaint WHERE closed_at IS NOT NULL AND last_step != 8")[0][0] == 0


def test_due_times_are_the_portals_own(generated):
    """The generator's fast working-time arithmetic gives what the portal's calendar gives,
    pauses for the customer included."""
    _summary, app = generated
    from datetime import timedelta

    from sqlalchemy import select

    from portal.core import sla
    from portal.core.models import Ticket

    with app.app_context():
        paused = db.session.scalars(select(Ticket).where(Ticket.pauses.any()).order_by(Ticket.id)).all()
        plain = db.session.scalars(select(Ticket).where(~Ticket.pauses.any()).order_by(Ticket.id).limit(40)).all()
        assert paused and plain
        for ticket in paused + plain:
            calendar = sla.calendar_for(ticket.branch)
            pauses = [(p.started_at, p.ended_at) for p in ticket.pauses]
            clocks = [(ticket.first_answer_target_min, ticket.first_answer_due),
                      (ticket.resolution_target_min, ticket.resolution_due)]
            if ticket.arrival_required:
                clocks.append((ticket.arrival_target_min, ticket.arrival_due))
            for target, due in clocks:
                assert calendar.add_working_time(ticket.created_at, timedelta(minutes=target), pauses) == due


def test_numbers_unique_and_sequences_let_the_portal_continue(generated):
    _summary, app = generated
    from portal.core.models import Branch
    from portal.core.tickets import next_number

    with app.app_context():
        numbers = [n for (n,) in db.session.execute(text("SELECT number FROM ticket"))]
        assert len(numbers) == len(set(numbers))
        issued = Counter()
        highest = Counter()
        for number in numbers:
            code, year, serial = number.rsplit("-", 2)
            issued[(code, int(year))] += 1
            highest[(code, int(year))] = max(highest[(code, int(year))], int(serial))
        sequences = {(code, year): last for code, year, last in db.session.execute(text(
            "SELECT b.code, s.year, s.last_value FROM ticket_sequence s JOIN branch b ON b.id = s.branch_id "
            "WHERE s.series = 'T'"))}
        assert sequences == dict(issued) == dict(highest)
        branch = db.session.get(Branch, 2)
        year = max(y for code, y in sequences if code == branch.code)
        following = next_number(branch, year=year)
        assert following == f"{branch.code}-{year}-{sequences[(branch.code, year)] + 1:06d}"
        assert following not in set(numbers)
        db.session.rollback()


def test_generated_admin_opens_a_ticket(generated):
    _summary, app = generated
    with app.app_context():
        ticket_id, number = db.session.execute(text("SELECT id, number FROM ticket WHERE state = 'closed' "
                                                    "ORDER BY id LIMIT 1")).one()
        newest = db.session.execute(text("SELECT number FROM ticket ORDER BY id DESC LIMIT 1")).scalar()
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").text).group(1)
    login = client.post("/login", data={"username": ADMIN_USERNAME, "password": PASSWORD, "csrf_token": token})
    assert login.status_code == 302
    page = client.get(f"/admin/ticket/details/?id={ticket_id}")
    assert page.status_code == 200
    assert number in page.text
    listing = client.get("/admin/ticket/")
    assert listing.status_code == 200 and newest in listing.text


def test_run_command_starts():
    done = subprocess.run([sys.executable, "-m", "benchmarks.run", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--duration" in done.stdout and "--connections" in done.stdout


def test_a_months_statistics_refresh_is_timed_three_times(generated):
    """One sample of a short refresh on a shared machine says little: three, median shown."""
    from benchmarks.run import time_statistics_refresh

    _summary, app = generated
    timed = time_statistics_refresh(app.config["SQLALCHEMY_DATABASE_URI"])
    assert len(timed["one_branch_runs_ms"]) == 3
    assert timed["one_branch_ms"] == sorted(timed["one_branch_runs_ms"])[1]
    assert timed["branches"] == 3 and timed["every_branch_ms"] > 0


def test_instructions_per_request_grow_with_what_a_page_shows(generated):
    """benchmarks.instructions counts only the measured requests: a page of 100 rows takes
    more instructions than the same list's page of 20, and neither counts start-up."""
    import shutil

    from benchmarks.instructions import count

    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    _summary, app = generated
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    twenty = count(url, "/admin/ticket/?page_size=20", ADMIN_USERNAME, 3)
    hundred = count(url, "/admin/ticket/?page_size=100", ADMIN_USERNAME, 3)
    assert 1_000_000 < twenty < hundred < 200_000_000  # start-up alone is billions
