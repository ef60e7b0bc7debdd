"""Form fields and list filters for aware UTC datetimes: people type and read the branch's
local time, the database keeps UTC."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import DateTimeField
from flask_admin.model.filters import convert
from flask_admin.model.form import converts
from flask_babel import get_timezone


def to_utc(value: datetime | None) -> datetime | None:
    """A naive datetime typed by a user is local to their branch."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(str(get_timezone())))
    return value.astimezone(timezone.utc)


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(str(get_timezone()))).replace(tzinfo=None)


class LocalDateTimeField(DateTimeField):
    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return to_local(self.data).strftime(self.format[0]) if self.data else ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = to_utc(self.data)


class PortalModelConverter(AdminModelConverter):
    @converts("UTCDateTime")
    def convert_utc_datetime(self, field_args, **extra):
        field_args.setdefault("format", "%Y-%m-%d %H:%M:%S")
        return LocalDateTimeField(**field_args)


class _Localised:
    def clean(self, value):
        cleaned = super().clean(value)
        try:
            return [to_utc(v) for v in cleaned] if isinstance(cleaned, list) else to_utc(cleaned)
        except OverflowError:
            # 0001-01-01 has no UTC equivalent east of Greenwich; Flask-Admin treats a
            # ValueError as "invalid filter value" and ignores it.
            raise ValueError("date out of range")


def _local(flt):
    return type(f"Local{flt.__name__}", (_Localised, flt), {})


class PortalFilterConverter(sqla_filters.FilterConverter):
    utc_filters = tuple(_local(f) for f in sqla_filters.FilterConverter.datetime_filters if f is not sqla_filters.FilterEmpty) + (
        sqla_filters.FilterEmpty,
    )

    @convert("utcdatetime")
    def conv_utc_datetime(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in self.utc_filters]
