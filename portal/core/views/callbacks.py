"""The callback queue and the call page (REQUIREMENTS §2.6, issue 4 item 1).

The queue's presets ("due today", "overdue", ...) are a list filter, so paging, sorting
and searching keep them. The call page shows what the clerk must know before asking —
the visit, the fee charged and the branch's fee standard — then the survey card. The
rules live in ``portal.core.callbacks``; refusals come back as messages.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from .. import access, callbacks
from ..models.callback import CALLBACK_STATES, RATING_FIELDS, Callback
from ..plugin_state import settings_for
from ..tickets import TicketError
from .base import ScopedModelView
from .ticket_lists import ChoiceFilter

SHOW_OPTIONS = (
    ("today", _l("Due today")),
    ("overdue", _l("Overdue")),
    ("upcoming", _l("Coming up")),
    ("no_answer", _l("No answer")),
    ("done", _l("Done")),
    ("all", _l("All")),
)
LABELS = {
    "due_on": _l("Due by"), "customer": _l("Customer"), "customer.phone": _l("Phone"), "kind": _l("Callback"),
    "ticket": _l("Ticket"), "state": _l("State"), "attempts": _l("Attempts"), "next_try_on": _l("Call on"),
    "rating_service": _l("The service"), "branch": _l("Branch"), "done_at": _l("Done"),
    "customer.name": _l("Customer"), "ticket.number": _l("Ticket"),
}
STATE_TONES = {"due": "primary", "done": "success", "no_answer": "warning", "given_up": "secondary",
               "cancelled": "dark"}


def local_today() -> date:
    return datetime.now(ZoneInfo(str(get_timezone()))).date()


def queue_url(preset: str = "today") -> str:
    """The queue with one preset applied (for the dashboard). The Show filter is the view's
    first filter, so Flask-Admin names its argument ``flt0_0``."""
    return url_for("callback.index_view", flt0_0=preset)


class ShowFilter(BaseSQLAFilter):
    def __init__(self):
        super().__init__(Callback.state, _l("Show"), options=SHOW_OPTIONS)

    def validate(self, value):
        return value in dict(SHOW_OPTIONS)

    def apply(self, query, value, alias=None):
        condition = callbacks.queue_condition(value, local_today())
        return query if condition is None else query.filter(condition)

    def operation(self):
        return _l("only")


def _fmt_customer(view, context, model, name):
    url = url_for(".details_view", id=model.id)
    return Markup('<a href="{}" data-testid="call-link" data-callback="{}">{}</a>').format(
        url, model.id, model.customer.name if model.customer else model.customer_id)


def _fmt_state(view, context, model, name):
    tone = STATE_TONES.get(model.state, "secondary")
    return Markup('<span class="badge badge-{}" data-state="{}">{}</span>').format(
        tone, model.state, callbacks.state_label(model.state))


def _fmt_due(view, context, model, name):
    text = escape(model.due_on.isoformat())
    if model.is_pending and model.due_on < local_today():
        return Markup('{} <span class="badge badge-danger" data-overdue="1">{}</span>').format(text, _("Overdue"))
    return text


def _fmt_ticket(view, context, model, name):
    if model.ticket is None:
        return ""
    if access.can("ticket.view"):
        return Markup('<a href="{}">{}</a>').format(url_for("ticket.details_view", id=model.ticket.id),
                                                    model.ticket.number)
    return model.ticket.number


class CallbackView(ScopedModelView):
    """The branch's callbacks (HQ: every branch's). Created by the portal itself, worked on
    the call page, never edited or deleted as rows."""

    permission_area = "callback"
    verb_permissions = {"view": "callback.view", "create": None, "edit": None, "delete": None, "export": None}
    list_template = "portal/callbacks/list.html"
    empty_list_message = _l("No callbacks in this list.")
    column_list = ("due_on", "customer", "customer.phone", "kind", "ticket", "state", "attempts", "next_try_on",
                   "rating_service", "branch")
    column_sortable_list = ("due_on", "next_try_on", "state", "attempts", "rating_service")
    column_default_sort = ("due_on", False)
    column_searchable_list = ("customer.name", "customer.phone", "ticket.number")
    column_labels = LABELS
    column_formatters = {
        "customer": _fmt_customer, "state": _fmt_state, "due_on": _fmt_due, "ticket": _fmt_ticket,
        "kind": lambda v, c, m, n: callbacks.kind_label(m),
    }

    @property
    def column_filters(self):
        return (
            ShowFilter(),
            ChoiceFilter(Callback.state, _l("State"),
                         options=[(s, callbacks.STATE_LABELS[s]) for s in CALLBACK_STATES]),
            "due_on", "branch.code",
        )

    def get_query(self):
        return super().get_query().options(joinedload(Callback.customer), joinedload(Callback.ticket))

    # -- the queue -----------------------------------------------------------------------
    @expose("/")
    def index_view(self):
        if not request.args:
            return redirect(queue_url("today"))  # the queue opens on today's calls
        self._template_args["presets"] = [(code, label, queue_url(code)) for code, label in SHOW_OPTIONS]
        self._template_args["current_preset"] = request.args.get("flt0_0")
        return super().index_view()

    # -- the call page ---------------------------------------------------------------------
    def _callback_or_404(self, raw) -> Callback:
        callback = self.get_one(raw)
        if callback is None:
            abort(404)
        return callback

    def _answers(self, callback: Callback) -> dict:
        def flag(value):
            return "" if value is None else ("y" if value else "n")

        answers = {key: flag(getattr(callback, key)) for key in callbacks.FLAG_FIELDS}
        answers.update({key: "" if getattr(callback, key) is None else str(getattr(callback, key))
                        for key in RATING_FIELDS})
        answers["suggestions"] = callback.suggestions or ""
        return answers

    def _call_page(self, callback: Callback, answers=None, errors=None):
        ticket, visit = callback.ticket, callback.visit
        charges = callbacks.fee_charged_on(ticket)
        core = settings_for(callback.branch_id)["core"]
        may_work = access.can("callback.work", branch_id=callback.branch_id)
        needs_follow_up = callbacks.needs_follow_up(callback, int(core["poor_rating"]))
        return self.render(
            "portal/callbacks/call.html", callback=callback, customer=callback.customer, ticket=ticket,
            visit=visit, product=callback.product,
            engineers="、".join(e.full_name or e.username for e in visit.engineers) if visit else "",
            charges=charges, fee_total=sum((c.amount for c in charges), start=0),
            fee_standard=core["fee_standard"], kind_label=callbacks.kind_label(callback),
            state_label=callbacks.state_label(callback.state), state_tone=STATE_TONES.get(callback.state),
            labels=callbacks.FIELD_LABELS, rating_fields=RATING_FIELDS,
            service_fields=callbacks.SERVICE_FIELDS if callback.ticket_id else (),
            answers=answers if answers is not None else self._answers(callback), errors=errors or {},
            may_work=may_work and callback.is_pending,
            may_follow_up=needs_follow_up and callback.follow_up_ticket_id is None and may_work
            and access.can("ticket.create", branch_id=callback.branch_id),
            needs_follow_up=needs_follow_up, follow_up_kind=callbacks.follow_up_kind(callback),
            ticket_url=url_for("ticket.details_view", id=ticket.id) if ticket and access.can("ticket.view") else None,
            customer_url=url_for("customer.details_view", id=callback.customer_id)
            if access.can("customer.view") else None,
            follow_up_url=url_for("ticket.details_view", id=callback.follow_up_ticket_id)
            if callback.follow_up_ticket_id and access.can("ticket.view") else None,
            overdue=callback.is_pending and callback.due_on < local_today(),
        )

    @expose("/details/")
    def details_view(self):
        return self._call_page(self._callback_or_404(request.args.get("id")))

    def _act(self, callback_id, action, done_message):
        """One change as one transaction; a refusal changes nothing."""
        callback = self._callback_or_404(callback_id)
        try:
            result = action(callback)
            db.session.commit()
        except TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
            return redirect(url_for(".details_view", id=callback.id))
        except StaleDataError:
            db.session.rollback()
            flash(_("Someone else recorded this callback at the same moment. Reload and try again."), "error")
            return redirect(url_for(".details_view", id=callback.id))
        flash(done_message(result) if callable(done_message) else done_message, "success")
        return redirect(url_for(".details_view", id=callback.id))

    @expose("/record/<int:callback_id>", methods=("POST",))
    def record(self, callback_id):
        callback = self._callback_or_404(callback_id)
        answers = {key: request.form.get(key, "") for key in callbacks.FLAG_FIELDS + RATING_FIELDS + ("suggestions",)}
        try:
            callbacks.record_result(callback, answers, current_user, request.form.get("seen_version"))
            db.session.commit()
        except TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
            if exc.conflict or not callback.is_pending:
                return redirect(url_for(".details_view", id=callback.id))
            # Keep what the clerk ticked, so one wrong field does not cost the whole card.
            return self._call_page(callback, answers=answers, errors=exc.fields)
        except StaleDataError:
            db.session.rollback()
            flash(_("Someone else recorded this callback at the same moment. Reload and try again."), "error")
            return redirect(url_for(".details_view", id=callback.id))
        flash(_("Callback recorded."), "success")
        return redirect(url_for(".details_view", id=callback.id))

    @expose("/no_answer/<int:callback_id>", methods=("POST",))
    def no_answer(self, callback_id):
        def message(callback):
            if callback.state == "given_up":
                return _("No answer recorded; the callback is given up.")
            return _("No answer recorded; call again on %(day)s.", day=callback.next_try_on.isoformat())

        return self._act(callback_id, lambda c: callbacks.record_no_answer(
            c, current_user, request.form.get("seen_version")), message)

    @expose("/cancel/<int:callback_id>", methods=("POST",))
    def cancel(self, callback_id):
        return self._act(callback_id, lambda c: callbacks.cancel(
            c, request.form.get("reason", ""), current_user, request.form.get("seen_version")),
            _("Callback cancelled."))

    @expose("/follow_up/<int:callback_id>", methods=("POST",))
    def follow_up(self, callback_id):
        return self._act(callback_id, lambda c: callbacks.open_follow_up(
            c, current_user, request.form.get("seen_version")),
            lambda ticket: _("Follow-up ticket %(number)s opened.", number=ticket.number))


def register(admin, category):
    """Add this feature's views to the admin under `category`."""
    admin.add_view(CallbackView(Callback, name=_l("Callbacks"), category=category, endpoint="callback"))
