"""The workshop's pages: vehicle files, work orders (lines, steps, parts issued and
returned, the printed job card), the parts store with its movements, event invitations
and the workshop board. Every page exists only where HQ switched the plugin on; records
are looked up in the user's scope (another branch's id is a 404); every change is one
transaction and a refusal changes nothing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.routing import BuildError
from flask_admin import expose
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.plugin_api import PortalView, TicketError, can, commit_change, db, sees_all_branches, check_version as _check_version, or_404 as _or_404, STALE, commit_and_return as _act, page_branch, plugin_branches

from .. import NAME, messages
from . import board as board_data
from . import followups, orders, parts, vehicles
from .common import WORKSHOP_PERMISSIONS, as_id, local_today, may_any, settings_of, user_name
from .labels import JOB_LABELS, LINE_LABELS, MOVEMENT_LABELS
from .models import JOB_TYPES, PartStock, StockMovement, Vehicle, WorkOrder

#: Registers the part's templates (workshop/templates/auto_workshop/workshop/...).
blueprint = Blueprint("auto_workshop_workshop", __name__, template_folder="templates")

DOCUMENT_LOCALE = "zh_CN"  # the job card travels with the car and is read by Chinese staff and customers
PAGE = 50
T = "auto_workshop/workshop/"


class _AnyWorkshopRole(PortalView):
    plugin_name = NAME
    permission = WORKSHOP_PERMISSIONS


# --- vehicle files ---------------------------------------------------------------------------------

VEHICLE_PRESETS = (("all", _l("All")), ("late", _l("Not completed in time")), ("incomplete", _l("Incomplete")))


class VehicleView(_AnyWorkshopRole):
    """车辆档案: search by plate, VIN or the owner's phone; complete within the days."""

    @expose("/")
    def index(self):
        preset = request.args.get("show", "all")
        if preset not in dict(VEHICLE_PRESETS):
            preset = "all"
        q = request.args.get("q", "").strip()[:40]
        query = vehicles.vehicles_query()
        if q:
            query = query.filter(vehicles.search_condition(q))
        customer = None
        if request.args.get("customer_id"):
            customer = _or_404(vehicles.customer_in_scope(request.args.get("customer_id")))
            query = query.filter(Vehicle.customer_id == customer.id)
        if preset == "incomplete":
            query = query.filter(Vehicle.file_completed_at.is_(None))
        elif preset == "late":
            branch = current_user.branch
            days = (settings_of(branch.id) or {}).get("vehicle_file_days", 2) if not branch.is_hq else 2
            query = query.filter(vehicles.late_condition(local_today(branch), days))
        after = as_id(request.args.get("after"))
        if after:
            query = query.filter(Vehicle.id < after)
        rows = query.order_by(Vehicle.id.desc()).limit(PAGE).all()
        settings = {b: settings_of(b) or {"vehicle_file_days": 2} for b in {v.branch_id for v in rows}}
        return self.render(T + "vehicles.html", rows=rows, q=q, preset=preset, presets=VEHICLE_PRESETS,
                           older=rows[-1].id if len(rows) == PAGE else None, customer=customer,
                           may_create=can("workshop.advise", plugin=NAME),
                           states={v.id: vehicles.file_state(v, settings[v.branch_id]) for v in rows})

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        if not can("workshop.advise", plugin=NAME):
            abort(403)
        customer = None
        if request.values.get("customer_id"):
            customer = _or_404(vehicles.customer_in_scope(request.values.get("customer_id")))
        form, errors = (request.form if request.method == "POST" else {}), {}
        if request.method == "POST":
            try:
                vehicle = vehicles.save(None, form, current_user)
                db.session.commit()
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            else:
                flash(_("Vehicle file saved."), "success")
                return redirect(url_for(".details", vehicle_id=vehicle.id))
        return self.render(T + "vehicle_form.html", form=form, errors=errors, customer=customer, vehicle=None)

    @expose("/<int:vehicle_id>")
    def details(self, vehicle_id):
        vehicle = _or_404(vehicles.vehicle_in_scope(vehicle_id))
        settings = settings_of(vehicle.branch_id)
        recent = orders.orders_query().filter(WorkOrder.vehicle_id == vehicle.id).order_by(
            WorkOrder.id.desc()).limit(20).all()
        may_advise = can("workshop.advise", plugin=NAME, branch_id=vehicle.branch_id) and settings is not None
        return self.render(T + "vehicle.html", vehicle=vehicle, state=vehicles.file_state(
            vehicle, settings or {"vehicle_file_days": 2}), orders=recent, may_advise=may_advise,
            jobs=JOB_LABELS, states=messages.WORK_ORDER_STATE_LABELS, form={}, errors={},
            technicians=orders.technicians(vehicle.branch_id) if may_advise else [])

    @expose("/<int:vehicle_id>/edit", methods=("GET", "POST"))
    def edit(self, vehicle_id):
        vehicle = _or_404(vehicles.vehicle_in_scope(vehicle_id))
        if not can("workshop.advise", plugin=NAME, branch_id=vehicle.branch_id):
            abort(403)
        form, errors = (request.form if request.method == "POST" else {}), {}
        if request.method == "POST":
            try:
                _check_version(vehicle, form.get("seen_version"))
                vehicles.save(vehicle, form, current_user)
                db.session.commit()
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            except Exception as exc:  # a concurrent save: StaleDataError
                from sqlalchemy.orm.exc import StaleDataError

                if not isinstance(exc, StaleDataError):
                    raise
                db.session.rollback()
                flash(str(STALE), "error")
            else:
                flash(_("Vehicle file saved."), "success")
                return redirect(url_for(".details", vehicle_id=vehicle.id))
            vehicle = _or_404(vehicles.vehicle_in_scope(vehicle_id))
        return self.render(T + "vehicle_form.html", form=form, errors=errors, customer=vehicle.customer,
                           vehicle=vehicle)

    @expose("/<int:vehicle_id>/order", methods=("POST",))
    def open_order(self, vehicle_id):
        vehicle = _or_404(vehicles.vehicle_in_scope(vehicle_id))
        try:
            order = orders.open_order(vehicle, request.form, current_user)
            db.session.commit()
        except TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
            return redirect(url_for(".details", vehicle_id=vehicle.id))
        flash(_("Work order %(number)s opened: add its jobs and parts.", number=order.number), "success")
        return redirect(url_for("workshop_orders.details", order_id=order.id))


