"""What the ticket page shows around the ticket: its timeline, quotes, charges, visits,
items taken in and holders, read as plain rows in one statement.

The page draws these records and changes none of them (its forms post to their own
actions, which load what they change), so it reads the columns it shows and nothing
else: no ORM instances, no identity map, no lazy loads of the people named (their names
come joined in). The six kinds are read as one ``UNION ALL`` over a shared row of typed
slots, each kind filling the slots it needs: one round trip instead of six, which on
PostgreSQL was a quarter of the page's time (docs/performance.md). The statement is
built once and only bound to the ticket's id on each view.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

from sqlalchemy import JSON, Integer, String, Text, bindparam, cast, func, literal, null, select, union_all

from ..extensions import db
from .models import Charge, Quote, RepairReceipt, TicketAssignment, TicketEvent, User, Visit, visit_engineer
from .models.types import Money, UTCDateTime

_TICKET = bindparam("ticket_id")

#: the shared row: slot -> type; a kind leaves the slots it does not use NULL
_SLOTS = {"id": Integer(), "at": UTCDateTime(), "until": UTCDateTime(), "code": String(), "text": Text(),
          "more": String(), "name": String(), "data": JSON(), "m1": Money(), "m2": Money(), "m3": Money(),
          "m4": Money()}


def _name(user):
    """A person as the pages name them: full name, or user name when that is empty."""
    return func.coalesce(func.nullif(user.c.full_name, ""), user.c.username)


_event, _quote, _charge = TicketEvent.__table__, Quote.__table__, Charge.__table__
_visit, _receipt, _holder = Visit.__table__, RepairReceipt.__table__, TicketAssignment.__table__
_author, _holder_user, _engineer = (User.__table__.alias(n) for n in ("author", "holder_user", "engineer"))
_ENGINEERS = (select(func.aggregate_strings(_name(_engineer), "、"))
              .select_from(visit_engineer.join(_engineer, _engineer.c.id == visit_engineer.c.user_id))
              .where(visit_engineer.c.visit_id == _visit.c.id).correlate(_visit).scalar_subquery())


@dataclass(frozen=True)
class _Kind:
    name: str
    source: object          # the FROM clause
    ticket_id: object       # its ticket column
    fields: dict            # what the page calls it -> (slot, column)
    newest_first: bool = False
    order: tuple = ("id",)  # fields the rows are sorted by
    where: tuple = ()

    def select(self):
        given = {slot: column for slot, column in self.fields.values()}
        slots = [(given[s] if s in given else cast(null(), t)).label(s) for s, t in _SLOTS.items()]
        return select(literal(self.name).label("kind"), *slots).select_from(self.source).where(
            self.ticket_id == _TICKET, *self.where)


_KINDS = (
    _Kind("event", _event.outerjoin(_author, _author.c.id == _event.c.user_id), _event.c.ticket_id, {
        "id": ("id", _event.c.id), "kind": ("code", _event.c.kind), "at": ("at", _event.c.at),
        "body": ("text", _event.c.body), "data": ("data", _event.c.data), "user_name": ("name", _name(_author)),
    }, newest_first=True),
    _Kind("quote", _quote, _quote.c.ticket_id, {
        "id": ("id", _quote.c.id), "state": ("code", _quote.c.state), "decided_how": ("more", _quote.c.decided_how),
        "parts": ("m1", _quote.c.parts), "labour": ("m2", _quote.c.labour), "travel": ("m3", _quote.c.travel),
        "total": ("m4", _quote.c.total),
    }),
    _Kind("charge", _charge, _charge.c.ticket_id, {
        "id": ("id", _charge.c.id), "amount": ("m4", _charge.c.amount),
        "invoice_number": ("more", _charge.c.invoice_number), "created_at": ("at", _charge.c.created_at),
    }),
    _Kind("visit", _visit, _visit.c.ticket_id, {
        "id": ("id", _visit.c.id), "scheduled_for": ("at", _visit.c.scheduled_for), "state": ("code", _visit.c.state),
        "engineers": ("name", _ENGINEERS),
    }, order=("scheduled_for", "id")),
    _Kind("receipt", _receipt, _receipt.c.ticket_id, {
        "id": ("id", _receipt.c.id), "number": ("more", _receipt.c.number), "item": ("text", _receipt.c.item),
        "state": ("code", _receipt.c.state),
    }, where=(_receipt.c.deleted_at.is_(None),)),
    _Kind("holder", _holder.join(_holder_user, _holder_user.c.id == _holder.c.user_id), _holder.c.ticket_id, {
        "id": ("id", _holder.c.id), "user_name": ("name", _name(_holder_user)), "since": ("at", _holder.c.since),
        "until": ("until", _holder.c.until), "reason": ("text", _holder.c.reason),
    }),
)
_AROUND = union_all(*(kind.select() for kind in _KINDS))
_ROWS = {kind.name: namedtuple(kind.name.capitalize(), kind.fields) for kind in _KINDS}


@dataclass(frozen=True)
class AroundTicket:
    events: list      # newest first: kind, at, body, data, user_name (None: the system)
    quotes: list      # id, state, decided_how, parts, labour, travel, total
    charges: list     # amount, invoice_number, created_at
    visits: list      # by time: id, scheduled_for, state, engineers (names joined with 、)
    receipts: list    # id, number, item, state
    holders: list     # in the order held: user_name, since, until, reason

    @property
    def shown(self) -> tuple:
        """(quotes, charges, visits) as :func:`portal.core.tickets.facts` counts them."""
        return self.quotes, self.charges, self.visits


def around(ticket_id: int) -> AroundTicket:
    found = {kind.name: [] for kind in _KINDS}
    # Plain rows from a Core statement: on the session's connection, past the ORM's handling.
    for row in db.session.connection().execute(_AROUND, {"ticket_id": ticket_id}):
        found[row.kind].append(row)
    shown = {}
    for kind in _KINDS:
        make = _ROWS[kind.name]
        rows = [make(*(getattr(row, slot) for slot, _column in kind.fields.values())) for row in found[kind.name]]
        rows.sort(key=lambda r: tuple(getattr(r, f) for f in kind.order), reverse=kind.newest_first)
        shown[kind.name + "s"] = rows
    return AroundTicket(**shown)
