"""The ticket lists branch staff live in: "my tickets", "due today", "at risk", "breached",
"waiting for the customer" are list filters, so paging, sorting and export keep them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_admin.contrib.sqla.filters import BaseSQLAFilter, FilterEqual
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Integer, String, bindparam, column, or_, text

from ...extensions import db
from .. import access
from ..models import Ticket
from ..models.types import utcnow
from ..plugin_state import settings_for
from ..workflow import OPEN_STATES

SHOW_OPTIONS = (
    ("mine", _l("My tickets")),
    ("open", _l("Open")),
    ("due_today", _l("Due today")),
    ("at_risk", _l("At risk")),
    ("breached", _l("Breached")),
    ("waiting", _l("Waiting for the customer")),
    ("escalated", _l("Escalated")),
)


def _end_of_local_day(now: datetime) -> datetime:
    zone = ZoneInfo(str(get_timezone()))
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(0, 0), zone)


def _at_risk_window() -> timedelta:
    hours = settings_for(current_user.branch_id)["core"]["at_risk_hours"]
    return timedelta(hours=hours)


def show_condition(value: str, now: datetime | None = None):
    """The SQL condition behind each list preset; indexes (state, sla_next_due_at) and
    (assignee_id, state) serve them."""
    now = now or utcnow()
    is_open = Ticket.state.in_(OPEN_STATES)
    if value == "mine":
        return (Ticket.assignee_id == access.current_user_id()) & is_open
    if value == "open":
        return is_open
    if value == "due_today":
        return is_open & (Ticket.sla_next_due_at >= now) & (Ticket.sla_next_due_at < _end_of_local_day(now))
    if value == "at_risk":
        return is_open & (Ticket.sla_next_due_at >= now) & (Ticket.sla_next_due_at < now + _at_risk_window()) \
            & Ticket.sla_breached.is_(False)
    if value == "breached":
        return is_open & or_(Ticket.sla_breached.is_(True), Ticket.sla_next_due_at < now)
    if value == "waiting":
        return Ticket.state == "waiting_customer"
    if value == "escalated":
        return is_open & (Ticket.escalation_level > 0)
    return None


def preset_url(code: str) -> str:
    """The ticket list with one quick view applied. ShowFilter is the first filter of
    TicketView, so Flask-Admin names its argument ``flt0_0``; paging and export keep it."""
    from urllib.parse import quote

    from flask import g, url_for

    # Built once per request: the list and the dashboard link every quick view.
    if "_portal_preset_url" not in g:
        g._portal_preset_url = url_for("ticket.index_view", flt0_0="__portal_preset__")
    return g._portal_preset_url.replace("__portal_preset__", quote(code, safe=""), 1)


class ShowFilter(BaseSQLAFilter):
    def __init__(self):
        super().__init__(Ticket.state, _l("Show"), options=SHOW_OPTIONS)

    def validate(self, value):
        return value in dict(SHOW_OPTIONS)

    def apply(self, query, value, alias=None):
        condition = show_condition(value)
        return query if condition is None else query.filter(condition)

    def operation(self):
        return _l("only")


class ChoiceFilter(FilterEqual):
    """Equality filter over a coded column with readable (and per-branch) choices."""

    def validate(self, value):
        return value in {code for code, _label in self.get_options(None) or ()}

    def operation(self):
        return _l("is")


# One set of ticket ids, each part found through its own index. Written as an OR of
# IN-subqueries instead, PostgreSQL read all million tickets for one phone number. The
# prefix matches are ``column >= term AND column < term + U+10FFFF``: both databases answer
# them from the column's index (LIKE would not: SQLite's LIKE ignores case and PostgreSQL's
# needs a special operator class). Written once as SQL with parameters, the fragment costs
# nothing to build per search; built from expressions, it took a quarter of a millisecond.
_FOUND = """
SELECT ticket.id FROM ticket WHERE ticket.number >= :number_from AND ticket.number < :number_to
UNION SELECT ticket.id FROM ticket WHERE ticket.customer_id IN (
  SELECT customer.id FROM customer WHERE customer.phone >= :term_from AND customer.phone < :term_to
  UNION SELECT customer_contact.customer_id FROM customer_contact
    WHERE customer_contact.phone >= :term_from AND customer_contact.phone < :term_to
  UNION SELECT customer.id FROM customer WHERE customer.name >= :term_from AND customer.name < :term_to)
UNION SELECT ticket.id FROM ticket WHERE ticket.product_id IN (
  SELECT product.id FROM product WHERE product.serial_number >= :term_from AND product.serial_number < :term_to)
"""
_AFTER_EVERY_PREFIX = "\U0010ffff"


def search_condition(term: str):
    """What the ticket search box finds, fast at a million tickets: the number, the
    customer's or a contact's phone, the product's serial and the customer's name from
    their start (each through an index), and — for words — the summary anywhere."""
    term = term.strip()
    number = term.upper()
    written_in = _words_written_in()

    def word(name, value):
        # unique: each word of a search gets its own parameters in the one statement
        return bindparam(name, value, type_=String, unique=True, literal_execute=written_in)

    found = text(_FOUND).bindparams(
        word("number_from", number), word("number_to", number + _AFTER_EVERY_PREFIX),
        word("term_from", term), word("term_to", term + _AFTER_EVERY_PREFIX),
    ).columns(column("id", Integer))
    matches = [Ticket.id.in_(found)]
    if not term.replace("-", "").replace(" ", "").isdigit():
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches.append(Ticket.title.ilike(word("anywhere", f"%{escaped}%"), escape="\\"))
    return or_(*matches)


def _words_written_in() -> bool:
    """On PostgreSQL the search's words are written into the statement as literals.

    A statement run with parameters is prepared from its fifth run on a connection, and
    PostgreSQL then keeps a generic plan once that looks no dearer than the plans made
    for the values. For the search, that plan reads 0.4-2.6 s where the plan for one
    phone number reads 0.3 ms, and a few searches for short prefixes (dear plans) can
    tip a connection over to it for good. Written in, each search is planned for its
    own words. SQLite plans every statement for its values anyway."""
    return db.session.get_bind().dialect.name == "postgresql"
