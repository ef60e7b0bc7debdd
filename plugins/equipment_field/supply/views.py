"""The supply pages: parts stock, outbound slips (with the printed 出库单), factory
requests, installation and training requests, major projects and supplier faults (with
the printed letter). Every page exists only where HQ switched the plugin on; every record
is looked up in the user's scope (another branch's id is a 404); every change is one
transaction, and a refusal changes nothing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_

from portal.plugin_api import (
    STALE, commit_and_return as _act, page_branch, plugin_branches,
    Card, Customer, PortalView, ScopedModelView, TicketError, can, commit_change, db, engineer_choices, sees_all_branches, or_404 as _or_404,
)

from .. import messages as field_messages
from . import common, faults, installs, projects, slips
from .labels import COST_BEARERS, FACTORY_STATES, SHIPPING_METHODS, SLIP_STATES, SLIP_TONES
from .models import FieldFactoryRequest, FieldInstall, FieldPart, FieldProject, FieldSlip, FieldSupplierFault

NAME = common.NAME
#: Registers the part's templates (supply/templates/equipment_field/supply/...).
blueprint = Blueprint("equipment_field_supply", __name__, template_folder="templates")
T = "equipment_field/supply/"
DOCUMENT_LOCALE = "zh_CN"  # printed papers go to Chinese customers and suppliers
PAGE = 50


def _post(record, action, done, back_url):
    def run():
        common.check_version(record, request.form.get("seen_version"))
        action(record)
    return _act(run, done, back_url)


def _search_words() -> str:
    return request.args.get("q", "").strip()[:60]


def _like(words: str) -> str:
    return "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _paged(query, model):
    after = common.as_id(request.args.get("after"))
    if after:
        query = query.filter(model.id < after)
    rows = query.order_by(model.id.desc()).limit(PAGE).all()
    return rows, (rows[-1].id if len(rows) == PAGE else None)


def _preset(presets, default):
    chosen = request.args.get("show", default)
    return chosen if chosen in dict(presets) else default


def _render_list(view, title, presets, preset, rows, older, columns, new_url=None, search_hint=""):
    return view.render(T + "list.html", title=title, presets=presets, preset=preset, rows=rows, older=older,
                       columns=columns, new_url=new_url, q=_search_words(), search_hint=search_hint)


def _customer_pick(branch_id=None):
    """The customer chosen (?customer_id=) or the matches of ?customer= for the forms."""
    customer = None
    if request.values.get("customer_id"):
        customer = _or_404(common.customer_in_scope(request.values.get("customer_id")))
        if common.settings_of(customer.branch_id) is None:
            abort(404)
    words = request.args.get("customer", "").strip()[:60]
    matches = common.find_customers(words, branch_id) if words and customer is None else []
    return customer, words, matches


def _form_page(view, template, record_factory, done, details_endpoint, **extra):
    """A "new record" page: on POST create in the customer's branch, else show the form."""
    customer, words, matches = _customer_pick()
    form, errors = (request.form if request.method == "POST" else {}), {}
    if request.method == "POST":
        if customer is None:
            flash(_("Choose a customer of the branch."), "error")
        else:
            try:
                record = record_factory(request.form, current_user, customer.branch)
                db.session.commit()
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            else:
                flash(done(record), "success")
                return redirect(url_for(details_endpoint, record_id=record.id))
    return view.render(T + template, customer=customer, words=words, matches=matches, form=form, errors=errors,
                       **extra)


# --- parts stock --------------------------------------------------------------------------------

