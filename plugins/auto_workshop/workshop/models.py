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

    vehicle: Mapped[Vehicle] = relationship()
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
