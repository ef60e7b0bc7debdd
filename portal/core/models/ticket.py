"""Tickets (工单): the case file of one customer request, its clocks, its holders and its
append-only timeline (REQUIREMENTS §2.2–§2.3)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .customer import Customer, Product
from .mixins import BranchOwnedMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin
from .types import Money, UTCDateTime, utcnow
from .user import User

CORE_KINDS = ("repair", "complaint", "consultation", "suggestion", "return_exchange", "installation", "callback")
CHANNELS = ("phone", "letter", "visit", "email", "web", "hotline", "mailbox")
PRIORITIES = ("low", "normal", "high", "urgent")
# How the work is done, in the order the rules prefer it (REQUIREMENTS §2.2, 003 §4.5.3).
HANDLINGS = ("phone_guidance", "parts_sent", "on_site", "taken_for_repair", "sent_to_hq")
NATURES = ("product_quality", "packaging_transport", "staff_attitude", "contract_dispute", "other")
DEPARTMENTS = ("quality", "warehouse_logistics", "sales_management", "senior_management", "after_sales")
CLOCKS = ("first_answer", "arrival", "resolution")


class Ticket(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    __tablename__ = "ticket"
    __audited__ = True
    __table_args__ = (
        # A branch's list by state and date, and (covering, with deleted_at and the breach
        # columns) HQ's open and breached counts per branch without reading the table.
        Index("ix_ticket_branch_state_created", "branch_id", "state", "deleted_at", "created_at", "sla_breached",
              "sla_next_due_at"),
        # "Escalated to you": an OR of holder, branch and HQ levels over open tickets.
        Index("ix_ticket_open_escalation", "state", "deleted_at", "escalation_level", "assignee_id", "branch_id"),
        Index("ix_ticket_branch_created", "branch_id", "created_at"),
        # A branch's list, newest first. SQLite's branch_id index ends in the row id anyway;
        # PostgreSQL's does not, and walked the whole table's newest ids to find one
        # branch's twenty (2 600 rows for a branch of a hundred: 1 ms -> 0.1 ms).
        Index("ix_ticket_branch_newest", "branch_id", "id"),
        Index("ix_ticket_state_due", "state", "sla_next_due_at"),
        # HQ's "state + date range" filter; with deleted_at the page's ids come from the index alone
        Index("ix_ticket_state_created", "state", "deleted_at", "created_at"),
        # A date range lists by date (ScopedModelView._filters_by_date): PostgreSQL reads
        # these in order; it will not after an IS NULL column.
        Index("ix_ticket_state_created_at", "state", "created_at"),
        Index("ix_ticket_created", "created_at"),
        # HQ's open and breached tickets per branch, read from the index alone on PostgreSQL
        # too (led by branch_id, it read the whole index there: 36 ms -> 4 ms).
        Index("ix_ticket_open_by_branch", "state", "deleted_at", "branch_id", "sla_breached", "sla_next_due_at"),
        Index("ix_ticket_assignee_state", "assignee_id", "state"),
        Index("ix_ticket_customer", "customer_id"),
        Index("ix_ticket_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, default="repair")
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default="phone")
    priority: Mapped[str] = mapped_column(String(16), nullable=False, default="normal")
    state: Mapped[str] = mapped_column(String(32), nullable=False, default="received")
    handling: Mapped[str | None] = mapped_column(String(32), nullable=True)
    nature: Mapped[str | None] = mapped_column(String(32), nullable=True)
    department: Mapped[str | None] = mapped_column(String(32), nullable=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    solution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Fields a plugin's ticket kind adds (portal.contract.TicketKind.extra_fields).
    extra: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    # Warranty decided at triage (REQUIREMENTS §2.4); None until then.
    warranty_free: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    warranty_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    exclusions: Mapped[list] = mapped_column(JSON, nullable=False, default=list)

    # Service-level clocks (REQUIREMENTS §2.3). Targets are working minutes, frozen at
    # creation so later setting changes do not move promises already made.
    first_answer_target_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    arrival_target_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolution_target_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    promised_arrival_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    out_of_province: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    arrival_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    first_answer_due: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    arrival_due: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Denormalised for the lists "due today / at risk / breached": the earliest due time of
    # a clock still running, and whether any clock was missed.
    sla_next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sla_breached: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    customer: Mapped[Customer] = relationship()
    product: Mapped[Product | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    assignments: Mapped[list["TicketAssignment"]] = relationship(
        back_populates="ticket", order_by="TicketAssignment.id"
    )
    pauses: Mapped[list["TicketPause"]] = relationship(back_populates="ticket", order_by="TicketPause.id")

    @property
    def is_open(self) -> bool:
        return self.state not in ("resolved", "closed", "cancelled")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class TicketEvent(db.Model):
    """One line of the ticket's timeline. Rows are only ever inserted (record principle,
    REQUIREMENTS §2.2); a session hook refuses updates and deletes."""

    __tablename__ = "ticket_event"
    __table_args__ = (
        Index("ix_ticket_event_ticket", "ticket_id", "id"),
        Index("ix_ticket_event_archive", "branch_id", "kind", "at"),  # the archive browses letters by month
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    # created, transition, note, call, letter, email, attachment, assignment, visit, quote,
    # charge, receipt, sla_breach, escalation, plugin
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    data: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    ticket: Mapped[Ticket] = relationship()
    user: Mapped[User | None] = relationship()


class TicketAssignment(db.Model):
    """Who held the ticket when: reassigning to a substitute closes one row and opens the
    next (REQUIREMENTS §1)."""

    __tablename__ = "ticket_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])


class TicketPause(db.Model):
    """A stretch of waiting for the customer: service-level clocks do not run."""

    __tablename__ = "ticket_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    ticket: Mapped[Ticket] = relationship(back_populates="pauses")


class SlaEscalation(db.Model):
    """One escalation step of one clock of one ticket. The unique constraint is what makes
    the sweep idempotent, also when two servers sweep at the same moment."""

    __tablename__ = "sla_escalation"
    __table_args__ = (UniqueConstraint("ticket_id", "clock", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), nullable=False, index=True)
    clock: Mapped[str] = mapped_column(String(16), nullable=False)
    level: Mapped[int] = mapped_column(Integer, nullable=False)  # 1 assignee, 2 branch manager, 3 HQ
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    ticket: Mapped[Ticket] = relationship()


class TicketSequence(db.Model):
    """The last number handed out per branch, year and series; incremented with a single
    UPDATE so concurrent creations never share a number."""

    __tablename__ = "ticket_sequence"

    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Attachment(BranchOwnedMixin, db.Model):
    """A file on a ticket (a scanned letter, a photo). Kept in the database so every
    instance behind the load balancer serves it."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, index=True)


class Quote(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    """A price for paid service, accepted by the customer before work starts (§2.4)."""

    __tablename__ = "quote"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False, index=True)
    parts: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    labour: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    travel: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    total: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    note: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="proposed")  # accepted, declined
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_how: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    ticket: Mapped[Ticket] = relationship()

    def __str__(self) -> str:
        return f"{self.total}"


class Charge(BranchOwnedMixin, TimestampMixin, db.Model):
    """Money taken after the service, with the invoice number (§2.4)."""

    __tablename__ = "charge"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    invoice_number: Mapped[str] = mapped_column(String(80), nullable=False)
    fee_standard_shown: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    charged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    ticket: Mapped[Ticket] = relationship()

    def __str__(self) -> str:
        return f"{self.amount} {self.invoice_number}"
