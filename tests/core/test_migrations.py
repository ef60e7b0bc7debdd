"""Models and migrations agree, and the history runs down and up again, on each database."""

import os

from flask_migrate import check, downgrade, upgrade
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db


def _migration_database(tmp_path) -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path}/migrations.sqlite3"
    url = make_url(url)
    return url.set(database=f"{url.database}_migrations").render_as_string(hide_password=False)


def test_upgrade_check_downgrade_upgrade(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": _migration_database(tmp_path), "TESTING": True})
    with app.app_context():
        downgrade(revision="base")  # a previous run may have left the schema behind
        upgrade()
        check()  # exits non-zero when models and migrations disagree
        tables = set(inspect(db.engine).get_table_names())
        assert {"branch", "user", "role", "customer", "product", "audit_entry", "branch_plugin"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        check()
        db.engine.dispose()


def test_web_workers_do_not_load_alembic_but_flask_db_works(tmp_path):
    """Alembic is ~12 MB per worker (docs/performance.md): loaded by `flask db` only."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path}/lazy.sqlite3"
    probe = ("import sys; from portal import create_app; "
             f"create_app({{'SQLALCHEMY_DATABASE_URI': {url!r}}}); "
             "print('alembic' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "current"]).exit_code == 0
    with app.app_context():
        assert "ticket" in inspect(db.engine).get_table_names()
        assert db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
