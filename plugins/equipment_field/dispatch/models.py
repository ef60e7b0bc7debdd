"""Tables of the dispatch part (REQUIREMENTS §3.2, issue 6 items 1–4): phone guidance tried
before a visit, trips that need the general manager's approval with their travel advance,
and the expense claims filed after them with their lines and receipts.

Receipts are kept in the database (bytes with name, type and size), like the core's ticket
attachments, so every instance behind the load balancer serves them and backups hold them.
Days that the travel rules count (trip dates, expense dates) are the branch's local dates.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.plugin_api import (
    BranchOwnedMixin, Money, SoftDeleteMixin, TimestampMixin, UTCDateTime, VersionedMixin, db, utcnow,
)

GUIDANCE_KINDS = ("attempt", "skipped")
TRIP_STATES = ("waiting", "approved", "rejected", "not_needed")
ADVANCE_STATES = ("requested", "approved", "rejected")
CLAIM_STATES = ("draft", "submitted", "approved", "returned")
CLAIM_EDITABLE = ("draft", "returned")


class FieldPhoneGuidance(BranchOwnedMixin, TimestampMixin, db.Model):
    """One phone-guidance attempt on a ticket (who, when, what came of it), or the
    dispatcher's written reason for sending an engineer without one (003 §4.5.3.1).
    Evidence for the dispatch rule, so never edited or removed."""

    __tablename__ = "field_phone_guidance"
    __audited__ = True
    __table_args__ = (Index("ix_field_phone_guidance_ticket", "ticket_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="attempt")
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    # The attempt's outcome, or the reason why guidance was skipped.
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    solved: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    ticket = relationship("Ticket")
    by = relationship("User")


class FieldTrip(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """The travel of one visit: distance, places and dates, the general manager's approval
    where the rules demand it (003 §3.3), and the travel advance (借款) asked for it."""

    __tablename__ = "field_trip"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("visit_id", name="uq_field_trip_visit"),
        Index("ix_field_trip_branch_state", "branch_id", "state"),
        Index("ix_field_trip_branch_start", "branch_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), nullable=False)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False, index=True)
    distance_class: Mapped[str] = mapped_column(String(16), nullable=False)
    distance_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    needs_approval: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    places: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    # Stored so the monthly person-days are a plain SUM on every database.
    days: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    purpose: Mapped[str] = mapped_column(Text, nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="waiting")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    advance_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    advance_purpose: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    advance_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    advance_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    advance_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    advance_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    advance_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    advance_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    visit = relationship("Visit")
    ticket = relationship("Ticket")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    advance_requested_by = relationship("User", foreign_keys=[advance_requested_by_id])
    advance_decided_by = relationship("User", foreign_keys=[advance_decided_by_id])

    @property
    def place_list(self) -> list[str]:
        from .rules import split_places

        return split_places(self.places)

    @property
    def approved_advance(self) -> Decimal:
        return self.advance_amount if self.advance_state == "approved" and self.advance_amount else Decimal("0.00")

    def __str__(self) -> str:
        return f"{self.ticket.number if self.ticket else ''} · {self.places}"


class FieldExpenseClaim(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """差旅费报销单 of one trip: filled in after the trip, checked against it, approved or
    returned with a reason by the manager (004/1 四.3, 五.1–2)."""

    __tablename__ = "field_expense_claim"
    __audited__ = True
    __table_args__ = (
        Index("ix_field_expense_claim_branch_state", "branch_id", "state"),
        Index("ix_field_expense_claim_trip", "trip_id"),
        Index("ix_field_expense_claim_branch_decided", "branch_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("field_trip.id"), nullable=False)
    claimant_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    total: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0.00"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    return_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    trip = relationship("FieldTrip")
    claimant = relationship("User", foreign_keys=[claimant_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    lines: Mapped[list["FieldExpenseLine"]] = relationship(
        back_populates="claim", order_by="FieldExpenseLine.id",
        primaryjoin="and_(FieldExpenseLine.claim_id == FieldExpenseClaim.id, FieldExpenseLine.deleted_at.is_(None))",
        viewonly=True,
    )

    def __str__(self) -> str:
        return f"{self.trip} · {self.total}"


class FieldExpenseLine(TimestampMixin, SoftDeleteMixin, db.Model):
    """One line of the claim: date, place (and for transport the place reached), category,
    amount, with its receipts."""

    __tablename__ = "field_expense_line"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("field_expense_claim.id"), nullable=False, index=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    place: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    to_place: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    note: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    claim: Mapped[FieldExpenseClaim] = relationship(back_populates="lines")
    receipts: Mapped[list["FieldExpenseReceipt"]] = relationship(
        back_populates="line", order_by="FieldExpenseReceipt.id")


class FieldExpenseReceipt(BranchOwnedMixin, db.Model):
    """A scanned or photographed receipt of a line, stored in the database."""

    __tablename__ = "field_expense_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("field_expense_line.id"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    line: Mapped[FieldExpenseLine] = relationship(back_populates="receipts")
