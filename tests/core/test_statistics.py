"""Monthly statistics (issue 4 item 4, REQUIREMENTS §2.9): figures checked against a small
month of work counted by hand, branch-local month boundaries, incremental refresh, closed
months that do not change, the XLSX export, charts served by the portal, and who may see
what."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.core import statistics, tickets, visits
from portal.core.models import Branch, BranchPlugin, Customer, Ticket, User, Visit, VisitPart
from portal.core.models.callback import Callback
from portal.core.models.complaint import Complaint
from portal.core.models.performance import StaffRecord
from portal.core.models.statistics import COMPANY, StatsClosing, StatsMonth
from portal.core.provisioning import create_branch, create_user
from portal.core.tickets import NewTicket, open_ticket
from portal.extensions import db

from tests.conftest import PASSWORD, csrf_token

SH = ZoneInfo("Asia/Shanghai")
OCT = date(2026, 10, 1)
NOV = date(2026, 11, 1)
FAR = datetime(2030, 1, 1, 9, 0, tzinfo=SH)  # a clock still running whenever the tests run


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def _user(name) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _ticket(world, branch, created, kind="repair", channel="phone", **columns) -> Ticket:
    """A ticket opened through the service, then moved into the story's month: its clocks
    are the story's, not today's."""
    clerk = _user(f"{branch.lower()}_clerk")
    ticket = open_ticket(NewTicket(customer_id=world["customers"][branch], title=f"{kind} {created:%m-%d %H:%M}",
                                   kind=kind, channel=channel), clerk)
    values = {"created_at": created, "first_answer_due": None, "arrival_due": None, "resolution_due": None,
              "first_answered_at": None, "arrived_at": None, "resolved_at": None, "arrival_required": False,
              "promised_arrival_at": None, "paused_since": None, "state": "in_progress"}
    values.update(columns)
    STORY[ticket] = values
    _tell(ticket)
    return ticket


STORY: dict = {}


def _tell(ticket):
    """(Again) the story's columns: scheduling a visit recomputes the clocks from today."""
    for key, value in STORY[ticket].items():
        setattr(ticket, key, value)


def _visit(ticket, when, engineers, state, hours=None, parts=()) -> Visit:
    """Scheduled through the service, then carried out as the story says."""
    ticket.state = "in_progress"
    visit = visits.schedule_visit(ticket, when, [_user(e).id for e in engineers], "世纪大道1号",
                                  _user(f"{ticket.branch.code.lower()}_clerk"))
    _tell(ticket)
    visit.state = state
    visit.hours = hours
    visit.parts = [VisitPart(name=name, quantity=qty, unit_price=price, charged=price is not None)
                   for name, qty, price in parts]
    return visit


def _set_rate(branch_id, **values):
    row = db.session.scalar(select(BranchPlugin).where(BranchPlugin.branch_id == branch_id,
                                                       BranchPlugin.plugin == "core"))
    if row is None:
        row = BranchPlugin(branch_id=branch_id, plugin="core", enabled=True, settings={})
        db.session.add(row)
    row.settings = {**(row.settings or {}), **values}


