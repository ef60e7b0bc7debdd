"""``POST /api/v1/retail/decision`` for a till or a web shop: bearer token, the decision
in the settings of the caller's branch, errors in the API's one shape."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.api.tokens import create_token
from portal.core.models import User
from portal.extensions import db

from .conftest import purchase, set_settings, switch, today

URL = "/api/v1/retail/decision"


@pytest.fixture
def call(app, client, store):
    with app.app_context():
        secrets = {name: create_token(db.session.get(User, user_id), "till").secret
                   for name, user_id in store["users"].items()}
        db.session.commit()

    def post(username, body, language="en"):
        headers = {"Accept-Language": language}
        if username:
            headers["Authorization"] = f"Bearer {secrets[username]}"
        return client.post(URL, json=body, headers=headers)
    return post


def _days_ago(n):
    return (today() - timedelta(days=n)).isoformat()


def test_the_decision_as_json_in_the_callers_branch_settings(app, call, store):
    body = {"purchase_date": _days_ago(5), "request_date": today().isoformat(), "reason": "no_reason",
            "conditions": ["resellable"]}
    answer = call("a_store_clerk", body)
    assert answer.status_code == 200, answer.json
    assert answer.json["decision"] == "return" and answer.json["rule"] == "return_any_reason_7d"
    assert answer.json["reasons"] == ["within_any_reason_window"] and answer.json["days"] == 5
    assert answer.json["branch_id"] == store["A"] and answer.json["explanation"]
    # Another branch's numbers give another answer to the same question.
    set_settings(app, store["C"], return_any_reason_days=3)
    assert call("c_store_clerk", body).json["decision"] == "refused"
    assert call("a_store_clerk", body).json["decision"] == "return"
    # The request date defaults to the branch's today.
    assert call("a_store_clerk", {"purchase_date": _days_ago(5), "reason": "no_reason",
                                  "conditions": ["resellable"]}).json["days"] == 5


def test_boundaries_and_exclusions_through_the_api(call):
    def decide(days, reason, conditions=()):
        return call("a_store_clerk", {"purchase_date": "2026-01-31", "request_date": days, "reason": reason,
                                      "conditions": list(conditions)}).json["decision"]
    assert decide("2026-02-07", "no_reason", ["resellable"]) == "return"  # day 7
    assert decide("2026-02-08", "no_reason", ["resellable"]) == "refused"  # day 8
    assert decide("2026-02-15", "quality") == "return"  # day 15
    assert decide("2026-02-16", "quality") == "exchange"  # day 16
    assert decide("2026-03-02", "quality") == "exchange"  # day 30
    assert decide("2026-03-03", "quality") == "free_repair"  # day 31
    assert decide("2026-04-30", "quality") == "free_repair"  # 3 months after 01-31, clamped to 04-30
    assert decide("2026-05-01", "quality") == "paid_repair"
    assert decide("2026-02-03", "quality", ["customer_damage"]) == "paid_repair"
    assert decide("2026-02-03", "no_reason", ["resellable", "gift"]) == "refused"


def test_a_purchase_in_a_customer_file_decides_by_its_date_within_the_callers_scope(app, call, store):
    mine = purchase(app, store, 20, "INV-1")
    theirs = purchase(app, store, 20, "INV-2", branch="C")
    answer = call("a_store_clerk", {"product_id": mine, "reason": "quality"})
    assert answer.status_code == 200 and answer.json["decision"] == "exchange" and answer.json["days"] == 20
    missing = call("a_store_clerk", {"product_id": theirs, "reason": "quality"})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert call("a_store_clerk", {"product_id": 2**31 - 1, "reason": "quality"}).status_code == 404
    # HQ sees every file: the purchase's branch decides.
    assert call("admin", {"product_id": theirs, "reason": "quality"}).json["branch_id"] == store["C"]


def test_input_errors_are_422_in_the_apis_error_shape(call):
    unknown = call("a_store_clerk", {"purchase_date": "2026-01-01", "reason": "quality",
                                     "conditions": ["resellable", "stolen"]})
    assert unknown.status_code == 422
    error = unknown.json["error"]
    assert error["code"] == "invalid" and "stolen" in error["fields"]["conditions"]
    assert set(error) == {"code", "message", "fields"}
    both = call("a_store_clerk", {"purchase_date": "2026-01-01", "product_id": 1, "reason": "quality"})
    assert both.status_code == 422 and "purchase_date" in both.json["error"]["fields"]
    neither = call("a_store_clerk", {"reason": "quality"})
    assert neither.status_code == 422
    assert call("a_store_clerk", {"purchase_date": "2026-01-01", "reason": "why"}).status_code == 422
    assert call("a_store_clerk", {"purchase_date": "9999-12-31", "reason": "quality"}).status_code == 422
    assert call("a_store_clerk", {"purchase_date": "2026-01-01", "reason": "quality",
                                  "conditions": "resellable"}).status_code == 422
    before = call("a_store_clerk", {"purchase_date": "2026-03-10", "request_date": "2026-03-01",
                                    "reason": "quality"})
    assert before.status_code == 422 and "request_date" in before.json["error"]["fields"]
    assert call("admin", {"purchase_date": "2026-01-01", "reason": "quality"}).status_code == 422  # which branch?


def test_messages_follow_accept_language(call):
    body = {"purchase_date": "2026-01-01", "reason": "quality", "conditions": ["stolen"]}
    assert "stolen" in call("a_store_clerk", body, language="zh").json["error"]["fields"]["conditions"]


def test_who_may_ask(app, call, store):
    body = {"purchase_date": _days_ago(1), "reason": "no_reason", "conditions": ["resellable"]}
    assert call(None, body).status_code == 401
    for username, status in (("a_store_clerk", 200), ("a_store_manager", 200), ("admin", 422),
                             ("a_clerk", 403), ("a_engineer", 403), ("a_branch_manager", 403),
                             ("b_clerk", 404), ("b_branch_manager", 404), ("hq_approver", 403)):
        assert call(username, body).status_code == status, username
    assert call("admin", {**body, "branch_id": store["A"]}).status_code == 200
    assert call("admin", {**body, "branch_id": store["B"]}).status_code == 404  # no retail store there
    assert call("a_store_clerk", {**body, "branch_id": store["C"]}).status_code == 404


def test_the_api_is_absent_where_the_plugin_is_switched_off(app, call, store):
    body = {"purchase_date": _days_ago(1), "reason": "no_reason", "conditions": ["resellable"]}
    switch(app, store["A"], False)
    answer = call("a_store_clerk", body)
    assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"
    assert call("c_store_clerk", body).status_code == 200


def test_the_endpoint_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/retail/decision"]["post"]
    assert "retail_store" in operation["tags"]
    assert operation["requestBody"]
