"""Scripted provisioning from the command line."""

from portal.core.models import Branch, User
from portal.extensions import db


def test_branch_and_user_creation_and_listing(app, runner):
    assert runner.invoke(args=["roles", "sync"]).exit_code == 0
    result = runner.invoke(args=["branch", "create", "HQ", "--name", "总部", "--province", "上海", "--hq"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["branch", "create", "sh01", "--name", "上海店", "--province", "上海",
                                 "--plugin", "retail_store"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["user", "create", "li", "--password", "long-pass-1", "--branch", "SH01",
                                 "--role", "clerk", "--role", "store_clerk"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["user", "list"]).output
    assert "li\tSH01\tclerk,store_clerk\tactive" in listing
    assert "retail_store" in runner.invoke(args=["branch", "list"]).output
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="li"))
        assert user.check_password("long-pass-1") and user.password_hash != "long-pass-1"


def test_clear_errors_and_nothing_written(app, runner):
    runner.invoke(args=["branch", "create", "HQ", "--name", "总部", "--province", "上海", "--hq"])
    cases = [
        (["branch", "create", "X1", "--name", "x", "--province", "p", "--plugin", "nope"], "unknown plugin"),
        (["branch", "create", "HQ", "--name", "again", "--province", "p"], "exists already"),
        (["user", "create", "u", "--password", "short", "--branch", "HQ", "--role", "clerk"], "8 characters"),
        (["user", "create", "u", "--password", "long-pass-1", "--branch", "NOPE", "--role", "clerk"], "no branch"),
        (["user", "create", "u", "--password", "long-pass-1", "--branch", "HQ", "--role", "king"], "unknown role"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Branch.id))) == 1
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_hq_role_only_for_hq_users(app, runner):
    runner.invoke(args=["branch", "create", "A", "--name", "a", "--province", "p"])
    result = runner.invoke(args=["user", "create", "boss", "--password", "long-pass-1", "--branch", "A",
                                 "--role", "hq_admin"])
    assert result.exit_code != 0 and "HQ" in result.output


def test_demo_load_is_complete_and_runs_once(app, runner):
    assert "demo loaded" in runner.invoke(args=["demo", "load"]).output
    assert "nothing to do" in runner.invoke(args=["demo", "load", "--if-empty"]).output
    with app.app_context():
        branches = db.session.scalars(db.select(Branch)).all()
        plugins = {p.plugin for b in branches for p in b.plugins if p.enabled}
        assert plugins == {"retail_store", "equipment_field", "auto_workshop", "real_estate"}
        codes = {code for u in db.session.scalars(db.select(User)) for code in u.role_codes}
        assert {"hq_admin", "branch_manager", "clerk", "engineer", "store_clerk", "dispatcher",
                "parts_keeper", "sales_agent"} <= codes


def test_roles_sync_brings_new_default_permissions_but_respects_hq_removals(app, runner):
    from portal.core.models import Role
    from portal.extensions import db

    with app.app_context():
        from portal.core.provisioning import sync_roles

        sync_roles()
        clerk = db.session.scalar(db.select(Role).filter_by(code="clerk"))
        # An older release: the clerk role had no ticket permissions yet.
        clerk.permissions = [p for p in clerk.permissions if not p.startswith("ticket.")]
        clerk.offered_permissions = [p for p in clerk.offered_permissions if not p.startswith("ticket.")]
        # HQ deliberately took "customer.edit" away.
        clerk.permissions = [p for p in clerk.permissions if p != "customer.edit"]
        db.session.commit()
    result = runner.invoke(args=["roles", "sync"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        clerk = db.session.scalar(db.select(Role).filter_by(code="clerk"))
        assert "ticket.view" in clerk.permissions and "ticket.create" in clerk.permissions
        assert "customer.edit" not in clerk.permissions
