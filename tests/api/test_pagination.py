"""Cursor pagination: following ``next`` visits every row exactly once, newest first, even
while new rows are being inserted between pages — and no page counts or offsets."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, insert

from portal.core.models import Ticket
from portal.core.models.types import utcnow
from portal.extensions import db

PAGE = 50


def _insert_tickets(app, world, count, start, branch="A"):
    now = utcnow()
    rows = [{"branch_id": world[branch], "number": f"{branch}-T-{start + i:06d}", "kind": "repair", "channel": "phone",
             "priority": "normal", "state": "received", "title": f"#{start + i}", "description": "", "solution": "",
             "customer_id": world["customers"][branch], "extra": {}, "exclusions": [], "version": 1,
             "created_at": now, "updated_at": now} for i in range(count)]
    with app.app_context():
        db.session.execute(insert(Ticket), rows)
        db.session.commit()
        return set(db.session.scalars(db.select(Ticket.id).where(Ticket.number.in_([r["number"] for r in rows]))))


@contextmanager
def _statements(app):
    seen = []

    def record(conn, cursor, statement, parameters, *args):
        seen.append((statement.lower(), parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_every_row_once_while_rows_are_inserted_between_pages(app, api, world):
    original = _insert_tickets(app, world, 250, 0)
    _insert_tickets(app, world, 30, 1000, branch="B")  # another branch, never listed for A
    api.as_("a_clerk")
    url = f"/api/v1/tickets?limit={PAGE}&state=received"
    seen, pages, inserted = [], 0, 0
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.json
        items = response.json["items"]
        assert len(items) <= PAGE
        seen += [item["id"] for item in items]
        url = response.json["next"]
        pages += 1
        if url:
            assert "state=received" in url and f"limit={PAGE}" in url
            _insert_tickets(app, world, 7, 2000 + inserted)  # a busy shop keeps opening tickets
            inserted += 7
    assert pages == 5
    assert len(seen) == len(set(seen)) == 250  # no duplicates
    assert set(seen) == original  # no gaps, and none of the rows inserted meanwhile
    assert seen == sorted(seen, reverse=True)  # newest first


def test_no_count_and_no_offset_behind_a_page(app, api, world):
    _insert_tickets(app, world, 30, 0)
    api.as_("a_clerk")
    first = api.get("/api/v1/tickets?limit=10").json
    with _statements(app) as statements:
        second = api.get(first["next"])
    assert second.status_code == 200 and len(second.json["items"]) == 10
    assert second.json["items"][0]["id"] < first["items"][-1]["id"]
    pages = [(s, p) for s, p in statements if "from ticket" in s and "order by ticket.id desc" in s]
    assert len(pages) == 1
    sql, parameters = pages[0]
    assert "ticket.id <" in sql  # keyset: starts after the cursor's id
    assert not any("count(" in s for s, _p in statements)
    # SQLite always renders "OFFSET ?"; it must be 0 (PostgreSQL renders none at all)
    assert " offset " not in sql or list(parameters)[-1] == 0


def test_last_page_has_no_next_and_limits_are_enforced(app, api, world):
    _insert_tickets(app, world, 3, 0)
    api.as_("a_clerk")
    page = api.get("/api/v1/tickets?limit=3").json
    assert len(page["items"]) == 3 and page["next"] is None
    assert len(api.get("/api/v1/tickets").json["items"]) == 3  # default limit 20
    for bad in ("limit=0", "limit=101", "limit=ten"):
        response = api.get(f"/api/v1/tickets?{bad}")
        assert response.status_code == 422 and "limit" in response.json["error"]["fields"], bad


def test_a_forged_cursor_is_refused(app, api, world):
    _insert_tickets(app, world, 5, 0)
    api.as_("a_clerk")
    cursor = api.get("/api/v1/tickets?limit=2").json["next"].split("cursor=")[1]
    for forged in ("abc", cursor[:-2] + "xx", "MTAw", "%00"):
        response = api.get(f"/api/v1/tickets?cursor={forged}")
        assert response.status_code == 422 and "cursor" in response.json["error"]["fields"], forged


def test_customer_and_user_lists_page_the_same_way(app, api, world):
    api.as_("admin")
    for i in range(5):
        assert api.post("/api/v1/customers", json={"name": f"客户{i}", "phone": f"1390000{i:04d}",
                                                   "branch_id": world["A"]}).status_code == 201
    url, names = "/api/v1/customers?limit=2", []
    while url:
        page = api.get(url).json
        names += [c["name"] for c in page["items"]]
        url = page["next"]
    assert names == ["客户4", "客户3", "客户2", "客户1", "客户0", "客户B", "客户A"]
    users = api.get("/api/v1/users?limit=3").json
    assert len(users["items"]) == 3 and users["next"]
