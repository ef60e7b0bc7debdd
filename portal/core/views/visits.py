"""Field visits — the engineer's phone page, the printed service report — and the register
of items taken in for repair (issue 3 items 6 and 7). The rules live in
``portal.core.visits``; these views look records up through the scoped query, call the
rules, commit, and turn a refusal into a message."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, has_request_context, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.helpers import get_redirect_target
from flask_babel import force_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from .. import access, visits
from ..models import RepairReceipt, Ticket, Visit, visit_engineer
from ..tickets import TicketError
from .base import MAX_ID, ScopedModelView
from .fields import to_utc

DOCUMENT_LOCALE = "zh_CN"  # printed reports and receipts go to Chinese customers (issue 3 item 6)
LOCAL_INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
PART_KEY = re.compile(r"^parts-(\d{1,3})-(name|part_number|quantity|unit_price|charged)$")
BLANK_PART_ROWS = 2


def parse_id(raw) -> int | None:
    text = str(raw or "")
    if not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    pk = int(text)
    return pk if 0 < pk <= MAX_ID else None


def parse_local(raw) -> datetime | None:
    """A time typed in a datetime-local field, in the user's zone, as aware UTC."""
    text = (raw or "").strip()
    for pattern in LOCAL_INPUT_FORMATS:
        try:
            return to_utc(datetime.strptime(text, pattern))
        except (ValueError, OverflowError):  # OverflowError: year 1 moved out of its zone
            continue
    return None


def _zone() -> ZoneInfo:
    return ZoneInfo(str(get_timezone()))


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in the user's zone, in UTC."""
    zone = _zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return to_utc(start), to_utc(end)


def document_clock(branch):
    """Times on printed documents are the branch's local time, whoever prints them."""
    zone = ZoneInfo(branch.timezone)

    def show(value, pattern="%Y-%m-%d %H:%M"):
        return value.astimezone(zone).strftime(pattern) if value else ""

    return show


def _flash_refusal(exc: TicketError) -> None:
    db.session.rollback()
    for message in exc.messages:
        flash(message, "error")


def _flash_conflict() -> None:
    db.session.rollback()
    flash(_("Someone else saved this at the same moment. Reload and try again."), "error")


def scoped_ticket_or_404(ticket_id) -> Ticket:
    pk = parse_id(ticket_id)
    ticket = None
    if pk is not None:
        ticket = access.scope(db.session.query(Ticket), Ticket).filter(
            Ticket.id == pk, Ticket.deleted_at.is_(None)).one_or_none()
    if ticket is None:
        abort(404)
    return ticket


def _day(text: str) -> date:
    day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    if not 1900 <= day.year < 9999:
        raise ValueError(text)  # its bounds would fall off the calendar
    return day


class OnLocalDay(sqla_filters.BaseSQLAFilter):
    """A UTC timestamp that falls on a calendar day of the user's zone."""

    def __init__(self, column, name):
        super().__init__(column, name, data_type="datepicker")

    def clean(self, value):
        return _day(value)

    def apply(self, query, value, alias=None):
        start, end = local_day_bounds(value)
        column = self.get_column(alias)
        return query.filter(column >= start, column < end)

    def operation(self):
        return _l("on the day")


class BetweenLocalDays(OnLocalDay):
    """From the first to the last of two calendar days of the user's zone, both included."""

    def __init__(self, column, name):
        sqla_filters.BaseSQLAFilter.__init__(self, column, name, data_type="daterangepicker")

    def clean(self, value):
        first, _sep, last = value.partition(" to ")
        first, last = _day(first), _day(last)
        if last < first:
            raise ValueError(value)
        return first, last

    def apply(self, query, value, alias=None):
        start, _end = local_day_bounds(value[0])
        _start, end = local_day_bounds(value[1])
        column = self.get_column(alias)
        return query.filter(column >= start, column < end)

    def operation(self):
        return _l("between the days")


def _choices(labels):
    return lambda: [(code, str(label)) for code, label in labels.items()]