class PartsView(ScopedModelView):
    """The branch's parts store: part number, name, quantity, price — searchable, filterable,
    exportable; shipping and factory receipts change the quantities."""

    plugin_name = NAME
    permission_area = "field"
    verb_permissions = {verb: "field.parts" for verb in ("view", "create", "edit", "delete", "export")}
    keyset_paging = True
    column_default_sort = ("id", True)
    column_list = ("part_number", "name", "quantity", "unit_price", "branch")
    column_searchable_list = ("part_number", "name")
    column_filters = ("quantity", "unit_price", "branch.code")
    column_sortable_list = ("part_number", "name", "quantity", "unit_price")
    form_columns = ("branch", "part_number", "name", "quantity", "unit_price")
    column_labels = {"part_number": _l("Part number"), "name": _l("Part name"), "quantity": _l("Quantity in stock"),
                     "unit_price": _l("Unit price (yuan)"), "branch": _l("Branch"), "branch.code": _l("Branch")}

    def __init__(self, *args, **kwargs):
        super().__init__(FieldPart, *args, **kwargs)
        self.permission = "field.parts"

    def on_model_change(self, form, model, is_created):
        from wtforms.validators import ValidationError

        if (model.quantity or 0) < 0:
            raise ValidationError(_("The quantity cannot be below zero."))
        if (model.unit_price or 0) < 0:
            raise ValidationError(_("The price cannot be below zero."))
        model.part_number = (model.part_number or "").strip()
        if not model.part_number:
            raise ValidationError(_("Enter the part number."))
        super().on_model_change(form, model, is_created)
        with db.session.no_autoflush:  # the new row is already in the session: do not find itself
            clash = db.session.query(FieldPart.id).filter(
                FieldPart.branch_id == model.branch_id, FieldPart.part_number == model.part_number,
                FieldPart.id != (model.id or 0)).first()
        if clash:
            raise ValidationError(_("The branch already has a part with this number."))


# --- outbound slips -----------------------------------------------------------------------------

SLIP_PRESETS = (("waiting", _l("Waiting for approval")), ("approved", _l("Ready to ship")),
                ("shipped", _l("Shipped")), ("all", _l("All")))


class SlipView(PortalView):
    """出库单: write, approve (after-sales manager), ship, print."""

    plugin_name = NAME

    permission = ("field.parts", "field.approve_shipment")

    @expose("/")
    def index(self):
        preset = _preset(SLIP_PRESETS, "waiting" if can("field.approve_shipment", plugin=NAME) else "all")
        query = slips.slips_query().join(Customer, Customer.id == FieldSlip.customer_id)
        if preset != "all":
            query = query.filter(FieldSlip.state == preset)
        words = _search_words()
        if words:
            query = query.filter(or_(Customer.name.ilike(_like(words), escape="\\"),
                                     FieldSlip.shipping_method.ilike(_like(words), escape="\\")))
        rows, older = _paged(query, FieldSlip)
        columns = (_("No."), _("Day"), _("Customer"), _("Parts"), _("Charge (yuan)"), _("State"), _("Branch"))
        table = [{"url": url_for(".details", record_id=s.id), "id": s.id, "state": s.state,
                  "cells": (s.number, s.slip_date.isoformat(), s.customer.name, len(s.lines), s.charge,
                            SLIP_STATES[s.state], s.branch.code)} for s in rows]
        return _render_list(self, _("Outbound slips"), SLIP_PRESETS, preset, table, older, columns,
                            url_for(".new") if can("field.parts", plugin=NAME) else None, _("Customer"))

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        if not can("field.parts", plugin=NAME):
            abort(403)
        return _form_page(self, "slip_new.html", slips.create,
                          lambda s: _("Slip %(number)s written: it waits for the after-sales manager.",
                                      number=s.number),
                          ".details", methods=SHIPPING_METHODS, line_count=5)

    @expose("/<int:record_id>")
    def details(self, record_id):
        slip = _or_404(slips.slip_in_scope(record_id))
        on = common.settings_of(slip.branch_id) is not None
        requests = (db.session.query(FieldFactoryRequest).filter(FieldFactoryRequest.slip_id == slip.id)
                    .order_by(FieldFactoryRequest.id).all())
        short = slips.missing(slip) if slip.state in ("waiting", "approved") else []
        return self.render(
            T + "slip.html", slip=slip, states=SLIP_STATES, tones=SLIP_TONES, methods=SHIPPING_METHODS,
            factory=requests, factory_states=FACTORY_STATES, short=short, shortage_text=field_messages.SHORTAGE,
            can_see_ticket=can("ticket.view", branch_id=slip.branch_id),
            may_approve=on and slip.state == "waiting" and can("field.approve_shipment", plugin=NAME,
                                                                 branch_id=slip.branch_id),
            may_work=on and slip.state in ("waiting", "approved") and can("field.parts", plugin=NAME,
                                                                           branch_id=slip.branch_id),
        )

    @expose("/<int:record_id>/approve", methods=("POST",))
    def approve(self, record_id):
        slip = _or_404(slips.slip_in_scope(record_id))
        return _post(slip, lambda s: slips.approve(s, current_user), _("Slip approved: the parts may leave."),
                     url_for(".details", record_id=slip.id))

    @expose("/<int:record_id>/ship", methods=("POST",))
    def ship(self, record_id):
        slip = _or_404(slips.slip_in_scope(record_id))
        return _post(slip, lambda s: slips.ship(s, request.form.get("tracking", ""), current_user),
                     _("Shipped: the parts are out of stock."), url_for(".details", record_id=slip.id))

    @expose("/<int:record_id>/cancel", methods=("POST",))
    def cancel(self, record_id):
        slip = _or_404(slips.slip_in_scope(record_id))
        return _post(slip, lambda s: slips.cancel(s, request.form.get("reason", ""), current_user),
                     _("Slip cancelled."), url_for(".details", record_id=slip.id))

    @expose("/<int:record_id>/print")
    def printable(self, record_id):
        """出库单 as it goes with the parts: always in Chinese."""
        slip = _or_404(slips.slip_in_scope(record_id))
        with force_locale(DOCUMENT_LOCALE):
            return self.render(T + "slip_print.html", slip=slip, branch=slip.branch, customer=slip.customer,
                               method=str(SHIPPING_METHODS.get(slip.shipping_method, slip.shipping_method)),
                               address=common.address_of(slip.customer), state=str(SLIP_STATES[slip.state]))


