"""Callbacks (the queue, recording a result) and monthly statistics (read a month)
through the API, each within the caller's branch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.core.callbacks import schedule_callback, today_for
from portal.core.models import User
from portal.core.models.callback import Callback
from portal.core.tickets import NewTicket, open_ticket
from portal.extensions import db


@pytest.fixture
def due_calls(app, world):
    """A product-use callback due today in each branch, and one for next week in A."""
    with app.test_request_context():
        found = {}
        for code in ("A", "B"):
            today = today_for(world[code])
            found[code] = schedule_callback(world["customers"][code], today, "product_use", "使用回访").id
        found["later"] = schedule_callback(world["customers"]["A"], today_for(world["A"]) + timedelta(days=7),
                                           "product_use", "下周回访").id
        db.session.commit()
    return found


def test_the_queue_shows_todays_calls_of_the_own_branch(api, world, due_calls):
    api.as_("a_clerk")
    today = api.get("/api/v1/callbacks").json["items"]
    assert [c["id"] for c in today] == [due_calls["A"]]
    assert today[0]["state"] == "due" and today[0]["needs_follow_up"] is False
    upcoming = api.get("/api/v1/callbacks?show=upcoming").json["items"]
    assert [c["id"] for c in upcoming] == [due_calls["later"]]
    assert api.get(f"/api/v1/callbacks/{due_calls['B']}").status_code == 404
    assert api.as_("a_engineer").get("/api/v1/callbacks").status_code == 403
    everything = api.as_("admin").get("/api/v1/callbacks?show=all").json["items"]
    assert {c["id"] for c in everything} == set(due_calls.values())


def test_record_an_answered_call_and_a_poor_rating_asks_for_follow_up(app, api, world, due_calls):
    api.as_("a_clerk")
    path = f"/api/v1/callbacks/{due_calls['A']}/result"
    incomplete = api.post(path, json={"outcome": "answered"})
    assert incomplete.status_code == 422 and "rating_service" in incomplete.json["error"]["fields"]
    done = api.post(path, json={"outcome": "answered", "version": 1, "rating_service": 1, "suggestions": "太慢"})
    assert done.status_code == 200, done.json
    assert done.json["state"] == "done" and done.json["rating_service"] == 1
    assert done.json["needs_follow_up"] is True and done.json["done_by_id"] == world["users"]["a_clerk"]
    again = api.post(path, json={"outcome": "no_answer"})
    assert again.status_code == 409  # closed already
    with app.app_context():
        assert db.session.get(Callback, due_calls["A"]).suggestions == "太慢"


def test_no_answer_is_retried_and_stale_versions_refused(app, api, world, due_calls):
    api.as_("a_clerk")
    path = f"/api/v1/callbacks/{due_calls['A']}/result"
    first = api.post(path, json={"outcome": "no_answer", "version": 1})
    assert first.status_code == 200 and first.json["state"] == "no_answer" and first.json["attempts"] == 1
    assert first.json["next_try_on"] > first.json["due_on"]
    stale = api.post(path, json={"outcome": "no_answer", "version": 1})
    assert stale.status_code == 409
    assert api.post(f"/api/v1/callbacks/{due_calls['B']}/result", json={"outcome": "no_answer"}).status_code == 404
    assert api.post(path, json={"outcome": "answered", "fixed": 1, "rating_service": 5}).status_code == 422


def test_a_month_of_statistics_for_the_own_branch_or_the_company(app, api, world):
    with app.test_request_context():
        clerk = db.session.get(User, world["users"]["a_clerk"])
        open_ticket(NewTicket(customer_id=world["customers"]["A"], title="本月工单"), clerk)
        db.session.commit()
    month = api.as_("a_branch_manager").get("/api/v1/tickets").json["items"][0]["created_at"][:7]
    own = api.get(f"/api/v1/statistics?month={month}")
    assert own.status_code == 200, own.json
    assert own.json["branch_id"] == world["A"] and own.json["month"] == month
    assert own.json["figures"]["tickets"]["total"] == 1 and own.json["closed"] is False
    forged = api.get(f"/api/v1/statistics?month={month}&branch_id={world['B']}")
    assert forged.json["branch_id"] == world["A"]  # branch staff always get their own branch
    company = api.as_("admin").get(f"/api/v1/statistics?month={month}")
    assert company.status_code == 200 and company.json["branch_id"] is None
    assert {line["branch_code"] for line in company.json["branches"]} == {"A", "B"}
    branch_b = api.get(f"/api/v1/statistics?month={month}&branch_id={world['B']}")
    assert branch_b.json["branch_id"] == world["B"] and branch_b.json["figures"]["tickets"]["total"] == 0
    assert api.as_("a_clerk").get(f"/api/v1/statistics?month={month}").status_code == 403
    for bad in ("2026-13", "1999-01", "11-2026", ""):
        assert api.as_("admin").get(f"/api/v1/statistics?month={bad}").status_code == 422, bad
