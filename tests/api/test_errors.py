"""Every error the API gives has one JSON shape and the right status — 400, 401, 403, 404,
405, 409, 422, 429 — in the caller's language; nothing, however malformed, is a 500."""

from __future__ import annotations

import pytest

from portal.core.models import Ticket, User
from portal.core.tickets import NewTicket, open_ticket
from portal.extensions import db


def _shape(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    error = response.json["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code:
        assert error["code"] == code
    return error


@pytest.fixture
def ticket_id(app, world):
    with app.test_request_context():
        user = db.session.get(User, world["users"]["a_clerk"])
        ticket = open_ticket(NewTicket(customer_id=world["customers"]["A"], title="不制冷"), user)
        db.session.commit()
        return ticket.id


def test_400_malformed_json(api):
    api.as_("a_clerk")
    for raw in ("{bad", '{"title": ', "\xff\xfe"):
        response = api.client.post("/api/v1/tickets", data=raw, content_type="application/json",
                                   headers=api._headers(None))
        _shape(response, 400, "bad_request")


def test_401_without_or_with_a_wrong_token(api, client):
    _shape(client.get("/api/v1/tickets"), 401, "unauthorized")
    _shape(client.get("/api/v1/tickets", headers={"Authorization": "Bearer ast_guessed"}), 401, "unauthorized")
    _shape(client.get("/api/v1/tickets", headers={"Authorization": "Basic YTpi"}), 401, "unauthorized")
    _shape(client.post("/api/v1/tickets", json={}), 401, "unauthorized")  # before any validation


def test_403_not_allowed(api, world):
    error = _shape(api.as_("a_engineer").post("/api/v1/customers", json={"name": "x", "phone": "1"}), 403,
                   "forbidden")
    assert error["fields"] == {}


def test_404_unknown_address_and_record(api, world):
    api.as_("a_clerk")
    _shape(api.get("/api/v1/nothing-here"), 404, "not_found")
    _shape(api.get("/api/v1/tickets/424242"), 404, "not_found")
    _shape(api.get("/api/v1/tickets/1/nothing"), 404, "not_found")


def test_405_wrong_method_names_the_allowed_ones(api, world):
    response = api.as_("a_clerk").delete("/api/v1/tickets")
    _shape(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_409_stale_version(app, api, ticket_id):
    api.as_("a_clerk")
    first = api.patch(f"/api/v1/tickets/{ticket_id}", json={"version": 1, "priority": "high"})
    assert first.status_code == 200 and first.json["version"] == 2
    second = api.patch(f"/api/v1/tickets/{ticket_id}", json={"version": 1, "title": "覆盖"})
    _shape(second, 409, "conflict")
    stale_step = api.post(f"/api/v1/tickets/{ticket_id}/transitions",
                          json={"to": "triaged", "nature": "other", "version": 1})
    _shape(stale_step, 409)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.title == "不制冷" and ticket.state == "received"


def test_409_illegal_transition(app, api, ticket_id):
    error = _shape(api.as_("a_clerk").post(f"/api/v1/tickets/{ticket_id}/transitions", json={"to": "closed"}), 409,
                   "illegal_transition")
    assert error["fields"] == {}
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).state == "received"


def test_409_stale_customer_and_product(api, world):
    api.as_("a_clerk")
    customer = f"/api/v1/customers/{world['customers']['A']}"
    assert api.patch(customer, json={"version": 1, "city": "上海"}).status_code == 200
    _shape(api.patch(customer, json={"version": 1, "city": "北京"}), 409)
    product = f"/api/v1/products/{world['products']['A']}"
    assert api.patch(product, json={"version": 1, "model": "X1"}).status_code == 200
    _shape(api.patch(product, json={"version": 1, "model": "X2"}), 409)


def test_422_invalid_values_name_the_fields(api, world):
    api.as_("a_clerk")
    error = _shape(api.post("/api/v1/tickets", json={"customer_id": "1", "priority": "asap", "title": ""}), 422,
                   "invalid")
    assert set(error["fields"]) == {"customer_id", "priority", "title"}
    error = _shape(api.post("/api/v1/tickets", json={"customer_id": world["customers"]["A"], "title": "x",
                                                    "surprise": 1}), 422)
    assert "surprise" in error["fields"]
    error = _shape(api.get("/api/v1/tickets?limit=1000&stat=open"), 422)
    assert {"limit", "stat"} <= set(error["fields"])
    error = _shape(api.post("/api/v1/tickets", json=["not", "an", "object"]), 422)
    error = _shape(api.post("/api/v1/customers", json={"name": "x\u0000y", "phone": "1"}), 422)
    assert "name" in error["fields"]
    error = _shape(api.get("/api/v1/tickets?created_from=2026-01-01T00:00:00"), 422)  # no offset
    assert "created_from" in error["fields"]


def test_422_for_a_rule_that_needs_a_field(api, ticket_id):
    error = _shape(api.as_("a_clerk").post(f"/api/v1/tickets/{ticket_id}/transitions", json={"to": "triaged"}), 422)
    assert set(error["fields"]) == {"nature"}


def test_429_throttled_per_token(app, api, tokens, monkeypatch):
    limiter = app.extensions["portal_api"]["limiter"]
    limiter.reset()
    monkeypatch.setitem(app.config, "PORTAL_API_RATE_LIMIT", "3/minute")
    try:
        api.as_("a_clerk")
        assert [api.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
        response = api.get("/api/v1/me")
        _shape(response, 429, "throttled")
        assert int(response.headers["Retry-After"]) > 0
        assert api.as_("a_engineer").get("/api/v1/me").status_code == 200  # another token, another bucket
    finally:
        limiter.reset()


def test_the_rate_limit_counts_refused_requests_and_stays_out_of_the_admin_pages(app, api, client, world,
                                                                                 monkeypatch):
    """The limiter's hooks run for the API only (portal/api/__init__.py), still before the
    token is checked: guessing tokens is throttled per address like any other request."""
    limiter = app.extensions["portal_api"]["limiter"]
    assert limiter._check_request_limit not in app.before_request_funcs[None]
    assert app.before_request_funcs["api"][0] == limiter._check_request_limit
    limiter.reset()
    monkeypatch.setitem(app.config, "PORTAL_API_RATE_LIMIT", "2/minute")
    try:
        refused = [client.get("/api/v1/me", headers={"Authorization": "Bearer guessed"}) for _ in range(3)]
        assert [r.status_code for r in refused] == [401, 401, 429]
        assert refused[0].headers["X-RateLimit-Limit"] == "2"
        for _ in range(3):  # the admin pages are not counted, and carry no rate-limit headers
            page = client.get("/login")
            assert page.status_code == 200 and "X-RateLimit-Limit" not in page.headers
    finally:
        limiter.reset()


def test_an_unexpected_failure_is_json_without_details_and_saves_nothing(app, api, world, monkeypatch):
    from portal.core import tickets

    def broken(*args, **kwargs):
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr(tickets, "open_ticket", broken)
    response = api.as_("a_clerk").post("/api/v1/tickets", json={"customer_id": world["customers"]["A"], "title": "x"})
    error = _shape(response, 500, "server_error")
    assert "secret detail" not in response.get_data(as_text=True)
    assert error["fields"] == {}


def test_messages_follow_accept_language_chinese_first(api, world):
    api.as_("a_clerk")
    api.language = "en"
    assert api.get("/api/v1/tickets/424242").json["error"]["message"] == \
        "There is nothing here, or it belongs to another branch."
    api.language = "zh-CN,zh;q=0.9"
    chinese = api.get("/api/v1/tickets/424242").json["error"]["message"]
    assert chinese != "There is nothing here, or it belongs to another branch." and "分支" in chinese
    api.language = ""
    assert api.get("/api/v1/tickets/424242").json["error"]["message"] == chinese  # default: Chinese
    api.language = "fr"
    assert api.get("/api/v1/tickets/424242").json["error"]["message"] == chinese
