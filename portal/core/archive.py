"""The archive (REQUIREMENTS §2.10, issue 4 item 6): every letter, e-mail and reply, filed
by month, customer and product, and the year's records retrievable.

Two places hold them: the ticket (timeline entries of kind letter/e-mail, and files
attached to the ticket) and the customer file (``CustomerDocument``, for what belongs to
no single ticket). The archive reads both as one list, in SQL (UNION ALL), scoped to the
branches the user may see.

Filing follows the rules of :mod:`portal.core.tickets`: it never commits, and a refused
request raises :class:`portal.core.tickets.TicketError` before anything is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, case, cast, func, literal, null, or_, select, union_all

from ..extensions import db
from . import access
from .models import Attachment, Customer, Product, Ticket, TicketEvent, User
from .models.performance import DOCUMENT_KINDS, CustomerDocument
from .tickets import ALLOWED_TYPES, MAX_ATTACHMENT, TicketError

KIND_LABELS = {
    "letter_in": _l("Letter received"), "letter_out": _l("Letter sent"), "email_in": _l("E-mail received"),
    "email_out": _l("E-mail sent"), "reply": _l("Reply"),
    # filed on a ticket
    "letter": _l("Letter (ticket)"), "email": _l("E-mail (ticket)"), "attachment": _l("File (ticket)"),
}
TICKET_ENTRY_KINDS = ("letter", "email")
SOURCES = ("event", "file", "document")
MAX_SUBJECT = 200
MAX_BODY = 20000


# --- filing on the customer file ----------------------------------------------------------------

@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def file_document(customer: Customer, kind: str, subject: str, body: str, dated_on: date | None, user: User,
                  product_id=None, upload: Upload | None = None) -> CustomerDocument:
    """File a letter, e-mail or reply on the customer file, with its scan or file."""
    if not access.can("customer.edit", user, branch_id=customer.branch_id) or customer.deleted_at is not None:
        raise TicketError(_("Your role does not allow this step."))
    errors = {}
    if kind not in DOCUMENT_KINDS:
        errors["kind"] = _("Choose what kind of document this is.")
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = _("Give the document a subject.")
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = _("Keep the subject under %(n)s characters.", n=MAX_SUBJECT)
    body = (body or "").strip()
    if len(body) > MAX_BODY:
        errors["body"] = _("Keep the text under %(n)s characters; attach the full document as a file.", n=MAX_BODY)
    zone = customer.branch.timezone
    today = datetime.now(ZoneInfo(zone)).date()
    if dated_on is None:
        errors["dated_on"] = _("Enter the day it was received or sent, like 2026-03-10.")
    elif not date(1990, 1, 1) <= dated_on <= today + timedelta(days=1):
        errors["dated_on"] = _("The day cannot be in the future.") if dated_on > today \
            else _("Enter the day it was received or sent, like 2026-03-10.")
    product = None
    if product_id not in (None, ""):
        product = db.session.get(Product, _int(product_id) or 0)
        if product is None or product.customer_id != customer.id or product.deleted_at is not None:
            errors["product"] = _("The product must be one of this customer's products.")
    if upload is not None and (upload.filename or upload.data):
        upload, problem = _clean_upload(upload)
        if problem:
            errors["file"] = problem
    else:
        upload = None
    if upload is None and not body and "body" not in errors:
        errors["body"] = _("Type the text or attach the file.")
    if errors:
        raise TicketError(list(errors.values()), errors)
    document = CustomerDocument(
        branch_id=customer.branch_id, customer_id=customer.id, product_id=product.id if product else None,
        kind=kind, subject=subject, body=body, dated_at=local_midnight(dated_on, zone), filed_by_id=user.id,
        filename=upload.filename if upload else None, content_type=upload.content_type if upload else None,
        size=len(upload.data) if upload else None, data=upload.data if upload else None)
    db.session.add(document)
    db.session.flush()
    return document


def _clean_upload(upload: Upload) -> tuple[Upload | None, str | None]:
    """Same rules as files attached to tickets."""
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    if not name or not upload.data:
        return None, _("Choose a file to attach.")
    if len(upload.data) > MAX_ATTACHMENT:
        return None, _("Files up to 10 MB can be attached.")
    content_type = (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()
    if not content_type.startswith(ALLOWED_TYPES):
        return None, _("Attach pictures, PDF, text, Word or Excel files.")
    return Upload(name, content_type, upload.data), None


def archive_document(document: CustomerDocument, user: User) -> CustomerDocument:
    """Take a document filed by mistake off the file (kept for the audit trail)."""
    if not access.can("customer.edit", user, branch_id=document.branch_id):
        raise TicketError(_("Your role does not allow this step."))
    from .models.types import utcnow

    document.deleted_at = utcnow()
    return document


def documents_of(customer: Customer, user=None) -> list[CustomerDocument]:
    query = db.session.query(CustomerDocument).filter(CustomerDocument.customer_id == customer.id,
                                                      CustomerDocument.deleted_at.is_(None))
    return access.scope(query, CustomerDocument, user).order_by(CustomerDocument.dated_at.desc(),
                                                                CustomerDocument.id.desc()).limit(200).all()


# --- browsing ------------------------------------------------------------------------------------

@dataclass
class ArchiveFilter:
    start: datetime | None = None  # [start, end) in UTC
    end: datetime | None = None
    customer_id: int | None = None
    product_id: int | None = None
    kind: str = ""
    text: str = ""


def _sources(user):
    """The three sources in one shape, each scoped to the user's branches."""
    events = (select(literal("event", String).label("source"), TicketEvent.id.label("id"), TicketEvent.at.label("at"),
                     TicketEvent.branch_id.label("branch_id"), Ticket.customer_id.label("customer_id"),
                     Ticket.product_id.label("product_id"), Ticket.id.label("ticket_id"),
                     Ticket.number.label("ticket_number"), TicketEvent.kind.label("kind"),
                     TicketEvent.body.label("title"), cast(null(), String).label("filename"),
                     cast(null(), Integer).label("size"))
              .join(Ticket, Ticket.id == TicketEvent.ticket_id)
              .where(TicketEvent.kind.in_(TICKET_ENTRY_KINDS), Ticket.deleted_at.is_(None)))
    files = (select(literal("file", String), Attachment.id, Attachment.uploaded_at, Attachment.branch_id,
                    Ticket.customer_id, Ticket.product_id, Ticket.id, Ticket.number, literal("attachment", String),
                    Attachment.filename, Attachment.filename, Attachment.size)
             .join(Ticket, Ticket.id == Attachment.ticket_id)
             .where(Ticket.deleted_at.is_(None)))
    documents = (select(literal("document", String), CustomerDocument.id, CustomerDocument.dated_at,
                        CustomerDocument.branch_id, CustomerDocument.customer_id, CustomerDocument.product_id,
                        cast(null(), Integer), cast(null(), String), CustomerDocument.kind, CustomerDocument.subject,
                        CustomerDocument.filename, CustomerDocument.size)
                 .where(CustomerDocument.deleted_at.is_(None)))
    return [
        (access.scope(events, TicketEvent, user), TicketEvent.at, Ticket, TicketEvent.body, TicketEvent.kind),
        (access.scope(files, Attachment, user), Attachment.uploaded_at, Ticket, Attachment.filename,
         literal("attachment", String)),
        (access.scope(documents, CustomerDocument, user), CustomerDocument.dated_at, CustomerDocument,
         CustomerDocument.subject, CustomerDocument.kind),
    ]


