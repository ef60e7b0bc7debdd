"""Pages of the dispatch part: the dispatch board and a ticket's dispatch page (phone
guidance, engineers, the trip), trips with their approval, advance and expense claim, and
the engineer's phone page. Every page exists only where HQ switched the plugin on
(``plugin_name``); records are looked up in the user's scope (another branch's id is a
404); every change is one transaction through ``commit_change``, a refusal changes
nothing and says why."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from io import BytesIO

from portal.plugin_api import Card, PortalView, TicketError, can, db, sees_all_branches, visit_step, or_404 as _or_404, commit_and_return as _act, page_branch, plugin_branches

from .. import NAME
from .. import messages as shared_messages
from ..rules import EXPENSE_CATEGORIES
from . import field_work, services, travel
from .models import CLAIM_EDITABLE

#: Makes the part's templates findable (plugins/equipment_field/dispatch/templates/...).
blueprint = Blueprint("equipment_field_dispatch", __name__, template_folder="templates")

DOCUMENT_LOCALE = "zh_CN"  # the paper form goes to the cashier in Chinese, whatever the reader chose

BOARD_PRESET_LABELS = {"waiting": _l("Waiting for dispatch"), "dispatched": _l("Dispatched, not on site yet"),
                       "all": _l("All open field tickets")}
TRIP_PRESET_LABELS = {"waiting": _l("Waiting for approval"), "claims": _l("Expense claims to check"),
                      "open": _l("Recent trips"), "all": _l("All")}
TRIP_STATE_LABELS = {"waiting": _l("Waiting for the general manager"), "approved": _l("Approved by the general manager"),
                     "rejected": _l("Refused by the general manager"), "not_needed": _l("No approval needed")}
ADVANCE_STATE_LABELS = {"requested": _l("Advance requested"), "approved": _l("Advance approved"),
                        "rejected": _l("Advance refused")}
CLAIM_STATE_LABELS = {"draft": _l("Draft"), "submitted": _l("Submitted for checking"), "approved": _l("Approved for payment"),
                      "returned": _l("Returned")}
VISIT_STATE_LABELS = {"scheduled": _l("Scheduled"), "departed": _l("On the way"), "arrived": _l("On site"),
                      "finished": _l("Finished"), "cancelled": _l("Cancelled")}
STEP_LABELS = {"depart": _l("Depart"), "arrive": _l("Arrived on site"), "finish": _l("Finish the visit")}


def _common():
    return {"distance_labels": shared_messages.DISTANCE_LABELS, "trip_states": TRIP_STATE_LABELS,
            "advance_states": ADVANCE_STATE_LABELS, "claim_states": CLAIM_STATE_LABELS,
            "visit_states": VISIT_STATE_LABELS, "step_labels": STEP_LABELS,
            "categories": shared_messages.EXPENSE_CATEGORY_LABELS}


# --- the board and a ticket's dispatch page ----------------------------------------------------------

class BoardView(PortalView):
    """派工: open field tickets with where the customer is, the distance class and the
    arrival due time, and each engineer's load today and the next days."""

    plugin_name = NAME
    permission = "field.dispatch"

    @expose("/")
    def index(self):
        branch = page_branch(NAME, request.args.get("branch"))
        if branch is None:
            abort(404)
        preset = request.args.get("show", "waiting")
        if preset not in services.BOARD_PRESETS:
            preset = "waiting"
        search = services.text(request.args.get("q"), 80)
        tickets = services.board_tickets(branch, preset, search)
        guidance = services.guidance_state([t.id for t in tickets])
        settings = services.settings_of(branch.id)
        engineers, days, load = services.engineer_load(branch)
        return self.render(
            "equipment_field/dispatch/board.html", branch=branch, preset=preset, presets=BOARD_PRESET_LABELS,
            search=search, tickets=tickets, distances={t.id: services.distance_of(t) for t in tickets},
            guidance=guidance, guidance_needed={t.id for t in tickets if services.needs_guidance(t, guidance, settings)},
            location=services.customer_location, engineers=engineers, days=days, load=load,
            branches=plugin_branches(NAME) if sees_all_branches() else [], **_common())

    def _ticket(self, ticket_id):
        return _or_404(services.ticket_in_scope(ticket_id))

    def _ticket_page(self, ticket, form=None, errors=None):
        branch = ticket.branch
        engineers, days, load = services.engineer_load(branch)
        visits = services.visits_of(ticket)
        settings = services.settings_of(ticket.branch_id)
        return self.render(
            "equipment_field/dispatch/ticket.html", ticket=ticket, customer=ticket.customer, branch=branch,
            distance=services.distance_of(ticket), location=services.customer_location(ticket.customer),
            guidance=services.guidance_of(ticket), guidance_missing=services.guidance_refusals(ticket, settings),
            guidance_message=shared_messages.describe("phone_guidance_missing"),
            engineers=engineers, days=days, load=load, visits=visits,
            trips={v.id: services.trip_of(v) for v in visits}, form=form or {}, errors=errors or {},
            may_schedule=can("ticket.assign", branch_id=ticket.branch_id) and ticket.state in services.WORK_STATES,
            settings=settings, unknown_distance=shared_messages.UNKNOWN_DISTANCE,
            ticket_url=url_for("ticket.details_view", id=ticket.id) if can("ticket.view") else None,
            **_common())

    @expose("/ticket/<int:ticket_id>")
    def ticket(self, ticket_id):
        return self._ticket_page(self._ticket(ticket_id))

    @expose("/ticket/<int:ticket_id>/guidance", methods=("POST",))
    def guidance(self, ticket_id):
        ticket = self._ticket(ticket_id)
        kind = request.form.get("kind", "attempt")
        done = _("Phone guidance recorded.") if kind == "attempt" else _("Reason recorded: the visit may be dispatched.")
        return _act(lambda: services.record_guidance(ticket, kind, request.form.get("note", ""),
                                                     request.form.get("solved") == "y", current_user),
                    done, url_for(".ticket", ticket_id=ticket.id))

    @expose("/ticket/<int:ticket_id>/dispatch", methods=("POST",))
    def dispatch(self, ticket_id):
        ticket = self._ticket(ticket_id)
        seen = request.form.get("seen_version")
        try:
            if seen not in (None, "") and str(seen) != str(ticket.version):
                raise TicketError(_("Someone else changed this ticket while you were looking at it. "
                                    "Reload the page to see their changes, then try again."))
            visit = services.dispatch(ticket, request.form, current_user)
            db.session.commit()
        except TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
            form = request.form.to_dict()
            form["engineers"] = request.form.getlist("engineers")
            return self._ticket_page(services.ticket_in_scope(ticket_id) or abort(404), form, exc.fields)
        trip = services.trip_of(visit)
        if trip is not None and trip.state == "waiting":
            flash(_("Engineers sent. The trip waits for the general manager's approval before departure."), "warning")
        else:
            flash(_("Engineers sent."), "success")
        return redirect(url_for(".ticket", ticket_id=ticket.id))

    @expose("/visit/<int:visit_id>/trip", methods=("POST",))
    def record_trip(self, visit_id):
        visit = _or_404(services.visit_in_scope(visit_id))
        return _act(lambda: travel.record_trip(visit, request.form, current_user), _("Trip recorded."),
                    url_for(".ticket", ticket_id=visit.ticket_id))


