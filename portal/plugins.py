"""The plugin manager: built-in plugins, installed ones, and which run in which branch."""

from __future__ import annotations

import importlib
import logging
from typing import Any, Iterable

import pluggy
from flask import current_app

from . import hookspecs
from .contract import PluginInfo, Setting, SettingError

log = logging.getLogger(__name__)

BUILTIN_PLUGINS = ("retail_store", "equipment_field", "auto_workshop", "real_estate")
# Parts of the core that answer hooks (e.g. react to ticket events). They are always on in
# every branch and never shown in the switchboard; their names start with "core".
CORE_MODULES = {
    "core": "portal.core.builtin",
    "core_statistics": "portal.core.statistics",
    "core_performance": "portal.core.performance",
    "core_callbacks": "portal.core.callbacks",
    "core_complaints": "portal.core.complaints",
}
ENTRY_POINT_GROUP = "portal.plugins"


class PortalPlugins:
    """One per app: the pluggy manager plus the questions the core asks about plugins."""

    def __init__(self, extra: Iterable[Any] = (), load_entry_points: bool = True):
        self.pm = pluggy.PluginManager("portal")
        self.pm.add_hookspecs(hookspecs)
        # The core contributes its permissions, roles and reactions through the same hooks.
        for name, module in CORE_MODULES.items():
            self.pm.register(importlib.import_module(module), name=name)
        for name in BUILTIN_PLUGINS:
            self._register(importlib.import_module(f"plugins.{name}"), name)
        if load_entry_points:
            self.pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for plugin in extra:
            self._register(plugin, getattr(plugin, "PLUGIN_NAME", None))
        self.pm.check_pending()

    def _register(self, module, name: str | None) -> None:
        """A big plugin may be split into parts (``PORTAL_PARTS``: names of its submodules),
        each with hooks of its own. A part runs wherever its plugin runs: it is registered as
        ``<plugin>.<part>`` and switched on and off with the plugin."""
        self.__dict__.pop("_portal_all_kinds", None)  # kept by core.tickets.all_kind_choices
        self.__dict__.pop("_portal_kind_labels", None)  # and core.tickets.kind_labels
        self.__dict__.pop("_portal_callers", None)  # and _only
        self.__dict__.pop("_portal_settings_specs", None)  # and settings_spec
        self.pm.register(module, name=name)
        for part in getattr(module, "PORTAL_PARTS", ()):
            self.pm.register(importlib.import_module(f"{module.__name__}.{part}"), name=f"{name}.{part}")

    @property
    def hook(self):
        """Start-up hooks: every registered plugin answers."""
        return self.pm.hook

    def names(self) -> list[str]:
        """Plugins HQ can switch per branch (the core is always on)."""
        return sorted(name for name, _plugin in self.pm.list_name_plugin()
                      if name not in CORE_MODULES and "." not in name)

    @staticmethod
    def core_names() -> tuple[str, ...]:
        return tuple(CORE_MODULES)

    def _only(self, names: Iterable[str], hook_name: str):
        # Plugins are registered once, at start-up: a branch's caller of a hook is worked
        # out once, not on every hook call of every page.
        keep = frozenset(names)
        callers = self.__dict__.setdefault("_portal_callers", {})
        if (keep, hook_name) not in callers:
            others = [p for n, p in self.pm.list_name_plugin() if n not in keep and n.split(".")[0] not in keep]
            callers[keep, hook_name] = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
        return callers[keep, hook_name]

    def info(self, name: str) -> PluginInfo:
        found = self._only([name], "portal_plugin_info")()
        return found or PluginInfo(label=name)

    def settings_spec(self, name: str) -> list[Setting]:
        specs = self.__dict__.setdefault("_portal_settings_specs", {})  # fixed once registered
        if name not in specs:
            specs[name] = tuple(s for group in self._only([name], "portal_settings")() for s in group)
        return list(specs[name])

    def defaults(self, name: str) -> dict:
        return {s.key: s.default for s in self.settings_spec(name)}

    def validate_settings(self, name: str, submitted: dict) -> tuple[dict, dict]:
        """Coerce submitted values; return (clean values, errors by key)."""
        clean, errors = {}, {}
        for spec in self.settings_spec(name):
            try:
                clean[spec.key] = spec.coerce(submitted.get(spec.key, spec.default))
            except SettingError as exc:
                errors[spec.key] = str(exc)
        return clean, errors

    def effective_settings(self, name: str, stored: dict | None) -> dict:
        """Stored values over defaults; a stored value that no longer validates (the
        plugin tightened a rule) falls back to the default rather than breaking pages."""
        values = {}
        for spec in self.settings_spec(name):
            raw = (stored or {}).get(spec.key, spec.default)
            try:
                values[spec.key] = spec.coerce(raw)
            except SettingError:
                log.warning("setting %s.%s: stored value %r refused, using default", name, spec.key, raw)
                values[spec.key] = spec.coerce(spec.default)
        return values

    def hook_for(self, enabled: Iterable[str]):
        """Branch hooks: a caller object whose hooks reach only the ``enabled`` plugins."""
        return _SubsetHooks(self, tuple(sorted(enabled)))


class _SubsetHooks:
    def __init__(self, plugins: PortalPlugins, enabled: tuple[str, ...]):
        self._plugins = plugins
        self._enabled = enabled

    def __getattr__(self, hook_name: str):
        return self._plugins._only(self._enabled, hook_name)


def current_plugins() -> PortalPlugins:
    return current_app.extensions["portal_plugins"]
