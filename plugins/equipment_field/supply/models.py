"""Tables of the supply part of equipment_field (REQUIREMENTS §3.2, issue 6 items 5–8):
the branch's parts stock, outbound slips (出库单) and their lines, parts requests to the
factory, installation and training requests, major projects with their planned
maintenance, and supplier faults with their chase log.

Days the regulations count (needed-by, agreed dates, start-up, deadlines) are the branch's
local dates; moments are aware UTC like everywhere in the portal.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.plugin_api import (
    BranchOwnedMixin, Money, SoftDeleteMixin, TimestampMixin, UTCDateTime, VersionedMixin, db,
)

SLIP_STATES = ("waiting", "approved", "shipped", "cancelled")
SLIP_OPEN = ("waiting", "approved")
FACTORY_STATES = ("requested", "in_production", "shipped", "received")
#: Not yet on its way from the factory: these count as late past the needed-by day.
FACTORY_NOT_SHIPPED = ("requested", "in_production")
COST_BEARERS = ("supplier", "company", "shared")


class FieldPart(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """One part in the branch's parts store: what the outbound slips draw from."""

    __tablename__ = "field_part"
    __audited__ = True
    __table_args__ = (UniqueConstraint("branch_id", "part_number", name="uq_field_part_branch_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    part_number: Mapped[str] = mapped_column(String(60), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unit_price: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0.00"))

    def __str__(self) -> str:
        return f"{self.part_number} {self.name}"


