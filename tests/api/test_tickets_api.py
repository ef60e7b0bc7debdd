"""Tickets through the API: open (safely retried with an Idempotency-Key), read with the
timeline and service-level clocks, edit with a version, and walk the workflow by target
state."""

from __future__ import annotations

import uuid

from portal.core.models import Ticket, TicketEvent
from portal.core.models.api_token import IdempotencyKey
from portal.extensions import db


def _open(api, world, title="洗衣机不脱水", **extra):
    response = api.post("/api/v1/tickets", json={"customer_id": world["customers"]["A"], "title": title,
                                                  "product_id": world["products"]["A"], **extra})
    assert response.status_code == 201, response.json
    return response.json


def _count(app, model=Ticket):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(model.id)))


def test_open_and_read_a_ticket_with_timeline_clocks_and_next_steps(api, world):
    api.as_("a_clerk")
    created = _open(api, world, channel="hotline", priority="high", description="转不动")
    assert created["number"].startswith("A-") and created["state"] == "received"
    assert created["branch_id"] == world["A"] and created["channel"] == "hotline"
    ticket = api.get(f"/api/v1/tickets/{created['id']}").json
    assert ticket["timeline"][0]["kind"] == "created" and ticket["timeline"][0]["body"] == "洗衣机不脱水"
    clocks = {c["clock"]: c for c in ticket["clocks"]}
    assert clocks["first_answer"]["status"] == "running" and clocks["first_answer"]["due"].endswith("Z")
    assert clocks["first_answer"]["due"] == ticket["first_answer_due"]
    assert clocks["arrival"]["status"] == "not_applicable"
    assert ticket["sla_next_due_at"] == ticket["first_answer_due"]
    assert {s["to"] for s in ticket["transitions"]} == {"triaged"}  # clerks triage but do not cancel
    manager = api.as_("a_branch_manager").get(f"/api/v1/tickets/{created['id']}").json
    assert {s["to"] for s in manager["transitions"]} == {"triaged", "cancelled"}


def test_walk_the_workflow_by_target_state(app, api, world):
    api.as_("a_branch_manager")
    ticket = _open(api, world)
    path = f"/api/v1/tickets/{ticket['id']}/transitions"
    moves = [
        {"to": "triaged", "nature": "product_quality"},
        {"to": "assigned", "assignee_id": world["users"]["a_engineer"]},
    ]
    for move in moves:
        response = api.post(path, json=move)
        assert response.status_code == 200, response.json
    assert response.json["state"] == "assigned" and response.json["assignee_id"] == world["users"]["a_engineer"]
    assert response.json["department"] == "quality" and response.json["warranty_free"] is True
    api.as_("a_engineer")
    assert api.post(path, json={"to": "in_progress", "handling": "phone_guidance"}).status_code == 200
    waiting = api.post(path, json={"to": "waiting_customer", "reason": "等客户回电"})
    assert waiting.json["state"] == "waiting_customer" and waiting.json["paused_since"]
    assert api.post(path, json={"to": "in_progress"}).json["state"] == "in_progress"  # resume, not reopen
    resolved = api.post(path, json={"to": "resolved", "solution": "电话指导清理排水泵"})
    assert resolved.json["state"] == "resolved" and resolved.json["solution"] == "电话指导清理排水泵"
    assert api.post(path, json={"to": "closed"}).status_code == 403  # engineers do not close
    api.as_("a_clerk")
    closed = api.post(path, json={"to": "closed", "version": resolved.json["version"]})
    assert closed.status_code == 200 and closed.json["state"] == "closed" and closed.json["closed_at"]
    steps = [e["data"].get("to") for e in closed.json["timeline"] if e["kind"] == "transition"]
    assert steps == ["triaged", "assigned", "in_progress", "waiting_customer", "in_progress", "resolved", "closed"]


def test_a_refused_step_names_the_missing_field_and_changes_nothing(app, api, world):
    api.as_("a_branch_manager")
    ticket = _open(api, world)
    path = f"/api/v1/tickets/{ticket['id']}/transitions"
    assert api.post(path, json={"to": "cancelled"}).json["error"]["fields"] == {"reason": "Give a reason."}
    assert api.post(path, json={"to": "triaged", "nature": "other"}).status_code == 200
    response = api.post(path, json={"to": "assigned", "assignee_id": world["users"]["b_clerk"]})
    assert response.status_code == 422 and "assignee" in response.json["error"]["fields"]
    assert api.post(path, json={"to": "no_such_state"}).status_code == 422
    with app.app_context():
        assert db.session.get(Ticket, ticket["id"]).state == "triaged"


