"""Marshmallow fields that validate exactly what the OpenAPI document promises.

The document is generated from these schemas, so every rule a value must follow — lengths
that fit the columns, ids that fit an INTEGER, no NUL bytes PostgreSQL would refuse — is
written here once and shows up in the document as ``maxLength``, ``maximum``, ``pattern``.
"""

from __future__ import annotations

from datetime import date, timezone

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import validate

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER
# Text PostgreSQL can store: no NUL byte.
NO_NUL = validate.Regexp(r"^[^\x00]*$", error=_l("Text may not contain NUL characters."))


class Text(ma.fields.String):
    """A string that fits its column and that every database accepts."""

    def __init__(self, max_length: int, *, min_length: int = 0, **kwargs):
        validators = [validate.Length(min=min_length, max=max_length), NO_NUL]
        validators += list(kwargs.pop("validate", None) or [])
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from "\ud800" in JSON
            raise ma.ValidationError(_("Not valid Unicode text."))
        return text


class Id(ma.fields.Integer):
    """A record id: a JSON integer (not a string, not a boolean) within INTEGER."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(strict=True, **kwargs)


class QueryId(ma.fields.Integer):
    """An id in the query string (always text there)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)


class Bool(ma.fields.Boolean):
    """A JSON true or false, nothing truthy."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class UTCDateTime(ma.fields.AwareDateTime):
    """An ISO 8601 time with its offset; stored and answered in UTC."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            raise ma.ValidationError(_("The time is out of range."))

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def choice(codes, **kwargs) -> ma.fields.String:
    return ma.fields.String(validate=validate.OneOf(list(codes)), **kwargs)


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _plausible_day(value: date) -> None:
    # Warranty arithmetic adds months; far-away years would overflow it.
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ma.ValidationError(_("Use a date between 1900-01-01 and 2199-12-31."))


class Day(ma.fields.Date):
    """A calendar day, ISO 8601 (2026-03-10)."""

    def __init__(self, **kwargs):
        validators = [_plausible_day] + list(kwargs.pop("validate", None) or [])
        kwargs.setdefault("metadata", {}).setdefault("description", "A day between 1900-01-01 and 2199-12-31.")
        super().__init__(validate=validators, **kwargs)