# --- factory requests ---------------------------------------------------------------------------

FACTORY_PRESETS = (("open", _l("Not received")), ("overdue", _l("Late from the factory")), ("all", _l("All")))


class FactoryView(PortalView):
    """售后配件生产需求: parts asked of the factory, requested → in production → shipped → received."""

    plugin_name = NAME
    permission = "field.parts"

    @expose("/")
    def index(self):
        preset = _preset(FACTORY_PRESETS, "open")
        query = slips.factory_query()
        F = FieldFactoryRequest
        if preset == "open":
            query = query.filter(F.state != "received")
        elif preset == "overdue":
            query = query.filter(slips.factory_overdue_condition(common.local_today(current_user.branch)))
        words = _search_words()
        if words:
            query = query.filter(or_(F.part_number.ilike(_like(words), escape="\\"),
                                     F.name.ilike(_like(words), escape="\\")))
        rows, older = _paged(query, F)
        order = list(FACTORY_STATES)
        table = []
        for r in rows:
            following = order[order.index(r.state) + 1] if r.state != order[-1] else None
            table.append({
                "url": url_for("field_supply_slips.details", record_id=r.slip_id) if r.slip_id else None,
                "id": r.id, "state": r.state,
                "cells": (r.part_number, r.name, r.qty, r.needed_by.isoformat(), FACTORY_STATES[r.state],
                          r.slip.number if r.slip else "", r.branch.code),
                "late": r.state in ("requested", "in_production") and r.needed_by < common.local_today(r.branch),
                "actions": [(url_for(".step", record_id=r.id), FACTORY_STATES[following], following, r.version)]
                if following and common.settings_of(r.branch_id) is not None else [],
            })
        columns = (_("Part number"), _("Part name"), _("Quantity"), _("Needed by"), _("State"), _("Slip"), _("Branch"))
        return _render_list(self, _("Parts requests to the factory"), FACTORY_PRESETS, preset, table, older, columns,
                            search_hint=_("Part number"))

    @expose("/<int:record_id>/step", methods=("POST",))
    def step(self, record_id):
        record = _or_404(slips.factory_in_scope(record_id))
        return _post(record, lambda r: slips.factory_step(r, request.form.get("target", ""), current_user),
                     _("Factory request updated."), url_for(".index"))


