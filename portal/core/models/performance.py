"""Staff performance records (考核, REQUIREMENTS §2.8) and the archive of letters and
e-mails filed on a customer (§2.10)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .customer import Customer, Product
from .mixins import BranchOwnedMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin
from .ticket import Ticket
from .types import Money, UTCDateTime, utcnow
from .user import User
from .visit import Visit

# The penalties written in the rules (004/1 四, 002 §4); "other" is for what they do not name.
REASONS = ("late_arrival", "no_hq_call", "incomplete_report", "phone_off", "disobey_dispatch", "upheld_complaint",
           "other")
# Reasons whose amount is a branch setting ``penalty_<reason>``.
PRICED_REASONS = ("late_arrival", "no_hq_call", "incomplete_report", "phone_off", "disobey_dispatch")
DEMERITS = ("none", "demerit", "serious_demerit")
RECORD_STATES = ("proposed", "confirmed", "dismissed")


class StaffRecord(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A penalty or demerit against one person, with its evidence. The system proposes the
    ones the ticket data proves (late arrival, incomplete report); a manager confirms or
    dismisses every proposal, and records the others by hand."""

    __tablename__ = "staff_record"
    __audited__ = True
    __table_args__ = (
        # What makes automatic proposals happen once per person and visit (or complaint),
        # however often the sweep runs and on however many servers.
        UniqueConstraint("reason", "visit_id", "user_id"),
        UniqueConstraint("reason", "complaint_id", "user_id"),
        Index("ix_staff_record_branch_state_occurred", "branch_id", "state", "occurred_at"),
        Index("ix_staff_record_state_occurred", "state", "occurred_at"),
        Index("ix_staff_record_user_occurred", "user_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    # Frozen when proposed: a later change of the branch's amounts does not reprice it.
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0.00"))
    demerit: Mapped[str] = mapped_column(String(16), nullable=False, default="none")
    # When the fault happened; the month it counts in.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True, index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), nullable=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="proposed")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)  # None: the system
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    ticket: Mapped[Ticket | None] = relationship()
    visit: Mapped[Visit | None] = relationship()

    @property
    def is_automatic(self) -> bool:
        return self.proposed_by_id is None

    def __str__(self) -> str:
        return f"{self.reason} {self.amount} #{self.user_id}"


DOCUMENT_KINDS = ("letter_in", "letter_out", "email_in", "email_out", "reply")


class CustomerDocument(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, db.Model):
    """A letter, e-mail or reply filed on the customer file rather than on one ticket. The
    file is kept in the database, like ticket attachments, so every server serves it."""

    __tablename__ = "customer_document"
    __audited__ = True
    __audit_exclude__ = ("data",)
    __table_args__ = (
        Index("ix_customer_document_branch_dated", "branch_id", "dated_at"),
        Index("ix_customer_document_customer_dated", "customer_id", "dated_at"),
        Index("ix_customer_document_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The day it was received or sent, as local midnight of the branch in UTC: the archive
    # files it under that day's month.
    dated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    filename: Mapped[str | None] = mapped_column(String(200), nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    customer: Mapped[Customer] = relationship()
    product: Mapped[Product | None] = relationship()
    filed_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}"
