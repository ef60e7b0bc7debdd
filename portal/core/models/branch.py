"""HQ and branches, their working calendar, and which plugins run in each."""

from datetime import date, time

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .mixins import TimestampMixin, VersionedMixin


class Branch(TimestampMixin, VersionedMixin, db.Model):
    __tablename__ = "branch"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    is_hq: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    province: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    region: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="Asia/Shanghai")
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Working calendar: ISO weekdays 1=Mon..7=Sun as a list, daily hours, and holidays below.
    working_weekdays: Mapped[list] = mapped_column(JSON, nullable=False, default=lambda: [1, 2, 3, 4, 5])
    work_start: Mapped[time] = mapped_column(Time, nullable=False, default=time(9, 0))
    work_end: Mapped[time] = mapped_column(Time, nullable=False, default=time(18, 0))

    holidays: Mapped[list["BranchHoliday"]] = relationship(
        back_populates="branch", cascade="all, delete-orphan", order_by="BranchHoliday.day"
    )
    plugins: Mapped[list["BranchPlugin"]] = relationship(
        back_populates="branch", cascade="all, delete-orphan"
    )

    __display_columns__ = ("code", "name")  # what __str__ reads (views/plain_rows.py)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BranchHoliday(db.Model):
    """A day off (public holiday) or, with ``is_workday``, a make-up working day (调休)."""

    __tablename__ = "branch_holiday"
    __table_args__ = (UniqueConstraint("branch_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), nullable=False, index=True)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    is_workday: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    branch: Mapped[Branch] = relationship(back_populates="holidays")

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name}"


class BranchPlugin(TimestampMixin, VersionedMixin, db.Model):
    """HQ's switch for one plugin in one branch, with that plugin's settings for the branch."""

    __tablename__ = "branch_plugin"
    __table_args__ = (UniqueConstraint("branch_id", "plugin"),)
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), nullable=False, index=True)
    plugin: Mapped[str] = mapped_column(String(64), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    settings: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    branch: Mapped[Branch] = relationship(back_populates="plugins")

    def __str__(self) -> str:
        return f"{self.plugin}@{self.branch_id}"
