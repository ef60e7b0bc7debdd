"""Tables of the handover part (REQUIREMENTS §3.4, issue 8 items 4, 5, 6, 8): move-in
notices, handover appointments and their inspection, defects sent to the property
company, property-certificate files with their submission log, after-sales follow-ups
and internal work contact forms (内部工作联系单).

Projects, buildings, units and contracts are the sales part's (``..sales.models``); the
rows here point at them. Days the regulation counts are the branch's local dates.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.plugin_api import BranchOwnedMixin, SoftDeleteMixin, TimestampMixin, UTCDateTime, VersionedMixin, db

from ..sales.models import Building, Contract, Unit  # noqa: F401  (relationships by class)

HANDOVER_STATES = ("scheduled", "done", "cancelled")
FOLLOWUP_CHANNELS = ("call", "letter", "fax")


class EstateMoveInNotice(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """入住通知单 of one sold unit; one per unit, so generating twice adds nothing."""

    __tablename__ = "estate_move_in_notice"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("unit_id", name="uq_estate_move_in_notice_unit"),
        Index("ix_estate_move_in_notice_branch_sent", "branch_id", "sent_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("estate_unit.id"), nullable=False)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("estate_contract.id"), nullable=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), nullable=True, index=True)
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str | None] = mapped_column(String(20), nullable=True)  # rules.NoticeMethod
    tracking_number: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    unit: Mapped[Unit] = relationship()
    contract: Mapped[Contract | None] = relationship()
    customer = relationship("Customer")
    sent_by = relationship("User", foreign_keys=[sent_by_id])


class EstateHandover(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A handover (交房) appointment of one unit and what happened at it: the checklist,
    keys, meter readings and the owner's signature."""

    __tablename__ = "estate_handover"
    __audited__ = True
    __table_args__ = (
        Index("ix_estate_handover_branch_state_when", "branch_id", "state", "scheduled_at"),
        Index("ix_estate_handover_branch_done", "branch_id", "completed_on"),
        Index("ix_estate_handover_unit", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("estate_unit.id"), nullable=False)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("estate_contract.id"), nullable=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="scheduled")
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    company_contact: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    # {item: {"judgement": "ok"|"defect"|"", "note": str}} in the order of the template
    # frozen when the appointment was made, so a later change of the setting cannot
    # strand a half-judged inspection.
    checklist: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    checklist_items: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    keys_handed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    meter_readings: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)  # meter -> "12.5"
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)
    signed_by: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    completed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    unit: Mapped[Unit] = relationship()
    contract: Mapped[Contract | None] = relationship()
    customer = relationship("Customer")
    liaison = relationship("User", foreign_keys=[liaison_id])
    completed_by = relationship("User", foreign_keys=[completed_by_id])
    defects: Mapped[list[EstateDefect]] = relationship(back_populates="handover", order_by="EstateDefect.id")


class EstateDefect(BranchOwnedMixin, TimestampMixin, db.Model):
    """A checklist item judged defective at a handover and the repair ticket it became."""

    __tablename__ = "estate_defect"
    __table_args__ = (
        UniqueConstraint("handover_id", "item", name="uq_estate_defect_handover_item"),
        Index("ix_estate_defect_branch_found", "branch_id", "found_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("estate_handover.id"), nullable=False)
    item: Mapped[str] = mapped_column(String(80), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    found_on: Mapped[date] = mapped_column(Date, nullable=False)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)

    handover: Mapped[EstateHandover] = relationship(back_populates="defects")
    ticket = relationship("Ticket")


class EstateCertificate(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """The property-certificate (产权证) file of a handed-over unit."""

    __tablename__ = "estate_certificate"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("unit_id", name="uq_estate_certificate_unit"),
        Index("ix_estate_certificate_branch_deadline", "branch_id", "obtained_on", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("estate_unit.id"), nullable=False)
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("estate_handover.id"), nullable=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    handed_over_on: Mapped[date] = mapped_column(Date, nullable=False)
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    obtained_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    certificate_number: Mapped[str] = mapped_column(String(60), nullable=False, default="")

    unit: Mapped[Unit] = relationship()
    customer = relationship("Customer")
    entries: Mapped[list[EstateCertificateEntry]] = relationship(
        back_populates="certificate", order_by="EstateCertificateEntry.id")


class EstateCertificateEntry(BranchOwnedMixin, TimestampMixin, db.Model):
    """One line of the certificate file's log: what went to which office, and when."""

    __tablename__ = "estate_certificate_entry"
    __table_args__ = (Index("ix_estate_certificate_entry_branch_on", "branch_id", "submitted_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("estate_certificate.id"), nullable=False, index=True)
    submitted_on: Mapped[date] = mapped_column(Date, nullable=False)
    office: Mapped[str] = mapped_column(String(120), nullable=False)
    documents: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    certificate: Mapped[EstateCertificate] = relationship(back_populates="entries")
    recorded_by = relationship("User")


class EstateFollowup(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """A letter, fax or call asking an owner about the service; each is also a core
    callback (``kind`` real_estate.followup) so it joins the branch's callback queue."""

    __tablename__ = "estate_followup"
    __audited__ = True
    __table_args__ = (Index("ix_estate_followup_branch_due", "branch_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("estate_handover.id"), nullable=True)
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callback.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)  # FOLLOWUP_CHANNELS
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    feedback: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    customer = relationship("Customer")
    handover: Mapped[EstateHandover | None] = relationship()
    callback = relationship("Callback")
    recorded_by = relationship("User")


class EstateContactForm(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """内部工作联系单: owners' feedback carried to the branch leader, and the reply."""

    __tablename__ = "estate_contact_form"
    __audited__ = True
    __table_args__ = (Index("ix_estate_contact_form_branch_replied", "branch_id", "replied_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    to_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("estate_followup.id"), nullable=True)
    reply: Mapped[str] = mapped_column(Text, nullable=False, default="")
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    sender = relationship("User", foreign_keys=[from_id])
    addressee = relationship("User", foreign_keys=[to_id])
    replied_by = relationship("User", foreign_keys=[replied_by_id])
    followup: Mapped[EstateFollowup | None] = relationship()