def test_edit_title_description_priority_channel_with_version(app, api, world):
    api.as_("a_clerk")
    ticket = _open(api, world)
    response = api.patch(f"/api/v1/tickets/{ticket['id']}",
                         json={"version": ticket["version"], "title": " 不脱水且有异响 ", "priority": "urgent",
                               "channel": "email", "description": "第二次来电"})
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["title"], body["priority"], body["channel"], body["description"]) == \
        ("不脱水且有异响", "urgent", "email", "第二次来电")
    assert body["version"] == ticket["version"] + 1
    assert body["timeline"][-1]["kind"] == "note" and set(body["timeline"][-1]["data"]["edited"]) == \
        {"title", "priority", "channel", "description"}
    assert api.patch(f"/api/v1/tickets/{ticket['id']}", json={"title": "无版本"}).status_code == 422


def test_notes_and_calls_go_on_the_timeline(app, api, world):
    api.as_("a_clerk")
    ticket = _open(api, world)
    api.as_("a_engineer")
    response = api.post(f"/api/v1/tickets/{ticket['id']}/entries", json={"kind": "call", "body": "已联系客户"})
    assert response.status_code == 201 and response.json["kind"] == "call"
    with app.app_context():
        assert db.session.scalar(db.select(TicketEvent.body).where(TicketEvent.kind == "call")) == "已联系客户"


def test_list_filters_like_the_portal(api, world):
    api.as_("a_clerk")
    first = _open(api, world, title="一号", priority="low")
    second = _open(api, world, title="二号", priority="urgent")
    api.post(f"/api/v1/tickets/{second['id']}/transitions", json={"to": "triaged", "nature": "other"})
    titles = lambda query: [t["title"] for t in api.get(f"/api/v1/tickets?{query}").json["items"]]  # noqa: E731
    assert titles("") == ["二号", "一号"]
    assert titles("state=triaged") == ["二号"]
    assert titles("state=received&state=triaged") == ["二号", "一号"]
    assert titles("priority=low") == ["一号"]
    assert titles("show=open") == ["二号", "一号"]
    assert titles("show=mine") == []
    assert titles(f"customer_id={world['customers']['A']}&kind=repair") == ["二号", "一号"]
    assert titles("created_from=2000-01-01T00:00:00Z&created_to=2000-01-02T00:00:00%2B08:00") == []
    assert titles(f"created_from={first['created_at']}") == ["二号", "一号"]
    assert titles("show=breached") == []


def test_idempotency_key_makes_a_retry_return_the_same_ticket(app, api, world):
    api.as_("a_clerk")
    key = str(uuid.uuid4())
    body = {"customer_id": world["customers"]["A"], "title": "门店收银机重发"}
    first = api.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": key})
    retry = api.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == retry.status_code == 201
    assert retry.json == first.json
    assert retry.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _count(app) == 1
    other = api.post("/api/v1/tickets", json={**body, "title": "另一件事"}, headers={"Idempotency-Key": key})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert _count(app) == 1


def test_idempotency_keys_belong_to_their_user_and_are_optional(app, api, world):
    key = "till-2-0001"
    body = {"customer_id": world["customers"]["A"], "title": "同一把钥匙"}
    assert api.as_("a_clerk").post("/api/v1/tickets", json=body, headers={"Idempotency-Key": key}).status_code == 201
    assert api.as_("a_branch_manager").post("/api/v1/tickets", json=body,
                                            headers={"Idempotency-Key": key}).status_code == 201
    assert _count(app) == 2
    api.as_("a_clerk").post("/api/v1/tickets", json=body)
    api.as_("a_clerk").post("/api/v1/tickets", json=body)
    assert _count(app) == 4  # without a key every request opens a ticket
    bad = api.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": "含中文"})
    assert bad.status_code == 422 and "Idempotency-Key" in bad.json["error"]["fields"]


def test_a_refused_create_does_not_burn_the_idempotency_key(app, api, world):
    api.as_("a_clerk")
    key = str(uuid.uuid4())
    refused = api.post("/api/v1/tickets", json={"customer_id": world["customers"]["B"], "title": "x"},
                       headers={"Idempotency-Key": key})
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(IdempotencyKey.id))) == 0
    fixed = api.post("/api/v1/tickets", json={"customer_id": world["customers"]["A"], "title": "x"},
                     headers={"Idempotency-Key": key})
    assert fixed.status_code == 201
