"""On PostgreSQL a request that only read ends with COMMIT, so the driver keeps its
prepared statements (elsewhere it ends as before, with ROLLBACK); anything that wrote
(flushed or not) and any request that fails is rolled back, and nothing it wrote stays."""

import pytest
from sqlalchemy import event, select, text, update

from portal.core.models import Branch
from portal.extensions import db


@pytest.fixture
def endings(app):
    """How each transaction of the test ended: "commit" or "rollback"."""
    with app.app_context():
        engine = db.engine
    seen = []

    def on_commit(conn):
        seen.append("commit")

    def on_rollback(conn):
        seen.append("rollback")

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    yield seen
    event.remove(engine, "commit", on_commit)
    event.remove(engine, "rollback", on_rollback)


def _read_only_ending(app):
    with app.app_context():
        return "commit" if db.engine.dialect.driver == "psycopg" else "rollback"


def _name_of(app, branch_id):
    with app.app_context():
        return db.session.get(Branch, branch_id).name


def test_a_request_that_only_read_ends_with_commit_on_postgresql(app, world, endings):
    with app.test_request_context("/"):
        db.session.execute(select(Branch.name)).all()
        db.session.get(Branch, world["A"])
    assert endings == [_read_only_ending(app)]


def test_a_page_that_only_reads_ends_with_commit_on_postgresql(app, web, world, endings):
    web.login("a_branch_manager")
    endings.clear()
    assert web.get("/admin/ticket/").status_code == 200
    assert endings == [_read_only_ending(app)]


def test_an_unflushed_change_is_rolled_back_not_committed(app, world, endings):
    with app.test_request_context("/"):
        db.session.get(Branch, world["A"]).name = "改了没存"
    assert endings == ["rollback"]
    assert _name_of(app, world["A"]) != "改了没存"


def test_a_flushed_change_left_uncommitted_is_rolled_back(app, world, endings):
    with app.test_request_context("/"):
        db.session.get(Branch, world["A"]).name = "写了没提交"
        db.session.flush()
        db.session.execute(select(Branch.id)).all()  # reading after the write changes nothing
    assert endings == ["rollback"]
    assert _name_of(app, world["A"]) != "写了没提交"


def test_a_statement_that_wrote_is_rolled_back_however_it_was_sent(app, world, endings):
    with app.test_request_context("/"):
        db.session.execute(update(Branch).where(Branch.id == world["A"]).values(name="直接更新"))
    with app.test_request_context("/"):
        db.session.execute(text("UPDATE branch SET name = '文字更新' WHERE id = :id"), {"id": world["A"]})
    assert endings == ["rollback", "rollback"]
    assert _name_of(app, world["A"]) not in ("直接更新", "文字更新")


def test_a_request_that_failed_is_rolled_back(app, world, endings):
    with pytest.raises(RuntimeError):
        with app.test_request_context("/"):
            db.session.execute(select(Branch.name)).all()
            raise RuntimeError("the view failed")
    assert endings == ["rollback"]


def test_after_a_commit_the_next_request_begins_afresh(app, world, endings):
    """A connection that wrote in one request and committed reads in the next: that
    transaction wrote nothing, so on PostgreSQL it ends with COMMIT."""
    with app.test_request_context("/"):
        db.session.get(Branch, world["A"]).phone = "0371-1234567"
        db.session.commit()
    with app.test_request_context("/"):
        db.session.execute(select(Branch.name)).all()
    assert endings == ["commit", _read_only_ending(app)]


def test_postgresql_keeps_a_pages_statements_prepared(app, web, world):
    """psycopg prepares a statement from its fifth run on a connection, and forgot all of
    them at every ROLLBACK: before, no page's statement was ever prepared."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements of psycopg (PostgreSQL)")
    web.login("a_branch_manager")
    for _ in range(8 * 5):  # five runs on each connection the pool may take turns with
        assert web.get("/admin/ticket/").status_code == 200
    with app.test_request_context("/"):
        prepared = db.session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("FROM ticket" in statement for statement in prepared), prepared