def build_october(app, world) -> dict:
    """October 2026 in branches A (Shanghai, 400 yuan a person-day) and B (defaults).
    The expected figures in the tests below are counted by hand from this story."""
    with app.test_request_context():
        for branch in db.session.scalars(select(Branch)):
            branch.created_at = datetime(2026, 1, 1, tzinfo=timezone.utc)
        create_user("a_engineer2", PASSWORD, "A", ["engineer"])
        _set_rate(world["A"], cost_per_person_day="400.00", transport_cost_per_visit="50.00")
        db.session.commit()

        # A: five tickets of October (plus one archived, one of November)
        t1 = _ticket(world, "A", sh(2026, 10, 5, 10), first_answer_due=sh(2026, 10, 6, 10),
                     first_answered_at=sh(2026, 10, 5, 11), arrival_required=True, arrival_due=sh(2026, 10, 5, 18),
                     arrived_at=sh(2026, 10, 5, 16), resolution_due=sh(2026, 10, 14, 18),
                     resolved_at=sh(2026, 10, 20, 12))
        t2 = _ticket(world, "A", sh(2026, 10, 10, 9), kind="installation", channel="visit",
                     first_answer_due=sh(2026, 10, 11, 9), resolution_due=FAR)
        t3 = _ticket(world, "A", sh(2026, 10, 12, 9), kind="installation", channel="web",
                     first_answer_due=sh(2026, 10, 13, 9), first_answered_at=sh(2026, 10, 12, 10),
                     arrival_required=True, arrival_due=sh(2026, 10, 12, 17), arrived_at=sh(2026, 10, 13, 9),
                     resolution_due=sh(2026, 10, 20, 18), resolved_at=sh(2026, 10, 15, 12))
        t4 = _ticket(world, "A", sh(2026, 10, 31, 23, 30), first_answer_due=FAR + timedelta(days=31),
                     resolution_due=sh(2026, 11, 5, 18), state="triaged")
        t5 = _ticket(world, "A", sh(2026, 11, 1, 0, 10))  # Shanghai's November, still October in UTC
        t6 = _ticket(world, "A", sh(2026, 10, 8, 10), deleted_at=sh(2026, 10, 9, 10))
        t7 = _ticket(world, "A", sh(2026, 10, 9, 10), kind="consultation", first_answer_due=sh(2026, 10, 10, 10),
                     state="cancelled")
        db.session.flush()
        _visit(t1, sh(2026, 10, 6, 10), ["a_engineer", "a_engineer2"], "finished", Decimal("3.00"),
               [("密封圈", 2, Decimal("12.50")), ("卡箍", 1, None)])
        _visit(t1, sh(2026, 10, 6, 15), ["a_engineer"], "arrived")
        _visit(t2, sh(2026, 10, 31, 23), ["a_engineer"], "finished", parts=[("膨胀螺栓", 1, Decimal("100.00"))])
        _visit(t3, sh(2026, 10, 13, 9), ["a_engineer2"], "departed")
        _visit(t1, sh(2026, 10, 7, 10), ["a_engineer"], "cancelled")
        _visit(t1, sh(2026, 10, 8, 10), ["a_engineer"], "scheduled")
        _visit(t1, sh(2026, 11, 1, 0, 30), ["a_engineer"], "finished")
        STORY[t1]["state"] = STORY[t3]["state"] = "resolved"
        charge = tickets.record_charge(t3, "200.00", "FP-1", True, _user("a_clerk"))
        charge.created_at = sh(2026, 10, 16, 10)
        _tell(t1)
        _tell(t3)

        customer = world["customers"]["A"]
        db.session.add_all([
            Callback(branch_id=world["A"], customer_id=customer, ticket_id=t1.id, kind="satisfaction",
                     due_on=date(2026, 10, 20), state="done", done_on=date(2026, 10, 19),
                     done_at=sh(2026, 10, 19, 10), rating_attitude=5, rating_skill=4, rating_punctuality=5,
                     rating_service=4, fixed=True),
            Callback(branch_id=world["A"], customer_id=customer, ticket_id=t3.id, kind="satisfaction",
                     due_on=date(2026, 10, 21), state="done", done_on=date(2026, 10, 25),
                     done_at=sh(2026, 10, 25, 10), rating_attitude=3, rating_skill=3, rating_punctuality=3,
                     rating_service=3, fixed=False),
            Callback(branch_id=world["A"], customer_id=customer, ticket_id=t2.id, kind="satisfaction",
                     due_on=date(2026, 10, 22), state="due"),
            Complaint(branch_id=world["A"], ticket_id=t1.id, complainant="王女士", received_at=sh(2026, 10, 7, 10),
                      nature="quality", justified=True, responsible_department="quality", last_step=3),
            Complaint(branch_id=world["A"], ticket_id=t4.id, complainant="李先生",
                      received_at=sh(2026, 10, 31, 23, 40), nature="service_attitude", justified=True,
                      responsible_department="after_sales", last_step=3),
            StaffRecord(branch_id=world["A"], user_id=_user("a_engineer").id, reason="late_arrival",
                        amount=Decimal("50.00"), state="confirmed", occurred_at=sh(2026, 10, 6, 11), ticket_id=t1.id),
            StaffRecord(branch_id=world["A"], user_id=_user("a_engineer").id, reason="incomplete_report",
                        amount=Decimal("20.00"), state="proposed", occurred_at=sh(2026, 10, 6, 12)),
        ])

        # B: one repair with one visit
        t8 = _ticket(world, "B", sh(2026, 10, 15, 10), channel="letter", first_answer_due=sh(2026, 10, 16, 10),
                     first_answered_at=sh(2026, 10, 15, 12), resolution_due=sh(2026, 10, 25, 18),
                     resolved_at=sh(2026, 10, 20, 10))
        db.session.flush()
        _visit(t8, sh(2026, 10, 16, 10), ["b_engineer"], "finished", parts=[("轴承", 3, Decimal("10.00"))])
        STORY[t8]["state"] = "resolved"
        _tell(t8)
        db.session.commit()
        STORY.clear()
        return {name: t.id for name, t in zip(("t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"),
                                               (t1, t2, t3, t4, t5, t6, t7, t8))} | {
            "numbers": {t.id: t.number for t in (t1, t2, t3, t4, t5, t6, t7, t8)}}


