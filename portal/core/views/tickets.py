"""Tickets in the admin: the lists branch staff live in, opening a ticket, the ticket page."""

from flask_babel import lazy_gettext as _l

from ..models import Ticket
from .base import ScopedModelView


class TicketView(ScopedModelView):
    permission_area = "ticket"
    column_list = ("number", "title", "kind", "state", "customer", "assignee", "created_at", "sla_next_due_at")