class PresetListMixin:
    """Named shortcuts for a list ("my visits today", "not yet returned") given as
    ``?preset=``; flask-admin keeps unknown arguments in its paging, search, filter and
    export links, so a preset sticks while the person works the list. Presets shape the
    list only: opening a record by id ignores them."""

    list_presets: dict = {}

    def default_preset(self) -> str:
        return next(iter(self.list_presets))

    def preset_clause(self, name: str):
        return None

    def current_preset(self) -> str:
        chosen = request.args.get("preset")
        return chosen if chosen in self.list_presets else self.default_preset()

    def _with_preset(self, query):
        if not has_request_context():
            return query
        clause = self.preset_clause(self.current_preset())
        return query if clause is None else query.filter(clause)

    #: relations the list and the export read; the CSV export streams after the request's
    #: session is gone, so they must be loaded with the rows
    list_loads: tuple = ()

    def get_query(self):
        return self._with_preset(super().get_query()).options(*self.list_loads)

    def get_count_query(self):
        return self._with_preset(super().get_count_query())

    def get_one(self, id):
        pk = parse_id(id)
        if pk is None:
            return None
        return ScopedModelView.get_query(self).filter(self.model.id == pk).one_or_none()

    def record_or_404(self, id):
        record = self.get_one(id)
        if record is None:
            abort(404)
        return record

    def render(self, template, **kwargs):
        if has_request_context() and self.list_presets:
            kwargs.setdefault("list_presets", [(code, str(label)) for code, label in self.list_presets.items()])
            kwargs.setdefault("current_preset", self.current_preset())
        return super().render(template, **kwargs)


# --- visits -----------------------------------------------------------------------------------------

VISIT_LABELS = {
    "ticket.number": _l("Ticket"), "ticket.customer.name": _l("Customer"), "scheduled_for": _l("Scheduled for"),
    "state": _l("State"), "engineers": _l("Engineers"), "address": _l("Address"), "departed_at": _l("Departed at"),
    "arrived_at": _l("Arrived at"), "finished_at": _l("Finished at"), "hours": _l("Hours spent"),
    "report_completed_at": _l("Report completed"), "fault_cause": _l("Fault cause"), "solution": _l("Solution"),
    "customer_opinion": _l("Customer opinion"), "signed_by": _l("Signed by"), "id": _l("No."),
}


def _engineer_names(visit) -> str:
    return "、".join(e.full_name or e.username for e in visit.engineers)


def _visit_link(view, context, model, name):
    url = url_for(".details_view", id=model.id)
    return Markup('<a href="{}">{}</a>').format(url, model.ticket.number if model.ticket else model.id)


