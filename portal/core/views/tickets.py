"""Tickets in the admin: the lists branch staff live in, opening a ticket in under a
minute, and the ticket page where the work happens (issue 3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload
from io import BytesIO

from ...extensions import db
from ...i18n import local_minute, minute_formatter
from .. import access, sla, ticket_page, tickets, visits
from ..models import Attachment, Branch, Customer, Product, Ticket, User
from ..models.ticket import CHANNELS, HANDLINGS, NATURES, PRIORITIES
from ..models.types import utcnow
from ..plugin_state import settings_for
from ..workflow import NATURE_DEPARTMENT, STATE_LABELS
from .base import ScopedModelView, commit_change, per_page
from .fields import to_utc
from .ticket_lists import SHOW_OPTIONS, ChoiceFilter, ShowFilter, preset_url, search_condition

LABELS = {
    "number": _l("Number"), "title": _l("Summary"), "kind": _l("Kind"), "state": _l("State"),
    "channel": _l("Channel"), "priority": _l("Priority"), "customer": _l("Customer"), "product": _l("Product"),
    "assignee": _l("Assignee"), "branch": _l("Branch"), "created_at": _l("Opened"), "updated_at": _l("Changed"),
    "sla_next_due_at": _l("Next due"), "description": _l("Description"), "handling": _l("Handling"),
    "nature": _l("Nature"), "department": _l("Department"), "promised_arrival_at": _l("Arrival promised for"),
    "customer.name": _l("Customer"), "customer.phone": _l("Phone"), "product.serial_number": _l("Serial number"),
    "resolved_at": _l("Resolved"), "closed_at": _l("Closed"), "solution": _l("Solution"),
    # filters on a related row's column (Flask-Admin would name them "assignee / User / Full Name")
    "assignee.full_name": _l("Assignee's name"), "assignee.username": _l("Assignee's user name"),
}


def _label(mapping, code):
    return str(mapping.get(code, code)) if code else ""


@per_page
def _fmt_state(view, context, name):
    badges = {}  # a list shows a handful of states: each badge is drawn once

    def badge(model):
        state = model.state
        if state not in badges:
            tone = {"cancelled": "secondary", "closed": "dark", "resolved": "success",
                    "waiting_customer": "warning"}.get(state, "primary")
            badges[state] = Markup(f'<span class="badge badge-{tone}">{escape(tickets.state_label(state))}</span>')
        return badges[state]

    return badge


@per_page
def _fmt_due(view, context, name):
    now, minute = utcnow(), minute_formatter()
    paused, breached = escape(_("paused")), escape(_("Breached"))

    def due(model):
        if not model.is_open:
            return ""
        at = model.sla_next_due_at
        text = escape(minute(at)) if at else paused if model.paused_since else ""
        if model.sla_breached or (at is not None and at < now):
            return Markup(f'<span class="badge badge-danger" data-sla="breached">{breached}</span> {text}')
        return Markup(f'<span data-sla="running">{text}</span>')

    return due


@per_page
def _fmt_number(view, context, name):
    url = view.row_urls(".details_view")
    return lambda model: Markup(f'<a href="{escape(url(model.id))}">{escape(model.number)}</a>')


@per_page
def _fmt_kind(view, context, name):
    labels = tickets.kind_labels()
    return lambda model: _label(labels, model.kind)


class TicketView(ScopedModelView):
    permission_area = "ticket"
    verb_permissions = {"delete": None, "edit": "ticket.edit"}
    column_list = ("number", "title", "kind", "state", "customer", "assignee", "branch", "created_at",
                   "sla_next_due_at")
    column_sortable_list = ("number", "state", "created_at", "sla_next_due_at", "priority")
    column_searchable_list = ("number", "title", "customer.name", "customer.phone", "product.serial_number")
    column_default_sort = ("id", True)
    column_labels = LABELS
    column_export_list = ("number", "title", "kind", "channel", "priority", "state", "customer", "product",
                          "assignee", "branch", "department", "created_at", "sla_next_due_at", "resolved_at",
                          "closed_at")
    column_formatters = {
        "state": _fmt_state, "sla_next_due_at": _fmt_due, "number": _fmt_number,
        "kind": _fmt_kind,
    }
    column_formatters_export = {
        "kind": lambda v, c, m, n: _label(tickets.KIND_LABELS, m.kind),
        "state": lambda v, c, m, n: tickets.state_label(m.state),
        "channel": lambda v, c, m, n: _label(tickets.CHANNEL_LABELS, m.channel),
        "priority": lambda v, c, m, n: _label(tickets.PRIORITY_LABELS, m.priority),
        "department": lambda v, c, m, n: _label(tickets.DEPARTMENT_LABELS, m.department),
    }
    form_columns = ("title", "description", "channel", "priority", "promised_arrival_at")
    form_choices = {
        "channel": [(c, tickets.CHANNEL_LABELS[c]) for c in CHANNELS],
        "priority": [(p, tickets.PRIORITY_LABELS[p]) for p in PRIORITIES],
    }
    list_template = "portal/tickets/list.html"
    keyset_paging = True
    list_row_extras = ("sla_breached", "paused_since")  # read by _fmt_due
    list_row_properties = ("is_open",)

    @property
    def column_filters(self):
        return (
            ShowFilter(),
            ChoiceFilter(Ticket.kind, _l("Kind"), options=tickets.all_kind_choices),
            ChoiceFilter(Ticket.state, _l("State"), options=[(s, STATE_LABELS[s]) for s in STATE_LABELS]),
            ChoiceFilter(Ticket.channel, _l("Channel"), options=[(c, tickets.CHANNEL_LABELS[c]) for c in CHANNELS]),
            ChoiceFilter(Ticket.priority, _l("Priority"),
                         options=[(p, tickets.PRIORITY_LABELS[p]) for p in PRIORITIES]),
            "assignee.full_name", "assignee.username", "created_at", "branch.code",
        )

    @staticmethod
    def _local(value):
        return local_minute(value)

    # -- the list ------------------------------------------------------------------------
    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Each word narrows the list; see ticket_lists.search_condition for what it finds."""
        for term in search.split():
            query = query.filter(search_condition(term))
            if count_query is not None:
                count_query = count_query.filter(search_condition(term))
        return query, count_query, joins, count_joins

    def preset_urls(self):
        """Links for the list's quick views, built on the Show filter so paging keeps it."""
        assert isinstance(self._filters[0], ShowFilter), "preset_url relies on ShowFilter being first"
        return [(code, label, preset_url(code)) for code, label in SHOW_OPTIONS]

    @expose("/")
    def index_view(self):
        self._template_args["presets"] = self.preset_urls  # called only when the links are drawn
        self._template_args["can_open"] = access.can("ticket.create")
        return super().index_view()

    # -- opening -------------------------------------------------------------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not access.can("ticket.create"):
            abort(403)
        customer = self._customer_from(request.values.get("customer_id"))
        form = request.form if request.method == "POST" else {}
        errors = {}
        if request.method == "POST":
            try:
                ticket = self._open_from_form(customer, form)
                db.session.commit()
            except tickets.TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            else:
                flash(_("Ticket %(number)s opened.", number=ticket.number), "success")
                return redirect(url_for(".details_view", id=ticket.id))
        branch_id = customer.branch_id if customer else current_user.branch_id
        return self.render(
            "portal/tickets/new.html", customer=customer, form=form, errors=errors,
            kinds=tickets.kinds_for(branch_id), channels=[(c, tickets.CHANNEL_LABELS[c]) for c in CHANNELS],
            priorities=[(p, tickets.PRIORITY_LABELS[p]) for p in PRIORITIES],
            kind_fields=self._kind_fields(branch_id),
            branches=access.visible_branches().filter(Branch.is_hq.is_(False)).all()
            if access.sees_all_branches() else [],
        )

    @staticmethod
    def _kind_fields(branch_id):
        from ..plugin_state import branch_hooks

        hooks, settings = branch_hooks(branch_id)
        return [k for group in hooks.portal_ticket_kinds(settings=settings) for k in group if k.extra_fields]

    def _customer_from(self, raw):
        customer_id = tickets._int(raw)
        if raw in (None, ""):
            return None
        if customer_id is None:
            abort(404)
        customer = access.scope(db.session.query(Customer), Customer).filter(
            Customer.id == customer_id, Customer.deleted_at.is_(None)).one_or_none()
        if customer is None:
            abort(404)
        return customer

    def _open_from_form(self, customer, form):
        errors = {}
        if customer is None:
            customer = self._find_or_create_customer(form, errors)
        product_id = None
        if customer is not None:
            product_id = self._product_for(customer, form, errors)
        promised = None
        if form.get("promised_arrival_at", "").strip():
            try:
                promised = to_utc(datetime.strptime(form["promised_arrival_at"].strip().replace("T", " "),
                                                    "%Y-%m-%d %H:%M"))
            except ValueError:
                errors["promised_arrival_at"] = _("Enter a date and time like 2026-11-23 14:30.")
        if errors:
            raise tickets.TicketError(list(errors.values()), errors)
        kind = form.get("kind", "repair")
        extra = {}
        for spec in self._kind_fields(customer.branch_id):
            if spec.code == kind:
                extra = {name: form.get(f"extra_{name}", "").strip()[:500] for name, _label in spec.extra_fields}
        return tickets.open_ticket(tickets.NewTicket(
            customer_id=customer.id, title=form.get("title", ""), kind=kind,
            channel=form.get("channel", "phone"), priority=form.get("priority", "normal"),
            description=form.get("description", "")[:10000], product_id=product_id,
            promised_arrival_at=promised, extra=extra), current_user)

    def _branch_for_new_customer(self, form, errors):
        if not access.sees_all_branches():
            return current_user.branch_id
        branch_id = tickets._int(form.get("branch_id"))
        allowed = {b.id for b in access.visible_branches()}
        if branch_id not in allowed:
            errors["branch_id"] = _("Choose the branch that serves this customer.")
        return branch_id

    def _find_or_create_customer(self, form, errors):
        """From scratch: a known phone number finds the customer file, a new one creates it
        (the file is made on first contact, REQUIREMENTS §2.1)."""
        phone = form.get("customer_phone", "").strip()[:40]
        name = form.get("customer_name", "").strip()[:120]
        if not phone:
            errors["customer_phone"] = _("Enter the customer's phone number.")
            return None
        branch_id = self._branch_for_new_customer(form, errors)
        if branch_id is None:
            return None
        found = access.scope(db.session.query(Customer), Customer).filter(
            Customer.branch_id == branch_id, Customer.phone == phone, Customer.deleted_at.is_(None)).first()
        if found is not None:
            return found
        if not name:
            errors["customer_name"] = _("No file has this phone number: enter the customer's name to create one.")
            return None
        customer = Customer(branch_id=branch_id, name=name, phone=phone, kind="person",
                            province=form.get("customer_province", "").strip()[:40],
                            address=form.get("customer_address", "").strip()[:255],
                            created_by_id=current_user.id)
        db.session.add(customer)
        db.session.flush()
        return customer

    def _product_for(self, customer, form, errors):
        chosen = form.get("product_id", "").strip()
        if chosen:
            product_id = tickets._int(chosen)
            if product_id is None:
                errors["product"] = _("The product must be one of this customer's products.")
            return product_id
        name = form.get("product_name", "").strip()[:120]
        if not name:
            return None
        from ..warranty import warranty_end

        purchase = None
        if form.get("product_purchase_date", "").strip():
            try:
                purchase = datetime.strptime(form["product_purchase_date"].strip(), "%Y-%m-%d").date()
            except ValueError:
                errors["product_purchase_date"] = _("Enter the purchase date like 2026-03-10.")
                return None
        product = Product(branch_id=customer.branch_id, customer_id=customer.id, name=name,
                          model=form.get("product_model", "").strip()[:80],
                          serial_number=form.get("product_serial", "").strip()[:80], purchase_date=purchase,
                          warranty_end=warranty_end(purchase) if purchase else None)
        db.session.add(product)
        db.session.flush()
        return product.id

    # -- the ticket page ---------------------------------------------------------------------
    def _ticket_or_404(self, raw, *options) -> Ticket:
        ticket = self.get_one(raw, *options)
        if ticket is None:
            abort(404)
        return ticket

    #: what the ticket page shows of the related records, read with the ticket itself
    _PAGE_LOADS = (joinedload(Ticket.branch), joinedload(Ticket.customer), joinedload(Ticket.product),
                   joinedload(Ticket.assignee).lazyload(User.roles),
                   joinedload(Ticket.created_by).lazyload(User.roles))

    @expose("/details/")
    def details_view(self):
        ticket = self._ticket_or_404(request.args.get("id"), *self._PAGE_LOADS)
        core = settings_for(ticket.branch_id)["core"]
        clocks = sla.clock_statuses(ticket, utcnow(), ticket.branch, timedelta(hours=core["at_risk_hours"]))
        around = ticket_page.around(ticket.id)
        return self.render(
            "portal/tickets/details.html", ticket=ticket, clocks=clocks, flow=tickets.workflow_for(ticket.branch_id),
            steps=tickets.available_steps(ticket, current_user, around.shown), around=around,
            kinds=dict(tickets.kinds_for(ticket.branch_id)), T=tickets,
            # only the assign step and the hand-over form list the staff: read when drawn, once
            staff=cache(lambda: tickets.staff_choices(ticket.branch_id)), natures=NATURES, handlings=HANDLINGS,
            nature_department=NATURE_DEPARTMENT, warranty=tickets.warranty_explanation(ticket),
            fee_standard=core["fee_standard"], can=lambda code: access.can(code, branch_id=ticket.branch_id),
            visit_states=visits.VISIT_STATE_LABELS, receipt_states=visits.RECEIPT_STATE_LABELS,
            has_endpoint=lambda name: name in current_app.view_functions,
            local=self._local,
        )

    def _act(self, ticket_id, action, done_message):
        """Run one change on the ticket as one transaction; a refusal changes nothing."""
        ticket = self._ticket_or_404(ticket_id)
        commit_change(lambda: action(ticket), done_message,
                      _("Someone else changed this ticket at the same moment. Reload and try again."))
        return redirect(url_for(".details_view", id=ticket.id))

    @expose("/step/<int:ticket_id>", methods=("POST",))
    def step(self, ticket_id):
        form = request.form
        req = tickets.StepRequest(
            name=form.get("step", ""), seen_version=form.get("seen_version"), reason=form.get("reason", "")[:2000],
            nature=form.get("nature") or None, department=form.get("department") or None,
            exclusions=tuple(form.getlist("exclusions")), assignee_id=form.get("assignee_id") or None,
            handling=form.get("handling") or None, solution=form.get("solution", "")[:10000],
        )
        return self._act(ticket_id, lambda t: tickets.transition(t, req, current_user), _("Done."))

    @expose("/reassign/<int:ticket_id>", methods=("POST",))
    def reassign(self, ticket_id):
        form = request.form
        return self._act(ticket_id, lambda t: tickets.reassign(
            t, form.get("assignee_id"), current_user, form.get("reason", "")[:200], form.get("seen_version")),
            _("Handed over."))

    @expose("/entry/<int:ticket_id>", methods=("POST",))
    def entry(self, ticket_id):
        form = request.form
        return self._act(ticket_id, lambda t: tickets.add_entry(t, form.get("kind", ""), form.get("body", ""),
                                                                current_user), _("Added to the timeline."))

    @expose("/attach/<int:ticket_id>", methods=("POST",))
    def attach(self, ticket_id):
        upload = request.files.get("file")

        def action(ticket):
            if upload is None:
                raise tickets.TicketError(_("Choose a file to attach."))
            tickets.add_attachment(ticket, upload.filename, upload.mimetype, upload.read(), current_user)
        return self._act(ticket_id, action, _("File attached."))

    @expose("/attachment/<int:attachment_id>")
    def attachment(self, attachment_id):
        item = access.scope(db.session.query(Attachment), Attachment).filter(
            Attachment.id == attachment_id).one_or_none()
        if item is None:
            abort(404)
        return send_file(BytesIO(item.data), mimetype=item.content_type, as_attachment=True,
                         download_name=item.filename)

    @expose("/quote/<int:ticket_id>", methods=("POST",))
    def quote(self, ticket_id):
        form = request.form
        return self._act(ticket_id, lambda t: tickets.propose_quote(
            t, form.get("parts", "0"), form.get("labour", "0"), form.get("travel", "0"), form.get("note", ""),
            current_user), _("Quote prepared."))

    @expose("/quote/<int:ticket_id>/decide", methods=("POST",))
    def decide_quote(self, ticket_id):
        form = request.form
        return self._act(ticket_id, lambda t: tickets.decide_quote(
            t, form.get("quote_id"), form.get("decision") == "accept", form.get("how", ""), current_user),
            _("Customer's answer recorded."))

    @expose("/charge/<int:ticket_id>", methods=("POST",))
    def charge(self, ticket_id):
        form = request.form
        return self._act(ticket_id, lambda t: tickets.record_charge(
            t, form.get("amount", ""), form.get("invoice_number", ""), form.get("fee_standard_shown") == "y",
            current_user), _("Charge recorded."))

    # -- editing the request itself goes on the timeline too ----------------------------------
    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        tickets.log_request_edits(model, current_user)

    def get_save_return_url(self, model, is_created=False):
        return url_for(".details_view", id=model.id)
