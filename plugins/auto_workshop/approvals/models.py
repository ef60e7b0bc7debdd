"""Tables of the approvals part (REQUIREMENTS §3.3, seed 004 regulation 2 一 and 三):
signed quotation revisions, parts orders to suppliers, warranty-claim orders with their
deposit and signatures, own purchases with their supplier quotes, the special-tool
register and its loans, discounts and the director's word on thin accident margins.

The quotation's lines ARE the work order's lines (the workshop part edits them too); a
revision row freezes what was signed, so a later change of the lines is seen by comparing
fingerprints (``quotes.py``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.plugin_api import (
    BranchOwnedMixin, Money, SoftDeleteMixin, TimestampMixin, UTCDateTime, VersionedMixin, db,
)

#: How a quotation was agreed: drawn on the pad, or an approval the advisor records.
SIGN_METHODS = ("drawn", "phone", "written", "in_person")
#: What a parts order is for: an accident quotation, a warranty claim, an own purchase.
ORDER_KINDS = ("quotation", "claim", "own_purchase")
DISCOUNT_STATES = ("given", "pending", "approved", "rejected")


class AutoQuotationRevision(BranchOwnedMixin, TimestampMixin, db.Model):
    """One signed version of a work order's quotation (报价单): the lines as signed, and who
    agreed how. Revision 1 is the first signature; each change of the lines afterwards
    needs the next revision signed before parts are ordered (004/2 三.3–4)."""

    __tablename__ = "auto_quotation_revision"
    __audited__ = True
    __table_args__ = (UniqueConstraint("work_order_id", "revision", name="uq_auto_quotation_revision_order_rev"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("auto_work_order.id"), nullable=False, index=True)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    lines: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    total: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    method: Mapped[str] = mapped_column(String(16), nullable=False)  # SIGN_METHODS
    signed_by_name: Mapped[str] = mapped_column(String(80), nullable=False)
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)  # PNG data URL when drawn
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    recorded_by = relationship("User")


class AutoPartsOrder(BranchOwnedMixin, TimestampMixin, db.Model):
    """A parts order placed with the manufacturer or a supplier, once its rule allowed it."""

    __tablename__ = "auto_parts_order"
    __audited__ = True
    __table_args__ = (Index("ix_auto_parts_order_branch_kind", "branch_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # ORDER_KINDS
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("auto_work_order.id"), nullable=True, index=True)
    quotation_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("auto_claim_order.id"), nullable=True, index=True)
    purchase_id: Mapped[int | None] = mapped_column(ForeignKey("auto_own_purchase.id"), nullable=True, index=True)
    supplier: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ordered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    ordered_by = relationship("User")


class AutoClaimOrder(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """索赔订货: parts claimed from the manufacturer for a car under warranty. The customer
    leaves a deposit (refunded after fitting); the workshop manager signs, and above the
    branch's amount the after-sales director too (004/2 三.8–9)."""

    __tablename__ = "auto_claim_order"
    __audited__ = True
    __table_args__ = (Index("ix_auto_claim_order_branch_ordered", "branch_id", "ordered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("auto_work_order.id"), nullable=False, index=True)
    parts: Mapped[str] = mapped_column(Text, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    deposit_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    deposit_receipt_no: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    deposit_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deposit_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    manager_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    manager_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    director_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    director_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refund_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    refund_receipt_no: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refunded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    work_order = relationship("WorkOrder")
    created_by = relationship("User", foreign_keys=[created_by_id])
    manager_signed_by = relationship("User", foreign_keys=[manager_signed_by_id])
    director_signed_by = relationship("User", foreign_keys=[director_signed_by_id])
    refunded_by = relationship("User", foreign_keys=[refunded_by_id])

    @property
    def signatures(self) -> set[str]:
        given = set()
        if self.manager_signed_at:
            given.add("workshop_manager")
        if self.director_signed_at:
            given.add("aftersales_director")
        return given


class AutoOwnPurchase(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """自购: a part the branch buys itself, after three suppliers quoted (004/2 三.10)."""

    __tablename__ = "auto_own_purchase"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("auto_work_order.id"), nullable=True, index=True)
    item: Mapped[str] = mapped_column(String(200), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    chosen_quote_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    work_order = relationship("WorkOrder")
    created_by = relationship("User")
    quotes: Mapped[list[AutoSupplierQuote]] = relationship(back_populates="purchase",
                                                           order_by="AutoSupplierQuote.id")


class AutoSupplierQuote(TimestampMixin, db.Model):
    """One supplier's price for an own purchase."""

    __tablename__ = "auto_supplier_quote"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("auto_own_purchase.id"), nullable=False, index=True)
    supplier: Mapped[str] = mapped_column(String(120), nullable=False)
    price: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    quoted_on: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    purchase: Mapped[AutoOwnPurchase] = relationship(back_populates="quotes")


class AutoTool(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A special tool of the workshop (专用工具), lent out and brought back after use."""

    __tablename__ = "auto_tool"
    __audited__ = True
    __table_args__ = (UniqueConstraint("branch_id", "number", name="uq_auto_tool_branch_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    price: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class ToolLoan(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    """A line of the lending register: who took which tool when, when it is due back, and
    when it came back — or was lost and charged to the borrower at the tool's price."""

    __tablename__ = "auto_tool_loan"
    __audited__ = True
    __table_args__ = (Index("ix_auto_tool_loan_branch_open", "branch_id", "returned_at", "lost_at", "due_back_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("auto_tool.id"), nullable=False, index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False, index=True)
    lent_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_back_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    charge_amount: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    penalty_record_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the core's staff record
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    lent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    tool: Mapped[AutoTool] = relationship()
    borrower = relationship("User", foreign_keys=[borrower_id])
    lent_by = relationship("User", foreign_keys=[lent_by_id])

    @property
    def is_out(self) -> bool:
        return self.returned_at is None and self.lost_at is None


class AutoDiscount(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    """A discount on a work order (004/2 一.5). ``given``: within the advisor's authority,
    reported to the director until reviewed; ``pending``: waits for the director, who
    approves or rejects it."""

    __tablename__ = "auto_discount"
    __audited__ = True
    __table_args__ = (
        Index("ix_auto_discount_branch_advisor_week", "branch_id", "advisor_id", "week_start"),
        Index("ix_auto_discount_branch_state", "branch_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("auto_work_order.id"), nullable=False, index=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    job_type: Mapped[str] = mapped_column(String(20), nullable=False)
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal("0"))
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    given_on: Mapped[date] = mapped_column(Date, nullable=False)
    week_start: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False)  # DISCOUNT_STATES
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    director_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    director_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    work_order = relationship("WorkOrder")
    advisor = relationship("User", foreign_keys=[advisor_id])
    director = relationship("User", foreign_keys=[director_id])


class AutoMarginApproval(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    """Why an accident repair is priced below the minimum gross margin, and the director's
    approval (004/2 一.6). The approval covers the margin it saw: a thinner one later needs
    approving again."""

    __tablename__ = "auto_margin_approval"
    __audited__ = True
    __table_args__ = (UniqueConstraint("work_order_id", name="uq_auto_margin_approval_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("auto_work_order.id"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reason_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    reason_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_margin: Mapped[Decimal | None] = mapped_column(Numeric(7, 2), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    reason_by = relationship("User", foreign_keys=[reason_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
