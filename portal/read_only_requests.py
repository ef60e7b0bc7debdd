"""On PostgreSQL, a request that only read ends its transaction with COMMIT, not ROLLBACK.

Flask-SQLAlchemy ends every request by closing the session, which rolls its transaction
back. psycopg forgets every prepared statement at a ROLLBACK (a rolled-back transaction
might have dropped what they refer to), so on PostgreSQL no statement of any page was
ever prepared: each was parsed and planned again on every request. The ticket page's
main statement took 0.56 ms to plan and 0.05 ms to run (docs/performance.md).

For a transaction that wrote nothing, COMMIT and ROLLBACK end it alike, and after a
COMMIT psycopg keeps its statements: from their fifth run on a connection they are
prepared, and PostgreSQL keeps a plan where a generic one does as well as the custom
ones. A transaction that sent anything but a SELECT, or holds unflushed changes, or
ends in an error is rolled back exactly as before.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

_WROTE = "portal_transaction_wrote"
#: drivers that drop their prepared statements at a ROLLBACK; elsewhere (SQLite keeps its
#: statement cache) ending with COMMIT would only cost the session's commit bookkeeping
_FORGETS_AT_ROLLBACK = frozenset({"psycopg"})


def _reads_only(statement: str) -> bool:
    return statement.lstrip(" \n\t(").startswith(("SELECT", "select"))


def _transaction_began(conn):
    conn.info.pop(_WROTE, None)


def _note_writes(conn, cursor, statement, parameters, context, executemany):
    if not _reads_only(statement):
        conn.info[_WROTE] = True


def init_app(app, db) -> None:
    with app.app_context():
        engines = [engine for engine in db.engines.values() if engine.dialect.driver in _FORGETS_AT_ROLLBACK]
    if not engines:
        return
    for engine in engines:  # only where COMMIT is worth it: no work per statement elsewhere
        event.listen(engine, "begin", _transaction_began)
        event.listen(engine, "before_cursor_execute", _note_writes)

    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it (Flask runs
    # teardowns in reverse): the session is still open here.
    @app.teardown_appcontext
    def end_read_only_transaction(exc):
        if exc is not None or not db.session.registry.has():
            return
        session = db.session()
        if not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        connections = session.get_transaction().connections
        if (connections and all(conn.engine in engines for conn in connections)
                and not any(conn.info.get(_WROTE) for conn in connections)):
            # Nothing changed, so the records read stay as they are: a caller that keeps
            # one after its app context ended (a CLI command, a test) can still read it.
            session.expire_on_commit = False
            try:
                session.commit()
            except SQLAlchemyError:  # the answer is written; closing the session rolls back
                log.warning("could not end a read-only transaction with COMMIT", exc_info=True)
