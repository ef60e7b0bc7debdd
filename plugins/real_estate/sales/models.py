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


# --- added by the sales part: who the contract is with, and how it is paid -------------------

Contract.customer = relationship("Customer")
Contract.agent = relationship("User", foreign_keys=[Contract.agent_id])
Contract.confirmed_by = relationship("User", foreign_keys=[Contract.confirmed_by_id])


class Payment(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    """One amount the buyer owes under a contract: the single payment, or one instalment
    of the schedule (二、3). ``seq`` is the instalment's index in the schedule, as
    ``rules.reminders_due`` and ``rules.overdue`` count it."""

    __tablename__ = "estate_payment"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("contract_id", "seq", name="uq_estate_payment_contract_seq"),
        Index("ix_estate_payment_branch_due", "branch_id", "due_on"),
        Index("ix_estate_payment_branch_paid", "branch_id", "paid_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("estate_contract.id"), nullable=False, index=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    amount_due: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    amount_paid: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    #: the day the customer was last reminded of this instalment (None: not yet)
    reminded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    contract: Mapped[Contract] = relationship(backref="payments")


class Mortgage(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    """The bank case of a mortgage contract (二、2: 代办按揭手续，并督促银行尽快安排款项到帐);
    ``step`` is the last ``rules.MortgageStep`` taken (None: none yet), each with its day."""

    __tablename__ = "estate_mortgage"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("contract_id", name="uq_estate_mortgage_contract"),
        Index("ix_estate_mortgage_branch_expected", "branch_id", "expected_loan_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("estate_contract.id"), nullable=False)
    bank: Mapped[str] = mapped_column(String(120), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    expected_loan_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    step: Mapped[str | None] = mapped_column(String(24), nullable=True)
    documents_collected_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    submitted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    approved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    loan_received_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_chased_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    chase_note: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    contract: Mapped[Contract] = relationship(backref=db.backref("mortgage", uselist=False))


class Dispute(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A dispute about a contract (二、11): what the customer said, the rule or regulation
    used to explain, the answer given, and whether it went to the branch leader. It runs
    as a core ticket of kind ``estate_dispute`` with the core's complaint file."""

    __tablename__ = "estate_dispute"
    __audited__ = True
    __table_args__ = (Index("ix_estate_dispute_branch_state", "branch_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("estate_contract.id"), nullable=False, index=True)
    customer_said: Mapped[str] = mapped_column(Text, nullable=False)
    rule_cited: Mapped[str] = mapped_column(Text, nullable=False, default="")
    answer_given: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: None: the customer has not replied to the answer yet
    customer_accepts: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: open, escalated (to the branch leader) or settled
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True, index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalation_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    contract: Mapped[Contract] = relationship()
    ticket = relationship("Ticket")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
