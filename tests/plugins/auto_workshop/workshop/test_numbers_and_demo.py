"""Work order numbers stay unique when advisors open orders at the same moment; the demo
fills a branch's workshop pages."""

from __future__ import annotations

import threading

import pytest

from portal.core.models import Branch
from portal.core.plugin_state import branch_hooks
from portal.extensions import db
from plugins.auto_workshop.workshop.models import WorkOrder
from plugins.auto_workshop.workshop.numbers import next_number

from .conftest import sign_in, today


def test_numbers_are_unique_under_concurrency(app, shop):
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect != "postgresql":
        pytest.skip("SQLite serialises writers; the row lock matters on PostgreSQL")
    numbers, errors = [], []

    def take():
        with app.app_context():
            try:
                number = next_number(db.session.get(Branch, shop["G"]))
                db.session.commit()
                numbers.append(number)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"G-WO-{today().year}-{n:04d}" for n in range(1, 9)]


def test_numbers_continue_in_sequence(app, shop):
    with app.app_context():
        branch = db.session.get(Branch, shop["G"])
        taken = [next_number(branch) for _ in range(3)]
        db.session.commit()
    assert taken == [f"G-WO-{today().year}-{n:04d}" for n in (1, 2, 3)]


def test_demo_fills_the_workshop(app, web, shop):
    with app.test_request_context():
        branch = db.session.get(Branch, shop["G"])
        hooks, settings = branch_hooks(branch.id)
        summary = [s for s in hooks.portal_load_demo(branch=branch, settings=settings) if s]
        db.session.commit()
        states = {o.state for o in db.session.query(WorkOrder).filter_by(branch_id=branch.id)}
    assert any("work orders" in str(s) for s in summary)
    assert {"draft", "started", "parts_issued", "work_done", "quality_check", "delivered", "closed"} <= states
    sign_in(web, "g_workshop_manager")
    board = web.get("/admin/auto/board/").text
    assert 'data-state="quality_check" data-count="1"' in board
    assert web.get("/admin/auto/stock/movements").text.count('data-kind="issue"') >= 3