# --- work orders ---------------------------------------------------------------------------------

def _approvals_url(order):
    """The approvals part's page of this order (quotation, signatures, discount), when it
    is there and the user may open it."""
    if not may_any(("workshop.advise", "workshop.manage", "workshop.order", "workshop.direct"),
                   branch_id=order.branch_id):
        return None
    try:
        return url_for("approvals_orders.details", order_id=order.id)
    except BuildError:  # the other part of the plugin is not installed
        return None


class OrderView(_AnyWorkshopRole):
    """工单: lines, steps, parts issued and returned, quality check, the job card."""

    @expose("/")
    def index(self):
        state = request.args.get("state", "open")
        job = request.args.get("job", "")
        q = request.args.get("q", "").strip()[:40]
        query = orders.orders_query()
        if state == "open":
            query = query.filter(WorkOrder.state.in_([s.value for s in orders.OPEN_STATES]))
        elif state in messages.WORK_ORDER_STATE_LABELS:
            query = query.filter(WorkOrder.state == state)
        else:
            state = "all"
        if job in JOB_TYPES:
            query = query.filter(WorkOrder.job_type == job)
        if q:
            pattern = q.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            plates = vehicles.vehicles_query().with_entities(Vehicle.id).filter(
                Vehicle.plate.like(pattern, escape="\\"))
            query = query.filter((WorkOrder.number.like(pattern, escape="\\"))
                                 | WorkOrder.vehicle_id.in_(plates.scalar_subquery()))
        if request.args.get("mine") and current_user.is_authenticated:
            query = query.filter((WorkOrder.technician_id == current_user.id) | (WorkOrder.advisor_id == current_user.id))
        after = as_id(request.args.get("after"))
        if after:
            query = query.filter(WorkOrder.id < after)
        rows = query.order_by(WorkOrder.id.desc()).limit(PAGE).all()
        return self.render(T + "orders.html", rows=rows, state=state, job=job, q=q, jobs=JOB_LABELS,
                           states=messages.WORK_ORDER_STATE_LABELS, older=rows[-1].id if len(rows) == PAGE else None,
                           mine=bool(request.args.get("mine")))

    def _order(self, order_id):
        return _or_404(orders.order_in_scope(order_id))

    @expose("/<int:order_id>")
    def details(self, order_id):
        order = self._order(order_id)
        settings = settings_of(order.branch_id)
        on = settings is not None
        b = order.branch_id
        stock = {s.part_number: s for s in db.session.query(PartStock).filter(
            PartStock.branch_id == b, PartStock.part_number.in_(
                [line.part_number for line in order.lines if line.kind == "part"] or [""])).all()}
        return self.render(
            T + "order.html", order=order, states=messages.WORK_ORDER_STATE_LABELS, jobs=JOB_LABELS,
            line_labels=LINE_LABELS, steps=orders.allowed_steps(order, current_user) if on else [],
            issues=parts.issues_of(order), history=orders.history(order), totals=orders.order_totals(order),
            stock=stock, user_name=user_name,
            may_advise=on and can("workshop.advise", plugin=NAME, branch_id=b),
            may_issue=on and can("workshop.parts", plugin=NAME, branch_id=b),
            may_repair=on and may_any(("workshop.repair", "workshop.manage"), branch_id=b),
            may_manage=on and can("workshop.manage", plugin=NAME, branch_id=b),
            may_assign=on and may_any(("workshop.manage", "workshop.advise"), branch_id=b),
            technicians=orders.technicians(b), open_states=[s.value for s in orders.OPEN_STATES],
            in_workshop=[s.value for s in orders.IN_WORKSHOP], approvals_url=_approvals_url(order),
        )

    def _post(self, order_id, action, done):
        order = self._order(order_id)

        def run():
            _check_version(order, request.form.get("seen_version"))
            action(order)
        return _act(run, done, url_for(".details", order_id=order.id))

    @expose("/<int:order_id>/step", methods=("POST",))
    def step(self, order_id):
        target = request.form.get("target", "")
        return self._post(order_id, lambda o: orders.step(o, target, current_user, request.form.get("reason", "")),
                          _("Work order: %(state)s.", state=messages.WORK_ORDER_STATE_LABELS.get(target, target)))

    @expose("/<int:order_id>/line", methods=("POST",))
    def add_line(self, order_id):
        return self._post(order_id, lambda o: orders.add_line(o, request.form, current_user), _("Line added."))

    @expose("/<int:order_id>/line/<int:line_id>/remove", methods=("POST",))
    def remove_line(self, order_id, line_id):
        return self._post(order_id, lambda o: orders.remove_line(o, line_id, current_user), _("Line removed."))

    @expose("/<int:order_id>/line/<int:line_id>/done", methods=("POST",))
    def job_done(self, order_id, line_id):
        return self._post(order_id, lambda o: orders.finish_job(o, line_id, current_user), _("Job finished."))

    @expose("/<int:order_id>/assign", methods=("POST",))
    def assign(self, order_id):
        return self._post(order_id, lambda o: orders.assign(o, request.form.get("technician_id"), current_user),
                          _("Technician assigned."))

    @expose("/<int:order_id>/quality", methods=("POST",))
    def quality(self, order_id):
        passed = request.form.get("passed") == "1"
        return self._post(order_id, lambda o: orders.record_quality(o, passed, request.form.get("quality_note", ""),
                                                                    current_user), _("Quality check recorded."))

    @expose("/<int:order_id>/settle", methods=("POST",))
    def settle(self, order_id):
        return self._post(order_id, lambda o: orders.settle(o, request.form.get("settled_note", ""), current_user),
                          _("Bill settled."))

    @expose("/<int:order_id>/issue", methods=("POST",))
    def issue(self, order_id):
        return self._post(order_id, lambda o: parts.issue(o, request.form, current_user), _("Parts issued."))

    @expose("/<int:order_id>/issues/<int:issue_id>/return", methods=("POST",))
    def take_back(self, order_id, issue_id):
        return self._post(order_id, lambda o: parts.take_back(o, issue_id, request.form, current_user),
                          _("Parts returned to stock."))

    @expose("/<int:order_id>/issues/<int:issue_id>/used", methods=("POST",))
    def used(self, order_id, issue_id):
        return self._post(order_id, lambda o: parts.mark_used(o, issue_id, current_user),
                          _("Marked as fitted to the car."))

    @expose("/<int:order_id>/card")
    def card(self, order_id):
        """派工单/施工单: the card that travels with the car, always in Chinese."""
        order = self._order(order_id)
        with force_locale(DOCUMENT_LOCALE):
            return self.render(T + "card.html", order=order, vehicle=order.vehicle, customer=order.customer,
                               branch=order.branch, job=str(JOB_LABELS[order.job_type]),
                               state=str(messages.WORK_ORDER_STATE_LABELS[order.state]),
                               line_labels={k: str(v) for k, v in LINE_LABELS.items()},
                               totals=orders.order_totals(order), user_name=user_name)


