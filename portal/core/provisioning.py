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
    """Create default roles that do not exist yet, and give existing default roles the
    permissions a newer release added to them — each default permission is offered once,
    so a permission HQ took away stays away (``Role.offered_permissions``)."""
    created = []
    plugins = current_plugins()
    existing = {role.code: role for role in db.session.scalars(select(Role))}
    with force_locale("zh_CN"):
        for name, plugin in plugins.pm.list_name_plugin():
            if "." in name:
                continue  # a plugin's part: its roles come with the plugin's own (hook_for)
            for spec in (r for group in plugins.hook_for([name]).portal_roles() for r in group):
                role = existing.get(spec.code)
                if role is None:
                    role = Role(code=spec.code, name=str(spec.label), permissions=list(spec.permissions),
                                offered_permissions=list(spec.permissions),
                                plugin=None if name in plugins.core_names() else name)
                    db.session.add(role)
                    existing[spec.code] = role
                    created.append(spec.code)
                    continue
                new = [p for p in spec.permissions if p not in (role.offered_permissions or [])]
                if new:
                    role.permissions = list(role.permissions or []) + [p for p in new if p not in (role.permissions or [])]
                    role.offered_permissions = list(role.offered_permissions or []) + new
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
