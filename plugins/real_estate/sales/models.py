"""The sales office's shared records (REQUIREMENTS §3.4): projects, buildings, units and the
register of sales contracts (商品房买卖契约). The handover part (move-in notices, handover,
certificates) builds on these; add columns here, never rename them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.plugin_api import (
    BranchOwnedMixin, Money, SoftDeleteMixin, TimestampMixin, UTCDateTime, VersionedMixin, db,
)


class Project(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A development sold by the branch (sales office)."""

    __tablename__ = "estate_project"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    address: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    #: The property-management company that takes over defects after handover.
    property_company: Mapped[str] = mapped_column(String(120), nullable=False, default="")

    buildings: Mapped[list[Building]] = relationship(back_populates="project", order_by="Building.name")

    def __str__(self) -> str:
        return self.name


class Building(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A building of a project; move-in notices go out only after its completion acceptance
    (竣工验收) is recorded."""

    __tablename__ = "estate_building"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("estate_project.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)  # e.g. 3栋
    completion_accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    project: Mapped[Project] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(back_populates="building", order_by="Unit.number")

    def __str__(self) -> str:
        return f"{self.project.name} {self.name}" if self.project else self.name


class Unit(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A unit for sale; ``state`` is one of ``rules.UnitState`` (available, reserved, sold,
    handed_over)."""

    __tablename__ = "estate_unit"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("building_id", "number", name="uq_estate_unit_building_number"),
        Index("ix_estate_unit_branch_state", "branch_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("estate_building.id"), nullable=False, index=True)
    floor: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(16), nullable=False)  # e.g. 1502
    area_m2: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    price: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="available")
    handed_over_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    building: Mapped[Building] = relationship(back_populates="units")

    def __str__(self) -> str:
        return f"{self.building} {self.number}" if self.building else self.number


class Contract(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A signed sales contract in the register; confidential (sales and after-sales roles of
    the branch and HQ only). ``state`` is one of ``rules.ContractState``; ``payment_method``
    one of ``rules.PaymentMethod``."""

    __tablename__ = "estate_contract"
    __audited__ = True
    __table_args__ = (Index("ix_estate_contract_branch_state", "branch_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("estate_unit.id"), nullable=False, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    buyers: Mapped[str] = mapped_column(Text, nullable=False)  # every buyer named in the contract
    price: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    notarised: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    notary_reference: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    payment_method: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(24), nullable=False, default="registered")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # to after-sales
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    unit: Mapped[Unit] = relationship()

    def __str__(self) -> str:
        return self.number