class VisitView(PresetListMixin, ScopedModelView):
    """Visits of the user's branch (HQ: of every branch). Created only by scheduling from
    a ticket, reported on the visit page, cancelled instead of deleted."""

    permission_area = "ticket"
    verb_permissions = {"view": "ticket.view", "create": None, "edit": None, "delete": None,
                        "export": "ticket.export"}
    list_template = "portal/visits/list.html"
    empty_list_message = _l("No visits in this list.")
    list_loads = (joinedload(Visit.ticket).joinedload(Ticket.customer),)
    list_presets = {"mine_today": _l("My visits today"), "today": _l("Today"), "open": _l("Open"), "all": _l("All")}
    column_list = ("ticket.number", "ticket.customer.name", "scheduled_for", "state", "engineers", "address",
                   "arrived_at", "finished_at")
    column_sortable_list = ("scheduled_for", "state", "arrived_at", "finished_at")
    column_default_sort = ("scheduled_for", False)
    column_searchable_list = ("ticket.number", "ticket.customer.name")
    column_labels = VISIT_LABELS
    column_export_list = ("id", "ticket.number", "ticket.customer.name", "scheduled_for", "state", "engineers",
                          "address", "departed_at", "arrived_at", "finished_at", "hours", "report_completed_at",
                          "signed_by")
    column_formatters = {
        "ticket.number": _visit_link,
        "state": lambda v, c, m, n: visits.VISIT_STATE_LABELS.get(m.state, m.state),
        "engineers": lambda v, c, m, n: _engineer_names(m),
    }
    column_formatters_export = {
        "state": lambda v, c, m, n: str(visits.VISIT_STATE_LABELS.get(m.state, m.state)),
        "engineers": lambda v, c, m, n: _engineer_names(m),
    }

    def __init__(self, model, *args, **kwargs):
        self.column_filters = (
            sqla_filters.FilterEqual(model.state, _l("State"), options=_choices(visits.VISIT_STATE_LABELS)),
            OnLocalDay(model.scheduled_for, _l("Scheduled for")),
            BetweenLocalDays(model.scheduled_for, _l("Scheduled for")),
        )
        super().__init__(model, *args, **kwargs)

    # -- the list ------------------------------------------------------------------
    def default_preset(self) -> str:
        engineer = access.can("ticket.work") and not access.can("ticket.assign")
        return "mine_today" if engineer else "open"

    def preset_clause(self, name):
        model = self.model
        if name == "all":
            return None
        if name == "open":
            return model.state.in_(visits.OPEN_VISIT_STATES)
        start, end = local_day_bounds(datetime.now(_zone()).date())
        today = (model.scheduled_for >= start) & (model.scheduled_for < end)
        if name == "today":
            return today
        mine = model.id.in_(select(visit_engineer.c.visit_id).where(visit_engineer.c.user_id == current_user.id))
        # a trip that began on an earlier day is still today's work
        return mine & or_(today, model.state.in_(("departed", "arrived")))

    # -- the visit page ------------------------------------------------------------
    def _report_values(self, visit) -> dict:
        return {
            "fault_cause": visit.fault_cause or "", "solution": visit.solution or "",
            "hours": "" if visit.hours is None else format(visit.hours.normalize(), "f"),
            "customer_opinion": visit.customer_opinion or "", "signed_by": visit.signed_by or "",
            "called_hq_before_leaving": bool(visit.called_hq_before_leaving),
        }

    @staticmethod
    def _part_rows(lines) -> list[dict]:
        return list(lines) + [{} for _i in range(BLANK_PART_ROWS)]

    def _visit_page(self, visit, report=None, parts=None, signature=None, errors=None):
        ticket = visit.ticket
        may_work = visits.may_work(visit, current_user)
        next_step = {"scheduled": "depart", "departed": "arrive", "arrived": "finish"}.get(visit.state)
        saved_parts = [{"name": p.name, "part_number": p.part_number, "quantity": p.quantity, "charged": p.charged,
                        "unit_price": "" if p.unit_price is None else str(p.unit_price)} for p in visit.parts]
        return self.render(
            "portal/visits/visit.html", visit=visit, ticket=ticket, customer=ticket.customer,
            product=ticket.product, engineers=_engineer_names(visit),
            state_label=visits.VISIT_STATE_LABELS.get(visit.state, visit.state),
            may_work=may_work, may_cancel=visit.state in visits.OPEN_VISIT_STATES
            and access.can("ticket.assign", branch_id=visit.branch_id),
            next_step=next_step, step_labels=visits.STEP_LABELS,
            editable=may_work and visit.state in visits.OPEN_VISIT_STATES,
            report=report if report is not None else self._report_values(visit),
            part_rows=self._part_rows(parts if parts is not None else saved_parts),
            signature=visit.signature if signature is None else signature,
            errors=errors or {}, ticket_url=self._ticket_url(ticket),
        )

    @staticmethod
    def _ticket_url(ticket):
        return url_for("ticket.details_view", id=ticket.id) if access.can("ticket.view") else None

    @expose("/details/")
    def details_view(self):
        return self._visit_page(self.record_or_404(request.args.get("id")))

    # -- scheduling ----------------------------------------------------------------
    @expose("/schedule/<int:ticket_id>/", methods=("GET", "POST"))
    def schedule(self, ticket_id):
        ticket = scoped_ticket_or_404(ticket_id)
        if not access.can("ticket.assign", branch_id=ticket.branch_id):
            abort(403)
        engineers = visits.engineer_choices(ticket.branch_id)
        errors = {}
        if request.method == "POST":
            chosen = request.form.getlist("engineers")
            form = {"when": request.form.get("when", ""), "engineers": chosen,
                    "address": request.form.get("address", "")}
            try:
                visit = visits.schedule_visit(ticket, parse_local(form["when"]), chosen, form["address"],
                                              current_user)
                db.session.commit()
            except TicketError as exc:
                _flash_refusal(exc)
                errors = exc.fields
            except StaleDataError:
                _flash_conflict()
            else:
                flash(_("Visit scheduled: the on-site clock is running."), "success")
                return redirect(get_redirect_target() or url_for(".details_view", id=visit.id))
        else:
            start = datetime.now(_zone()).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            holder = [str(ticket.assignee_id)] if ticket.assignee_id in {e.id for e in engineers} else []
            form = {"when": start.strftime("%Y-%m-%dT%H:%M"), "engineers": holder,
                    "address": visits.default_address(ticket)}
        return self.render("portal/visits/schedule.html", ticket=ticket, engineers=engineers, form=form,
                           errors=errors, ticket_url=self._ticket_url(ticket),
                           return_url=get_redirect_target() or "")

    # -- the trip ------------------------------------------------------------------
    @expose("/<int:id>/step", methods=("POST",))
    def step(self, id):
        visit = self.record_or_404(id)
        step = request.form.get("step", "")
        try:
            visits.visit_step(visit, step, current_user, seen_version=request.form.get("seen_version"),
                              reason=request.form.get("reason", ""))
            db.session.commit()
        except TicketError as exc:
            _flash_refusal(exc)
        except StaleDataError:
            _flash_conflict()
        else:
            flash(str(visits.TIMELINE_TEXT[step]), "success")
        return redirect(url_for(".details_view", id=visit.id))

    # -- the report ----------------------------------------------------------------
    @staticmethod
    def _posted_parts() -> list[dict]:
        rows: dict[int, dict] = {}
        for key in request.form:
            match = PART_KEY.match(key)
            if match:
                rows.setdefault(int(match.group(1)), {})[match.group(2)] = request.form.get(key, "")
        return [rows[i] for i in sorted(rows)]

    @expose("/<int:id>/save", methods=("POST",))
    def save_report(self, id):
        visit = self.record_or_404(id)
        complete = request.form.get("complete") == "1"
        fields = {key: request.form.get(key, "") for key in
                  ("fault_cause", "solution", "hours", "customer_opinion", "signed_by")}
        fields["called_hq_before_leaving"] = request.form.get("called_hq_before_leaving") == "y"
        parts = self._posted_parts()
        signature = request.form.get("signature", "")
        try:
            visits.save_report(visit, fields, parts, signature, complete, current_user,
                               seen_version=request.form.get("seen_version"))
            db.session.commit()
        except TicketError as exc:
            _flash_refusal(exc)
            visit = self.record_or_404(id)
            # The engineer's typing and the customer's signature stay on the page.
            return self._visit_page(visit, report=fields, signature=signature, errors=exc.fields,
                                    parts=[p for p in parts if any(str(v).strip() for v in p.values())])
        except StaleDataError:
            _flash_conflict()
        else:
            flash(_("Service report completed: the visit can be finished.") if complete
                  else _("Report saved as a draft."), "success")
        return redirect(url_for(".details_view", id=visit.id))

    @expose("/<int:id>/report")
    def report(self, id):
        visit = self.record_or_404(id)
        ticket = visit.ticket
        with force_locale(DOCUMENT_LOCALE):
            return self.render(
                "portal/visits/report.html", visit=visit, ticket=ticket, customer=ticket.customer,
                product=ticket.product, branch=visit.branch, engineers=_engineer_names(visit),
                clock=document_clock(visit.branch), state_label=visits.VISIT_STATE_LABELS.get(visit.state),
                signed_on=visit.report_completed_at or visit.finished_at,
                hours="" if visit.hours is None else format(visit.hours.normalize(), "f"),
            )