# --- the parts store -------------------------------------------------------------------------------

class StockView(PortalView):
    """配件库: stock per part, parts waiting, receipts, issue by work order number, and
    every movement."""

    plugin_name = NAME

    permission = ("workshop.parts", "workshop.manage")

    @expose("/")
    def index(self):
        branch = page_branch(NAME)
        q = request.args.get("q", "").strip()[:40]
        query = parts.stock_query()
        if branch is not None:
            query = query.filter(PartStock.branch_id == branch.id)
        if q:
            pattern = q.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.filter(PartStock.part_number.like(pattern, escape="\\")
                                 | PartStock.name.like(q.replace("%", "\\%") + "%", escape="\\"))
        if request.args.get("short"):
            query = query.filter(PartStock.quantity <= 0)
        rows = query.order_by(PartStock.part_number).limit(200).all()
        waiting = parts.waiting_lines_query()
        if branch is not None:
            waiting = waiting.filter(WorkOrder.branch_id == branch.id)
        return self.render(T + "stock.html", rows=rows, q=q, branch=branch, waiting=waiting.limit(100).all(),
                           branches=plugin_branches(NAME) if sees_all_branches() else [],
                           may_issue=branch is not None and can("workshop.parts", plugin=NAME, branch_id=branch.id))

    @expose("/receive", methods=("POST",))
    def receive(self):
        branch = _or_404(page_branch(NAME))
        return _act(lambda: parts.receive(branch, request.form, current_user), _("Receipt recorded."),
                    url_for(".index", branch=branch.id))

    @expose("/issue", methods=("POST",))
    def issue(self):
        """The keeper types the work order number from the slip (见单发料)."""
        number = request.form.get("work_order", "")
        order = orders.order_by_number(number)
        if order is None:
            flash(_("No work order %(number)s in your branch: parts are issued only against a work order.",
                    number=number.strip()[:32] or "–"), "error")
            return redirect(url_for(".index"))
        commit_change(lambda: parts.issue(order, request.form, current_user), _("Parts issued."), str(STALE))
        return redirect(url_for(".index", branch=order.branch_id))

    @expose("/movements")
    def movements(self):
        branch = page_branch(NAME)
        query = parts.movements_query()
        if branch is not None:
            query = query.filter(StockMovement.branch_id == branch.id)
        kind = request.args.get("kind", "")
        if kind in MOVEMENT_LABELS:
            query = query.filter(StockMovement.kind == kind)
        part = request.args.get("part", "").strip().upper()[:40]
        if part:
            ids = parts.stock_query().with_entities(PartStock.id).filter(PartStock.part_number == part)
            query = query.filter(StockMovement.part_stock_id.in_(ids.scalar_subquery()))
        number = request.args.get("order", "").strip().upper()[:32]
        if number:
            ids = orders.orders_query().with_entities(WorkOrder.id).filter(WorkOrder.number == number)
            query = query.filter(StockMovement.work_order_id.in_(ids.scalar_subquery()))
        after = as_id(request.args.get("after"))
        if after:
            query = query.filter(StockMovement.id < after)
        rows = query.order_by(StockMovement.id.desc()).limit(PAGE).all()
        return self.render(T + "movements.html", rows=rows, kind=kind, part=part, number=number, branch=branch,
                           kinds=MOVEMENT_LABELS, older=rows[-1].id if len(rows) == PAGE else None,
                           user_name=user_name, branches=plugin_branches(NAME) if sees_all_branches() else [])


