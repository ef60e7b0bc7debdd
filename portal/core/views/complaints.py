"""Complaints in the admin (issue 4 item 2): the list with its filters and export, the
guided page that walks one complaint through its eight steps, starting a complaint file
for an existing ticket, and HQ quality's list of serious complaints. The rules live in
``portal.core.complaints``; these views look records up through the scoped query, call
the rules, commit, and turn a refusal into a message."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import and_, select
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from .. import access, complaints, tickets
from ..models import Ticket
from ..models.complaint import AGAINST_KINDS, COMPLAINT_NATURES, DEMERITS, NOTIFY_CHANNELS, Complaint, ComplaintStep
from .base import MAX_ID, ScopedModelView, commit_change
from .fields import to_local
from .ticket_lists import ChoiceFilter
from .visits import parse_local

C = complaints

LABELS = {
    "ticket": _l("Ticket"), "ticket.number": _l("Ticket"), "complainant": _l("Complainant"),
    "contact": _l("Contact details"),
    "branch": _l("Branch"), "received_at": _l("Time received"), "against": _l("Against"), "demand": _l("Demand"),
    "nature": _l("Nature"), "justified": _l("Justified"), "explanation": _l("Explanation given to the customer"),
    "serious": _l("Serious"), "responsible_department": _l("Responsible unit"), "cause": _l("Cause"),
    "responsible_name": _l("Responsible person"), "solution": _l("Solution"), "amount": _l("Amount (yuan)"),
    "approved_at": _l("Approved"), "notified_at": _l("Customer notified"), "attribution": _l("Responsibility"),
    "penalty_amount": _l("Penalty (yuan)"), "penalty_demerit": _l("Demerit"), "improvement": _l("Improvement measure"),
    "last_step": _l("Step"), "closed_at": _l("Closed"), "outcome": _l("Outcome"),
    "ticket.customer.name": _l("Customer"), "ticket.customer.phone": _l("Phone"),
}


def _label(mapping, code):
    return str(mapping.get(code, code)) if code else ""


def _yes_no(value):
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def _fmt_ticket(view, context, model, name):
    return Markup(f'<a href="{escape(url_for("complaint.details_view", id=model.id))}" data-complaint="{model.id}">'
                  f'{escape(model.ticket.number)}</a>')


def _fmt_step(view, context, model, name):
    tone = "dark" if model.closed_at else "warning" if model.awaiting_approval else "primary"
    return Markup(f'<span class="badge badge-{tone}" data-step="{model.last_step}">'
                  f'{escape(C.current_step_label(model))}</span>')


def _fmt_serious(view, context, model, name):
    return Markup(f'<span class="badge badge-danger">{escape(_("Serious"))}</span>') if model.serious else ""


# --- filters ------------------------------------------------------------------------------------

def _step_options():
    return ([(str(n), f"{n}. {C.STEP_LABELS[n]}") for n in C.STEPS]
            + [("approval", _l("Waiting for approval")), ("open", _l("Open")), ("closed", _l("Closed"))])


class StepFilter(BaseSQLAFilter):
    """Where the complaint stands: the step it waits for, waiting for approval, open, closed."""

    def __init__(self):
        super().__init__(Complaint.last_step, _l("Step"), options=_step_options)

    def validate(self, value):
        return value in {code for code, _label in _step_options()}

    def apply(self, query, value, alias=None):
        is_open = Complaint.closed_at.is_(None)
        waiting = and_(Complaint.last_step == 5, Complaint.approval_needed.is_(True), Complaint.approved_at.is_(None))
        if value == "open":
            return query.filter(is_open)
        if value == "closed":
            return query.filter(Complaint.closed_at.is_not(None))
        if value == "approval":
            return query.filter(is_open, waiting)
        step = int(value)
        condition = and_(is_open, Complaint.last_step == step - 1)
        if step == 6:
            condition = and_(condition, ~waiting)
        return query.filter(condition)

    def operation(self):
        return _l("is")


class YesNoFilter(ChoiceFilter):
    def __init__(self, column, name):
        super().__init__(column, name, options=[("1", _l("Yes")), ("0", _l("No"))])

    def apply(self, query, value, alias=None):
        return query.filter(self.column.is_(value == "1"))


MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(value: str, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """[first instant, first instant of the next month) of a local month, in UTC."""
    match = MONTH.match((value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        return None
    start = datetime.combine(date(year, month, 1), time.min, zone)
    following = date(year + (month == 12), month % 12 + 1, 1)
    end = datetime.combine(following, time.min, zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


class MonthFilter(BaseSQLAFilter):
    """Received in a month (YYYY-MM) of the user's time zone."""

    def __init__(self):
        super().__init__(Complaint.received_at, _l("Month received (YYYY-MM)"))

    def validate(self, value):
        return month_bounds(value, ZoneInfo("UTC")) is not None

    def apply(self, query, value, alias=None):
        start, end = month_bounds(value, ZoneInfo(str(get_timezone())))
        return query.filter(Complaint.received_at >= start, Complaint.received_at < end)

    def operation(self):
        return _l("is")


# --- the list -----------------------------------------------------------------------------------

