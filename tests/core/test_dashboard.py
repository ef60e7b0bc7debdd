"""The dashboard of each role (issue 4 item 5): clerks see today's callbacks and tickets,
engineers today's visits, branch managers open / at risk / breached and this month's cost and
satisfaction, HQ every branch side by side with a chart; managers are reminded of the
monthly report until they close it."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core import statistics, visits
from portal.core.models import Branch, Ticket, User
from portal.core.models.callback import Callback
from portal.core.models.types import utcnow
from portal.core.tickets import NewTicket, open_ticket
from portal.extensions import db

CARD = re.compile(r'<div class="text-muted small">([^<]*)</div>\s*<div class="display-value">'
                  r'(?:<a href="([^"]*)">)?([^<]*)')


def _user(name) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def cards(web) -> dict:
    """Card title → (link, value)."""
    return {title.strip(): (url.replace("&amp;", "&") if url else url, value.strip())
            for title, url, value in CARD.findall(web.get("/admin/").text)}


def english(web):
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")


def _ticket(world, branch="A", **columns) -> Ticket:
    ticket = open_ticket(NewTicket(customer_id=world["customers"][branch], title="洗衣机不脱水"),
                         _user(f"{branch.lower()}_clerk"))
    for key, value in columns.items():
        setattr(ticket, key, value)
    return ticket


def _visit(ticket, when, engineer, state="scheduled"):
    ticket.state = "in_progress"
    visit = visits.schedule_visit(ticket, when, [_user(engineer).id], "世纪大道1号",
                                  _user(f"{ticket.branch.code.lower()}_clerk"))
    visit.state = state
    return visit


def _backdate_branches():
    for branch in db.session.scalars(select(Branch)):
        branch.created_at = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_a_clerk_sees_todays_callbacks_and_the_ticket_cards(app, web, world):
    today = statistics.today_in("Asia/Shanghai")
    with app.test_request_context():
        ticket = _ticket(world)
        for due in (today, today - timedelta(days=2), today + timedelta(days=3)):
            db.session.add(Callback(branch_id=world["A"], customer_id=world["customers"]["A"], ticket_id=ticket.id,
                                    kind="satisfaction", due_on=due, next_try_on=due, state="due"))
        db.session.add(Callback(branch_id=world["B"], customer_id=world["customers"]["B"], kind="satisfaction",
                                due_on=today, next_try_on=today, state="due"))
        db.session.commit()
    web.login("a_clerk")
    english(web)
    found = cards(web)
    link, value = found["Callbacks to make today"]
    assert value == "2"  # today's and the overdue one, of this branch only
    assert "/admin/callback/" in link and "flt0_0=today" in link
    assert found["Open tickets"][1] == "1" and "My visits today" not in found
    assert "After-sales cost this month (yuan)" not in found


def test_an_engineer_sees_todays_visits(app, web, world):
    now = utcnow()
    with app.test_request_context():
        ticket = _ticket(world)
        _visit(ticket, now + timedelta(minutes=5), "a_engineer")
        later = _ticket(world)
        _visit(later, now + timedelta(days=1, hours=1), "a_engineer")  # tomorrow
        other = _ticket(world, "B")
        _visit(other, now + timedelta(minutes=5), "b_engineer")
        db.session.commit()
        number, later_number = ticket.number, later.number
    web.login("a_engineer")
    english(web)
    link, value = cards(web)["My visits today"]
    assert value == "1" and link == "/admin/visit/?preset=mine_today"
    listing = web.get(link).text  # the card counts what the list shows
    assert number in listing and later_number not in listing


def test_a_branch_manager_sees_open_at_risk_breached_and_this_months_cost_and_satisfaction(app, web, world):
    now = utcnow()
    with app.test_request_context():
        _ticket(world, sla_next_due_at=now - timedelta(hours=1))  # breached
        _ticket(world, sla_next_due_at=now + timedelta(hours=1))  # at risk (4 h window)
        done = _ticket(world)
        _visit(done, now, "a_engineer", "finished")
        db.session.add(Callback(branch_id=world["A"], customer_id=world["customers"]["A"], ticket_id=done.id,
                                kind="satisfaction", due_on=statistics.today_in("Asia/Shanghai"), state="done",
                                done_on=statistics.today_in("Asia/Shanghai"), done_at=now, rating_attitude=5,
                                rating_skill=4, rating_punctuality=4, rating_service=4, fixed=True))
        db.session.commit()
    web.login("a_branch_manager")
    english(web)
    found = cards(web)
    assert found["Open tickets"][1] == "3"
    assert found["At risk"][1] == "1" and "flt0_0=at_risk" in found["At risk"][0]
    assert found["Breached"][1] == "1"
    month = statistics.today_in("Asia/Shanghai").strftime("%Y-%m")
    link, value = found["After-sales cost this month (yuan)"]
    assert value == "350.00" and link == f"/admin/stats/?month={month}"  # one engineer-day 300 + transport 50
    assert found["Satisfaction this month"][1] == "4.25"


def test_the_existing_late_count_still_reads_from_the_card_links(app, web, world):
    with app.test_request_context():
        _ticket(world, sla_next_due_at=utcnow() - timedelta(hours=2))
        db.session.commit()
    web.login("a_clerk")
    counts = dict(re.findall(r'href="[^"]*flt0_0=(\w+)">(\d+)</a>', web.get("/admin/").text))
    assert counts["breached"] == "1" and counts["open"] == "1" and counts["mine"] == "0"


def test_hq_sees_every_branch_side_by_side_with_a_chart(app, web, world):
    now = utcnow()
    with app.test_request_context():
        _ticket(world, "A")
        _ticket(world, "A", sla_next_due_at=now - timedelta(hours=3))
        _ticket(world, "B")
        db.session.commit()
    web.login("admin")
    page = web.get("/admin/").text
    rows = dict(re.findall(r'<tr data-branch="(\w+)">(.*?)</tr>', page, re.S))
    assert set(rows) >= {"A", "B", "HQ"}

    def col(code, name):
        return re.search(rf'data-col="{name}">([^<]*)<', rows[code]).group(1)

    assert (col("A", "open"), col("A", "breached"), col("A", "month-tickets")) == ("2", "1", "2")
    assert (col("B", "open"), col("B", "breached"), col("B", "month-tickets")) == ("1", "0", "1")
    assert col("A", "satisfaction") == "–"
    assert 'data-testid="branch-chart"' in page
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js"></script>' in page
    assert not re.search(r'<script[^>]+src="(https?:)?//', page)


def test_branch_staff_have_no_branch_table(app, web, world):
    web.login("a_branch_manager")
    page = web.get("/admin/").text
    assert 'data-testid="branch-table"' not in page and "branch-chart" not in page


@pytest.mark.parametrize("username, company", [("a_branch_manager", False), ("admin", True)])
def test_the_monthly_report_reminder_stays_until_the_month_is_closed(app, web, world, username, company):
    today = statistics.today_in("Asia/Shanghai")
    last = statistics.add_months(today.replace(day=1), -1)
    due_day = 5 if company else 4
    with app.app_context():
        _backdate_branches()
        db.session.commit()
    web.login(username)
    english(web)
    what = "HQ summary" if company else "Monthly report"
    title = f"{what} for {last:%Y-%m} due by {date(today.year, today.month, due_day):%Y-%m-%d}"
    found = cards(web)
    assert title in found, list(found)
    link, value = found[title]
    assert link == f"/admin/stats/?month={last:%Y-%m}"
    assert value == ("Overdue" if today.day > due_day else "To close")
    with app.test_request_context():
        manager = _user("a_branch_manager")
        for code in ("A", "B"):
            statistics.close_branch_month(db.session.get(Branch, world[code]), last,
                                          manager if code == "A" else _user("b_branch_manager"))
        db.session.commit()
        if company:
            statistics.close_company_month(last, _user("admin"))
            db.session.commit()
    assert title not in cards(web)


def test_clerks_and_engineers_get_no_report_reminder(app, web, world):
    with app.app_context():
        _backdate_branches()
        db.session.commit()
    for name in ("a_clerk", "a_engineer"):
        web.login(name)
        english(web)
        assert not any("Monthly report" in title for title in cards(web))
        web.logout()


def test_the_dashboard_cost_card_follows_new_work(app, web, world):
    """The aggregates are refreshed when the month changed: a visit finished after the first
    look raises the cost shown."""
    web.login("a_branch_manager")
    english(web)
    assert cards(web)["After-sales cost this month (yuan)"][1] == "0.00"
    with app.test_request_context():
        ticket = _ticket(world)
        _visit(ticket, utcnow(), "a_engineer", "arrived")
        db.session.commit()
    assert cards(web)["After-sales cost this month (yuan)"][1] == "350.00"
    assert Decimal("350.00") == statistics.yuan(35000)
