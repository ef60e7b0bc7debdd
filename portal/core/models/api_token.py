"""API tokens (shown once, stored hashed) and the Idempotency-Key ledger of the REST API
(issue 9)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .mixins import BranchOwnedMixin, TimestampMixin
from .types import UTCDateTime, utcnow
from .user import User


class ApiToken(BranchOwnedMixin, TimestampMixin, db.Model):
    """A bearer token that acts as exactly one user. Only the SHA-256 of the secret is
    kept: the secret has 256 bits of entropy, so a fast hash is as good as a slow one and
    the lookup stays one indexed equality. ``branch_id`` is the user's branch, so branch
    managers see and revoke the tokens of their own branch only."""

    __tablename__ = "api_token"
    __audited__ = True
    __audit_exclude__ = ("secret_hash", "last_used_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    # The first characters of the token, so a person can tell tokens apart in the list.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def usable(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}".strip()


class IdempotencyKey(db.Model):
    """One ``Idempotency-Key`` a user sent with a create request: the fingerprint of the
    request and the answer given, so a retry gets the same answer instead of a second
    ticket. The unique constraint decides between two retries racing each other."""

    __tablename__ = "api_idempotency_key"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_api_idempotency_key_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    # method, path and a hash of the parsed body: the same key with another request is refused
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), nullable=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
