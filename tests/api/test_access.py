"""The access matrix through the API: each role gets exactly its permissions, and another
branch's records answer 404 — never their data, never a 500."""

from __future__ import annotations

import pytest

from portal.core.models import Customer, Ticket, User
from portal.core.tickets import NewTicket, open_ticket
from portal.extensions import db

ROLES = ["admin", "a_branch_manager", "a_clerk", "a_engineer"]


@pytest.fixture
def two_tickets(app, world):
    """One ticket in branch A, one in branch B."""
    with app.test_request_context():
        found = {}
        for code in ("A", "B"):
            user = db.session.get(User, world["users"][f"{code.lower()}_clerk"])
            found[code] = open_ticket(NewTicket(customer_id=world["customers"][code], title=f"坏了{code}"), user).id
        db.session.commit()
    return found


def _new_customer(world, who):
    body = {"name": f"新客户-{who}", "phone": "13700000000"}
    if who == "admin":
        body["branch_id"] = world["A"]
    return body


# (method, path template, body builder, {role: expected status})
MATRIX = [
    ("GET", "/api/v1/me", None, dict.fromkeys(ROLES, 200)),
    ("GET", "/api/v1/branches", None, {"admin": 200, "a_branch_manager": 200, "a_clerk": 403, "a_engineer": 403}),
    ("GET", "/api/v1/branches/{A}", None, {"admin": 200, "a_branch_manager": 200, "a_clerk": 403, "a_engineer": 403}),
    ("GET", "/api/v1/users", None, {"admin": 200, "a_branch_manager": 200, "a_clerk": 403, "a_engineer": 403}),
    ("GET", "/api/v1/customers", None, dict.fromkeys(ROLES, 200)),
    ("GET", "/api/v1/customers/{cust_A}", None, dict.fromkeys(ROLES, 200)),
    ("POST", "/api/v1/customers", _new_customer,
     {"admin": 201, "a_branch_manager": 201, "a_clerk": 201, "a_engineer": 403}),
    ("PATCH", "/api/v1/customers/{cust_A}", lambda w, who: {"version": 1, "notes": who},
     {"admin": 200, "a_branch_manager": 200, "a_clerk": 200, "a_engineer": 403}),
    ("POST", "/api/v1/customers/{cust_A}/products", lambda w, who: {"name": "冰箱"},
     {"admin": 201, "a_branch_manager": 201, "a_clerk": 201, "a_engineer": 403}),
    ("GET", "/api/v1/tickets", None, dict.fromkeys(ROLES, 200)),
    ("GET", "/api/v1/tickets/{ticket_A}", None, dict.fromkeys(ROLES, 200)),
    ("POST", "/api/v1/tickets", lambda w, who: {"customer_id": w["customers"]["A"], "title": who},
     {"admin": 201, "a_branch_manager": 201, "a_clerk": 201, "a_engineer": 403}),
    ("PATCH", "/api/v1/tickets/{ticket_A}", lambda w, who: {"version": 1, "priority": "high"},
     dict.fromkeys(ROLES, 200)),
    ("POST", "/api/v1/tickets/{ticket_A}/transitions", lambda w, who: {"to": "triaged", "nature": "other"},
     {"admin": 200, "a_branch_manager": 200, "a_clerk": 200, "a_engineer": 403}),
    ("POST", "/api/v1/tickets/{ticket_A}/entries", lambda w, who: {"kind": "call", "body": "客户来电"},
     dict.fromkeys(ROLES, 201)),
]


def _path(template, world, tickets):
    return template.format(A=world["A"], cust_A=world["customers"]["A"], ticket_A=tickets["A"])


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("method,template,body,expected", MATRIX,
                         ids=[f"{m} {t}" for m, t, _b, _e in MATRIX])
def test_each_role_gets_exactly_its_permissions(api, world, two_tickets, who, method, template, body, expected):
    api.as_(who)
    path = _path(template, world, two_tickets)
    response = api.client.open(path, method=method, json=body(world, who) if body else None,
                               headers=api._headers(None))
    assert response.status_code == expected[who], response.json
    if response.status_code == 403:
        assert response.json["error"]["code"] == "forbidden" and response.json["error"]["fields"] == {}


OTHER_BRANCH = [
    ("GET", "/api/v1/customers/{cust_B}", None),
    ("PATCH", "/api/v1/customers/{cust_B}", {"version": 1, "name": "hijacked"}),
    ("POST", "/api/v1/customers/{cust_B}/products", {"name": "偷偷"}),
    ("GET", "/api/v1/products/{prod_B}", None),
    ("PATCH", "/api/v1/products/{prod_B}", {"version": 1, "name": "hijacked"}),
    ("GET", "/api/v1/tickets/{ticket_B}", None),
    ("PATCH", "/api/v1/tickets/{ticket_B}", {"version": 1, "title": "hijacked"}),
    ("POST", "/api/v1/tickets/{ticket_B}/transitions", {"to": "cancelled", "reason": "x"}),
    ("POST", "/api/v1/tickets/{ticket_B}/entries", {"kind": "note", "body": "x"}),
]