class ComplaintList(ScopedModelView):
    """What both complaint lists share: columns, filters, search, export."""

    permission_area = "complaint"
    verb_permissions = {"create": None, "edit": None, "delete": None, "export": "complaint.view",
                        "view": "complaint.view"}
    column_list = ("ticket", "complainant", "branch", "received_at", "nature", "justified", "serious",
                   "responsible_department", "last_step", "closed_at")
    column_sortable_list = ("received_at", "last_step", "closed_at", "nature", "responsible_department")
    column_searchable_list = ("ticket.number", "complainant", "contact", "ticket.customer.name",
                              "ticket.customer.phone")
    column_default_sort = ("id", True)
    column_labels = LABELS
    column_formatters = {
        "ticket": _fmt_ticket, "last_step": _fmt_step, "serious": _fmt_serious,
        "nature": lambda v, c, m, n: _label(C.NATURE_LABELS, m.nature),
        "justified": lambda v, c, m, n: _yes_no(m.justified),
        "responsible_department": lambda v, c, m, n: C.unit_label(m),
    }
    column_export_list = ("ticket.number", "complainant", "contact", "branch", "received_at", "against", "demand",
                          "nature", "justified", "explanation", "serious", "responsible_department", "cause",
                          "responsible_name", "solution", "amount", "approved_at", "notified_at", "attribution",
                          "penalty_amount", "penalty_demerit", "improvement", "last_step", "closed_at", "outcome")
    column_formatters_export = {
        "nature": lambda v, c, m, n: _label(C.NATURE_LABELS, m.nature),
        "justified": lambda v, c, m, n: _yes_no(m.justified),
        "serious": lambda v, c, m, n: _yes_no(m.serious),
        "responsible_department": lambda v, c, m, n: C.unit_label(m),
        "responsible_name": lambda v, c, m, n: C.responsible_label(m),
        "penalty_demerit": lambda v, c, m, n: _label(C.DEMERIT_LABELS, m.penalty_demerit),
        "last_step": lambda v, c, m, n: C.current_step_label(m),
        "outcome": lambda v, c, m, n: _label(C.OUTCOME_LABELS, m.outcome),
    }
    list_template = "portal/complaints/list.html"

    @property
    def column_filters(self):
        return (
            StepFilter(),
            ChoiceFilter(Complaint.nature, _l("Nature"), options=[(n, C.NATURE_LABELS[n]) for n in COMPLAINT_NATURES]),
            YesNoFilter(Complaint.justified, _l("Justified")),
            YesNoFilter(Complaint.serious, _l("Serious")),
            ChoiceFilter(Complaint.responsible_department, _l("Responsible unit"),
                         options=[(code, label) for code, label in tickets.DEPARTMENT_LABELS.items()]),
            MonthFilter(),
            "branch.code",
        )

    def _complaint_or_404(self, raw) -> Complaint:
        complaint = self.get_one(raw)
        if complaint is None:
            abort(404)
        return complaint