# --- installation and training --------------------------------------------------------------------

INSTALL_PRESETS = (("open", _l("Open")), ("requested", _l("Waiting for approval")), ("done", _l("Done")),
                   ("all", _l("All")))
INSTALL_CODES = ("field.install", "field.approve_install", "field.training", "field.approve_travel")


class InstallView(PortalView):
    """客户服务需求申请表 for installation and training, step by step to the signed record."""

    plugin_name = NAME

    permission = INSTALL_CODES

    @expose("/")
    def index(self):
        preset = _preset(INSTALL_PRESETS, "open")
        I = FieldInstall
        query = installs.installs_query().join(Customer, Customer.id == I.customer_id)
        if preset == "open":
            query = query.filter(I.state.notin_(("done", "rejected", "cancelled")))
        elif preset in ("requested", "done"):
            query = query.filter(I.state == preset)
        words = _search_words()
        if words:
            query = query.filter(or_(Customer.name.ilike(_like(words), escape="\\"),
                                     I.site.ilike(_like(words), escape="\\")))
        rows, older = _paged(query, I)
        table = [{"url": url_for(".details", record_id=r.id), "id": r.id, "state": r.state,
                  "cells": (r.number, r.customer.name, r.site, (r.agreed_date or r.wanted_date).isoformat(),
                            field_messages.INSTALL_STATE_LABELS[r.state], r.branch.code)} for r in rows]
        columns = (_("No."), _("Customer"), _("Site"), _("Date"), _("State"), _("Branch"))
        return _render_list(self, _("Installation and training"), INSTALL_PRESETS, preset, table, older, columns,
                            url_for(".new") if can("field.install", plugin=NAME) else None, _("Customer or site"))

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        if not can("field.install", plugin=NAME):
            abort(403)
        project_id = common.as_id(request.values.get("project_id"))
        return _form_page(self, "install_new.html", installs.create,
                          lambda r: _("Request %(number)s recorded: it waits for the general manager.",
                                      number=r.number), ".details", project_id=project_id)

    @expose("/<int:record_id>")
    def details(self, record_id):
        record = _or_404(installs.install_in_scope(record_id))
        on = common.settings_of(record.branch_id) is not None

        def may(code):
            return on and installs.may_step(code, record)
        return self.render(
            T + "install.html", record=record, states=field_messages.INSTALL_STATE_LABELS,
            team=installs.team_names(record), engineers=engineer_choices(record.branch_id),
            checklist_text="\n".join(i["item"] for i in record.checklist or []),
            may_approve=may("field.approve_install"), may_plan=may("field.install"),
            may_travel=may("field.approve_travel"), may_sign=may("field.training"),
        )

    def _record(self, record_id):
        return _or_404(installs.install_in_scope(record_id))

    @expose("/<int:record_id>/step", methods=("POST",))
    def step(self, record_id):
        record = self._record(record_id)
        target = request.form.get("target", "")
        done = {"approved": _("Approved."), "rejected": _("Rejected."), "prepared": _("Ready to go."),
                "cancelled": _("Cancelled.")}.get(target, _("Done."))
        return _post(record, lambda r: installs.step(r, target, current_user, request.form.get("reason", "")),
                     done, url_for(".details", record_id=record.id))

    @expose("/<int:record_id>/schedule", methods=("POST",))
    def schedule(self, record_id):
        record = self._record(record_id)
        return _post(record, lambda r: installs.schedule(r, request.form, current_user),
                     _("Date and team saved."), url_for(".details", record_id=record.id))

    @expose("/<int:record_id>/prepare", methods=("POST",))
    def prepare(self, record_id):
        record = self._record(record_id)
        return _post(record, lambda r: installs.prepare(r, request.form, current_user),
                     _("Checklist and training material saved."), url_for(".details", record_id=record.id))

    @expose("/<int:record_id>/travel", methods=("POST",))
    def travel(self, record_id):
        record = self._record(record_id)
        return _post(record, lambda r: installs.approve_travel(r, current_user), _("Travel approved."),
                     url_for(".details", record_id=record.id))

    @expose("/<int:record_id>/sign", methods=("POST",))
    def sign(self, record_id):
        record = self._record(record_id)
        return _post(record, lambda r: installs.sign(r, request.form, current_user),
                     _("Training record signed: the installation is done."), url_for(".details", record_id=record.id))