@pytest.mark.parametrize("who", ["a_branch_manager", "a_clerk", "a_engineer"])
@pytest.mark.parametrize("method,template,body", OTHER_BRANCH, ids=[f"{m} {t}" for m, t, _b in OTHER_BRANCH])
def test_another_branchs_records_answer_404_and_stay_unchanged(app, api, world, two_tickets, who, method, template,
                                                               body):
    path = template.format(cust_B=world["customers"]["B"], prod_B=world["products"]["B"], ticket_B=two_tickets["B"])
    response = api.as_(who).client.open(path, method=method, json=body, headers=api._headers(None))
    # A role that may not do this anywhere is told so (403) before any record is looked up.
    cannot_anyway = who == "a_engineer" and method != "GET" and "/customers" in template or "/products" in template \
        and method != "GET" and who == "a_engineer"
    assert response.status_code == (403 if cannot_anyway else 404), response.json
    assert "客户B" not in response.text and "SN-B-1" not in response.text and "坏了B" not in response.text
    with app.app_context():
        assert db.session.get(Customer, world["customers"]["B"]).name == "客户B"
        ticket = db.session.get(Ticket, two_tickets["B"])
        assert ticket.title == "坏了B" and ticket.state == "received" and ticket.version == 1


def test_managers_see_only_their_branch_in_reference_lists(api, world):
    api.as_("a_branch_manager")
    assert [b["code"] for b in api.get("/api/v1/branches").json["items"]] == ["A"]
    assert api.get(f"/api/v1/branches/{world['B']}").status_code == 404
    users = {u["username"] for u in api.get("/api/v1/users?limit=100").json["items"]}
    assert "a_clerk" in users and "b_clerk" not in users and "admin" not in users
    assert api.get(f"/api/v1/users/{world['users']['b_clerk']}").status_code == 404
    api.as_("admin")
    assert {b["code"] for b in api.get("/api/v1/branches").json["items"]} == {"HQ", "A", "B"}


def test_lists_and_searches_show_only_the_own_branch(api, world, two_tickets):
    api.as_("a_clerk")
    names = [c["name"] for c in api.get("/api/v1/customers").json["items"]]
    assert names == ["客户A"]
    for query in ("phone=13900000002", "serial=SN-B", "q=客户B", "name=客户B", f"branch_id={world['B']}"):
        assert api.get(f"/api/v1/customers?{query}").json["items"] == [], query
    assert [t["title"] for t in api.get("/api/v1/tickets").json["items"]] == ["坏了A"]
    assert api.get(f"/api/v1/tickets?customer_id={world['customers']['B']}").json["items"] == []
    api.as_("admin")
    assert {t["title"] for t in api.get("/api/v1/tickets").json["items"]} == {"坏了A", "坏了B"}
    assert [t["title"] for t in api.get(f"/api/v1/tickets?branch_id={world['B']}").json["items"]] == ["坏了B"]


def test_branch_staff_cannot_open_a_ticket_for_another_branchs_customer(app, api, world):
    response = api.as_("a_clerk").post("/api/v1/tickets", json={"customer_id": world["customers"]["B"],
                                                                 "title": "偷偷"})
    assert response.status_code == 422 and "customer" in response.json["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0


def test_branch_staff_write_customers_into_their_own_branch_whatever_they_send(app, api, world):
    response = api.as_("a_clerk").post("/api/v1/customers", json={"name": "伪造", "phone": "1", "branch_id": world["B"]})
    assert response.status_code == 201 and response.json["branch_id"] == world["A"]


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "99999999999999999999", "1.5", "%00"])
def test_odd_ids_answer_json_404(api, world, raw):
    api.as_("a_clerk")
    for path in (f"/api/v1/tickets/{raw}", f"/api/v1/customers/{raw}", f"/api/v1/products/{raw}"):
        response = api.get(path)
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found", path


def test_a_plugin_step_guard_is_still_applied_through_the_api(app, api, world, two_tickets):
    """Permissions per step come from the workflow: an engineer can work, not triage."""
    api.as_("a_engineer")
    response = api.post(f"/api/v1/tickets/{two_tickets['A']}/transitions", json={"to": "triaged", "nature": "other"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Ticket, two_tickets["A"]).state == "received"
