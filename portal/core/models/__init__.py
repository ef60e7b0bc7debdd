"""Core models. Importing this package registers every core table with the metadata."""

from .audit import AuditEntry
from .branch import Branch, BranchHoliday, BranchPlugin
from .customer import CUSTOMER_KINDS, Address, Contact, Customer, Product
from .ticket import (
    Attachment, Charge, Quote, SlaEscalation, Ticket, TicketAssignment, TicketEvent, TicketPause, TicketSequence,
)
from .visit import RepairReceipt, Visit, VisitPart, visit_engineer

# Feature tables; each module registers its models with the metadata on import.
from . import api_token, callback, complaint, performance, statistics  # noqa: E402,F401
from .user import Role, User, user_role

__all__ = [
    "Address", "AuditEntry", "Branch", "BranchHoliday", "BranchPlugin", "CUSTOMER_KINDS",
    "Contact", "Customer", "Product", "Role", "User", "user_role", "Attachment", "Charge", "Quote",
    "SlaEscalation", "Ticket", "TicketAssignment", "TicketEvent", "TicketPause", "TicketSequence",
    "RepairReceipt", "Visit", "VisitPart", "visit_engineer",
]
