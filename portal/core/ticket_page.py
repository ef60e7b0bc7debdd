"""What the ticket page shows around the ticket: its timeline, quotes, charges, visits,
items taken in and holders, read as plain rows.

The page draws these records and changes none of them (its forms post to their own
actions, which load what they change), so it reads the columns it shows and nothing
else: no ORM instances, no identity map, no lazy loads of the people named; their names
come joined in. The statements are built once, on the tables' columns, and only bound to
the ticket's id on each view: on a million-ticket database this took the page from twelve
statements to nine and about a third of its time (docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Row

from ..extensions import db
from .models import Charge, Quote, RepairReceipt, TicketAssignment, TicketEvent, User, Visit, visit_engineer

_TICKET = bindparam("ticket_id")
_user = User.__table__.alias("named")


def _name(user):
    """A person as the pages name them: full name, or user name when that is empty."""
    return func.coalesce(func.nullif(user.c.full_name, ""), user.c.username)


_event, _quote, _charge = TicketEvent.__table__.c, Quote.__table__.c, Charge.__table__.c
_visit, _receipt, _holder = Visit.__table__.c, RepairReceipt.__table__.c, TicketAssignment.__table__.c

_EVENTS = (select(_event.kind, _event.at, _event.body, _event.data, _name(_user).label("user_name"))
           .select_from(TicketEvent.__table__.outerjoin(_user, _user.c.id == _event.user_id))
           .where(_event.ticket_id == _TICKET).order_by(_event.id.desc()))
_QUOTES = (select(_quote.id, _quote.state, _quote.parts, _quote.labour, _quote.travel, _quote.total,
                  _quote.decided_how)
           .where(_quote.ticket_id == _TICKET).order_by(_quote.id))
_CHARGES = (select(_charge.amount, _charge.invoice_number, _charge.created_at)
            .where(_charge.ticket_id == _TICKET).order_by(_charge.id))
_engineer = User.__table__.alias("engineer")
_ENGINEERS = (select(func.aggregate_strings(_name(_engineer), "、"))
              .select_from(visit_engineer.join(_engineer, _engineer.c.id == visit_engineer.c.user_id))
              .where(visit_engineer.c.visit_id == _visit.id).correlate(Visit.__table__).scalar_subquery())
_VISITS = (select(_visit.id, _visit.scheduled_for, _visit.state, _ENGINEERS.label("engineers"))
           .where(_visit.ticket_id == _TICKET).order_by(_visit.scheduled_for, _visit.id))
_RECEIPTS = (select(_receipt.id, _receipt.number, _receipt.item, _receipt.state)
             .where(_receipt.ticket_id == _TICKET, _receipt.deleted_at.is_(None)).order_by(_receipt.id))
_HOLDERS = (select(_name(_user).label("user_name"), _holder.since, _holder.until, _holder.reason)
            .select_from(TicketAssignment.__table__.join(_user, _user.c.id == _holder.user_id))
            .where(_holder.ticket_id == _TICKET).order_by(_holder.id))


@dataclass(frozen=True)
class AroundTicket:
    events: list[Row]     # newest first: kind, at, body, data, user_name (None: the system)
    quotes: list[Row]     # id, state, parts, labour, travel, total, decided_how
    charges: list[Row]    # amount, invoice_number, created_at
    visits: list[Row]     # id, scheduled_for, state, engineers (names joined with 、)
    receipts: list[Row]   # id, number, item, state
    holders: list[Row]    # user_name, since, until, reason

    @property
    def shown(self) -> tuple:
        """(quotes, charges, visits) as :func:`portal.core.tickets.facts` counts them."""
        return self.quotes, self.charges, self.visits


def around(ticket_id: int) -> AroundTicket:
    def rows(statement):
        return db.session.execute(statement, {"ticket_id": ticket_id}).all()

    return AroundTicket(events=rows(_EVENTS), quotes=rows(_QUOTES), charges=rows(_CHARGES), visits=rows(_VISITS),
                        receipts=rows(_RECEIPTS), holders=rows(_HOLDERS))