# --- trips, advances and expense claims -----------------------------------------------------------------

class TripView(PortalView):
    """出差: the general manager's approval, the advance, and the expense claim after the trip."""

    plugin_name = NAME

    permission = ("field.dispatch", "field.approve_travel", "field.visit", "ticket.work")

    @expose("/")
    def index(self):
        preset = request.args.get("show", "")
        if preset not in travel.TRIP_PRESETS:
            preset = "waiting" if can("field.approve_travel", plugin=NAME) else "open"
        search = services.text(request.args.get("q"), 80)
        query = travel.search_trips(travel.trips_query(preset), search)
        after = services.as_id(request.args.get("after"))
        if after:
            query = query.filter(travel.FieldTrip.id < after)
        rows = query.order_by(travel.FieldTrip.id.desc()).limit(50).all()
        return self.render("equipment_field/dispatch/trips.html", rows=rows, preset=preset,
                           presets=TRIP_PRESET_LABELS, older=rows[-1].id if len(rows) == 50 else None, search=search,
                           claims={t.id: travel.claim_of(t) for t in rows}, **_common())

    def _trip(self, trip_id):
        return _or_404(travel.trip_in_scope(trip_id))

    def _claim(self, claim_id):
        return _or_404(travel.claim_in_scope(claim_id))

    @expose("/<int:trip_id>")
    def details(self, trip_id):
        trip = self._trip(trip_id)
        claim = travel.claim_of(trip)
        result = travel.check(claim) if claim is not None else None
        return self.render(
            "equipment_field/dispatch/trip.html", trip=trip, visit=trip.visit, ticket=trip.ticket, claim=claim,
            result=result, problems=travel.problems_text(result) if result else [],
            settlement=shared_messages.settlement_text(result.settlement) if result else "",
            receipts=travel.receipt_counts(claim) if claim else {},
            may_approve=can("field.approve_travel", plugin=NAME, branch_id=trip.branch_id),
            may_claim=travel.may_claim(trip, current_user),
            may_advance=travel.may_claim(trip, current_user),
            editable=claim is not None and claim.state in CLAIM_EDITABLE and travel.may_claim(trip, current_user),
            category_codes=EXPENSE_CATEGORIES, **_common())

    def _post(self, trip, action, done):
        def run():
            travel.check_version(trip, request.form.get("seen_version"))
            action()
        return _act(run, done, url_for(".details", trip_id=trip.id))

    @expose("/<int:trip_id>/decide", methods=("POST",))
    def decide(self, trip_id):
        trip = self._trip(trip_id)
        approve = request.form.get("decision") == "approve"
        return self._post(trip, lambda: travel.decide_trip(trip, approve, request.form.get("note", ""), current_user),
                          _("Trip approved.") if approve else _("Trip refused."))

    @expose("/<int:trip_id>/advance", methods=("POST",))
    def advance(self, trip_id):
        trip = self._trip(trip_id)
        return self._post(trip, lambda: travel.request_advance(
            trip, request.form.get("advance_amount", ""), request.form.get("advance_purpose", ""), current_user),
            _("Travel advance requested."))

    @expose("/<int:trip_id>/advance/decide", methods=("POST",))
    def decide_advance(self, trip_id):
        trip = self._trip(trip_id)
        approve = request.form.get("decision") == "approve"
        return self._post(trip, lambda: travel.decide_advance(trip, approve, request.form.get("note", ""),
                                                              current_user),
                          _("Advance approved.") if approve else _("Advance refused."))

    @expose("/<int:trip_id>/claim", methods=("POST",))
    def start_claim(self, trip_id):
        trip = self._trip(trip_id)
        return _act(lambda: travel.start_claim(trip, current_user), _("Expense claim started: add its lines."),
                    url_for(".details", trip_id=trip.id))

    def _claim_post(self, claim_id, action, done):
        claim = self._claim(claim_id)

        def run():
            travel.check_version(claim, request.form.get("seen_version"))
            action(claim)
        return _act(run, done, url_for(".details", trip_id=claim.trip_id))

    @expose("/claim/<int:claim_id>/line", methods=("POST",))
    def add_line(self, claim_id):
        return self._claim_post(claim_id, lambda claim: travel.add_line(
            claim, request.form, request.files.getlist("receipts"), current_user), _("Line added."))

    @expose("/claim/<int:claim_id>/line/<int:line_id>/receipts", methods=("POST",))
    def attach(self, claim_id, line_id):
        return self._claim_post(claim_id, lambda claim: travel.attach_receipts(
            claim, line_id, request.files.getlist("receipts"), current_user), _("Receipts attached."))

    @expose("/claim/<int:claim_id>/line/<int:line_id>/remove", methods=("POST",))
    def remove_line(self, claim_id, line_id):
        return self._claim_post(claim_id, lambda claim: travel.remove_line(claim, line_id, current_user),
                                _("Line removed."))

    @expose("/claim/<int:claim_id>/submit", methods=("POST",))
    def submit(self, claim_id):
        return self._claim_post(claim_id, lambda claim: travel.submit_claim(claim, current_user),
                                _("Claim submitted to the manager."))

    @expose("/claim/<int:claim_id>/approve", methods=("POST",))
    def approve_claim(self, claim_id):
        return self._claim_post(claim_id, lambda claim: travel.approve_claim(claim, current_user),
                                _("Claim approved."))

    @expose("/claim/<int:claim_id>/return", methods=("POST",))
    def return_claim(self, claim_id):
        return self._claim_post(claim_id, lambda claim: travel.return_claim(
            claim, request.form.get("return_reason", ""), current_user), _("Claim returned to the engineer."))

    @expose("/claim/<int:claim_id>/print")
    def printable(self, claim_id):
        """差旅费报销单 for signatures and the cashier, always in Chinese."""
        claim = self._claim(claim_id)
        result = travel.check(claim)
        with force_locale(DOCUMENT_LOCALE):
            return self.render(
                "equipment_field/dispatch/claim_print.html", claim=claim, trip=claim.trip, ticket=claim.trip.ticket,
                branch=claim.branch, result=result, receipts=travel.receipt_counts(claim),
                settlement=shared_messages.settlement_text(result.settlement),
                categories={k: str(v) for k, v in shared_messages.EXPENSE_CATEGORY_LABELS.items()})

    @expose("/receipt/<int:receipt_id>")
    def receipt(self, receipt_id):
        receipt = _or_404(travel.receipt_in_scope(receipt_id))
        return send_file(BytesIO(receipt.data), mimetype=receipt.content_type, download_name=receipt.filename,
                         as_attachment=receipt.content_type == "application/pdf")


