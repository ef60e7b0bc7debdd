"""Everything a plugin may import from the portal — the contract's code side.

Plugins import from this module (and ``portal.contract``) only; a test enforces it. The
hooks themselves are documented in ``portal.hookspecs``.
"""

import pluggy

hookimpl = pluggy.HookimplMarker("portal")

# Re-exported below once the core exists; the import order matters because the core's
# built-in plugin uses ``hookimpl`` too.
from .contract import Card, Permission, PluginInfo, RoleSpec, Setting, TicketKind  # noqa: E402
from .extensions import db  # noqa: E402


def __getattr__(name):
    # Core pieces are imported lazily so that ``plugins.*`` modules can be imported by the
    # plugin manager before the core's views are.
    if name in {"ScopedModelView", "PortalView"}:
        from .core.views import base

        return getattr(base, name)
    if name in {"BranchOwnedMixin", "SoftDeleteMixin", "TimestampMixin", "VersionedMixin"}:
        from .core.models import mixins

        return getattr(mixins, name)
    if name in {"UTCDateTime", "Money", "utcnow"}:
        from .core.models import types

        return getattr(types, name)
    if name in {"can", "require", "scope", "sees_all_branches"}:
        from .core import access

        return getattr(access, name)
    raise AttributeError(name)


def require_plugin(plugin_name: str) -> None:
    """Abort with 404 unless the plugin runs for the signed-in user (use in blueprints)."""
    from flask import abort

    from .core import access

    if not access.plugin_active(plugin_name):
        abort(404)


__all__ = [
    "Card", "Permission", "PluginInfo", "RoleSpec", "Setting", "TicketKind", "db", "hookimpl",
    "require_plugin", "ScopedModelView", "PortalView", "BranchOwnedMixin", "SoftDeleteMixin",
    "TimestampMixin", "VersionedMixin", "UTCDateTime", "Money", "utcnow", "can", "require",
    "scope", "sees_all_branches",
]
