"""Readable ticket numbers: branch code, year and a counter that never repeats, also when
many people open tickets at the same moment (issue 3 item 1)."""

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.core import tickets
from portal.core.models import Branch, TicketSequence
from portal.extensions import db

SH = ZoneInfo("Asia/Shanghai")


def branch(code) -> Branch:
    return db.session.scalar(select(Branch).filter_by(code=code))


@pytest.fixture
def frozen(monkeypatch):
    def freeze(at):
        monkeypatch.setattr(tickets, "utcnow", lambda: at.astimezone(UTC))
    return freeze


def test_numbers_carry_branch_and_year_and_count_per_branch(app, world, frozen):
    frozen(datetime(2026, 5, 4, 10, 0, tzinfo=SH))
    with app.app_context():
        numbers = [tickets.next_number(branch("A")) for _ in range(3)] + [tickets.next_number(branch("B"))]
        db.session.commit()
    assert numbers == ["A-2026-000001", "A-2026-000002", "A-2026-000003", "B-2026-000001"]


def test_numbers_restart_every_year(app, world, frozen):
    with app.app_context():
        frozen(datetime(2026, 12, 31, 15, 0, tzinfo=SH))
        assert tickets.next_number(branch("A")) == "A-2026-000001"
        assert tickets.next_number(branch("A")) == "A-2026-000002"
        frozen(datetime(2027, 1, 4, 9, 0, tzinfo=SH))
        assert tickets.next_number(branch("A")) == "A-2027-000001"
        assert tickets.next_number(branch("A"), year=2026) == "A-2026-000003"
        db.session.commit()


def test_the_year_is_the_branchs_local_year(app, world, frozen):
    frozen(datetime(2027, 1, 1, 0, 30, tzinfo=SH))  # still 2026 in UTC
    with app.app_context():
        assert tickets.next_number(branch("A")) == "A-2027-000001"


def test_repair_receipts_have_their_own_series(app, world, frozen):
    frozen(datetime(2026, 5, 4, 10, 0, tzinfo=SH))
    with app.app_context():
        assert tickets.next_number(branch("A")) == "A-2026-000001"
        assert tickets.next_number(branch("A"), series="R") == "A-R2026-00001"
        assert tickets.next_number(branch("A")) == "A-2026-000002"


def test_a_rolled_back_request_gives_its_number_back(app, world, frozen):
    frozen(datetime(2026, 5, 4, 10, 0, tzinfo=SH))
    with app.app_context():
        tickets.next_number(branch("A"))
        db.session.commit()
        tickets.next_number(branch("A"))
        db.session.rollback()  # the ticket was refused: its number was never used
        assert tickets.next_number(branch("A")) == "A-2026-000002"


THREADS, EACH = 8, 10


def test_concurrent_creation_never_shares_or_skips_a_number(app, world, frozen):
    """Every thread is its own request (own app context, session and connection) and they
    all start at once on a branch that has no counter row yet, so the first numbers also
    race for creating the row."""
    frozen(datetime(2026, 5, 4, 10, 0, tzinfo=SH))
    start = threading.Barrier(THREADS)
    numbers, errors = [], []

    def request_numbers():
        try:
            with app.app_context():
                own = db.session.get(Branch, world["A"])
                start.wait()
                for _ in range(EACH):
                    number = tickets.next_number(own)
                    db.session.commit()
                    numbers.append(number)
        except Exception as exc:  # reported below, with the thread's error
            errors.append(repr(exc))

    threads = [threading.Thread(target=request_numbers) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(numbers) == len(set(numbers)) == THREADS * EACH
    assert sorted(numbers) == [f"A-2026-{n:06d}" for n in range(1, THREADS * EACH + 1)]
    with app.app_context():
        row = db.session.scalar(select(TicketSequence).filter_by(branch_id=world["A"], year=2026, series="T"))
        assert row.last_value == THREADS * EACH
