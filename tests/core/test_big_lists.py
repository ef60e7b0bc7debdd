"""Lists stay fast at any depth: bounded counts, keyset pages, no N+1 queries."""

import re

import pytest
from sqlalchemy import event

from portal.core import tickets
from portal.core.models import Ticket, User
from portal.extensions import db


def _many_tickets(app, world, count):
    with app.test_request_context():
        clerk = db.session.get(User, world["users"]["a_clerk"])
        for i in range(count):
            tickets.open_ticket(tickets.NewTicket(customer_id=world["customers"]["A"], title=f"批量{i:03d}",
                                                  product_id=world["products"]["A"]), clerk)
        db.session.commit()


def _titles(html):
    return re.findall(r"批量\d{3}", html)


def _follow_older_links(web, url, pages=10):
    """The titles on each page, following "Older" until there is none; and the URLs."""
    seen, urls = [], []
    for _page in range(pages):
        if not url:
            break
        urls.append(url)
        page = web.get(url).text
        seen += _titles(page)
        match = re.search(r'href="([^"]+)" data-testid="older-page"', page)
        url = match.group(1).replace("&amp;", "&") if match else None
    return seen, urls


def test_older_pages_continue_without_gaps_or_duplicates(app, web, world):
    _many_tickets(app, world, 45)
    web.login("a_clerk")
    seen, urls = _follow_older_links(web, "/admin/ticket/?flt0_0=open")
    assert len(urls) == 3  # 45 rows, 20 a page: three pages, then no "older" link
    assert all("flt0_0=open" in url for url in urls)  # the quick view is kept while paging
    assert len(seen) == 45 and len(set(seen)) == 45
    assert seen == sorted(seen, reverse=True)  # newest first, in order across pages


def test_the_count_is_bounded(app, web, world, monkeypatch):
    _many_tickets(app, world, 12)
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "ticket")
    monkeypatch.setattr(view, "count_cap", 10)
    web.login("a_clerk")
    page = web.get("/admin/ticket/").text
    assert re.search(r'data-testid="row-count">\s*(More than 10|超过 10)', page)
    monkeypatch.setattr(view, "count_cap", 1000)
    page = web.get("/admin/ticket/").text
    assert re.search(r'data-testid="row-count">\s*(12 records|共 12 条)', page)


def statements_of(app, web, url) -> list[str]:
    """The SQL statements one page view runs."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert web.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def count_statements(app, web, url):
    return len(statements_of(app, web, url))


@pytest.mark.parametrize("endpoint", ["ticket", "customer", "visit"])
def test_a_list_page_costs_the_same_number_of_queries_for_5_or_50_rows(app, web, world, endpoint):
    _many_tickets(app, world, 50)
    web.login("a_branch_manager")
    web.get(f"/admin/{endpoint}/")  # warm caches that are per process, not per page
    small = count_statements(app, web, f"/admin/{endpoint}/?page_size=5")
    large = count_statements(app, web, f"/admin/{endpoint}/?page_size=50")
    assert large == small, (small, large)


@pytest.mark.parametrize("endpoint", ["ticket", "customer", "product"])
def test_big_lists_never_count_every_row(app, web, world, endpoint):
    """Flask-Admin counts the whole table before each page by default; at a million rows
    that is most of the page's time. Our count stops after count_cap rows."""
    _many_tickets(app, world, 3)
    web.login("a_branch_manager")
    counts = [s for s in statements_of(app, web, f"/admin/{endpoint}/") if "count(" in s.lower()]
    assert counts and all("LIMIT" in s.upper() for s in counts), counts


def _plan(query) -> str:
    """The database's plan for a query. On PostgreSQL sequential scans are priced out, so
    on a test database of a few rows the plan shows whether an index path exists at all."""
    sql = str(query.statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        return "\n".join(row[-1] for row in db.session.execute(db.text("EXPLAIN QUERY PLAN " + sql)))
    db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in db.session.execute(db.text("EXPLAIN " + sql)))