# --- the engineer's phone page ------------------------------------------------------------------------

class PhoneView(PortalView):
    """我的今日上门: today's visits with big depart / arrive / finish buttons."""

    plugin_name = NAME

    permission = ("field.visit", "ticket.work")

    @expose("/")
    def index(self):
        if sees_all_branches() or services.settings_of(current_user.branch_id) is None:
            visits = []  # HQ staff are not sent on visits
        else:
            visits = field_work.my_visits(current_user)
        return self.render("equipment_field/dispatch/phone.html", visits=visits, next_step=field_work.next_step,
                           trips={v.id: services.trip_of(v) for v in visits},
                           location=services.customer_location, **_common())

    @expose("/<int:visit_id>/step", methods=("POST",))
    def step(self, visit_id):
        visit = _or_404(services.visit_in_scope(visit_id))
        step = request.form.get("step", "")
        if step not in STEP_LABELS:
            flash(_("There is no such step."), "error")
            return redirect(url_for(".index"))
        return _act(lambda: visit_step(visit, step, current_user, seen_version=request.form.get("seen_version")),
                    STEP_LABELS[step], url_for(".index"))


# --- the dashboard ------------------------------------------------------------------------------------

def dashboard_cards(user, branch) -> list:
    """What must not wait: trips and claims for the manager, tickets for the dispatcher,
    the engineer's visits today."""
    cards = []
    branch_id = None if sees_all_branches(user) else user.branch_id
    if can("field.approve_travel", user, plugin=NAME):
        waiting = travel.count_waiting_trips(branch_id)
        cards.append(Card(_("Trips waiting for your approval"), str(waiting),
                          url_for("field_dispatch_trips.index", show="waiting"), "warning" if waiting else "info"))
        claims = travel.count_claims_to_check(branch_id)
        cards.append(Card(_("Expense claims to check"), str(claims),
                          url_for("field_dispatch_trips.index", show="claims"), "warning" if claims else "info"))
    if can("field.dispatch", user, plugin=NAME) and not sees_all_branches(user):
        waiting = services.count_waiting(user.branch)
        cards.append(Card(_("Tickets waiting for dispatch"), str(waiting), url_for("field_dispatch_board.index"),
                          "danger" if waiting else "info"))
    if not sees_all_branches(user) and any(can(c, user, plugin=NAME) for c in ("field.visit", "ticket.work")) \
            and not can("field.dispatch", user, plugin=NAME):
        mine = len(field_work.my_visits(user))
        cards.append(Card(_("My visits today"), str(mine), url_for("field_dispatch_phone.index"),
                          "warning" if mine else "info"))
    return cards


def register(admin, category) -> None:
    admin.add_view(BoardView(name=_l("Dispatch board"), category=category, endpoint="field_dispatch_board",
                             url="/admin/field/dispatch"))
    admin.add_view(TripView(name=_l("Trips and expense claims"), category=category, endpoint="field_dispatch_trips",
                            url="/admin/field/trips"))
    admin.add_view(PhoneView(name=_l("My visits today"), category=category, endpoint="field_dispatch_phone",
                             url="/admin/field/my-visits"))