class FieldSlip(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """出库单 (003 §4.5.3.2): customer, parts, quantities, shipping method; signed by the
    after-sales manager before the parts leave the store."""

    __tablename__ = "field_slip"
    __audited__ = True
    __table_args__ = (
        Index("ix_field_slip_branch_state", "branch_id", "state"),
        Index("ix_field_slip_branch_shipped", "branch_id", "shipped_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True, index=True)
    slip_date: Mapped[date] = mapped_column(Date, nullable=False)
    shipping_method: Mapped[str] = mapped_column(String(80), nullable=False)
    in_warranty: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    freight: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0.00"))
    charge: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0.00"))
    needed_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="waiting")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    shipped_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    tracking: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    cancel_reason: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    customer = relationship("Customer")
    ticket = relationship("Ticket")
    created_by = relationship("User", foreign_keys=[created_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    lines: Mapped[list["FieldSlipLine"]] = relationship(back_populates="slip", order_by="FieldSlipLine.position",
                                                        cascade="all, delete-orphan")

    @property
    def number(self) -> str:
        code = self.branch.code if self.branch is not None else ""
        return f"{code}-CK{self.slip_date:%Y%m%d}-{self.id or 0:04d}"

    @property
    def approved(self) -> bool:
        return self.approved_at is not None

    def __str__(self) -> str:
        return self.number


class FieldSlipLine(BranchOwnedMixin, db.Model):
    """One part on a slip; name and price are copied so the slip stays as it was printed."""

    __tablename__ = "field_slip_line"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    slip_id: Mapped[int] = mapped_column(ForeignKey("field_slip.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    part_number: Mapped[str] = mapped_column(String(60), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    qty: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0.00"))

    slip: Mapped[FieldSlip] = relationship(back_populates="lines")

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.qty


class FieldFactoryRequest(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """售后配件生产需求 (004/1 五.4): a part the store lacks, asked of the factory with the
    day it is needed, followed until it is received."""

    __tablename__ = "field_factory_request"
    __audited__ = True
    __table_args__ = (Index("ix_field_factory_request_branch_state_due", "branch_id", "state", "needed_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slip_id: Mapped[int | None] = mapped_column(ForeignKey("field_slip.id"), nullable=True, index=True)
    part_number: Mapped[str] = mapped_column(String(60), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    qty: Mapped[int] = mapped_column(Integer, nullable=False)
    needed_by: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="requested")
    requested_on: Mapped[date] = mapped_column(Date, nullable=False)
    in_production_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    slip = relationship("FieldSlip")

    def __str__(self) -> str:
        return f"{self.part_number} × {self.qty}"


class FieldProject(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A major project (000 §2.3): one big customer's installations and tickets, the
    start-up day, warranty end, planned maintenance and on-site accompaniment."""

    __tablename__ = "field_project"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    site: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    start_up: Mapped[date] = mapped_column(Date, nullable=False)
    warranty_end: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    customer = relationship("Customer")
    maintenance: Mapped[list["FieldMaintenance"]] = relationship(
        back_populates="project", order_by="FieldMaintenance.planned_on")

    def __str__(self) -> str:
        return self.name


class FieldMaintenance(BranchOwnedMixin, TimestampMixin, db.Model):
    """One planned maintenance date of a project that became a ticket and a visit. The
    unique pair makes "Generate visits" safe to press twice."""

    __tablename__ = "field_maintenance"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("project_id", "planned_on", name="uq_field_maintenance_project_day"),
        Index("ix_field_maintenance_branch_day", "branch_id", "planned_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("field_project.id"), nullable=False, index=True)
    planned_on: Mapped[date] = mapped_column(Date, nullable=False)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), nullable=True)

    project: Mapped[FieldProject] = relationship(back_populates="maintenance")
    ticket = relationship("Ticket")
    visit = relationship("Visit")


class FieldInstall(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """客户服务需求申请表 for installation and training (003 §4.3), from request to the
    training record signed by the customer."""

    __tablename__ = "field_install"
    __audited__ = True
    __table_args__ = (
        Index("ix_field_install_branch_state", "branch_id", "state"),
        Index("ix_field_install_branch_done", "branch_id", "done_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), nullable=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("field_project.id"), nullable=True, index=True)
    site: Mapped[str] = mapped_column(String(255), nullable=False)
    wanted_date: Mapped[date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="requested")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    agreed_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: user ids of the team; ``team_size`` is kept beside it for the monthly SQL figures
    team: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    team_size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: [{"item": "扭矩扳手", "done": false}, ...]
    checklist: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    training_material: Mapped[str] = mapped_column(Text, nullable=False, default="")
    material_ready: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    needs_travel: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    travel_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    travel_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    trainees: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    training_record: Mapped[str] = mapped_column(Text, nullable=False, default="")
    signed_by: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)  # PNG data URL
    days_on_site: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reason: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    customer = relationship("Customer")
    product = relationship("Product")
    project = relationship("FieldProject")
    created_by = relationship("User", foreign_keys=[created_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    travel_approved_by = relationship("User", foreign_keys=[travel_approved_by_id])

    @property
    def number(self) -> str:
        code = self.branch.code if self.branch is not None else ""
        return f"{code}-AZ{self.id or 0:05d}"

    def __str__(self) -> str:
        return self.number


class FieldSupplierFault(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A fault caused by a bought-in part (004/5 二.3): notified in writing with a deadline
    and who bears the cost, chased until closed."""

    __tablename__ = "field_supplier_fault"
    __audited__ = True
    __table_args__ = (Index("ix_field_supplier_fault_branch_open_due", "branch_id", "closed_at", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier: Mapped[str] = mapped_column(String(120), nullable=False)
    part: Mapped[str] = mapped_column(String(120), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), nullable=True, index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)
    notified_on: Mapped[date] = mapped_column(Date, nullable=False)
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    cost_bearer: Mapped[str] = mapped_column(String(16), nullable=False)
    cost_note: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    close_note: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    customer = relationship("Customer")
    ticket = relationship("Ticket")
    chases: Mapped[list["FieldSupplierChase"]] = relationship(back_populates="fault",
                                                               order_by="FieldSupplierChase.id")

    @property
    def number(self) -> str:
        code = self.branch.code if self.branch is not None else ""
        return f"{code}-GYS{self.id or 0:05d}"

    def __str__(self) -> str:
        return self.number


class FieldSupplierChase(BranchOwnedMixin, TimestampMixin, db.Model):
    """One reminder to the supplier: when, how, what they said."""

    __tablename__ = "field_supplier_chase"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    fault_id: Mapped[int] = mapped_column(ForeignKey("field_supplier_fault.id"), nullable=False, index=True)
    chased_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(String(255), nullable=False)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    fault: Mapped[FieldSupplierFault] = relationship(back_populates="chases")
    by = relationship("User")