def figures_of(app, branch_id, month) -> dict:
    with app.test_request_context():
        statistics.refresh_month(branch_id, month)
        return statistics.rows_for(month, [branch_id])[branch_id].figures


@pytest.fixture
def october(app, world):
    return build_october(app, world)


# --- the figures, counted by hand -----------------------------------------------------------------

def test_a_branch_month_matches_the_hand_count(app, world, october):
    f = figures_of(app, world["A"], OCT)
    # t1 t2 t3 t4 t7 (t6 archived, t5 is Shanghai's November)
    assert f["tickets"] == {"total": 5, "by_kind": {"repair": 2, "installation": 2, "consultation": 1},
                            "by_channel": {"phone": 3, "visit": 1, "web": 1}}
    field = f["field"]
    # repairs: two visits carried out (cancelled and not yet started ones do not count), three
    # engineer-visits, but both engineers worked one day only
    assert {k: field["dispatch"][k] for k in ("visits", "person_times", "person_days", "hours_x100",
                                               "materials_fen", "unpriced_parts")} == {
        "visits": 2, "person_times": 3, "person_days": 2, "hours_x100": 300, "materials_fen": 2500,
        "unpriced_parts": 1}
    assert field["dispatch"]["cost_fen"] == 2 * 40000 + 2 * 5000 + 2500  # 925.00
    assert field["installation_paid"]["cost_fen"] == 40000 + 5000  # t3 was charged: 450.00
    assert field["installation_covered"]["cost_fen"] == 40000 + 5000 + 10000  # t2, no charge: 550.00
    assert f["costs"]["total_fen"] == 137500  # covered installation left out
    assert f["costs"]["covered_installation_fen"] == 55000
    assert f["costs"]["charged_fen"] == 20000
    assert f["costs"]["labour_fen"] == 120000 and f["costs"]["transport_fen"] == 15000
    assert f["sla"] == {
        "first_answer": {"met": 2, "missed": 0, "breached": 1, "running": 1},
        "arrival": {"met": 1, "missed": 1, "breached": 0, "running": 0},
        "resolution": {"met": 1, "missed": 1, "breached": 1, "running": 1},
    }
    cb = f["callbacks"]
    assert (cb["due"], cb["done"], cb["done_on_time"], cb["results"]) == (3, 2, 1, 2)
    assert statistics.satisfaction(cb) == Decimal("3.75")
    assert statistics.rating(cb, "rating_attitude") == Decimal("4.00")
    assert f["complaints"]["received"] == 2 and f["complaints"]["by_unit"] == {"quality": 1, "after_sales": 1}
    assert f["complaints"]["tickets"] == 5
    assert f["penalties"]["count"] == 1 and f["penalties"]["amount_fen"] == 5000


def test_the_next_change_of_a_running_clock_is_remembered(app, world, october):
    figures_of(app, world["A"], OCT)
    with app.app_context():
        row = db.session.get(StatsMonth, (world["A"], OCT))
        assert row.next_change_at == FAR.astimezone(timezone.utc)  # t2's resolution clock
        assert row.tickets == 5 and row.total_cost_fen == 137500


