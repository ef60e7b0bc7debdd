"""Plain value types that cross the plugin contract.

Plugins return these from their hooks (see ``portal/hookspecs.py``); the core turns them
into database rows, forms and menus. They carry no behaviour of the core, so a plugin that
imports them depends on nothing but this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Sequence

SETTING_TYPES = ("int", "decimal", "bool", "str", "choice", "int_list")


@dataclass(frozen=True)
class PluginInfo:
    """How HQ sees a plugin in the plugin switchboard."""

    label: str
    description: str = ""


@dataclass(frozen=True)
class Permission:
    """A permission code such as ``parts.issue`` with a label for the role editor."""

    code: str
    label: str


@dataclass(frozen=True)
class RoleSpec:
    """A default role. ``permissions`` may contain ``*`` (everything) or ``prefix.*``."""

    code: str
    label: str
    permissions: Sequence[str]


class SettingError(ValueError):
    """A setting value that cannot be accepted; the message is shown to HQ as is."""


@dataclass(frozen=True)
class Setting:
    """One per-branch setting a plugin declares; HQ edits it in a generated form."""

    key: str
    type: str
    default: Any
    label: str
    help: str = ""
    min: Any = None
    max: Any = None
    choices: Sequence[tuple[str, str]] = ()
    validate: Callable[[Any], str | None] | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.type not in SETTING_TYPES:
            raise ValueError(f"setting {self.key}: unknown type {self.type!r}")

    def coerce(self, raw: Any) -> Any:
        """Turn a stored or submitted value into the setting's Python type, or raise
        SettingError with a message for the person who typed it."""
        from flask_babel import gettext as _

        try:
            if self.type == "int":
                value = int(str(raw).strip())
            elif self.type == "decimal":
                value = Decimal(str(raw).strip())
                if not value.is_finite():
                    raise InvalidOperation
            elif self.type == "bool":
                value = raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "y", "on", "yes"}
            elif self.type == "int_list":
                items = raw if isinstance(raw, (list, tuple)) else str(raw).replace("，", ",").split(",")
                value = [int(str(i).strip()) for i in items if str(i).strip()]
            else:
                value = "" if raw is None else str(raw).strip()
        except (ValueError, InvalidOperation, TypeError):
            raise SettingError(_("%(label)s: “%(value)s” is not a valid value.", label=self.label, value=raw))
        if self.type == "choice" and value not in {c for c, _label in self.choices}:
            raise SettingError(_("%(label)s: choose one of the listed options.", label=self.label))
        numbers = value if self.type == "int_list" else [value]
        if self.type in ("int", "decimal", "int_list"):
            for number in numbers:
                if self.min is not None and number < self.min:
                    raise SettingError(_("%(label)s must be at least %(min)s.", label=self.label, min=self.min))
                if self.max is not None and number > self.max:
                    raise SettingError(_("%(label)s must be at most %(max)s.", label=self.label, max=self.max))
        if self.validate is not None:
            problem = self.validate(value)
            if problem:
                raise SettingError(f"{self.label}: {problem}")
        return value

    def to_storage(self, value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value


@dataclass(frozen=True)
class TicketKind:
    """A ticket kind a plugin adds (code, label) with its extra form fields (name → label)."""

    code: str
    label: str
    extra_fields: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Transition:
    """A ticket workflow step: ``name`` moves a ticket from any of ``sources`` to
    ``target`` for a user holding ``permission``. A plugin step may lead to a state of its
    own (give ``target_label``) and may apply only to some ticket ``kinds``."""

    name: str
    label: str
    sources: Sequence[str]
    target: str
    permission: str
    target_label: str | None = None
    kinds: Sequence[str] = ()


@dataclass(frozen=True)
class Card:
    """A dashboard card: a title, a figure or short text, and an optional link."""

    title: str
    value: str
    url: str | None = None
    tone: str = "info"  # bootstrap contextual class: info, warning, danger, success


@dataclass(frozen=True)
class Panel:
    """A section of a customer's file: a title, rows of (label, value), an optional link."""

    title: str
    rows: list
    url: str | None = None
    url_label: str | None = None
