"""The workshop's shared records (REQUIREMENTS §3.3): vehicle files, work orders with their
job and parts lines, and the branch's parts stock. The approvals part (quotations, claim
orders, purchases, discounts) builds on these; add columns here, never rename them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.plugin_api import (
    BranchOwnedMixin, Money, SoftDeleteMixin, TimestampMixin, UTCDateTime, VersionedMixin, db,
)

#: Jobs a work order is opened for (seed 000 汽车售后服务管理制度; 004/3).
JOB_TYPES = ("general_repair", "maintenance", "accident_repair", "warranty_claim")
LINE_KINDS = ("part", "labour")


class Vehicle(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A vehicle file (车辆档案), due within two days of the first visit."""

    __tablename__ = "auto_vehicle"
    __audited__ = True
    __table_args__ = (
        Index("ix_auto_vehicle_branch_plate", "branch_id", "plate"),
        Index("ix_auto_vehicle_vin", "vin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    plate: Mapped[str] = mapped_column(String(16), nullable=False)
    vin: Mapped[str] = mapped_column(String(17), nullable=False, default="")
    model: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    owner_name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    mileage_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    service_items: Mapped[str] = mapped_column(Text, nullable=False, default="")
    service_interval_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    service_interval_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_service_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    first_visit_on: Mapped[date] = mapped_column(Date, nullable=False)
    file_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    customer = relationship("Customer")

    def __str__(self) -> str:
        return f"{self.plate} {self.model}".strip()


class WorkOrder(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A work order (工单/派工单) that travels with the car; ``state`` is one of
    ``rules.WorkOrderState``."""

    __tablename__ = "auto_work_order"
    __audited__ = True
    __table_args__ = (
        Index("ix_auto_work_order_branch_state", "branch_id", "state"),
        Index("ix_auto_work_order_branch_delivered", "branch_id", "delivered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("auto_vehicle.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True, index=True)
    job_type: Mapped[str] = mapped_column(String(20), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    complaint: Mapped[str] = mapped_column(Text, nullable=False, default="")  # what the customer reports
    mileage_km: Mapped[int | None] = mapped_column(Integer, nullable=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    work_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Added by the workshop part: the facts its lifecycle checks read.
    opened_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # the branch's local day
    quality_passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    quality_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    settled_note: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_call_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    second_call_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    vehicle: Mapped[Vehicle] = relationship()
    customer = relationship("Customer")
    advisor = relationship("User", foreign_keys=[advisor_id])
    technician = relationship("User", foreign_keys=[technician_id])
    lines: Mapped[list[WorkOrderLine]] = relationship(back_populates="work_order", order_by="WorkOrderLine.id")

    def __str__(self) -> str:
        return self.number


class WorkOrderLine(TimestampMixin, db.Model):
    """A job (labour) or part on a work order. ``added_during_repair`` marks parts found
    while the car was worked on: the service advisor adds them and they need a fresh
    signature of the quotation before they are ordered (004/2 三.5)."""

    __tablename__ = "auto_work_order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("auto_work_order.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # LINE_KINDS
    part_number: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False, default=Decimal("1"))  # hours for labour
    unit_price: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    unit_cost: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    added_during_repair: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Added by the workshop part: a job (labour line) is finished; parts issued so far.
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    issued_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    work_order: Mapped[WorkOrder] = relationship(back_populates="lines")


class PartStock(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    """How many of a part the branch's store holds; moves with every issue and return."""

    __tablename__ = "auto_part_stock"
    __audited__ = True
    __table_args__ = (UniqueConstraint("branch_id", "part_number", name="uq_auto_part_stock_branch_part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    part_number: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unit_price: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    unit_cost: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))

    def __str__(self) -> str:
        return f"{self.part_number} {self.name}"


# --------------------------------------------------------------- added by the workshop part

MOVEMENT_KINDS = ("issue", "return", "receipt")


class StockMovement(BranchOwnedMixin, db.Model):
    """Every change of a branch's stock, append-only: an issue against a work order line
    (who received it), a return of unused parts once they are back, a receipt into the
    store. An issue also records whether it was fitted (``used``) and how much of it came
    back, so a return is checked against what is still out."""

    __tablename__ = "auto_stock_movement"
    __table_args__ = (
        Index("ix_auto_stock_movement_branch_at", "branch_id", "at"),
        Index("ix_auto_stock_movement_stock", "part_stock_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_stock_id: Mapped[int] = mapped_column(ForeignKey("auto_part_stock.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # MOVEMENT_KINDS
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)  # always positive
    unit_price: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("auto_work_order.id"), nullable=True, index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("auto_work_order_line.id"), nullable=True, index=True)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("auto_stock_movement.id"), nullable=True)
    received_by: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    note: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    used: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    returned_quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    part = relationship("PartStock")
    work_order = relationship("WorkOrder")
    line = relationship("WorkOrderLine")
    user = relationship("User")

    @property
    def outstanding(self) -> int:
        """Issued and neither fitted nor back in the store."""
        return 0 if self.used or self.kind != "issue" else self.quantity - self.returned_quantity


class WorkOrderLog(db.Model):
    """What happened to a work order, in order: steps, lines added or removed, issues,
    returns, calls scheduled. Append-only."""

    __tablename__ = "auto_work_order_log"
    __table_args__ = (Index("ix_auto_work_order_log_order", "work_order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("auto_work_order.id"), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    user = relationship("User")


class NumberSequence(db.Model):
    """The last number given per branch, series and year; one UPDATE takes the row lock,
    so two advisors opening orders at once never get the same number."""

    __tablename__ = "auto_number_sequence"
    __table_args__ = (UniqueConstraint("branch_id", "series", "year", name="uq_auto_number_sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), nullable=False)
    series: Mapped[str] = mapped_column(String(8), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class WorkshopEvent(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """An event the branch invites its vehicle owners to (000 汽车 §(三).6)."""

    __tablename__ = "auto_event"
    __audited__ = True
    __table_args__ = (Index("ix_auto_event_branch_day", "branch_id", "event_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    event_on: Mapped[date] = mapped_column(Date, nullable=False)
    call_due_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    invitations = relationship("EventInvitation", back_populates="event", order_by="EventInvitation.id")

    def __str__(self) -> str:
        return f"{self.event_on.isoformat()} {self.name}"


class EventInvitation(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One owner invited to an event: the call is a callback in the core queue, the letter
    that follows it is a task here, due ``letter_days`` after the call day."""

    __tablename__ = "auto_event_invitation"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("event_id", "customer_id", name="uq_auto_event_invitation_customer"),
        Index("ix_auto_event_invitation_letter", "branch_id", "letter_sent_at", "letter_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("auto_event.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callback.id"), nullable=True)
    letter_due_on: Mapped[date] = mapped_column(Date, nullable=False)
    letter_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    letter_sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    letter_note: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    event = relationship("WorkshopEvent", back_populates="invitations")
    customer = relationship("Customer")
    letter_sent_by = relationship("User", foreign_keys=[letter_sent_by_id])
