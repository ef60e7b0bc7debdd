"""Monthly statistics (REQUIREMENTS §2.9): the figures of one branch-month kept as a small
aggregate row, refreshed incrementally, and the month closings that freeze them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .types import UTCDateTime, utcnow
from .user import User

COMPANY = 0  # scope key of the company summary closed by HQ


class StatsMonth(db.Model):
    """The figures of one branch for one branch-local month.

    The HQ page reads these rows (one per branch) instead of grouping a million tickets.
    A committed change to a ticket, visit, charge, callback, complaint or penalty bumps
    ``dirty_seq`` of the months it can affect; a refresh records the ``dirty_seq`` it read
    *before* reading the data as ``computed_seq``, so a change that commits while the
    refresh runs leaves the row stale instead of being lost.
    """

    __tablename__ = "stats_month"
    __table_args__ = (Index("ix_stats_month_month", "month"),)

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # day 1 of the month
    # The branch-local month as UTC instants [start, end).
    start_utc: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    end_utc: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # A few figures as columns, so the trend chart and the HQ table are one GROUP BY.
    tickets: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_cost_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    dirty_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    computed_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Shape of ``figures`` and which feature modules fed them: rows of another shape are stale.
    version: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    # When a running service-level clock of the month's tickets falls due, "running"
    # becomes "breached" without any row changing: the figures are stale from then on.
    next_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Last on purpose: SQLite reads a row's columns in order, and the small ones above are
    # what the stale checks and the trend read (without walking this document's pages).
    figures: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)


class StatsClosing(db.Model):
    """A month closed by a manager once its figures were checked: the figures as they were
    then (``snapshot``) are what the month shows from now on. ``branch_id`` is None for the
    company summary HQ closes (``scope_key`` 0)."""

    __tablename__ = "stats_closing"
    __audited__ = True
    __table_args__ = (UniqueConstraint("scope_key", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[int] = mapped_column(Integer, nullable=False)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), nullable=True, index=True)
    month: Mapped[date] = mapped_column(Date, nullable=False)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    snapshot: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    # ``StatsMonth.dirty_seq`` when closed: a higher value later means late edits arrived.
    seq_at_close: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    closed_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} ({'company' if self.branch_id is None else self.branch_id})"