def test_the_company_adds_up_its_branches(app, world, october):
    with app.test_request_context():
        report = statistics.company_report(OCT)
    f = report.figures
    assert f["tickets"]["total"] == 6
    assert f["tickets"]["by_kind"] == {"repair": 3, "installation": 2, "consultation": 1}
    # B: one engineer-day at the default 300 yuan, 50 transport, 3 × 10 yuan of parts
    assert f["costs"]["total_fen"] == 137500 + 38000
    assert f["field"]["dispatch"]["person_days"] == 3
    assert f["sla"]["first_answer"]["met"] == 3
    assert f["complaints"]["received"] == 2 and f["callbacks"]["due"] == 3
    assert [line.branch.code for line in report.lines] == ["A", "B"]
    assert report.trend[-1] == (OCT, 6, 175500)


def test_month_boundaries_are_the_branch_local_months(app, world):
    with app.test_request_context():
        berlin = create_branch("C", "柏林站", "Berlin", timezone="Europe/Berlin")
        db.session.add(Customer(branch_id=berlin.id, name="Kunde C", phone="4930123"))
        create_user("c_clerk", PASSWORD, "C", ["clerk"])
        db.session.commit()
        world = {**world, "customers": {**world["customers"],
                                        "C": db.session.scalar(select(Customer.id).where(Customer.name == "Kunde C"))}}
        _ticket(world, "A", sh(2026, 11, 30, 23, 30))  # 15:30 UTC on the 30th
        _ticket(world, "A", sh(2026, 12, 1, 0, 10))  # still the 30th in UTC, December in Shanghai
        _ticket(world, "C", datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")))  # December in Shanghai
        db.session.commit()
        c_id = berlin.id
    assert figures_of(app, world["A"], NOV)["tickets"]["total"] == 1
    assert figures_of(app, world["A"], date(2026, 12, 1))["tickets"]["total"] == 1
    assert figures_of(app, c_id, NOV)["tickets"]["total"] == 1
    assert figures_of(app, c_id, date(2026, 12, 1))["tickets"]["total"] == 0


def test_a_visit_counts_on_its_local_day_at_the_month_end(app, world, october):
    # t2's visit at 23:00 on 31 October (15:00 UTC) is October's; t1's at 00:30 on 1 November is not
    f = figures_of(app, world["A"], OCT)
    assert f["field"]["installation_covered"]["visits"] == 1
    nov = figures_of(app, world["A"], NOV)
    assert nov["field"]["dispatch"]["visits"] == 1 and nov["tickets"]["total"] == 1


# --- fresh incrementally --------------------------------------------------------------------------

@pytest.fixture
def computed(monkeypatch):
    """Which branch-months were recomputed."""
    calls = []
    original = statistics.compute_figures

    def spy(branch, month, now=None):
        calls.append((branch.code, month))
        return original(branch, month, now)

    monkeypatch.setattr(statistics, "compute_figures", spy)
    return calls


def test_only_the_stale_branch_month_is_recomputed(app, world, october, computed):
    with app.test_request_context():
        statistics.company_report(OCT)
    assert ("A", OCT) in computed and ("B", OCT) in computed
    assert len(computed) == 2 * statistics.TREND_MONTHS  # the month and the trend, once
    computed.clear()
    with app.test_request_context():
        statistics.company_report(OCT)
    assert computed == []  # nothing changed: the page reads the aggregates only

    with app.test_request_context():  # a late part on A's October visit
        part = db.session.scalar(select(VisitPart).where(VisitPart.name == "膨胀螺栓"))
        part.unit_price = Decimal("120.00")
        db.session.commit()
    with app.test_request_context():
        report = statistics.company_report(OCT)
    assert computed == [("A", OCT)]
    assert report.figures["costs"]["covered_installation_fen"] == 57000

    computed.clear()
    with app.test_request_context():  # B's turn: A stays as it is
        ticket = db.session.get(Ticket, october["t8"])
        ticket.title = "轴承异响（已更正）"
        db.session.commit()
        statistics.company_report(OCT)
    assert computed == [("B", OCT)]


def test_a_new_ticket_of_an_older_month_marks_that_month_and_later_ones(app, world, october, computed):
    with app.test_request_context():
        for code in ("A", "B"):
            statistics.branch_report(db.session.get(Branch, world[code]), NOV)
        computed.clear()
        _ticket(world, "A", sh(2026, 10, 20, 10))
        db.session.commit()
        statistics.branch_report(db.session.get(Branch, world["A"]), NOV)
        statistics.branch_report(db.session.get(Branch, world["B"]), NOV)
    assert sorted(computed) == [("A", OCT), ("A", NOV)]


def test_a_cost_rate_change_recomputes_the_open_months(app, world, october):
    assert figures_of(app, world["B"], OCT)["costs"]["total_fen"] == 38000
    with app.test_request_context():
        _set_rate(world["B"], cost_per_person_day="500.00")
        db.session.commit()
        report = statistics.branch_report(db.session.get(Branch, world["B"]), OCT)
    assert report.figures["costs"]["total_fen"] == 58000


# --- closing ----------------------------------------------------------------------------------------

def close(web, month="2026-10", branch=""):
    return web.submit(f"/admin/stats/?month={month}", {"month": month, "branch": str(branch)},
                      post_url="/admin/stats/close")


def test_a_closed_month_keeps_its_figures_and_lists_late_edits(app, web, world, october):
    web.login("a_branch_manager")
    assert close(web, branch=world["A"]).status_code == 302
    with app.app_context():
        closing = db.session.scalar(select(StatsClosing).where(StatsClosing.branch_id == world["A"]))
        assert closing.snapshot["figures"]["tickets"]["total"] == 5
        assert closing.closed_by.username == "a_branch_manager"

    with app.test_request_context():  # late: a note on t1 and a ticket typed in for October
        t1 = db.session.get(Ticket, october["t1"])
        tickets.add_entry(t1, "note", "客户来电补充说明", _user("a_clerk"))
        late = _ticket(world, "A", sh(2026, 10, 21, 10))
        db.session.commit()
        late_number = late.number
        report = statistics.branch_report(db.session.get(Branch, world["A"]), OCT)
    assert report.figures["tickets"]["total"] == 5  # frozen
    assert report.late_edit_count == 2
    assert {number for _b, _id, number in report.late_edits} == {october["numbers"][october["t1"]], late_number}

    page = web.get("/admin/stats/?month=2026-10").text
    late_block = re.search(r'data-testid="late-edits".*?</div>', page, re.S).group(0)
    assert late_number in late_block and f'/admin/ticket/details/?id={october["t1"]}' in late_block
    assert 'data-testid="close-form"' not in page
    # closing twice changes nothing
    close(web, branch=world["A"])
    with app.app_context():
        assert db.session.query(StatsClosing).count() == 1


def test_an_untouched_closed_month_lists_no_late_edits(app, web, world, october):
    web.login("a_branch_manager")
    close(web, branch=world["A"])
    with app.test_request_context():  # a change to November only
        _ticket(world, "A", sh(2026, 11, 2, 10))
        db.session.commit()
    assert 'data-testid="late-edits"' not in web.get("/admin/stats/?month=2026-10").text


def test_the_current_month_cannot_be_closed(app, web, world):
    web.login("a_branch_manager")
    current = statistics.today_in("Asia/Shanghai").strftime("%Y-%m")
    assert 'data-testid="close-form"' not in web.get(f"/admin/stats/?month={current}").text
    close(web, month=current, branch=world["A"])
    with app.app_context():
        assert db.session.query(StatsClosing).count() == 0


def test_hq_closes_the_company_summary_once_every_branch_closed(app, web, world, october):
    web.login("admin")
    close(web)  # A and B are still open
    with app.app_context():
        assert db.session.query(StatsClosing).count() == 0
    web.logout()
    for manager, code in (("a_branch_manager", "A"), ("b_branch_manager", "B")):
        web.login(manager)
        close(web, branch=world[code])
        web.logout()
    web.login("admin")
    assert 'data-testid="close-form"' in web.get("/admin/stats/?month=2026-10").text
    close(web)
    with app.app_context():
        company = db.session.scalar(select(StatsClosing).where(StatsClosing.scope_key == COMPANY))
        assert company.branch_id is None and company.snapshot["figures"]["tickets"]["total"] == 6


# --- reminders ----------------------------------------------------------------------------------------

def test_the_report_reminder_runs_from_the_first_until_the_month_is_closed(app, world, october):
    with app.test_request_context():
        manager, admin = _user("a_branch_manager"), _user("admin")
        first = statistics.reminder(manager, today=date(2026, 11, 1))
        assert (first.month, first.due, first.overdue, first.company) == (OCT, date(2026, 11, 4), False, False)
        assert statistics.reminder(manager, today=date(2026, 11, 5)).overdue
        hq = statistics.reminder(admin, today=date(2026, 11, 5))
        assert (hq.due, hq.overdue, hq.company) == (date(2026, 11, 5), False, True)
        assert statistics.reminder(_user("a_clerk"), today=date(2026, 11, 1)) is None  # cannot close
        statistics.close_branch_month(db.session.get(Branch, world["A"]), OCT, manager)
        db.session.commit()
        assert statistics.reminder(manager, today=date(2026, 11, 2)) is None


# --- the page, export, print --------------------------------------------------------------------------

def english(web):
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")


def test_the_page_shows_the_tables_and_charts_from_the_portals_own_chart_library(app, web, world, october):
    web.login("admin")
    page = web.get(f"/admin/stats/?month=2026-10&branch={world['A']}").text
    for key in ("summary", "kinds", "channels", "field", "costs", "sla", "complaints", "callbacks", "penalties",
                "trend"):
        assert f'data-table="{key}"' in page
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js"></script>' in page
    assert not re.search(r'<script[^>]+src="(https?:)?//', page)
    assert 'data-chart="kinds"' in page and 'data-chart="trend"' in page
    assert 'href="/static/portal/print.css"' in page
    library = web.get("/static/vendor/chartjs/chart.umd.min.js")
    assert library.status_code == 200 and b"Chart.js v4" in library.data[:200]
    company = web.get("/admin/stats/?month=2026-10").text
    assert 'data-table="branches"' in company and 'data-chart="branches"' in company


def test_the_page_figures_read_like_the_hand_count(app, web, world, october):
    web.login("a_branch_manager")
    english(web)
    page = web.get("/admin/stats/?month=2026-10").text
    costs = re.search(r'data-table="costs".*?</section>', page, re.S).group(0)
    assert "1,375.00" in costs and "550.00" in costs
    sla = re.search(r'data-table="sla".*?</section>', page, re.S).group(0)
    assert "66.7 %" in sla  # first answer: 2 met of 3


def test_xlsx_export_has_one_sheet_per_table(app, web, world, october):
    web.login("admin")
    english(web)
    response = web.get("/admin/stats/export.xlsx?month=2026-10")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "Key figures", "Branches side by side", "Tickets by kind", "Tickets by channel",
        "Installations and dispatches", "After-sales cost", "Service levels", "Complaints by responsible unit",
        "Callbacks and satisfaction", "Penalties", "Last 12 months"]
    kinds = [row for row in book["Tickets by kind"].iter_rows(values_only=True)]
    assert kinds[0] == ("Kind", "Tickets", "Share")
    assert ("Repair request", 3, 0.5) in kinds
    branches = {row[0]: row for row in book["Branches side by side"].iter_rows(min_row=2, values_only=True)}
    assert branches["A 上海一店"][1] == 5 and branches["A 上海一店"][4] == 1375.0

    web.logout()
    web.login("a_branch_manager")
    english(web)
    book = load_workbook(io.BytesIO(web.get("/admin/stats/export.xlsx?month=2026-10").data))
    assert "Branches side by side" not in book.sheetnames and "Tickets by kind" in book.sheetnames


