"""Complaints (投诉): the eight-step file kept for one complaint ticket, and the append-only
record of who did which step when (REQUIREMENTS §2.7; 004/7 一.(三), 004/9 二).

The rules of the steps live in ``portal.core.complaints``; this module only says what is
stored."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .mixins import BranchOwnedMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin
from .ticket import Ticket
from .types import Money, UTCDateTime, utcnow
from .user import User

# 004/7 一.(一) and 3.3: quality, service, plus the three kinds routed elsewhere.
COMPLAINT_NATURES = ("quality", "service_attitude", "suggestion", "contract", "transport")
AGAINST_KINDS = ("person", "product", "service")
NOTIFY_CHANNELS = ("phone", "letter", "visit", "email")
DEMERITS = ("none", "demerit", "serious_demerit")
OUTCOMES = ("resolved", "unjustified")


class Complaint(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """One complaint, one ticket. ``last_step`` is the last of the eight steps done (0 when
    only opened); the file is closed after step 8, or after step 2 when not justified."""

    __tablename__ = "complaint"
    __audited__ = True
    __table_args__ = (
        # List filters (step, nature, unit, month) and the monthly figures.
        Index("ix_complaint_branch_received", "branch_id", "received_at"),
        Index("ix_complaint_branch_step", "branch_id", "last_step"),
        Index("ix_complaint_branch_closed", "branch_id", "closed_at"),
        Index("ix_complaint_serious_closed", "serious", "closed_at"),
        Index("ix_complaint_nature", "nature"),
        Index("ix_complaint_department", "responsible_department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False, unique=True)
    last_step: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    # 1. record
    complainant: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    contact: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    against_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    against: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    demand: Mapped[str] = mapped_column(Text, nullable=False, default="")

    # 2. nature; the explanation is what the customer was told when it is not justified
    nature: Mapped[str | None] = mapped_column(String(32), nullable=True)
    justified: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    explanation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    serious: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    serious_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # 3. responsible unit: a department code, free text, or both
    responsible_department: Mapped[str | None] = mapped_column(String(32), nullable=True)
    responsible_unit_note: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    # 4. investigation: a colleague of the branch, or a name for someone outside it
    cause: Mapped[str] = mapped_column(Text, nullable=False, default="")
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    responsible_name: Mapped[str] = mapped_column(String(120), nullable=False, default="")

    # 5. solution, approved by someone else above the branch's amount
    solution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    approval_needed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # 6. customer notified
    notified_how: Mapped[str | None] = mapped_column(String(16), nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    customer_reply: Mapped[str] = mapped_column(Text, nullable=False, default="")

    # 7. responsibility and penalty
    attribution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    penalty_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    penalty_demerit: Mapped[str | None] = mapped_column(String(16), nullable=True)

    # 8. improvement measure
    improvement: Mapped[str] = mapped_column(Text, nullable=False, default="")

    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)

    ticket: Mapped[Ticket] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    responsible_user: Mapped[User | None] = relationship(foreign_keys=[responsible_user_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    steps: Mapped[list["ComplaintStep"]] = relationship(back_populates="complaint", order_by="ComplaintStep.id")

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def awaiting_approval(self) -> bool:
        return self.last_step == 5 and self.approval_needed and self.approved_at is None

    def __str__(self) -> str:
        return f"{self.ticket.number if self.ticket else self.ticket_id} {self.complainant}"


class ComplaintStep(db.Model):
    """One thing done on a complaint: a step, an approval, a serious flag. Rows are only
    ever inserted (record principle, 004/7 2.4); a session hook refuses edits."""

    __tablename__ = "complaint_step"
    __table_args__ = (Index("ix_complaint_step_complaint", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id"), nullable=False)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), nullable=False, index=True)
    step: Mapped[int] = mapped_column(Integer, nullable=False)
    # opened, done, approved, sent_back, serious, not_serious
    action: Mapped[str] = mapped_column(String(16), nullable=False, default="done")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    data: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    complaint: Mapped[Complaint] = relationship(back_populates="steps")
    user: Mapped[User | None] = relationship()