class ComplaintView(ComplaintList):
    """Complaints of the branch (HQ: of every branch); a row opens the guided page."""

    @expose("/")
    def index_view(self):
        self._template_args["can_start"] = access.can("complaint.work")
        self._template_args["serious_url"] = (url_for("serious_complaint.index_view")
                                              if access.can("complaint.quality") else None)
        return super().index_view()

    # -- one complaint ---------------------------------------------------------------------------
    @expose("/details/")
    def details_view(self):
        return self._page(self._complaint_or_404(request.args.get("id")))

    def _page(self, complaint: Complaint, form=None, errors=None):
        state = C.state_of(complaint)
        rows = db.session.scalars(select(ComplaintStep).where(ComplaintStep.complaint_id == complaint.id)
                                  .order_by(ComplaintStep.id)).all()
        done = {row.step: row for row in rows if row.action == "done" and row.step <= complaint.last_step}
        can = lambda code: access.can(code, branch_id=complaint.branch_id)  # noqa: E731
        return self.render(
            "portal/complaints/details.html", c=complaint, t=complaint.ticket, C=C, T=tickets,
            next_step=C.next_step(state), done=done, history=rows, can=can,
            may_approve=can("complaint.approve") and complaint.awaiting_approval
            and complaint.proposed_by_id != current_user.id,
            staff=tickets.staff_choices(complaint.branch_id), limit=C.approval_limit(complaint.branch_id),
            natures=COMPLAINT_NATURES, against_kinds=AGAINST_KINDS, channels=NOTIFY_CHANNELS, demerits=DEMERITS,
            form=form if form is not None else {}, errors=errors or {}, field_time=_field_time,
        )

    @expose("/step/<int:complaint_id>", methods=("POST",))
    def step(self, complaint_id):
        complaint = self._complaint_or_404(complaint_id)
        form = request.form
        raw = {key: form.get(key, "")[:C.MAX_TEXT] for key in form if key not in ("csrf_token", "step",
                                                                                "seen_version")}
        for key in ("received_at", "notified_at"):
            if key in raw:
                raw[key] = parse_local(raw[key])
        try:
            C.record_step(complaint, form.get("step"), raw, current_user, form.get("seen_version"))
            db.session.commit()
        except tickets.TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
            complaint = self._complaint_or_404(complaint_id)
            # Keep what was typed so nothing is lost, unless the page itself is out of date.
            return self._page(complaint, form=({} if exc.conflict else form), errors=exc.fields)
        except StaleDataError:
            db.session.rollback()
            flash(_("Someone else changed this complaint at the same moment. Reload and try again."), "error")
        else:
            flash(_("Step recorded."), "success")
        return redirect(url_for(".details_view", id=complaint_id))

    def _act(self, complaint_id, action, done_message):
        complaint = self._complaint_or_404(complaint_id)
        commit_change(lambda: action(complaint), done_message,
                      _("Someone else changed this complaint at the same moment. Reload and try again."))
        return redirect(url_for(".details_view", id=complaint_id))

    @expose("/approve/<int:complaint_id>", methods=("POST",))
    def approve(self, complaint_id):
        form = request.form
        approve = form.get("decision") == "approve"
        return self._act(complaint_id, lambda c: C.decide_solution(
            c, approve, current_user, form.get("note", "")[:C.MAX_TEXT], form.get("seen_version")),
            _("Solution approved.") if approve else _("Solution sent back."))

    @expose("/serious/<int:complaint_id>", methods=("POST",))
    def serious(self, complaint_id):
        form = request.form
        flag = form.get("serious") == "y"
        return self._act(complaint_id, lambda c: C.set_serious(
            c, flag, current_user, form.get("reason", "")[:500], form.get("seen_version")),
            _("Flagged as serious: HQ's quality department sees it.") if flag else _("Serious flag removed."))

    # -- starting a file for an existing ticket ---------------------------------------------------
    def _ticket(self, ticket_id) -> Ticket | None:
        if ticket_id is None or not 0 < ticket_id <= MAX_ID:
            return None
        return access.scope(db.session.query(Ticket), Ticket).filter(
            Ticket.id == ticket_id, Ticket.deleted_at.is_(None)).one_or_none()

    @expose("/for_ticket/")
    def for_ticket(self):
        """The complaint file of a ticket if it has one, else the page to start one."""
        ticket = self._ticket(tickets._int(request.args.get("ticket_id")))
        if ticket is None:
            abort(404)
        complaint = C.complaint_of(ticket)
        if complaint is not None and complaint.deleted_at is None:
            return redirect(url_for(".details_view", id=complaint.id))
        return redirect(url_for(".start", ticket_id=ticket.id))

    @expose("/start/", methods=("GET", "POST"))
    def start(self):
        if not access.can("complaint.work"):
            abort(403)
        raw_id = request.values.get("ticket_id")
        ticket = None
        if raw_id not in (None, ""):
            ticket = self._ticket(tickets._int(raw_id))
            if ticket is None:
                abort(404)
        number = request.form.get("ticket_number", "").strip()[:32]
        if request.method == "POST":
            if ticket is None and number:
                ticket = access.scope(db.session.query(Ticket), Ticket).filter(
                    Ticket.number == number, Ticket.deleted_at.is_(None)).one_or_none()
            if ticket is None:
                flash(_("No ticket with this number in your branch."), "error")
            else:
                existing = C.complaint_of(ticket)
                if existing is not None and existing.deleted_at is None:
                    flash(_("This ticket has a complaint file already."), "info")
                    return redirect(url_for(".details_view", id=existing.id))
                try:
                    complaint = C.start_complaint(ticket, current_user)
                    db.session.commit()
                except tickets.TicketError as exc:
                    db.session.rollback()
                    for message in exc.messages:
                        flash(message, "error")
                else:
                    flash(_("Complaint file started for ticket %(number)s.", number=ticket.number), "success")
                    return redirect(url_for(".details_view", id=complaint.id))
        return self.render("portal/complaints/start.html", ticket=ticket, number=number, T=tickets)


def _field_time(value) -> str:
    """An aware UTC time as the value of a datetime-local field in the user's zone."""
    return to_local(value).strftime("%Y-%m-%dT%H:%M") if value else ""


class SeriousComplaintView(ComplaintList):
    """HQ's quality department: the serious complaints of every branch (004/8 4.3)."""

    verb_permissions = {"create": None, "edit": None, "delete": None, "export": "complaint.quality",
                        "view": "complaint.quality"}
    column_default_sort = ("received_at", True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = "complaint.quality"

    def _live(self, query):
        return super()._live(query).filter(Complaint.serious.is_(True))

    @expose("/")
    def index_view(self):
        self._template_args["serious_page"] = True
        return super().index_view()

    @expose("/details/")
    def details_view(self):
        """The guided page lives in the main view; the id is checked here first."""
        complaint = self._complaint_or_404(request.args.get("id"))
        return redirect(url_for("complaint.details_view", id=complaint.id))


def register(admin, category):
    """Add this feature's views to the admin under `category`."""
    admin.add_view(ComplaintView(Complaint, name=_l("Complaints"), category=category, endpoint="complaint"))
    admin.add_view(SeriousComplaintView(Complaint, name=_l("Serious complaints"), category=category,
                                        endpoint="serious_complaint"))