# --- events ---------------------------------------------------------------------------------------

class EventView(PortalView):
    """Events the owners are invited to: calls two weeks ahead, a letter after the call."""

    plugin_name = NAME
    permission = "workshop.advise"

    @expose("/")
    def index(self):
        branch = page_branch(NAME)
        events = followups.events_query().order_by(followups.WorkshopEvent.event_on.desc()).limit(PAGE).all()
        today = local_today(branch) if branch else None
        return self.render(T + "events.html", events=events, branch=branch, today=today,
                           branches=plugin_branches(NAME) if sees_all_branches() else [], form={})

    @expose("/new", methods=("POST",))
    def new(self):
        branch = _or_404(page_branch(NAME))
        try:
            event = followups.create_event(branch, request.form, current_user)
            db.session.commit()
        except TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
            return redirect(url_for(".index", branch=branch.id))
        flash(_("Event saved: %(n)s invitation call(s) scheduled for %(day)s.", n=len(event.invitations),
                day=event.call_due_on.isoformat()), "success")
        return redirect(url_for(".details", event_id=event.id))

    @expose("/<int:event_id>")
    def details(self, event_id):
        event = _or_404(followups.event_in_scope(event_id))
        return self.render(T + "event.html", event=event, today=local_today(event.branch), user_name=user_name,
                           may_work=can("workshop.advise", plugin=NAME, branch_id=event.branch_id))

    @expose("/invitations/<int:invitation_id>/letter", methods=("POST",))
    def letter(self, invitation_id):
        invitation = _or_404(followups.invitation_in_scope(invitation_id))

        def run():
            _check_version(invitation, request.form.get("seen_version"))
            followups.letter_sent(invitation, request.form.get("note", ""), current_user)
        return _act(run, _("Letter recorded."), url_for(".details", event_id=invitation.event_id))


# --- the workshop board -------------------------------------------------------------------------

class BoardView(PortalView):
    plugin_name = NAME
    permission = "workshop.manage"

    @expose("/")
    def index(self):
        branch = None if sees_all_branches() else current_user.branch
        data = board_data.board(branch.id if branch else None)
        return self.render(T + "board.html", data=data, jobs=JOB_LABELS, states=messages.WORK_ORDER_STATE_LABELS,
                           user_name=user_name)


def register(admin, category) -> None:
    admin.add_view(BoardView(name=_l("Workshop board"), category=category, endpoint="workshop_board",
                             url="/admin/auto/board"))
    admin.add_view(OrderView(name=_l("Work orders"), category=category, endpoint="workshop_orders",
                             url="/admin/auto/orders"))
    admin.add_view(VehicleView(name=_l("Vehicle files"), category=category, endpoint="workshop_vehicles",
                               url="/admin/auto/vehicles"))
    admin.add_view(StockView(name=_l("Parts store"), category=category, endpoint="workshop_stock",
                             url="/admin/auto/stock"))
    admin.add_view(EventView(name=_l("Events and invitations"), category=category, endpoint="workshop_events",
                             url="/admin/auto/events"))
