"""The archive page (REQUIREMENTS §2.10): letters, e-mails, replies and files of tickets and
customer files, by year, month, customer and product, with search and download; and the
small form that files a document on the customer page. The rules live in
``portal.core.archive``."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...extensions import db
from .. import access, archive
from ..models import Customer, Product
from ..models.performance import DOCUMENT_KINDS
from ..tickets import TicketError
from .base import PortalView
from .fields import to_utc

PAGE_SIZE = 50
MAX_PAGE = 2000
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _positive(raw) -> int | None:
    text = str(raw or "")
    if not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    value = int(text)
    return value if 0 < value < 2**31 else None


def _zone() -> ZoneInfo:
    return ZoneInfo(str(get_timezone()))


def month_starts(year: int) -> list[datetime]:
    """The first moment of each month of ``year`` and of the next year, local, in UTC."""
    zone = _zone()
    starts = [datetime.combine(date(year, m, 1), time.min, tzinfo=zone) for m in range(1, 13)]
    starts.append(datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=zone))
    return [to_utc(s) for s in starts]


def parse_day(raw) -> date | None:
    text = (raw or "").strip()
    if not DAY.match(text):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None


def kind_choices():
    return [(code, archive.KIND_LABELS[code]) for code in (*DOCUMENT_KINDS, *archive.TICKET_ENTRY_KINDS, "attachment")]


def customer_page_context(customer) -> dict:
    """What the customer page shows of the archive: the documents filed on the file, and
    the form to file one (REQUIREMENTS §2.10)."""
    if customer is None or not access.can("archive.view", branch_id=customer.branch_id):
        return {"archive_documents": None}
    return {
        "archive_documents": archive.documents_of(customer),
        "archive_can_file": access.can("customer.edit", branch_id=customer.branch_id),
        "archive_kinds": [(code, archive.KIND_LABELS[code]) for code in DOCUMENT_KINDS],
        "archive_products": [p for p in customer.products if p.deleted_at is None],
        "archive_today": datetime.now(ZoneInfo(customer.branch.timezone)).date().isoformat(),
        "archive_kind_labels": archive.KIND_LABELS,
        # filed as local midnight of the branch: show that day, whoever looks
        "archive_day": lambda at: at.astimezone(ZoneInfo(customer.branch.timezone)).date().isoformat(),
    }


class ArchiveView(PortalView):
    permission = "archive.view"

    def _customer_or_404(self, raw) -> Customer:
        pk = _positive(raw)
        customer = access.scope(db.session.query(Customer), Customer).filter(Customer.id == pk).one_or_none() \
            if pk else None
        if customer is None:
            abort(404)
        return customer

    def _filters(self):
        args = request.args
        this_year = datetime.now(_zone()).year
        year = _positive(args.get("year")) or this_year
        if not 1990 <= year <= this_year + 1:
            flash(_("Choose a year between 1990 and %(year)s.", year=this_year + 1), "error")
            year = this_year
        month = _positive(args.get("month"))
        month = month if month and month <= 12 else None
        customer = self._customer_or_404(args["customer"]) if args.get("customer") else None
        product = None
        if args.get("product"):
            pk = _positive(args.get("product"))
            product = access.scope(db.session.query(Product), Product).filter(Product.id == pk).one_or_none() \
                if pk else None
            if product is None:
                abort(404)
        kind = args.get("kind", "")
        if kind not in dict(kind_choices()):
            kind = ""
        starts = month_starts(year)
        start, end = (starts[month - 1], starts[month]) if month else (starts[0], starts[12])
        chosen = archive.ArchiveFilter(start=start, end=end, customer_id=customer.id if customer else None,
                                       product_id=product.id if product else None, kind=kind,
                                       text=args.get("q", "").strip()[:100])
        return chosen, year, month, customer, product, starts

    @expose("/")
    def index(self):
        chosen, year, month, customer, product, starts = self._filters()
        page = min(_positive(request.args.get("page")) or 1, MAX_PAGE)
        rows = archive.browse(current_user, chosen, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
        more = len(rows) > PAGE_SIZE
        args = {k: v for k, v in request.args.items() if k != "page"}
        return self.render(
            "portal/archive/index.html", rows=rows[:PAGE_SIZE], year=year, month=month, customer=customer,
            product=product, chosen=chosen, counts=archive.month_counts(current_user, chosen, starts),
            kinds=kind_choices(), labels=archive.KIND_LABELS, args=args, page=page,
            next_url=url_for(".index", **args, page=page + 1) if more else None,
            prev_url=url_for(".index", **args, page=page - 1) if page > 1 else None,
            products=[p for p in customer.products if p.deleted_at is None] if customer else [],
            can_see_tickets=access.can("ticket.view"), zone=_zone(),
            filter_url=lambda **change: url_for(".index", **{**args, **change}),
        )

    @expose("/download/<source>/<int:item_id>")
    def download(self, source, item_id):
        item = archive.find(source, item_id, current_user) if source in archive.SOURCES else None
        if item is None:
            abort(404)
        if source == "file" or (source == "document" and item.filename):
            return send_file(BytesIO(item.data), mimetype=item.content_type, as_attachment=True,
                             download_name=item.filename)
        if source == "document":
            text, name = f"{item.subject}\n\n{item.body}", f"document-{item.id}.txt"
        else:
            text, name = item.body, f"{item.ticket.number}-{item.kind}-{item.id}.txt"
        return send_file(BytesIO(text.encode("utf-8")), mimetype="text/plain; charset=utf-8", as_attachment=True,
                         download_name=name)

    @expose("/file/<int:customer_id>", methods=("POST",))
    def file_document(self, customer_id):
        customer = self._customer_or_404(customer_id)
        form = request.form
        upload = request.files.get("file")
        try:
            archive.file_document(
                customer, form.get("kind", ""), form.get("subject", ""), form.get("body", "")[:archive.MAX_BODY + 1],
                parse_day(form.get("dated_on")), current_user, product_id=form.get("product_id") or None,
                upload=archive.Upload(upload.filename or "", upload.mimetype or "", upload.read())
                if upload is not None else None)
            db.session.commit()
        except TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
        else:
            flash(_("Filed on the customer file."), "success")
        return redirect(url_for("customer.details_view", id=customer.id) + "#documents")

    @expose("/document/<int:document_id>/remove", methods=("POST",))
    def remove_document(self, document_id):
        document = archive.find("document", document_id, current_user)
        if document is None:
            abort(404)
        try:
            archive.archive_document(document, current_user)
            db.session.commit()
        except TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
        else:
            flash(_("Taken off the customer file."), "success")
        return redirect(url_for("customer.details_view", id=document.customer_id) + "#documents")


def register(admin, category):
    """Add this feature's views to the admin under `category`."""
    admin.add_view(ArchiveView(name=_l("Archive"), category=category, endpoint="archive", url="/admin/archive"))
