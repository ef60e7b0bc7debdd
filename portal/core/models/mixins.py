"""Behaviour shared by business records: branch ownership, history stamps, soft delete,
optimistic locking. A model opts into the audit trail with ``__audited__ = True``."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .types import UTCDateTime, utcnow


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class BranchOwnedMixin:
    """A row that belongs to exactly one branch; access.py scopes every query on it."""

    @declared_attr
    def branch_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("branch.id"), nullable=False, index=True)

    @declared_attr
    def branch(cls) -> Mapped["Branch"]:  # noqa: F821
        return relationship("Branch")


class SoftDeleteMixin:
    """Business records are archived, never removed, so the audit trail stays whole."""

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class VersionedMixin:
    """Two people saving the same record: the second save fails instead of overwriting."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}

