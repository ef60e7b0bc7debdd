"""Tables of the retail store plugin (REQUIREMENTS §3.1): counter requests and their
decisions, repairs with their pickup notices, out-of-stock registrations, and the free
care services of clothing.

Days that the regulation counts (purchase, request, receipt, notices, answers) are stored
as the branch's local dates, so the rules (``rules.py``) and the day's summary work on
them directly; moments are aware UTC like everywhere in the portal.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.plugin_api import (
    BranchOwnedMixin, Money, SoftDeleteMixin, TimestampMixin, UTCDateTime, VersionedMixin, db,
)

#: Where a counter request stands: waiting for the store manager, being processed (a
#: ticket is open), refused (closed without a ticket), done (refunded, exchanged, repaired
#: item handed back or mailed).
REQUEST_STATES = ("escalated", "processing", "refused", "done")
REPAIR_STATES = ("in_repair", "back_in_store", "collected", "mailed", "cancelled")
REPAIR_OPEN = ("in_repair", "back_in_store")
NOTICE_CHANNELS = ("phone", "sms", "letter")
CARE_SERVICES = {"textile": "dry_cleaning", "leather": "leather_care"}


class RetailCounterRequest(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """One after-sales request at the counter (第十七–二十二条) and its decision.

    ``decision`` is what the rules said and never changes; ``final_decision`` is what the
    store does — the same, or the store manager's override with its written reason."""

    __tablename__ = "retail_counter_request"
    __audited__ = True
    __table_args__ = (
        Index("ix_retail_counter_request_branch_state", "branch_id", "state"),
        Index("ix_retail_counter_request_branch_day", "branch_id", "request_date"),
        Index("ix_retail_counter_request_branch_refunded", "branch_id", "refunded_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), nullable=True, index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    purchase_date: Mapped[date] = mapped_column(Date, nullable=False)
    request_date: Mapped[date] = mapped_column(Date, nullable=False)
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    conditions: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    price: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    material: Mapped[str | None] = mapped_column(String(16), nullable=True)

    decision: Mapped[str] = mapped_column(String(16), nullable=False)
    rule: Mapped[str] = mapped_column(String(40), nullable=False)
    reasons: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    rule_params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    final_decision: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="processing")

    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    escalation_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    override_decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    override_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    overridden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    overridden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    # Returns: the store manager approves, and HQ too where the branch says so (frozen when
    # the return is processed, so a later change of the setting does not strand it).
    needs_hq_approval: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    manager_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    manager_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    hq_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hq_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    refund_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refunded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    exchanged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    exchange_note: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    customer = relationship("Customer")
    product = relationship("Product")
    ticket = relationship("Ticket")
    created_by = relationship("User", foreign_keys=[created_by_id])
    escalated_by = relationship("User", foreign_keys=[escalated_by_id])
    overridden_by = relationship("User", foreign_keys=[overridden_by_id])
    manager_approved_by = relationship("User", foreign_keys=[manager_approved_by_id])
    hq_approved_by = relationship("User", foreign_keys=[hq_approved_by_id])

    @property
    def number(self) -> str:
        code = self.branch.code if self.branch is not None else ""
        return f"{code}-RS{self.request_date:%Y%m%d}-{self.id or 0:04d}"

    @property
    def overridden(self) -> bool:
        return self.override_decision is not None

    @property
    def approvals_complete(self) -> bool:
        return self.manager_approved_at is not None and (
            not self.needs_hq_approval or self.hq_approved_at is not None)

    def __str__(self) -> str:
        return f"{self.number} {self.final_decision}"


class RetailRepair(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """An item taken in for repair at the counter: done within ``repair_days``; late → the
    customer is told before the due day (第二十六条); back in store → pickup notices, then
    mailing (第二十七、二十八条)."""

    __tablename__ = "retail_repair"
    __audited__ = True
    __table_args__ = (
        Index("ix_retail_repair_branch_state_late", "branch_id", "state", "late_notice_due_on"),
        Index("ix_retail_repair_branch_state_next", "branch_id", "state", "next_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("retail_counter_request.id"), nullable=True,
                                                   index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), nullable=True)
    item: Mapped[str] = mapped_column(String(200), nullable=False)
    charged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="in_repair")

    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    late_notice_due_on: Mapped[date] = mapped_column(Date, nullable=False)
    flagged_late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    late_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    late_told_channel: Mapped[str | None] = mapped_column(String(16), nullable=True)
    late_told_note: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    back_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The next pickup step ("notify" or "mail") and its day, kept with the record so the
    # task lists and the dashboard count them in SQL.
    next_action: Mapped[str | None] = mapped_column(String(8), nullable=True)
    next_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mail_address: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    mail_tracking: Mapped[str] = mapped_column(String(80), nullable=False, default="")

    request = relationship("RetailCounterRequest")
    ticket = relationship("Ticket")
    customer = relationship("Customer")
    product = relationship("Product")
    notices: Mapped[list["RetailPickupNotice"]] = relationship(
        back_populates="repair", order_by="RetailPickupNotice.number")

    @property
    def is_open(self) -> bool:
        return self.state in REPAIR_OPEN

    def __str__(self) -> str:
        return f"#{self.id} {self.item}"


class RetailPickupNotice(BranchOwnedMixin, TimestampMixin, db.Model):
    """One notice to collect a repaired item, with the way it went out (第二十七条)."""

    __tablename__ = "retail_pickup_notice"
    __audited__ = True
    __table_args__ = (UniqueConstraint("repair_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("retail_repair.id"), nullable=False, index=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    sent_on: Mapped[date] = mapped_column(Date, nullable=False)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    repair: Mapped[RetailRepair] = relationship(back_populates="notices")
    sent_by = relationship("User")

    def __str__(self) -> str:
        return f"{self.repair_id}/{self.number} {self.channel}"


class RetailOutOfStock(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """缺货登记 (第三十三–三十六条): the customer's wish, the transfer, the answer."""

    __tablename__ = "retail_out_of_stock"
    __audited__ = True
    __table_args__ = (
        Index("ix_retail_out_of_stock_branch_state_due", "branch_id", "state", "answer_due_on"),
        Index("ix_retail_out_of_stock_branch_registered", "branch_id", "registered_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), nullable=True, index=True)
    contact_name: Mapped[str] = mapped_column(String(120), nullable=False)
    contact_phone: Mapped[str] = mapped_column(String(40), nullable=False)
    product_name: Mapped[str] = mapped_column(String(120), nullable=False)
    variant: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    source: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    state: Mapped[str] = mapped_column(String(24), nullable=False, default="registered")
    registered_on: Mapped[date] = mapped_column(Date, nullable=False)
    answer_due_on: Mapped[date] = mapped_column(Date, nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answer_note: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    # When each step happened; the audit trail keeps who did it.
    transfer_arranged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    customer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    close_note: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    customer = relationship("Customer")
    created_by = relationship("User")

    def __str__(self) -> str:
        return f"{self.product_name} {self.variant} × {self.quantity}".strip()


class RetailGarment(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    """A clothing purchase: its material and price decide the free care services
    (001 §4.2.4)."""

    __tablename__ = "retail_garment"
    __audited__ = True
    __table_args__ = (UniqueConstraint("product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False)
    material: Mapped[str] = mapped_column(String(16), nullable=False)
    price: Mapped[Decimal] = mapped_column(Money(), nullable=False)

    product = relationship("Product")
    uses: Mapped[list["RetailCareUse"]] = relationship(back_populates="garment", order_by="RetailCareUse.id")

    def __str__(self) -> str:
        return f"{self.product_id} {self.material} {self.price}"


class RetailCareUse(BranchOwnedMixin, TimestampMixin, db.Model):
    """One free dry cleaning or leather care given on a clothing purchase."""

    __tablename__ = "retail_care_use"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    garment_id: Mapped[int] = mapped_column(ForeignKey("retail_garment.id"), nullable=False, index=True)
    service: Mapped[str] = mapped_column(String(16), nullable=False)
    service_date: Mapped[date] = mapped_column(Date, nullable=False)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    garment: Mapped[RetailGarment] = relationship(back_populates="uses")
    by = relationship("User")
