"""People, roles and the permission codes roles are made of."""

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ...extensions import db
from .branch import Branch
from .mixins import TimestampMixin, VersionedMixin
from .types import UTCDateTime

user_role = Table(
    "user_role",
    db.metadata,
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Integer, ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(TimestampMixin, VersionedMixin, db.Model):
    """A named set of permission codes. ``plugin`` names the plugin that contributed it."""

    __tablename__ = "role"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    permissions: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    plugin: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Default permissions already offered to this role by `roles sync`; HQ's removals stick.
    offered_permissions: Mapped[list] = mapped_column(JSON, nullable=False, default=list)

    def __str__(self) -> str:
        return self.name


class User(UserMixin, TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "user"
    __audited__ = True
    __audit_exclude__ = ("password_hash", "failed_logins", "locked_until", "last_login_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    full_name: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    email: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), nullable=False, index=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    branch: Mapped[Branch] = relationship()
    roles: Mapped[list[Role]] = relationship(secondary=user_role, lazy="selectin")

    def set_password(self, password: str) -> None:
        # scrypt by default; the test suite picks a cheap method to stay fast.
        method = current_app.config.get("PORTAL_PASSWORD_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    @property
    def role_codes(self) -> set[str]:
        return {role.code for role in self.roles}

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset(code for role in self.roles for code in (role.permissions or ()))

    #: what ``__str__`` reads: big lists show a related user from these columns alone
    __display_columns__ = ("full_name", "username")

    def __str__(self) -> str:
        return f"{self.full_name or self.username} ({self.username})"
