"""Command-line provisioning: ``flask --app portal <group> <command>``."""

from datetime import datetime

import click
from flask import g
from flask.cli import AppGroup
from sqlalchemy import select

from .core.models import Branch, User
from .core.provisioning import ProvisioningError, create_branch, create_user, sync_roles
from .extensions import db

branch_cli = AppGroup("branch", help="Create and list branches.")
user_cli = AppGroup("user", help="Create and list users.")
roles_cli = AppGroup("roles", help="Default roles from the core and the plugins.")
demo_cli = AppGroup("demo", help="Demo data for trying the portal.")
sla_cli = AppGroup("sla", help="Service levels: mark breaches and escalate.")


def _commit_or_fail(action):
    g.audit_user_id = None
    try:
        result = action()
        db.session.commit()
        return result
    except ProvisioningError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))


@branch_cli.command("create")
@click.argument("code")
@click.option("--name", required=True, help="Branch name, e.g. 上海南京路店.")
@click.option("--province", required=True, help="Province (for in/out-of-province service levels).")
@click.option("--plugin", "plugins", multiple=True, help="Plugin to switch on; repeat for several.")
@click.option("--hq", is_flag=True, help="This is the HQ branch.")
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
def branch_create(code, name, province, plugins, hq, timezone):
    """Create branch CODE."""
    branch = _commit_or_fail(lambda: create_branch(code, name, province, plugins, is_hq=hq, timezone=timezone))
    click.echo(f"created branch {branch.code} ({branch.name})")


@branch_cli.command("list")
def branch_list():
    """List branches and their plugins."""
    for branch in db.session.scalars(select(Branch).order_by(Branch.code)):
        plugins = ",".join(sorted(p.plugin for p in branch.plugins if p.enabled)) or "-"
        click.echo(f"{branch.code}\t{branch.name}\t{branch.province}\t{'HQ' if branch.is_hq else ''}\t{plugins}")


@user_cli.command("create")
@click.argument("username")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--branch", "branch_code", required=True, help="Branch code; HQ users take the HQ code.")
@click.option("--role", "roles", multiple=True, required=True, help="Role code; repeat for several.")
@click.option("--name", "full_name", default="", help="Full name shown in the portal.")
def user_create(username, password, branch_code, roles, full_name):
    """Create user USERNAME."""
    user = _commit_or_fail(lambda: create_user(username, password, branch_code, roles, full_name))
    click.echo(f"created user {user.username} in {user.branch.code} with {', '.join(sorted(user.role_codes))}")


@user_cli.command("list")
@click.option("--branch", "branch_code", default=None, help="Only this branch.")
def user_list(branch_code):
    """List users with branch and roles."""
    query = select(User).join(User.branch).order_by(Branch.code, User.username)
    if branch_code:
        query = query.where(Branch.code == branch_code.upper())
    for user in db.session.scalars(query):
        state = "active" if user.active else "inactive"
        click.echo(f"{user.username}\t{user.branch.code}\t{','.join(sorted(user.role_codes))}\t{state}")


@roles_cli.command("sync")
def roles_sync():
    """Create missing default roles (existing roles are left as HQ edited them)."""
    created = _commit_or_fail(sync_roles)
    click.echo(f"created roles: {', '.join(created)}" if created else "all default roles exist")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when branches exist already.")
def demo_load(if_empty):
    """Load HQ, one branch per industry, a user for every role and customer files."""
    from .demo import load_demo

    if if_empty and db.session.scalar(select(Branch.id).limit(1)) is not None:
        click.echo("demo data present, nothing to do")
        return
    summary = _commit_or_fail(load_demo)
    click.echo(summary)


class AwareTime(click.ParamType):
    """An ISO time with its offset, e.g. 2026-11-23T10:00:00+08:00."""

    name = "time"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO time such as 2026-11-23T10:00:00+08:00", param, ctx)
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail(f"{value!r} has no offset; write it like 2026-11-23T10:00:00+08:00", param, ctx)
        return parsed


@sla_cli.command("sweep")
@click.option("--now", type=AwareTime(), default=None, help="Sweep as if it were this time (default: now).")
def sla_sweep(now):
    """Mark missed service levels and escalate them; safe to run again and on several servers."""
    from .core.sla_sweep import sweep

    g.audit_user_id = None
    click.echo(sweep(now).summary())


staff_cli = AppGroup("staff", help="Staff performance records: penalties the ticket data proves.")


@staff_cli.command("sweep")
@click.option("--now", type=AwareTime(), default=None, help="Sweep as if it were this time (default: now).")
def staff_sweep(now):
    """Propose late arrivals and overdue service reports for managers to decide; safe to run again."""
    from .core.performance import propose_due

    g.audit_user_id = None
    click.echo(propose_due(now).summary())


token_cli = AppGroup("token", help="API tokens: create, list, revoke.")


@token_cli.command("create")
@click.argument("username")
@click.option("--expires", "days", type=click.IntRange(1, 3650), default=None,
              help="Days until the token stops working (default: never).")
@click.option("--name", default="", help="What the token is for, e.g. 'till 2'.")
def token_create(username, days, name):
    """Create an API token acting as USERNAME and print it (shown only this once)."""
    from .api.tokens import TokenError, create_token

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    g.audit_user_id = None
    try:
        new = create_token(user, name or "cli", days)
        db.session.commit()
    except TokenError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc))
    expiry = new.token.expires_at.isoformat(timespec="minutes") if new.token.expires_at else "never"
    click.echo(f"token {new.token.id} for {user.username} (expires: {expiry}); it is shown only once:", err=True)
    click.echo(new.secret)


@token_cli.command("list")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
def token_list(username):
    """List tokens (never their secrets)."""
    from .core.models.api_token import ApiToken

    query = select(ApiToken).join(ApiToken.user).order_by(ApiToken.id)
    if username:
        query = query.where(User.username == username)
    for token in db.session.scalars(query):
        state = "revoked" if token.revoked_at else "active" if token.usable() else "expired"
        expiry = token.expires_at.isoformat(timespec="minutes") if token.expires_at else "never"
        click.echo(f"{token.id}\t{token.prefix}…\t{token.user.username}\t{token.name}\t{expiry}\t{state}")


@token_cli.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id):
    """Revoke token TOKEN_ID (see token list)."""
    from .api.tokens import revoke_token
    from .core.models.api_token import ApiToken

    token = db.session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None:
        raise click.ClickException(f"no token {token_id}")
    g.audit_user_id = None
    revoke_token(token)
    db.session.commit()
    click.echo(f"revoked token {token_id}")


def init_cli(app):
    for group in (branch_cli, user_cli, roles_cli, demo_cli, sla_cli, staff_cli):
        app.cli.add_command(group)
    app.cli.add_command(token_cli)