# --- major projects -----------------------------------------------------------------------------

PROJECT_PRESETS = (("all", _l("All")), ("due", _l("Maintenance due this week")),
                   ("accompaniment", _l("In on-site accompaniment")))


class ProjectView(PortalView):
    """Major projects: installations, tickets, planned maintenance and accompaniment."""

    plugin_name = NAME
    permission = "field.install"

    @expose("/")
    def index(self):
        preset = _preset(PROJECT_PRESETS, "all")
        P = FieldProject
        query = projects.projects_query().join(Customer, Customer.id == P.customer_id)
        words = _search_words()
        if words:
            query = query.filter(or_(Customer.name.ilike(_like(words), escape="\\"),
                                     P.name.ilike(_like(words), escape="\\")))
        if preset == "due":
            query = query.filter(P.id.in_(projects.due_this_week_projects(common.local_today(current_user.branch))))
        rows, older = _paged(query, P)
        table = []
        for p in rows:
            settings = common.settings_of(p.branch_id)
            escort = projects.accompaniment(p, settings) if settings else None
            if preset == "accompaniment" and not (escort and escort["active"]):
                continue
            table.append({"url": url_for(".details", record_id=p.id), "id": p.id, "state": "",
                          "cells": (p.name, p.customer.name, p.start_up.isoformat(), p.warranty_end.isoformat(),
                                    _("%(n)s days left", n=escort["days_left"]) if escort and escort["active"] else "–",
                                    p.branch.code)})
        columns = (_("Project"), _("Customer"), _("Start-up"), _("Warranty ends"), _("On-site accompaniment"),
                   _("Branch"))
        return _render_list(self, _("Major projects"), PROJECT_PRESETS, preset, table, older, columns,
                            url_for(".new"), _("Customer or project"))

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        return _form_page(self, "project_new.html", projects.create,
                          lambda p: _("Project %(name)s created.", name=p.name), ".details")

    @expose("/<int:record_id>")
    def details(self, record_id):
        project = _or_404(projects.project_in_scope(record_id))
        settings = common.settings_of(project.branch_id)
        return self.render(
            T + "project.html", project=project, settings=settings,
            plan=projects.plan(project, settings) if settings else [],
            escort=projects.accompaniment(project, settings) if settings else None,
            installs=projects.installs_of(project), tickets=projects.tickets_of(project),
            install_states=field_messages.INSTALL_STATE_LABELS, engineers=engineer_choices(project.branch_id),
            may_generate=settings is not None and can("field.install", plugin=NAME, branch_id=project.branch_id)
            and can("ticket.assign", branch_id=project.branch_id),
            can_see_tickets=can("ticket.view", branch_id=project.branch_id),
        )

    @expose("/<int:record_id>/generate", methods=("POST",))
    def generate(self, record_id):
        project = _or_404(projects.project_in_scope(record_id))
        created = []

        def run():
            common.check_version(project, request.form.get("seen_version"))
            created.extend(projects.generate(project, request.form.get("engineer"), current_user))
        ok = commit_change(run, _("Maintenance visits generated."), str(STALE))
        if ok and not created:
            flash(_("Every planned day within the next year already has its visit."), "info")
        return redirect(url_for(".details", record_id=project.id))


