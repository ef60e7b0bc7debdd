"""Customer files (客户档案): who the customer is, how to reach them, what they own."""

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .mixins import BranchOwnedMixin, SoftDeleteMixin, TimestampMixin, VersionedMixin
from .user import User

CUSTOMER_KINDS = ("person", "company")


class Customer(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    __tablename__ = "customer"
    __audited__ = True
    __table_args__ = (
        Index("ix_customer_branch_name", "branch_id", "name"),
        Index("ix_customer_branch_live", "branch_id", "deleted_at"),  # files per branch, counted from the index
        Index("ix_customer_branch_newest", "branch_id", "id"),  # a branch's list, newest first (see ticket's)
        Index("ix_customer_created", "created_at"),  # "new files in the last 7 days"
        Index("ix_customer_phone", "phone"),
        Index("ix_customer_name", "name"),  # ticket search by name from its start, across branches (HQ)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="person")
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    email: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    province: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    city: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)

    created_by: Mapped[User | None] = relationship()
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    addresses: Mapped[list["Address"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )
    products: Mapped[list["Product"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan"
    )

    __display_columns__ = ("name", "phone")  # what __str__ reads (views/plain_rows.py)

    def __str__(self) -> str:
        return f"{self.name} {self.phone}".strip()


class Contact(db.Model):
    """A contact person of a customer; a person customer may list family members too."""

    __tablename__ = "customer_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    title: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="", index=True)
    email: Mapped[str] = mapped_column(String(120), nullable=False, default="")

    customer: Mapped[Customer] = relationship(back_populates="contacts")

    def __str__(self) -> str:
        return f"{self.name} {self.phone}".strip()


class Address(db.Model):
    __tablename__ = "customer_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    label: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    province: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    city: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    line: Mapped[str] = mapped_column(String(255), nullable=False)

    customer: Mapped[Customer] = relationship(back_populates="addresses")

    def __str__(self) -> str:
        return " ".join(p for p in (self.province, self.city, self.line) if p)


class Product(BranchOwnedMixin, TimestampMixin, SoftDeleteMixin, VersionedMixin, db.Model):
    """An item the customer owns; its dates decide the warranty."""

    __tablename__ = "product"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    model: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    serial_number: Mapped[str] = mapped_column(String(80), nullable=False, default="", index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    invoice_number: Mapped[str] = mapped_column(String(80), nullable=False, default="", index=True)
    warranty_card_number: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    delivered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    warranty_end: Mapped[date | None] = mapped_column(Date, nullable=True)

    customer: Mapped[Customer] = relationship(back_populates="products")

    __display_columns__ = ("name", "model", "serial_number")  # what __str__ reads (views/plain_rows.py)

    def __str__(self) -> str:
        return " ".join(p for p in (self.name, self.model, self.serial_number) if p)