@pytest.mark.parametrize("term", ["13800000001", "1390"])
def test_a_ticket_search_by_number_is_answered_from_indexes(app, world, term):
    """An OR of IN-subqueries made PostgreSQL read every ticket for one phone number.
    (A word is also looked for anywhere in the summary, which no index answers.)"""
    from portal.core.views.ticket_lists import search_condition

    with app.app_context():
        query = (db.session.query(Ticket.id).filter(Ticket.deleted_at.is_(None), search_condition(term))
                 .order_by(Ticket.id.desc()).limit(20))
        plan = _plan(query)
        db.session.rollback()
    assert not re.search(r"^\s*(SCAN ticket\b|.*Seq Scan on ticket\b)", plan, re.M), plan
    # tickets are reached through their customer's and product's indexes, not read in full
    for index in ("ix_customer_phone", "ix_ticket_customer", "ix_product_serial_number", "ix_ticket_product"):
        assert index in plan, plan


def test_a_date_range_lists_by_date_and_pages_without_gaps_or_duplicates(app, web, world):
    """Tickets whose dates are not in id order, many on the same moment: page after page
    of a date-range filter gives each ticket of the range once, newest first."""
    from datetime import datetime, timedelta, timezone

    from portal.core.views.base import ScopedModelView

    _many_tickets(app, world, 30)
    start = datetime(2026, 3, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
    with app.app_context():
        rows = db.session.scalars(db.select(Ticket).order_by(Ticket.id)).all()
        for i, ticket in enumerate(rows):
            ticket.created_at = start + timedelta(days=i % 7) if i < 25 else start - timedelta(days=30)
        db.session.commit()
        expected = [t.title for t in sorted(rows[:25], key=lambda t: (t.created_at, t.id), reverse=True)]
        view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "ticket")
        assert isinstance(view, ScopedModelView)
        between = next(i for i, f in enumerate(view._filters)
                       if getattr(f, "column", None) is Ticket.__table__.c.created_at
                       and type(f).__name__.endswith("BetweenFilter") and "Not" not in type(f).__name__)
    web.login("a_branch_manager")
    seen, _urls = _follow_older_links(
        web, f"/admin/ticket/?page_size=5&flt0_{between}=2026-03-01+00:00:00+to+2026-03-31+23:59:59")
    assert seen == expected


def test_a_list_writes_its_limits_into_the_statement(app, web, world):
    """PostgreSQL re-plans a statement whose LIMIT is a parameter on every run (it cannot
    price a kept plan without the number); written in, the list's plan is kept."""
    _many_tickets(app, world, 3)
    web.login("a_branch_manager")
    seen = statements_of(app, web, "/admin/ticket/?page_size=50")
    [listed] = [s for s in seen if "FROM ticket" in s and "批量" not in s and "LIMIT" in s]
    assert re.findall(r"LIMIT\s+([^\s)]+)", listed) == ["1001", "50"]


def test_a_search_with_quotes_and_backslashes_finds_its_ticket(app, web, world):
    """On PostgreSQL the search's words are written into the statement (so a kept generic
    plan, which reads every ticket, is never used for a search): written in safely, a
    name with quotes and a backslash finds its ticket and nothing else."""
    from urllib.parse import quote

    from portal.core.models import Customer

    _many_tickets(app, world, 2)
    name = "O'Neil\\王's"
    with app.app_context():
        db.session.get(Customer, world["customers"]["A"]).name = name
        db.session.commit()
    web.login("a_branch_manager")
    seen = statements_of(app, web, "/admin/ticket/?search=" + quote("O'Neil\\"))
    page = web.get("/admin/ticket/?search=" + quote("O'Neil\\")).text
    assert len(_titles(page)) == 2
    assert "批量" not in web.get("/admin/ticket/?search=" + quote("O'Neil' OR '1'='1")).text
    [listed] = [s for s in seen if "FROM ticket" in s and "UNION" in s]
    with app.app_context():
        written_in = db.engine.dialect.name == "postgresql"
    assert ("'O''Neil\\'" in listed) is written_in, listed