# --- supplier faults ----------------------------------------------------------------------------

FAULT_PRESETS = (("open", _l("Open")), ("overdue", _l("Past the deadline")), ("closed", _l("Closed")),
                 ("all", _l("All")))


class FaultView(PortalView):
    """Faults of bought-in parts passed to the supplier in writing and chased until closed."""

    plugin_name = NAME
    permission = "field.supplier"

    @expose("/")
    def index(self):
        preset = _preset(FAULT_PRESETS, "open")
        F = FieldSupplierFault
        query = faults.faults_query()
        if preset == "open":
            query = query.filter(F.closed_at.is_(None))
        elif preset == "overdue":
            query = query.filter(faults.overdue_condition(common.local_today(current_user.branch)))
        elif preset == "closed":
            query = query.filter(F.closed_at.isnot(None))
        words = _search_words()
        if words:
            query = query.filter(or_(F.supplier.ilike(_like(words), escape="\\"),
                                     F.part.ilike(_like(words), escape="\\")))
        rows, older = _paged(query, F)
        table = [{"url": url_for(".details", record_id=f.id), "id": f.id, "state": "closed" if f.closed_at else "open",
                  "late": faults.is_overdue(f),
                  "cells": (f.number, f.supplier, f.part, f.deadline.isoformat(), COST_BEARERS[f.cost_bearer],
                            _("Closed") if f.closed_at else _("Open"), f.branch.code)} for f in rows]
        columns = (_("No."), _("Supplier"), _("Part"), _("Deadline"), _("Cost borne by"), _("State"), _("Branch"))
        return _render_list(self, _("Supplier faults"), FAULT_PRESETS, preset, table, older, columns,
                            url_for(".new"), _("Supplier or part"))

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        branch = page_branch(NAME)
        if branch is None:
            abort(404)
        form, errors = (request.form if request.method == "POST" else {}), {}
        if request.method == "POST":
            try:
                fault = faults.create(request.form, current_user, branch)
                db.session.commit()
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            else:
                flash(_("Supplier fault %(number)s recorded: print the letter.", number=fault.number), "success")
                return redirect(url_for(".details", record_id=fault.id))
        return self.render(T + "fault_new.html", form=form, errors=errors, branch=branch, bearers=COST_BEARERS,
                           branches=plugin_branches(NAME) if sees_all_branches() else [],
                           today=common.local_today(branch))

    @expose("/<int:record_id>")
    def details(self, record_id):
        fault = _or_404(faults.fault_in_scope(record_id))
        return self.render(T + "fault.html", fault=fault, bearers=COST_BEARERS, overdue=faults.is_overdue(fault),
                           may_work=fault.closed_at is None and common.settings_of(fault.branch_id) is not None
                           and can("field.supplier", plugin=NAME, branch_id=fault.branch_id))

    @expose("/<int:record_id>/chase", methods=("POST",))
    def chase(self, record_id):
        fault = _or_404(faults.fault_in_scope(record_id))
        return _post(fault, lambda f: faults.chase(f, request.form.get("note", ""), current_user),
                     _("Chase recorded."), url_for(".details", record_id=fault.id))

    @expose("/<int:record_id>/close", methods=("POST",))
    def close(self, record_id):
        fault = _or_404(faults.fault_in_scope(record_id))
        return _post(fault, lambda f: faults.close(f, request.form.get("close_note", ""), current_user),
                     _("Supplier fault closed."), url_for(".details", record_id=fault.id))

    @expose("/<int:record_id>/letter")
    def letter(self, record_id):
        """The written notice to the supplier: always in Chinese."""
        fault = _or_404(faults.fault_in_scope(record_id))
        with force_locale(DOCUMENT_LOCALE):
            return self.render(T + "fault_letter.html", fault=fault, branch=fault.branch,
                               bearer=str(COST_BEARERS[fault.cost_bearer]))


# --- dashboard and customer file -------------------------------------------------------------