def _union(user, chosen: ArchiveFilter, dated: bool = True):
    """Filters go into each source, where the indexes are."""
    parts = []
    for query, at, owner, text, kind in _sources(user):
        if dated and chosen.start is not None:
            query = query.where(at >= chosen.start, at < chosen.end)
        if chosen.customer_id:
            query = query.where(owner.customer_id == chosen.customer_id)
        if chosen.product_id:
            query = query.where(owner.product_id == chosen.product_id)
        if chosen.kind:
            query = query.where(kind == chosen.kind)
        if chosen.text:
            pattern = "%" + chosen.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            searched = [text.ilike(pattern, escape="\\"), Customer.name.ilike(pattern, escape="\\"),
                        Customer.phone.ilike(pattern, escape="\\")]
            if owner is Ticket:
                searched.append(Ticket.number.ilike(pattern, escape="\\"))
            else:
                searched += [CustomerDocument.body.ilike(pattern, escape="\\"),
                             CustomerDocument.filename.ilike(pattern, escape="\\")]
            query = query.join(Customer, Customer.id == owner.customer_id).where(or_(*searched))
        parts.append(query)
    return union_all(*parts).subquery("archive")


def browse(user, chosen: ArchiveFilter, limit: int, offset: int = 0):
    """One page of the archive, newest first, with customer and product names."""
    rows = _union(user, chosen)
    query = (select(rows, Customer.name.label("customer_name"), Product.name.label("product_name"),
                    Product.model.label("product_model"))
             .join(Customer, Customer.id == rows.c.customer_id)
             .outerjoin(Product, Product.id == rows.c.product_id)
             .order_by(rows.c.at.desc(), rows.c.source, rows.c.id.desc())
             .limit(limit).offset(offset))
    return db.session.execute(query).all()


def month_counts(user, chosen: ArchiveFilter, month_starts: list[datetime]) -> dict[int, int]:
    """How many items fall in each month of the year (1–12), other filters applied; the
    month boundaries are given in UTC (13 of them), so months are the user's local ones."""
    whole_year = ArchiveFilter(start=month_starts[0], end=month_starts[-1], customer_id=chosen.customer_id,
                               product_id=chosen.product_id, kind=chosen.kind, text=chosen.text)
    rows = _union(user, whole_year)
    bucket = case(*[(rows.c.at < month_starts[m], m) for m in range(1, 13)], else_=13).label("month")
    months = select(bucket).subquery("months")
    counted = db.session.execute(select(months.c.month, func.count()).group_by(months.c.month)).all()
    return {int(month): count for month, count in counted if 1 <= int(month) <= 12}


def find(source: str, item_id: int, user):
    """One archived item the user may see (None otherwise), for download."""
    if _int(item_id) is None:
        return None
    if source == "event":
        query = db.session.query(TicketEvent).join(Ticket, Ticket.id == TicketEvent.ticket_id).filter(
            TicketEvent.id == item_id, TicketEvent.kind.in_(TICKET_ENTRY_KINDS), Ticket.deleted_at.is_(None))
        return access.scope(query, TicketEvent, user).one_or_none()
    if source == "file":
        query = db.session.query(Attachment).join(Ticket, Ticket.id == Attachment.ticket_id).filter(
            Attachment.id == item_id, Ticket.deleted_at.is_(None))
        return access.scope(query, Attachment, user).one_or_none()
    if source == "document":
        query = db.session.query(CustomerDocument).filter(CustomerDocument.id == item_id,
                                                          CustomerDocument.deleted_at.is_(None))
        return access.scope(query, CustomerDocument, user).one_or_none()
    return None


def _int(raw):
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None
