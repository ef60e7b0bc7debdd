"""Permissions and branch scoping: the ONE place for both.

Every view, export, action, CLI command and API endpoint asks these functions; nothing
else decides who may see or do what.
"""

from __future__ import annotations

from flask import abort, g, has_request_context
from flask_login import current_user
from sqlalchemy import and_, false, or_, select

from ..extensions import db
from .models import Branch, Role, User
from .plugin_state import enabled_anywhere, enabled_plugins

WILDCARD = "*"


def _user(user):
    # The signed-in person itself, not Flask-Login's stand-in: each attribute read through
    # the stand-in costs four context lookups, and a page asks dozens.
    return current_user._get_current_object() if user is None else user


def is_signed_in(user=None) -> bool:
    user = _user(user)
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def current_user_id():
    return current_user.id if is_signed_in() else None


def permission_granted(codes, wanted: str) -> bool:
    """Does a set of granted codes (with ``*`` and ``area.*`` wildcards) include ``wanted``?"""
    if WILDCARD in codes or wanted in codes:
        return True
    area = wanted.split(".", 1)[0]
    return f"{area}.*" in codes


def has_permission(code: str, user=None) -> bool:
    user = _user(user)
    return is_signed_in(user) and permission_granted(user.permissions, code)


def sees_all_branches(user=None) -> bool:
    """HQ staff see every branch; everybody else sees only their own."""
    user = _user(user)
    return is_signed_in(user) and bool(user.branch and user.branch.is_hq)


def plugin_active(plugin: str | None, user=None) -> bool:
    """A plugin's pages exist for a user only where HQ switched it on: in the user's branch,
    or for HQ staff in any branch."""
    if plugin is None:
        return True
    user = _user(user)
    if not is_signed_in(user):
        return False
    if sees_all_branches(user):
        return plugin in enabled_anywhere()
    return plugin in enabled_plugins(user.branch_id)


def can(code: str, user=None, *, plugin: str | None = None, branch_id: int | None = None) -> bool:
    """May ``user`` do ``code`` (in ``branch_id``, for a ``plugin``)?"""
    if user is None and has_request_context():
        # A page asks the same questions for every menu entry and row: answer each once
        # per request for the signed-in person.
        memo = g.setdefault("_portal_can", {})
        key = (code, plugin, branch_id)
        if key not in memo:
            memo[key] = _can(code, _user(None), plugin, branch_id)
        return memo[key]
    return _can(code, _user(user), plugin, branch_id)


def signature(user=None) -> tuple:
    """Everything :func:`can` decides on when no branch is named: signed in or not, the
    permissions held, HQ or not, and the plugins running where the user works. Two users
    with one signature see the same menu (``views.menu`` keeps drawn menus by it), so a
    new input to :func:`can` must be added here too."""
    user = _user(user)
    if not is_signed_in(user):
        return (False,)
    hq = sees_all_branches(user)
    return (True, user.permissions, hq, enabled_anywhere() if hq else enabled_plugins(user.branch_id))


def forget_answers() -> None:
    """After a change of the signed-in person's roles within a request."""
    if has_request_context():
        g.pop("_portal_can", None)


def _can(code: str, user, plugin: str | None, branch_id: int | None) -> bool:
    if not has_permission(code, user) or not plugin_active(plugin, user):
        return False
    if branch_id is not None and not sees_all_branches(user) and branch_id != user.branch_id:
        return False
    return True


def require(code: str, **kwargs) -> None:
    """Abort with 403 unless :func:`can`; for plain Flask routes."""
    if not is_signed_in():
        abort(401)
    if not can(code, **kwargs):
        abort(403)


def scope(query, model, user=None):
    """Restrict a query on a branch-owned model to what the user may see."""
    user = _user(user)
    if not is_signed_in(user):
        return query.filter(false())
    if sees_all_branches(user):
        return query
    if model is Branch:
        return query.filter(Branch.id == user.branch_id)
    return query.filter(model.branch_id == user.branch_id)


def receives_escalation(model, user=None):
    """SQL condition on tickets (``model``): the escalations of missed service levels that
    reach ``user``. The holder from level 1; from level 2 whoever has ``ticket.escalations``
    in the ticket's branch; from level 3 HQ staff with ``ticket.escalations``, everywhere."""
    user = _user(user)
    if not is_signed_in(user):
        return false()
    reach = [and_(model.escalation_level >= 1, model.assignee_id == user.id)]
    if has_permission("ticket.escalations", user):
        reach.append(and_(model.escalation_level >= 2, model.branch_id == user.branch_id))
        if sees_all_branches(user):
            reach.append(model.escalation_level >= 3)
    return or_(*reach)


def visible_branches(user=None):
    """Branches the user may pick in a form or filter."""
    return scope(db.session.query(Branch), Branch, user).order_by(Branch.code)


def own_branch_id_for_write(posted_branch_id, user=None) -> int:
    """The branch a new or edited record is saved in. A posted ``branch_id`` is never
    trusted: branch staff always write into their own branch, HQ may choose."""
    user = _user(user)
    if sees_all_branches(user) and posted_branch_id:
        return int(posted_branch_id)
    return user.branch_id


# Permissions that only HQ may hold; a role containing one is never granted by a branch.
HQ_ONLY = frozenset({"branch.manage", "plugin.manage", "role.manage", "audit.view", WILDCARD})


def grantable_roles(user=None) -> list[Role]:
    """Roles the user may hand out. HQ role managers: all. A branch manager: roles without
    HQ-only permissions whose plugin (if any) runs in their branch, so a branch can never
    mint an HQ administrator."""
    user = _user(user)
    if not can("user.manage", user):
        return []
    roles = db.session.scalars(select(Role).order_by(Role.code)).all()
    if sees_all_branches(user) and has_permission("role.manage", user):
        return roles
    enabled = enabled_plugins(user.branch_id)
    return [
        r for r in roles
        if not HQ_ONLY.intersection(r.permissions or ())
        and (r.plugin is None or r.plugin in enabled)
    ]


def may_manage_user(target: User, user=None) -> bool:
    user = _user(user)
    return can("user.manage", user, branch_id=target.branch_id)


# --- staff performance records (REQUIREMENTS §2.8) -------------------------------------------

def scope_staff_records(query, model, user=None, own_only: bool = False):
    """Staff records the user may see: their own always; with ``staff.view`` their
    branch's (HQ: every branch's). ``own_only`` gives "My record" to managers too."""
    user = _user(user)
    if not is_signed_in(user):
        return query.filter(false())
    if own_only or not has_permission("staff.view", user):
        return query.filter(model.user_id == user.id)
    return scope(query, model, user)


def can_see_staff_record(record, user=None) -> bool:
    user = _user(user)
    if not is_signed_in(user) or record is None:
        return False
    return record.user_id == user.id or can("staff.view", user, branch_id=record.branch_id)


def can_decide_staff_record(record, user=None) -> bool:
    """Managers of the record's branch (and HQ) decide; nobody decides their own record."""
    user = _user(user)
    return (is_signed_in(user) and record.user_id != user.id
            and can("staff.manage", user, branch_id=record.branch_id))
