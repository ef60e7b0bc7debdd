"""Callbacks (回访): a call to the customer after a service or after months of use, and
the survey card the clerk fills in during the call (REQUIREMENTS §2.6)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .customer import Customer, Product
from .mixins import BranchOwnedMixin, TimestampMixin, VersionedMixin
from .ticket import Ticket
from .types import UTCDateTime
from .user import User
from .visit import Visit

# due: waiting for its first call; no_answer: called, nobody answered, retried on
# next_try_on; given_up: too many attempts; done: the survey card is recorded.
CALLBACK_STATES = ("due", "done", "no_answer", "given_up", "cancelled")
PENDING_STATES = ("due", "no_answer")
CORE_CALLBACK_KINDS = ("satisfaction", "product_use")
RATING_FIELDS = ("rating_attitude", "rating_skill", "rating_punctuality", "rating_service")


class Callback(BranchOwnedMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "callback"
    __audited__ = True
    __table_args__ = (
        # The queue's presets filter on branch, state and day.
        Index("ix_callback_branch_state_due", "branch_id", "state", "due_on"),
        Index("ix_callback_branch_state_try", "branch_id", "state", "next_try_on"),
        Index("ix_callback_customer", "customer_id"),
        Index("ix_callback_ticket", "ticket_id"),
        Index("ix_callback_product_kind", "product_id", "kind"),
        # A visit completed twice (a retried request, two servers) still gets one callback.
        UniqueConstraint("visit_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), nullable=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), nullable=True)
    # satisfaction, product_use, or a plugin's code such as "auto_workshop.first_call"
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # Days are the branch's local days.
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="due")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The day the callback (re)appears in the queue: the first day of its window, then
    # the retry day after no answer.
    next_try_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    # The survey card. None means "not asked" (a product-use call has no engineer).
    fixed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    fee_charged: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    fee_standard_shown: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    rating_attitude: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_skill: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_punctuality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_service: Mapped[int | None] = mapped_column(Integer, nullable=True)
    suggestions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # done_at's local day, so "done on time" is a plain comparison in the monthly SQL.
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    follow_up_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(String(255), nullable=False, default="")

    customer: Mapped[Customer] = relationship()
    ticket: Mapped[Ticket | None] = relationship(foreign_keys=[ticket_id])
    product: Mapped[Product | None] = relationship()
    visit: Mapped[Visit | None] = relationship()
    done_by: Mapped[User | None] = relationship()
    follow_up_ticket: Mapped[Ticket | None] = relationship(foreign_keys=[follow_up_ticket_id])

    @property
    def is_pending(self) -> bool:
        return self.state in PENDING_STATES

    def __str__(self) -> str:
        return f"{self.due_on.isoformat() if self.due_on else ''} {self.label}".strip()
