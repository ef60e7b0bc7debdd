"""Staff performance records in the admin: the branch's records for managers (confirm or
dismiss proposals, record by hand) and "My record" for everyone (issue 4 item 3). The rules
live in ``portal.core.performance``; who sees which record is decided in ``access``."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, case, func, or_
from sqlalchemy.orm import joinedload

from ...extensions import db
from .. import access, performance
from ..models import Branch, User
from ..models.performance import DEMERITS, RECORD_STATES, REASONS, StaffRecord
from ..plugin_state import settings_for
from ..tickets import TicketError
from .base import PortalView, commit_change
from .fields import to_utc

PAGE_SIZE = 50
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
LOCAL_INPUT_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def month_bounds(text: str) -> tuple[datetime, datetime] | None:
    """[start, end) in UTC of a month "2026-03" of the user's (branch's) calendar."""
    match = MONTH.match((text or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        return None
    zone = ZoneInfo(str(get_timezone()))
    start = datetime.combine(date(year, month, 1), time.min, tzinfo=zone)
    end = datetime.combine(date(year + month // 12, month % 12 + 1, 1), time.min, tzinfo=zone)
    return to_utc(start), to_utc(end)


def parse_local(raw) -> datetime | None:
    text = (raw or "").strip()
    for pattern in LOCAL_INPUT_FORMATS:
        try:
            return to_utc(datetime.strptime(text, pattern))
        except (ValueError, OverflowError):
            continue
    return None


def _positive(raw) -> int | None:
    text = str(raw or "")
    if not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    value = int(text)
    return value if 0 < value < 2**31 else None


def _name(user) -> str:
    return (user.full_name or user.username) if user else ""


class _RecordPages(PortalView):
    """The list and the record page, shared by the managers' view and "My record"."""

    own_only = False
    list_title = _l("Staff records")

    def _records(self):
        return performance.visible_records(current_user, own_only=self.own_only)

    def _record_or_404(self, raw) -> StaffRecord:
        record = performance.record_for(raw, current_user, own_only=self.own_only)
        if record is None or not access.can_see_staff_record(record):
            abort(404)
        return record

    def _filters(self) -> dict:
        args = request.args
        chosen = {
            "state": args.get("state", self._default_state()),
            "reason": args.get("reason", ""),
            "month": args.get("month", "").strip(),
            "person": _positive(args.get("person")),
            "branch": _positive(args.get("branch")) if access.sees_all_branches() and not self.own_only else None,
        }
        if chosen["state"] not in RECORD_STATES:
            chosen["state"] = ""
        if chosen["reason"] not in REASONS:
            chosen["reason"] = ""
        chosen["bounds"] = month_bounds(chosen["month"]) if chosen["month"] else None
        if chosen["month"] and chosen["bounds"] is None:
            flash(_("Enter the month like 2026-03."), "error")
            chosen["month"] = ""
        return chosen

    def _default_state(self) -> str:
        return ""

    def _filtered(self, chosen):
        query = self._records()
        if chosen["state"]:
            query = query.filter(StaffRecord.state == chosen["state"])
        if chosen["reason"]:
            query = query.filter(StaffRecord.reason == chosen["reason"])
        if chosen["bounds"]:
            start, end = chosen["bounds"]
            query = query.filter(StaffRecord.occurred_at >= start, StaffRecord.occurred_at < end)
        if chosen["person"]:
            query = query.filter(StaffRecord.user_id == chosen["person"])
        if chosen["branch"]:
            query = query.filter(StaffRecord.branch_id == chosen["branch"])
        return query

    @staticmethod
    def _totals(query) -> dict:
        """Confirmed amounts and demerits of the selection, in SQL."""
        confirmed = query.filter(StaffRecord.state == "confirmed").order_by(None)
        count, amount, demerits, serious = confirmed.with_entities(
            func.count(StaffRecord.id), func.coalesce(func.sum(StaffRecord.amount), 0),
            func.coalesce(func.sum(case((StaffRecord.demerit == "demerit", 1), else_=0)), 0),
            func.coalesce(func.sum(case((StaffRecord.demerit == "serious_demerit", 1), else_=0)), 0),
        ).one()
        return {"count": count, "amount": amount, "demerit": demerits, "serious_demerit": serious}

    def _page(self, query):
        """Newest first; "older" continues after the last record shown (keyset)."""
        after = self._records().filter(StaffRecord.id == _positive(request.args.get("after"))).one_or_none() \
            if request.args.get("after") else None
        if after is not None:
            query = query.filter(or_(StaffRecord.occurred_at < after.occurred_at,
                                     and_(StaffRecord.occurred_at == after.occurred_at, StaffRecord.id < after.id)))
        rows = (query.options(joinedload(StaffRecord.user), joinedload(StaffRecord.ticket),
                              joinedload(StaffRecord.branch))
                .order_by(StaffRecord.occurred_at.desc(), StaffRecord.id.desc()).limit(PAGE_SIZE + 1).all())
        older = None
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            args = request.args.to_dict()
            args["after"] = rows[-1].id
            older = url_for(".index", **args)
        return rows, older

    def _list(self, **extra):
        chosen = self._filters()
        query = self._filtered(chosen)
        rows, older = self._page(query)
        return self.render(
            "portal/performance/list.html", rows=rows, older_url=older, chosen=chosen, totals=self._totals(query),
            title=self.list_title, own_only=self.own_only, reasons=performance.REASON_LABELS,
            states=performance.STATE_LABELS, demerits=performance.DEMERIT_LABELS,
            first_url=url_for(".index", **{k: v for k, v in request.args.items() if k != "after"})
            if request.args.get("after") else None, **extra)

    @expose("/details/")
    def details_view(self):
        record = self._record_or_404(request.args.get("id"))
        return self._details(record)

    def _details(self, record, errors=None):
        return self.render(
            "portal/performance/details.html", record=record, reasons=performance.REASON_LABELS,
            states=performance.STATE_LABELS, demerits=performance.DEMERIT_LABELS,
            may_decide=not self.own_only and record.state == "proposed"
            and access.can_decide_staff_record(record),
            own=record.user_id == current_user.id, errors=errors or {}, evidence=self._evidence(record),
            ticket_url=url_for("ticket.details_view", id=record.ticket_id)
            if record.ticket_id and access.can("ticket.view", branch_id=record.branch_id) else None,
            visit_url=url_for("visit.details_view", id=record.visit_id)
            if record.visit_id and access.can("ticket.view", branch_id=record.branch_id) else None,
            complaint_url=self._complaint_url(record), name=_name,
            list_url=url_for(".index"),
        )

    @staticmethod
    def _complaint_url(record):
        if not record.complaint_id or "complaint.details_view" not in current_app.view_functions:
            return None
        if not access.can("complaint.view", branch_id=record.branch_id):
            return None
        return url_for("complaint.details_view", id=record.complaint_id)

    @staticmethod
    def _evidence(record) -> str:
        """Why the portal proposed it, from the visit and the ticket."""
        from flask_babel import format_datetime

        visit, ticket = record.visit, record.ticket
        if not record.is_automatic or visit is None or visit.arrived_at is None:
            return ""
        arrived = format_datetime(visit.arrived_at, "yyyy-MM-dd HH:mm")
        if record.reason == "late_arrival" and ticket is not None and ticket.arrival_due is not None:
            return _("Arrived on site %(arrived)s; due on site by %(due)s.", arrived=arrived,
                     due=format_datetime(ticket.arrival_due, "yyyy-MM-dd HH:mm"))
        if record.reason == "incomplete_report":
            hours = int((record.occurred_at - visit.arrived_at).total_seconds() // 3600)
            return _("On site since %(arrived)s; the service report was still not completed %(hours)s hours "
                     "later.", arrived=arrived, hours=hours)
        return ""


class StaffRecordView(_RecordPages):
    """The branch's records (HQ: every branch's) for whoever holds ``staff.view``."""

    permission = "staff.view"

    def _default_state(self) -> str:
        return "proposed" if access.can("staff.manage") else ""

    @expose("/")
    def index(self):
        chosen = self._filters()
        figures = None
        if chosen["bounds"]:
            branch_id = chosen["branch"] if access.sees_all_branches() else current_user.branch_id
            figures = performance.monthly_figures(*chosen["bounds"], branch_id=branch_id)
        people = access.scope(db.session.query(User), User).join(User.branch).order_by(
            Branch.code, User.full_name, User.username).all()
        branches = access.visible_branches().all() if access.sees_all_branches() else []
        return self._list(figures=figures, people=people, branches=branches,
                          can_record=access.can("staff.manage"))

    @expose("/<int:id>/decide", methods=("POST",))
    def decide(self, id):
        record = self._record_or_404(id)
        confirm = request.form.get("decision") == "confirm"
        commit_change(lambda: performance.decide(record, confirm, request.form.get("note", ""), current_user,
                                                 seen_version=request.form.get("seen_version")),
                      _("Confirmed.") if confirm else _("Dismissed."),
                      _("Someone else saved this at the same moment. Reload and try again."))
        return redirect(url_for(".details_view", id=id))

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not access.can("staff.manage"):
            abort(403)
        errors = {}
        form = {"person": "", "reason": "phone_off", "occurred_at": datetime.now(ZoneInfo(str(get_timezone())))
                .strftime("%Y-%m-%dT%H:%M"), "ticket_number": "", "amount": "", "demerit": "none", "note": ""}
        if request.method == "POST":
            form = {key: request.form.get(key, "").strip() for key in form}
            data = performance.ManualRecord(
                person_id=form["person"], reason=form["reason"], occurred_at=parse_local(form["occurred_at"]),
                note=form["note"][:performance.MAX_NOTE], ticket_number=form["ticket_number"],
                amount=form["amount"], demerit=form["demerit"] or None)
            try:
                record = performance.record_by_hand(data, current_user)
                db.session.commit()
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            else:
                flash(_("Recorded."), "success")
                return redirect(url_for(".details_view", id=record.id))
        amounts = {}
        if not access.sees_all_branches():
            core = settings_for(current_user.branch_id)["core"]
            amounts = {r: performance.amount_for(r, core) for r in REASONS}
        return self.render(
            "portal/performance/new.html", form=form, errors=errors, people=performance.people_for(current_user),
            reasons=[(r, performance.REASON_LABELS[r]) for r in REASONS if r not in performance.AUTOMATIC_REASONS],
            demerits=[(d, performance.DEMERIT_LABELS[d]) for d in DEMERITS], amounts=amounts, name=_name)


class MyRecordView(_RecordPages):
    """Everyone's own record: penalties and demerits against them, and why."""

    permission = None
    own_only = True
    list_title = _l("My record")

    @expose("/")
    def index(self):
        return self._list()


def register(admin, category):
    """Add this feature's views to the admin under `category`."""
    admin.add_view(StaffRecordView(name=_l("Staff records"), category=category, endpoint="staff",
                                   url="/admin/staff"))
    admin.add_view(MyRecordView(name=_l("My record"), category=category, endpoint="my_record",
                                url="/admin/my-record"))
