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


def init_cli(app):
    for group in (branch_cli, user_cli, roles_cli, demo_cli, sla_cli):
        app.cli.add_command(group)
