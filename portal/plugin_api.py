"""Everything a plugin may import from the portal — the contract's code side.

Plugins import from this module (and ``portal.contract``) only; a test enforces it. The
hooks themselves are documented in ``portal.hookspecs``.
"""

import pluggy

from .contract import Card, Permission, PluginInfo, RoleSpec, Setting, TicketKind, Transition
from .core.access import can, require, scope, sees_all_branches
from .core.models.mixins import BranchOwnedMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin
from .core.models.types import Money, UTCDateTime, utcnow
from .core.views.base import PortalView, ScopedModelView
from .extensions import db

hookimpl = pluggy.HookimplMarker("portal")

def require_plugin(plugin_name: str) -> None:
    """Abort with 404 unless the plugin runs for the signed-in user (use in blueprints)."""
    from flask import abort

    from .core.access import plugin_active

    if not plugin_active(plugin_name):
        abort(404)


__all__ = [
    "Card", "Permission", "PluginInfo", "RoleSpec", "Setting", "TicketKind", "Transition", "db", "hookimpl",
    "require_plugin", "ScopedModelView", "PortalView", "BranchOwnedMixin", "SoftDeleteMixin",
    "TimestampMixin", "VersionedMixin", "UTCDateTime", "Money", "utcnow", "can", "require",
    "scope", "sees_all_branches",
]