def test_plugin_sections_are_part_of_the_branch_page(app, web, world):
    with app.app_context():
        db.session.add(BranchPlugin(branch_id=world["A"], plugin="example_plugin", enabled=True,
                                    settings={"limit": 7}))
        db.session.commit()
    web.login("a_branch_manager")
    page = web.get("/admin/stats/").text
    assert "Example section" in page


def test_a_feature_not_written_yet_shows_as_not_available(app, web, world, monkeypatch):
    real = statistics.feature
    monkeypatch.setattr(statistics, "feature", lambda name: None if name == "complaints" else real(name))
    monkeypatch.setattr(statistics, "figures_version", lambda: "test-without-complaints")
    web.login("a_branch_manager")
    page = web.get("/admin/stats/").text
    section = re.search(r'data-table="complaints".*?</section>', page, re.S).group(0)
    assert 'data-testid="not-available"' in section
    assert web.get("/admin/stats/export.xlsx").status_code == 200


# --- who may see what ---------------------------------------------------------------------------------

@pytest.mark.parametrize("username, status", [
    ("admin", 200), ("a_branch_manager", 200), ("b_branch_manager", 200), ("a_clerk", 403), ("a_engineer", 403),
])
def test_who_may_open_the_statistics(app, web, world, username, status):
    web.login(username)
    assert web.get("/admin/stats/").status_code == status
    assert web.get("/admin/stats/export.xlsx").status_code == status


