"""Work order numbers like ``GZ-WO-2026-0001``: per branch and year, never given twice."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from portal.plugin_api import TicketError, db

from .common import local_today
from .models import NumberSequence


def next_number(branch, series: str = "WO") -> str:
    """The next number of the branch's series this (local) year. The UPDATE takes the row
    lock, so concurrent requests queue behind each other instead of reading the same value;
    the first of a year inserts the row, and a lost race falls back to the UPDATE."""
    year = local_today(branch).year
    key = (NumberSequence.branch_id == branch.id) & (NumberSequence.year == year) & (NumberSequence.series == series)
    for _attempt in range(3):
        value = db.session.execute(
            update(NumberSequence).where(key).values(last_value=NumberSequence.last_value + 1)
            .returning(NumberSequence.last_value)).scalar()
        if value is not None:
            break
        try:
            with db.session.begin_nested():
                db.session.execute(insert(NumberSequence).values(branch_id=branch.id, year=year, series=series,
                                                                 last_value=1))
            value = 1
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - three lost races in a row
        raise TicketError(_("Could not allocate a number, please try again."))
    return f"{branch.code}-{series}-{year}-{value:04d}"
