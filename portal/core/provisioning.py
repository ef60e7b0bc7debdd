"""Creating branches, users and roles — shared by the CLI and the demo data so both follow
the same rules as the UI."""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from ..plugins import current_plugins
from .models import Branch, BranchPlugin, Role, User


class ProvisioningError(ValueError):
    """A request that cannot be carried out; the message says why."""


def sync_roles() -> list[str]:
    """Create default roles that do not exist yet; never overwrite HQ's edits."""
    created = []
    plugins = current_plugins()
    existing = set(db.session.scalars(select(Role.code)))
    with force_locale("zh_CN"):
        for name, plugin in plugins.pm.list_name_plugin():
            for spec in (r for group in plugins.hook_for([name]).portal_roles() for r in group):
                if spec.code in existing:
                    continue
                db.session.add(Role(code=spec.code, name=str(spec.label), permissions=list(spec.permissions),
                                    plugin=None if name in plugins.core_names() else name))
                existing.add(spec.code)
                created.append(spec.code)
    db.session.flush()
    return created


def create_branch(code: str, name: str, province: str, plugins=(), is_hq=False, **fields) -> Branch:
    code = code.strip().upper()
    if not code or not name.strip():
        raise ProvisioningError("code and name are required")
    if db.session.scalar(select(Branch).where(Branch.code == code)):
        raise ProvisioningError(f"branch {code} exists already")
    known = set(current_plugins().names())
    unknown = [p for p in plugins if p not in known]
    if unknown:
        raise ProvisioningError(f"unknown plugin(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    branch = Branch(code=code, name=name.strip(), province=province.strip(), is_hq=is_hq, **fields)
    db.session.add(branch)
    db.session.flush()
    for plugin in plugins:
        settings = {s.key: s.to_storage(s.default) for s in current_plugins().settings_spec(plugin)}
        db.session.add(BranchPlugin(branch_id=branch.id, plugin=plugin, enabled=True, settings=settings))
    db.session.flush()
    return branch


def create_user(username: str, password: str, branch_code: str, roles, full_name: str = "") -> User:
    if len(password) < 8:
        raise ProvisioningError("the password needs at least 8 characters")
    if db.session.scalar(select(User).where(User.username == username)):
        raise ProvisioningError(f"user {username} exists already")
    branch = db.session.scalar(select(Branch).where(Branch.code == branch_code.strip().upper()))
    if branch is None:
        raise ProvisioningError(f"no branch with code {branch_code}")
    sync_roles()
    found = db.session.scalars(select(Role).where(Role.code.in_(list(roles)))).all()
    missing = sorted(set(roles) - {r.code for r in found})
    if missing:
        raise ProvisioningError(f"unknown role(s) {', '.join(missing)}")
    if any("*" in (r.permissions or ()) for r in found) and not branch.is_hq:
        raise ProvisioningError("an HQ role can only be given to a user of the HQ branch")
    user = User(username=username, full_name=full_name or username, branch=branch, roles=list(found))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