# --- the repair register ---------------------------------------------------------------------------

RECEIPT_LABELS = {
    "number": _l("Receipt no."), "ticket.number": _l("Ticket"), "ticket.customer.name": _l("Customer"),
    "item": _l("Item"), "accessories": _l("Accessories"), "condition": _l("Condition"), "state": _l("State"),
    "created_at": _l("Taken in"), "received_by": _l("Received by"), "returned_at": _l("Returned at"),
    "returned_to": _l("Collected by"), "id": _l("No."),
}


def _receipt_link(view, context, model, name):
    return Markup('<a href="{}">{}</a>').format(url_for(".details_view", id=model.id), model.number)


class RepairRegisterView(PresetListMixin, ScopedModelView):
    """客户货品领取收据 and the register of items in the branch's hands. Everyone who sees
    tickets sees the register; taking in and moving items needs ``repair.register``."""

    permission_area = "ticket"
    verb_permissions = {"view": "ticket.view", "create": None, "edit": None, "delete": None,
                        "export": "ticket.export"}
    list_template = "portal/repair/list.html"
    empty_list_message = _l("No items in this list.")
    list_loads = (joinedload(RepairReceipt.ticket).joinedload(Ticket.customer), joinedload(RepairReceipt.received_by))
    list_presets = {"not_returned": _l("Not yet returned"), "ready": _l("Ready for collection"),
                    "at_hq": _l("At HQ / factory"), "all": _l("All")}
    column_list = ("number", "ticket.number", "ticket.customer.name", "item", "state", "created_at",
                   "received_by", "returned_at", "returned_to")
    column_sortable_list = ("number", "state", "created_at", "returned_at")
    column_default_sort = ("created_at", True)
    column_searchable_list = ("number", "ticket.number", "ticket.customer.name")
    column_labels = RECEIPT_LABELS
    column_export_list = ("number", "ticket.number", "ticket.customer.name", "item", "accessories", "condition",
                          "state", "created_at", "received_by", "returned_at", "returned_to")
    column_formatters = {
        "number": _receipt_link,
        "state": lambda v, c, m, n: visits.RECEIPT_STATE_LABELS.get(m.state, m.state),
        "received_by": lambda v, c, m, n: (m.received_by.full_name or m.received_by.username) if m.received_by else "",
    }
    column_formatters_export = {
        "state": lambda v, c, m, n: str(visits.RECEIPT_STATE_LABELS.get(m.state, m.state)),
        "received_by": lambda v, c, m, n: (m.received_by.full_name or m.received_by.username) if m.received_by else "",
    }

    def __init__(self, model, *args, **kwargs):
        self.column_filters = (
            sqla_filters.FilterEqual(model.state, _l("State"), options=_choices(visits.RECEIPT_STATE_LABELS)),
            OnLocalDay(model.created_at, _l("Taken in")),
            BetweenLocalDays(model.created_at, _l("Taken in")),
        )
        super().__init__(model, *args, **kwargs)

    def default_preset(self) -> str:
        return "not_returned"

    def preset_clause(self, name):
        if name == "not_returned":
            return self.model.state != "returned"
        if name in ("ready", "at_hq"):
            return self.model.state == name
        return None

    def _may_register(self, record_or_ticket) -> bool:
        return access.can("repair.register", branch_id=record_or_ticket.branch_id)

    @expose("/details/")
    def details_view(self):
        receipt = self.record_or_404(request.args.get("id"))
        may_register = self._may_register(receipt)
        return self.render(
            "portal/repair/details.html", receipt=receipt, ticket=receipt.ticket,
            customer=receipt.ticket.customer, state_label=visits.RECEIPT_STATE_LABELS.get(receipt.state),
            moves=[(s, visits.RECEIPT_STATE_LABELS[s]) for s in visits.RECEIPT_MOVES.get(receipt.state, ())]
            if may_register else [],
            may_return=may_register and receipt.state in visits.RETURNABLE_FROM,
            ticket_url=url_for("ticket.details_view", id=receipt.ticket_id),
        )

    @expose("/take-in/<int:ticket_id>/", methods=("GET", "POST"))
    def take_in(self, ticket_id):
        ticket = scoped_ticket_or_404(ticket_id)
        if not self._may_register(ticket):
            abort(403)
        errors = {}
        if request.method == "POST":
            form = {key: request.form.get(key, "") for key in ("item", "accessories", "condition")}
            try:
                receipt = visits.take_in(ticket, form["item"], form["accessories"], form["condition"], current_user)
                db.session.commit()
            except TicketError as exc:
                _flash_refusal(exc)
                errors = exc.fields
            else:
                flash(_("Item taken in with receipt %(number)s.", number=receipt.number), "success")
                return redirect(url_for(".details_view", id=receipt.id))
        else:
            product = ticket.product
            item = " ".join(p for p in (product.name, product.model, product.serial_number) if p) if product else ""
            form = {"item": item, "accessories": "", "condition": ""}
        return self.render("portal/repair/take_in.html", ticket=ticket, form=form, errors=errors,
                           ticket_url=url_for("ticket.details_view", id=ticket.id))

    @expose("/<int:id>/receipt")
    def receipt(self, id):
        receipt = self.record_or_404(id)
        with force_locale(DOCUMENT_LOCALE):
            return self.render(
                "portal/repair/receipt.html", receipt=receipt, ticket=receipt.ticket,
                customer=receipt.ticket.customer, product=receipt.ticket.product, branch=receipt.branch,
                clock=document_clock(receipt.branch), state_label=visits.RECEIPT_STATE_LABELS.get(receipt.state),
            )

    def _change(self, id, change):
        receipt = self.record_or_404(id)
        try:
            change(receipt)
            db.session.commit()
        except TicketError as exc:
            _flash_refusal(exc)
        except StaleDataError:
            _flash_conflict()
        else:
            flash(_("Register updated: %(state)s.", state=visits.RECEIPT_STATE_LABELS[receipt.state]), "success")
        return redirect(url_for(".details_view", id=receipt.id))

    @expose("/<int:id>/state", methods=("POST",))
    def move(self, id):
        return self._change(id, lambda r: visits.move_receipt(
            r, request.form.get("state", ""), current_user, seen_version=request.form.get("seen_version")))

    @expose("/<int:id>/returned", methods=("POST",))
    def returned(self, id):
        return self._change(id, lambda r: visits.return_item(
            r, request.form.get("returned_to", ""), current_user, seen_version=request.form.get("seen_version")))