def test_signed_out_visitors_are_sent_to_login(web, world):
    response = web.get("/admin/stats/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_branch_staff_see_only_their_branch(app, web, world, october):
    web.login("a_branch_manager")
    own = web.get("/admin/stats/?month=2026-10").text
    assert "上海一店" in own and 'data-testid="branch-picker"' not in own
    assert web.get(f"/admin/stats/?month=2026-10&branch={world['A']}").status_code == 200
    for odd in (world["B"], world["hq"], "abc", "-1", "0", "99999999999", "1.5"):
        assert web.get(f"/admin/stats/?branch={odd}").status_code == 404, odd
        assert web.get(f"/admin/stats/export.xlsx?branch={odd}").status_code == 404, odd
    # closing another branch's month is no different
    assert close(web, branch=world["B"]).status_code == 404
    with app.app_context():
        assert db.session.query(StatsClosing).count() == 0


def test_hq_sees_every_branch_and_the_company(app, web, world, october):
    with app.app_context():
        create_user("hq_q", PASSWORD, "HQ", ["hq_quality"])
        db.session.commit()
    web.login("hq_q")
    company = web.get("/admin/stats/?month=2026-10").text
    assert 'data-testid="branch-picker"' in company and "郑州服务站" in company
    assert web.get(f"/admin/stats/?month=2026-10&branch={world['B']}").status_code == 200
    assert 'data-testid="close-form"' not in company  # may look, not close
    close(web)
    assert web.get("/admin/stats/?branch=99999").status_code == 404


def test_clerks_and_engineers_cannot_close(app, web, world, october):
    for name in ("a_clerk", "a_engineer"):
        web.login(name)
        token = csrf_token(web.get("/admin/").text)  # their own page: the statistics are a 403
        response = web.client.post("/admin/stats/close", data={"month": "2026-10", "branch": str(world["A"]),
                                                               "csrf_token": token})
        assert response.status_code == 403
        web.logout()
    with app.app_context():
        assert db.session.query(StatsClosing).count() == 0


@pytest.mark.parametrize("month", ["2026-13", "garbage", "1999-01", "2999-01", "", "2026-1"])
def test_odd_months_never_produce_a_server_error(web, world, month):
    web.login("admin")
    assert web.get("/admin/stats/", query_string={"month": month}).status_code == 200
    assert web.get("/admin/stats/export.xlsx", query_string={"month": month}).status_code == 200


# --- command line -------------------------------------------------------------------------------------

def test_the_cli_refreshes_and_skips_fresh_and_closed_months(app, runner, world, october):
    result = runner.invoke(args=["stats", "refresh", "--month", "2026-10"])
    assert result.exit_code == 0 and "refreshed 2 branch-months" in result.output
    result = runner.invoke(args=["stats", "refresh", "--month", "2026-10", "--stale-only"])
    assert "refreshed 0 branch-months" in result.output and "2 already fresh" in result.output
    with app.test_request_context():
        statistics.close_branch_month(db.session.get(Branch, world["A"]), OCT, _user("a_branch_manager"))
        db.session.commit()
    result = runner.invoke(args=["stats", "refresh", "--month", "2026-10", "--branch", "a", "--branch", "b"])
    assert "refreshed 1 branch-months; 1 closed" in result.output
    assert runner.invoke(args=["stats", "refresh", "--month", "10/2026"]).exit_code != 0


def test_the_company_page_follows_a_change_it_has_drawn_before(app, web, world, october):
    web.login("admin")
    english(web)

    def tickets_of_b():
        page = web.get("/admin/stats/?month=2026-10").text
        table = re.search(r'data-table="branches".*?</section>', page, re.S).group(0)
        return re.search(r"B 郑州服务站</td><td[^>]*>(\d+)<", table).group(1)

    assert tickets_of_b() == "1"
    assert tickets_of_b() == "1"  # drawn again from what was kept
    with app.test_request_context():
        _ticket(world, "B", sh(2026, 10, 28, 10))
        db.session.commit()
    assert tickets_of_b() == "2"
