"""Which plugins run in which branch, and with which settings — read from the database."""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import bindparam, select

from ..extensions import db
from ..plugins import current_plugins
from .models import BranchPlugin


def _installed(names) -> frozenset[str]:
    """The names among ``names`` of plugins this portal has installed (a stored row may
    name one since removed)."""
    known = set(current_plugins().names())
    return frozenset(name for name in names if name in known)


def enabled_plugins(branch_id: int | None) -> frozenset[str]:
    """Plugin names switched on for the branch (cached for the request)."""
    cache = g.setdefault("_portal_enabled", {}) if has_request_context() else {}
    if branch_id not in cache:
        rows = db.session.scalars(
            select(BranchPlugin.plugin).where(
                BranchPlugin.branch_id == branch_id, BranchPlugin.enabled.is_(True)
            )
        )
        cache[branch_id] = _installed(rows)
    return cache[branch_id]


def remember_running(branch_id: int | None, *, anywhere, here) -> None:
    """What the signed-in person's own statement already read (``auth.load_user``): the
    plugins running anywhere and in their branch, so this request asks no more."""
    if not has_request_context():
        return
    cache = g.setdefault("_portal_enabled", {})
    cache.setdefault("anywhere", _installed(anywhere))
    cache.setdefault(branch_id, _installed(here))


def enabled_anywhere() -> frozenset[str]:
    """Plugins switched on in at least one branch (cached for the request: HQ's menu asks
    once per plugin view)."""
    cache = g.setdefault("_portal_enabled", {}) if has_request_context() else {}
    if "anywhere" not in cache:
        rows = db.session.scalars(select(BranchPlugin.plugin).where(BranchPlugin.enabled.is_(True)).distinct())
        cache["anywhere"] = _installed(rows)
    return cache["anywhere"]


# A branch's plugin rows as plain values, from a statement built once (its cache key is
# worked out once, not per request); still through the session, so pending changes are
# flushed first. Read on the ticket page and every page that asks a plugin hook.
_BRANCH_PLUGIN_ROWS = (select(BranchPlugin.plugin, BranchPlugin.enabled, BranchPlugin.settings)
                       .where(BranchPlugin.branch_id == bindparam("branch_id")))


def settings_for(branch_id: int) -> dict[str, dict]:
    """Every enabled plugin's effective settings for the branch, keyed by plugin name
    (read once per request: every hook call of a page needs them)."""
    cache = g.setdefault("_portal_enabled", {}) if has_request_context() else {}
    key = ("settings", branch_id)
    if key not in cache:
        plugins = current_plugins()
        rows = db.session.execute(_BRANCH_PLUGIN_ROWS, {"branch_id": branch_id}).all()
        if branch_id not in cache:  # the same rows say which plugins run: no second statement
            cache[branch_id] = _installed(row.plugin for row in rows if row.enabled)
        stored = {row.plugin: row.settings for row in rows}
        cache[key] = {
            name: plugins.effective_settings(name, stored.get(name))
            for name in set(enabled_plugins(branch_id)) | set(plugins.core_names())
        }
    return cache[key]


def branch_hooks(branch_id: int):
    """(hook caller reaching only the branch's plugins, their settings) — the one place
    the core decides which plugins answer for a branch."""
    names = set(enabled_plugins(branch_id)) | set(current_plugins().core_names())
    return current_plugins().hook_for(names), settings_for(branch_id)


def forget_cache() -> None:
    if has_request_context():
        g.pop("_portal_enabled", None)
        g.pop("_portal_can", None)  # access.can's answers depend on which plugins run