def dashboard_cards(user, branch) -> list:
    if branch is None:
        return []
    today = common.local_today(branch)
    cards = []
    if can("field.approve_shipment", user, plugin=NAME):
        waiting = slips.count_waiting()
        cards.append(Card(_("Outbound slips waiting for approval"), str(waiting),
                          url_for("field_supply_slips.index", show="waiting"), "warning" if waiting else "info"))
    if can("field.parts", user, plugin=NAME):
        late = slips.count_factory_overdue(today)
        cards.append(Card(_("Factory parts requests overdue"), str(late),
                          url_for("field_supply_factory.index", show="overdue"), "danger" if late else "info"))
    if can("field.supplier", user, plugin=NAME):
        late = faults.count_overdue(today)
        cards.append(Card(_("Supplier faults past the deadline"), str(late),
                          url_for("field_supply_faults.index", show="overdue"), "danger" if late else "info"))
    if can("field.install", user, plugin=NAME):
        due = projects.count_due_this_week(today)
        cards.append(Card(_("Planned maintenance visits this week"), str(due),
                          url_for("field_supply_projects.index", show="due"), "warning" if due else "info"))
    if can("field.approve_install", user, plugin=NAME):
        waiting = installs.count_waiting_approval()
        cards.append(Card(_("Installation requests waiting for approval"), str(waiting),
                          url_for("field_supply_installs.index", show="requested"), "warning" if waiting else "info"))
    return cards


def customer_panels(customer, user) -> list:
    from portal.plugin_api import Panel
    from sqlalchemy import func

    rows = []
    if can("field.parts", user, plugin=NAME) or can("field.approve_shipment", user, plugin=NAME):
        count = db.session.query(func.count(FieldSlip.id)).filter(
            FieldSlip.customer_id == customer.id, FieldSlip.deleted_at.is_(None)).scalar()
        rows.append((_("Outbound slips"), count))
    if any(can(code, user, plugin=NAME) for code in INSTALL_CODES):
        for record in (db.session.query(FieldInstall).filter(FieldInstall.customer_id == customer.id,
                                                             FieldInstall.deleted_at.is_(None))
                       .order_by(FieldInstall.id.desc()).limit(5)):
            rows.append((_("Installation %(number)s", number=record.number),
                         str(field_messages.INSTALL_STATE_LABELS[record.state])))
    if can("field.install", user, plugin=NAME):
        for project in (db.session.query(FieldProject).filter(FieldProject.customer_id == customer.id,
                                                              FieldProject.deleted_at.is_(None))
                        .order_by(FieldProject.id.desc()).limit(5)):
            rows.append((_("Major project"), f"{project.name} · {project.start_up.isoformat()}"
                                             f" – {project.warranty_end.isoformat()}"))
    if not rows:
        return []
    url, label = None, None
    if can("field.parts", user, plugin=NAME):
        url, label = url_for("field_supply_slips.new", customer_id=customer.id), _("Write an outbound slip")
    return [Panel(_("Parts, installations and projects"), rows, url, label)]


def register(admin, category) -> None:
    admin.add_view(SlipView(name=_l("Outbound slips"), category=category, endpoint="field_supply_slips",
                            url="/admin/field/supply/slips"))
    admin.add_view(PartsView(name=_l("Parts stock"), category=category, endpoint="field_supply_parts",
                             url="/admin/field/supply/parts"))
    admin.add_view(FactoryView(name=_l("Factory parts requests"), category=category, endpoint="field_supply_factory",
                               url="/admin/field/supply/factory"))
    admin.add_view(InstallView(name=_l("Installation and training"), category=category,
                               endpoint="field_supply_installs", url="/admin/field/supply/installs"))
    admin.add_view(ProjectView(name=_l("Major projects"), category=category, endpoint="field_supply_projects",
                               url="/admin/field/supply/projects"))
    admin.add_view(FaultView(name=_l("Supplier faults"), category=category, endpoint="field_supply_faults",
                             url="/admin/field/supply/faults"))
