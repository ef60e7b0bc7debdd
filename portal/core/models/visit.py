"""Field visits with their signed service reports, and items taken in for repair
(REQUIREMENTS §2.5)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .mixins import BranchOwnedMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin
from .ticket import Ticket
from .types import Money, UTCDateTime
from .user import User

VISIT_STATES = ("scheduled", "departed", "arrived", "finished", "cancelled")
OPEN_VISIT_STATES = ("scheduled", "departed", "arrived")  # the engineer is yet to finish
RECEIPT_STATES = ("in_store", "at_hq", "ready", "returned")

visit_engineer = Table(
    "visit_engineer",
    db.metadata,
    Column("visit_id", Integer, ForeignKey("visit.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Visit(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One trip of one or more engineers to the customer, and its report (报告单)."""

    __tablename__ = "visit"
    __audited__ = True
    __audit_exclude__ = ("signature",)
    __table_args__ = (
        Index("ix_visit_branch_scheduled", "branch_id", "scheduled_for"),
        Index("ix_visit_arrived", "arrived_at"),  # the staff sweep looks for reports overdue since arrival
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False, index=True)
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="scheduled")
    address: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The service report.
    fault_cause: Mapped[str] = mapped_column(Text, nullable=False, default="")
    solution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), nullable=True)
    customer_opinion: Mapped[str] = mapped_column(Text, nullable=False, default="")
    signed_by: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)  # PNG data URL
    called_hq_before_leaving: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    report_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    ticket: Mapped[Ticket] = relationship()
    engineers: Mapped[list[User]] = relationship(secondary=visit_engineer, lazy="selectin")
    parts: Mapped[list["VisitPart"]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="VisitPart.id"
    )

    def __str__(self) -> str:
        return f"{self.ticket.number if self.ticket else ''} #{self.id}"


class VisitPart(db.Model):
    """A part replaced during the visit; ``charged`` parts appear on the bill."""

    __tablename__ = "visit_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    part_number: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    charged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    unit_price: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)

    visit: Mapped[Visit] = relationship(back_populates="parts")


class RepairReceipt(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """客户货品领取收据: an item taken in for repair stays in the register until it is back
    with the customer (REQUIREMENTS §2.5)."""

    __tablename__ = "repair_receipt"
    __audited__ = True
    __table_args__ = (Index("ix_repair_receipt_branch_state", "branch_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False, index=True)
    item: Mapped[str] = mapped_column(String(200), nullable=False)
    accessories: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    condition: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="in_store")
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    returned_to: Mapped[str] = mapped_column(String(80), nullable=False, default="")

    ticket: Mapped[Ticket] = relationship()
    received_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.number} {self.item}"
