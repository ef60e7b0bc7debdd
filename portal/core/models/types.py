"""Column types that keep the storage rules in one place: UTC time and exact money."""

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import DateTime, Numeric
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores naive UTC (SQLite has no time zones) and always hands back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def Money():
    """Yuan with fen; Decimal in Python, never float."""
    return Numeric(12, 2, asdecimal=True)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


ZERO = Decimal("0.00")
