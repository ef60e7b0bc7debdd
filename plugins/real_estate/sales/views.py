"""The sales office's pages: projects, buildings and units; the confidential contract
register with its payments, mortgage case and printed register sheet; the payment lists
(reminders, overdue, late loans); disputes. Every page exists only where HQ switched the
plugin on; every record is looked up in the user's scope (another branch's id is a 404);
every change is one transaction, and a refusal changes nothing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload
from wtforms.validators import ValidationError

from portal.plugin_api import (
    STALE, commit_and_return as _act,
    Card, Panel, PortalView, ScopedModelView, TicketError, can, commit_change, db, check_version as _check_version, or_404 as _or_404,
)

from .. import NAME, messages, rules
from . import contracts, disputes, payments, units
from .common import CONTRACT_VIEW, PROPERTY_EDIT, UNIT_VIEW, as_id, local_today, settings_of
from .models import Building, Contract, Dispute, Project, Unit
from .summary import money

#: Registers the part's templates (sales/templates/real_estate/sales/...).
blueprint = Blueprint("estate_sales", __name__, template_folder="templates")

DOCUMENT_LOCALE = "zh_CN"  # the register sheet is a paper document of a Chinese office
PAGE = 50


def _label(table):
    return {code: str(text) for code, text in table.items()}


def _choices(table):
    return [(code, text) for code, text in table.items() if code]


# --- projects, buildings, units ------------------------------------------------------------------

class PropertyView(ScopedModelView):
    """Lists of the sales office's property; kept by sales and after-sales, read by the liaison."""

    plugin_name = NAME
    permission_area = "estate.unit"
    verb_permissions = {"create": PROPERTY_EDIT, "edit": PROPERTY_EDIT, "delete": PROPERTY_EDIT,
                        "export": UNIT_VIEW, "view": UNIT_VIEW}
    list_template = "portal/model_list.html"
    keyset_paging = True
    column_default_sort = ("id", True)

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        try:
            self.check(model)
        except TicketError as exc:
            raise ValidationError(" ".join(exc.messages)) from None

    def check(self, model) -> None:
        """Rules of the record; raise TicketError to refuse the save."""

    def on_model_delete(self, model):
        problem = self.delete_refusal(model)
        if problem:
            raise ValidationError(problem)
        super().on_model_delete(model)

    def delete_refusal(self, model) -> str | None:
        """Why the record may not be archived (None: it may)."""
        return None


class ProjectView(PropertyView):
    column_list = ("name", "address", "property_company", "branch")
    column_searchable_list = ("name", "address", "property_company")
    column_filters = ("name", "property_company", "branch.code")
    column_labels = {"name": _l("Project"), "address": _l("Address"),
                     "property_company": _l("Property-management company"), "branch": _l("Branch"),
                     "branch.code": _l("Branch")}
    form_columns = ("branch", "name", "address", "property_company")
    column_export_list = ("id", "name", "address", "property_company", "branch")

    def delete_refusal(self, model):
        if _has_live(Building, Building.project_id, model.id):
            return _("Archive the buildings of the project first.")
        return None


def _has_live(model, column, value) -> bool:
    return db.session.query(model.id).filter(column == value, model.deleted_at.is_(None)).first() is not None


class BuildingView(PropertyView):
    column_list = ("project", "name", "completion_accepted_on", "branch")
    column_searchable_list = ("name", "project.name")
    column_filters = ("project.name", "name", "completion_accepted_on", "branch.code")
    column_labels = {"project": _l("Project"), "project.name": _l("Project"), "name": _l("Building"),
                     "completion_accepted_on": _l("Completion accepted on"), "branch": _l("Branch"),
                     "branch.code": _l("Branch")}
    form_columns = ("project", "name", "completion_accepted_on")
    column_export_list = ("id", "project", "name", "completion_accepted_on", "branch")

    def delete_refusal(self, model):
        if _has_live(Unit, Unit.building_id, model.id):
            return _("Archive the units of the building first.")
        return None

    def check(self, model) -> None:
        if model.project is None:
            raise TicketError(_("Choose the project of the building."))
        units.check_building_branch(model)


def _unit_link(view, context, model, name):
    return Markup('<a href="%s" data-testid="unit-link">%s</a>') % (
        url_for("sales_unit.unit_page", unit_id=model.id), model.number)


def _unit_state(view, context, model, name):
    return Markup('<span data-state="%s">%s</span>') % (model.state, messages.label(messages.UNIT_STATES, model.state))


class UnitView(PropertyView):
    column_list = ("building", "floor", "number", "area_m2", "price", "state", "handed_over_on", "branch")
    column_searchable_list = ("number", "building.name", "building.project.name")
    column_filters = ("building.project.name", "building.name", "floor", "state", "area_m2", "price", "branch.code")
    column_labels = {"building": _l("Building"), "building.name": _l("Building"),
                     "building.project.name": _l("Project"), "floor": _l("Floor"), "number": _l("Unit"),
                     "area_m2": _l("Area (m²)"), "price": _l("List price (yuan)"), "state": _l("State"),
                     "handed_over_on": _l("Handed over on"), "branch": _l("Branch"), "branch.code": _l("Branch")}
    column_choices = {"state": _choices(messages.UNIT_STATES)}
    column_formatters = {"number": _unit_link, "state": _unit_state}
    form_columns = ("building", "floor", "number", "area_m2", "price")
    column_export_list = ("id", "building", "floor", "number", "area_m2", "price", "state", "handed_over_on", "branch")

    def delete_refusal(self, model):
        if model.state not in units.PAGE_STEPS:
            return _("A unit that is sold or handed over stays in the register.")
        return None

    def check(self, model) -> None:
        if model.building is None:
            raise TicketError(_("Choose the building of the unit."))
        units.check_unit(model)
        with db.session.no_autoflush:  # a flush would hit the unique constraint before this readable check
            twin = db.session.query(Unit.id).filter(Unit.building_id == model.building.id,
                                                    Unit.number == model.number, Unit.id != (model.id or 0)).first()
        if twin is not None:
            raise TicketError(_("The building has a unit with this number already."))

    @expose("/unit/<int:unit_id>")
    def unit_page(self, unit_id):
        unit = _or_404(units.unit_in_scope(unit_id))
        contract = None
        if can(CONTRACT_VIEW, plugin=NAME):
            contract = contracts.contracts_query().filter(Contract.unit_id == unit.id).order_by(
                Contract.id.desc()).first()
        may_step = (any(can(code, plugin=NAME, branch_id=unit.branch_id) for code in (PROPERTY_EDIT, "estate.sell"))
                    and settings_of(unit.branch_id) is not None)
        steps = [t for t in units.PAGE_STEPS if not rules.check_unit_step(unit.state, t)] if may_step else []
        return self.render("real_estate/sales/unit.html", unit=unit, contract=contract, steps=steps,
                           states=_label(messages.UNIT_STATES), contract_states=_label(messages.CONTRACT_STATES),
                           may_sell=can("estate.sell", plugin=NAME, branch_id=unit.branch_id))

    @expose("/unit/<int:unit_id>/step", methods=("POST",))
    def unit_step(self, unit_id):
        unit = _or_404(units.unit_in_scope(unit_id))
        target = request.form.get("target", "")

        def run():
            _check_version(unit, request.form.get("seen_version"))
            units.step_unit(unit, target, current_user)
        return _act(run, _("The unit is now “%(state)s”.", state=messages.label(messages.UNIT_STATES, target)),
                    url_for(".unit_page", unit_id=unit.id))


# --- the contract register ----------------------------------------------------------------------

def _contract_link(view, context, model, name):
    return Markup('<a href="%s" data-testid="contract-link">%s</a>') % (
        url_for("sales_contract.record", contract_id=model.id), model.number)


#: "state equals" is the third operation of the first filter (column_filters below).
WAITING_FILTER = "flt1_2"


class ContractView(ScopedModelView):
    """商品房买卖契约 register: confidential — only holders of ``estate.contract.view``."""

    plugin_name = NAME
    permission_area = "estate.contract"
    verb_permissions = {"create": None, "edit": None, "delete": None, "export": CONTRACT_VIEW,
                        "view": CONTRACT_VIEW}
    can_view_details = False
    list_template = "portal/model_list.html"
    keyset_paging = True
    column_default_sort = ("id", True)
    column_list = ("number", "unit", "customer", "buyers", "price", "signed_on", "payment_method", "state", "branch")
    column_searchable_list = ("number", "buyers", "customer.name", "customer.phone")
    column_filters = ("state", "payment_method", "signed_on", "notarised", "unit.building.project.name",
                      "branch.code")
    column_labels = {"number": _l("Contract no."), "unit": _l("Unit"), "customer": _l("Customer"),
                     "buyers": _l("Buyers"), "price": _l("Price (yuan)"), "signed_on": _l("Signed on"),
                     "payment_method": _l("Payment method"), "state": _l("State"), "branch": _l("Branch"),
                     "notarised": _l("Notarised"), "unit.building.project.name": _l("Project"),
                     "branch.code": _l("Branch"), "customer.name": _l("Customer"), "customer.phone": _l("Phone")}
    column_choices = {"state": _choices(messages.CONTRACT_STATES), "payment_method": _choices(messages.PAYMENT_METHODS)}
    column_formatters = {"number": _contract_link}
    column_export_list = ("number", "unit", "customer", "buyers", "price", "signed_on", "notarised",
                          "notary_reference", "payment_method", "state", "branch")

    def get_query(self):
        # The export streams after the request's session is gone: load what the rows show now.
        return contracts.contracts_query().options(
            joinedload(Contract.unit).joinedload(Unit.building).joinedload(Building.project),
            joinedload(Contract.customer), joinedload(Contract.branch))

    def _contract(self, contract_id):
        return _or_404(contracts.contract_in_scope(contract_id))

    @expose("/record/<int:contract_id>")
    def record(self, contract_id):
        contract = self._contract(contract_id)
        today = local_today(contract.branch)
        may_pay = (any(can(c, plugin=NAME, branch_id=contract.branch_id) for c in payments.WORKERS)
                   and settings_of(contract.branch_id) is not None)
        mortgage = contract.mortgage
        schedule = payments.schedule_of(contract)
        found = disputes.disputes_query().filter(Dispute.contract_id == contract.id).order_by(Dispute.id.desc()).all()
        return self.render(
            "real_estate/sales/contract.html", contract=contract, unit=contract.unit, schedule=schedule,
            mortgage=mortgage, next_mortgage=payments.next_mortgage_step(mortgage) if mortgage else None,
            steps=contracts.next_steps(contract, current_user), may_pay=may_pay, today=today,
            overdue_ids={p.id for p in payments.overdue(contracts.contracts_query().filter(
                Contract.id == contract.id), today)},
            mortgage_late=payments.days_late(mortgage, today) if mortgage else 0, disputes=found,
            states=_label(messages.CONTRACT_STATES), methods=_label(messages.PAYMENT_METHODS),
            mortgage_steps=_label(messages.MORTGAGE_STEPS), dispute_states=_label(disputes.STATES), money=money,
            paid_total=sum((p.amount_paid or 0) for p in schedule),
        )

    @expose("/record/<int:contract_id>/step", methods=("POST",))
    def step(self, contract_id):
        contract = self._contract(contract_id)
        target = request.form.get("target", "")

        def run():
            _check_version(contract, request.form.get("seen_version"))
            contracts.step(contract, target, current_user)
        return _act(run, _("The contract is now “%(state)s”.",
                           state=messages.label(messages.CONTRACT_STATES, target)),
                    url_for(".record", contract_id=contract.id))

    @expose("/record/<int:contract_id>/print")
    def printable(self, contract_id):
        """The register sheet (商品房买卖契约登记表), always in Chinese."""
        contract = self._contract(contract_id)
        with force_locale(DOCUMENT_LOCALE):
            return self.render("real_estate/sales/contract_print.html", contract=contract, unit=contract.unit,
                               branch=contract.branch, schedule=payments.schedule_of(contract),
                               mortgage=contract.mortgage, money=money,
                               state=messages.label(messages.CONTRACT_STATES, contract.state),
                               method=messages.label(messages.PAYMENT_METHODS, contract.payment_method))

    @expose("/record/<int:contract_id>/dispute", methods=("POST",))
    def new_dispute(self, contract_id):
        contract = self._contract(contract_id)
        try:
            dispute = disputes.record(contract, request.form, current_user)
            db.session.commit()
        except TicketError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "error")
            return redirect(url_for(".record", contract_id=contract.id) + "#dispute")
        flash(_("Dispute recorded with ticket %(number)s and its complaint file.", number=dispute.ticket.number),
              "success")
        return redirect(url_for("sales_dispute.details", dispute_id=dispute.id))

    # -- payments and the mortgage case --------------------------------------------------------
    def _payment(self, payment_id):
        return _or_404(payments.payment_in_scope(payment_id, contracts.contracts_query()))

    def _payment_post(self, payment_id, action, done):
        payment = self._payment(payment_id)

        def run():
            _check_version(payment, request.form.get("seen_version"))
            action(payment)
        return _act(run, done, url_for(".record", contract_id=payment.contract_id) + "#payments")

    @expose("/payment/<int:payment_id>/pay", methods=("POST",))
    def pay(self, payment_id):
        return self._payment_post(payment_id, lambda p: payments.record_payment(
            p, request.form.get("paid_on", ""), request.form.get("amount_paid", ""), current_user),
            _("Payment recorded."))

    @expose("/payment/<int:payment_id>/due", methods=("POST",))
    def due(self, payment_id):
        return self._payment_post(payment_id, lambda p: payments.change_due(
            p, request.form.get("due_on", ""), current_user), _("Due date changed."))

    @expose("/payment/<int:payment_id>/remind", methods=("POST",))
    def remind(self, payment_id):
        payment = self._payment(payment_id)
        back = request.form.get("back") == "list"

        def run():
            _check_version(payment, request.form.get("seen_version"))
            payments.record_reminder(payment, current_user, note=request.form.get("note", ""))
        commit_change(run, _("Reminder recorded."), str(STALE))
        if back:
            return redirect(url_for("sales_payments.index"))
        return redirect(url_for(".record", contract_id=payment.contract_id) + "#payments")

    def _mortgage_post(self, mortgage_id, action, done):
        mortgage = _or_404(payments.mortgage_in_scope(mortgage_id, contracts.contracts_query()))

        def run():
            _check_version(mortgage, request.form.get("seen_version"))
            action(mortgage)
        return _act(run, done, url_for(".record", contract_id=mortgage.contract_id) + "#mortgage")

    @expose("/mortgage/<int:mortgage_id>/step", methods=("POST",))
    def mortgage_step(self, mortgage_id):
        target = request.form.get("target", "")
        return self._mortgage_post(mortgage_id, lambda m: payments.mortgage_step(
            m, target, request.form.get("on_date", ""), current_user),
            _("Mortgage step recorded: %(step)s.", step=messages.label(messages.MORTGAGE_STEPS, target)))

    @expose("/mortgage/<int:mortgage_id>/expected", methods=("POST",))
    def mortgage_expected(self, mortgage_id):
        return self._mortgage_post(mortgage_id, lambda m: payments.change_expected(
            m, request.form.get("expected_loan_on", ""), current_user), _("Expected loan date changed."))

    @expose("/mortgage/<int:mortgage_id>/chase", methods=("POST",))
    def mortgage_chase(self, mortgage_id):
        return self._mortgage_post(mortgage_id, lambda m: payments.record_chase(
            m, request.form.get("chase_note", ""), current_user), _("Chase of the bank recorded."))


class RegisterView(PortalView):
    """The sales agent registers a signed contract (二、1)."""

    plugin_name = NAME
    permission = "estate.sell"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if not can(CONTRACT_VIEW, plugin=NAME):
            abort(403)
        form = request.form if request.method == "POST" else request.args
        errors = {}
        if request.method == "POST":
            try:
                contract = contracts.register(request.form, current_user)
                db.session.commit()
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            else:
                flash(_("Contract %(number)s registered; the unit is sold.", number=contract.number), "success")
                return redirect(url_for("sales_contract.record", contract_id=contract.id))
        chosen = contracts.customer_in_scope(form.get("customer_id"))
        who = (request.args.get("who") or "").strip()[:120]
        return self.render(
            "real_estate/sales/contract_new.html", form=form, errors=errors, chosen=chosen, who=who,
            customers=contracts.find_customers(who) if who else [], units=units.units_for_sale(),
            methods=_label(messages.PAYMENT_METHODS), states=_label(messages.UNIT_STATES),
            can_create_customer=can("customer.create"),
        )


# --- payment lists ------------------------------------------------------------------------------------

PAYMENT_LISTS = (("reminders", _l("Instalment reminders due")), ("overdue", _l("Overdue payments")),
                 ("mortgages", _l("Late mortgage loans: chase the bank")))


class PaymentsView(PortalView):
    """What to remind, what is overdue, which bank to chase — today, in the user's scope."""

    plugin_name = NAME
    permission = CONTRACT_VIEW

    @expose("/")
    def index(self):
        show = request.args.get("show", "reminders")
        if show not in dict(PAYMENT_LISTS):
            show = "reminders"
        today = local_today(current_user.branch)
        query = contracts.contracts_query()
        rows = {"reminders": lambda: payments.reminders_due(query, today),
                "overdue": lambda: payments.overdue(query, today),
                "mortgages": lambda: payments.late_mortgages(query, today)}[show]()
        return self.render("real_estate/sales/payments.html", show=show, lists=PAYMENT_LISTS, rows=rows, today=today,
                           money=money, days_overdue=payments.days_overdue, days_late=payments.days_late,
                           mortgage_steps=_label(messages.MORTGAGE_STEPS),
                           may_work=any(can(c, plugin=NAME) for c in payments.WORKERS))


# --- disputes -----------------------------------------------------------------------------------------

DISPUTE_PRESETS = (("open", _l("Being answered")), ("escalated", _l("Escalated to the branch leader")),
                   ("settled", _l("Settled")), ("all", _l("All")))


class DisputeView(PortalView):
    """Disputes about contracts; the branch leader reads the escalated ones."""

    plugin_name = NAME
    permission = disputes.DISPUTE_VIEW

    @expose("/")
    def index(self):
        preset = request.args.get("show", "")
        if preset not in dict(DISPUTE_PRESETS):
            preset = "open" if any(can(c, plugin=NAME) for c in disputes.WORKERS) else "escalated"
        query = disputes.disputes_query()
        if preset != "all":
            query = query.filter(Dispute.state == preset)
        after = as_id(request.args.get("after"))
        if after:
            query = query.filter(Dispute.id < after)
        rows = query.order_by(Dispute.id.desc()).limit(PAGE).all()
        return self.render("real_estate/sales/disputes.html", rows=rows, preset=preset, presets=DISPUTE_PRESETS,
                           older=rows[-1].id if len(rows) == PAGE else None, states=_label(disputes.STATES))

    def _dispute(self, dispute_id):
        return _or_404(disputes.dispute_in_scope(dispute_id))

    @expose("/<int:dispute_id>")
    def details(self, dispute_id):
        dispute = self._dispute(dispute_id)
        may_work = (any(can(c, plugin=NAME, branch_id=dispute.branch_id) for c in disputes.WORKERS)
                    and settings_of(dispute.branch_id) is not None)
        return self.render("real_estate/sales/dispute.html", dispute=dispute, contract=dispute.contract,
                           states=_label(disputes.STATES), may_work=may_work,
                           needs_escalation=disputes.needs_escalation(dispute),
                           sees_contract=can(CONTRACT_VIEW, plugin=NAME, branch_id=dispute.branch_id),
                           sees_ticket=can("ticket.view", plugin=None, branch_id=dispute.branch_id),
                           sees_complaint=can("complaint.view", plugin=None, branch_id=dispute.branch_id))

    def _post(self, dispute_id, action, done):
        dispute = self._dispute(dispute_id)

        def run():
            _check_version(dispute, request.form.get("seen_version"))
            action(dispute)
        return _act(run, done, url_for(".details", dispute_id=dispute.id))

    @expose("/<int:dispute_id>/answer", methods=("POST",))
    def answer(self, dispute_id):
        return self._post(dispute_id, lambda d: disputes.answer(d, request.form, current_user), _("Answer recorded."))

    @expose("/<int:dispute_id>/escalate", methods=("POST",))
    def escalate(self, dispute_id):
        return self._post(dispute_id, lambda d: disputes.escalate(d, request.form.get("note", ""), current_user),
                          _("Escalated to the branch leader."))

    @expose("/<int:dispute_id>/settle", methods=("POST",))
    def settle(self, dispute_id):
        return self._post(dispute_id, lambda d: disputes.settle(d, current_user), _("Dispute settled."))


# --- the dashboard and the customer file -----------------------------------------------------------

def dashboard_cards(user, branch) -> list:
    """What the office must not forget today."""
    if branch is None:
        return []
    cards = []
    today = local_today(branch)
    if can(CONTRACT_VIEW, user, plugin=NAME):
        query = contracts.contracts_query()
        waiting = query.filter(Contract.state == rules.ContractState.HANDED_TO_AFTERSALES.value).count()
        cards.append(Card(_("Contracts waiting for after-sales confirmation"), str(waiting),
                          url_for("sales_contract.index_view",
                                  **{WAITING_FILTER: rules.ContractState.HANDED_TO_AFTERSALES.value}),
                          "warning" if waiting else "info"))
        reminders = [p for p in payments.reminders_due(query, today) if p.reminded_on is None
                     or p.reminded_on < p.due_on - _reminder_window(p)]
        cards.append(Card(_("Instalment reminders due"), str(len(reminders)),
                          url_for("sales_payments.index", show="reminders"), "warning" if reminders else "info"))
        late = len(payments.overdue(query, today))
        cards.append(Card(_("Overdue payments"), str(late), url_for("sales_payments.index", show="overdue"),
                          "danger" if late else "info"))
        loans = len(payments.late_mortgages(query, today))
        cards.append(Card(_("Late mortgage loans"), str(loans), url_for("sales_payments.index", show="mortgages"),
                          "danger" if loans else "info"))
    if can(disputes.DISPUTE_VIEW, user, plugin=NAME):
        escalated = disputes.count(Dispute.state == "escalated")
        cards.append(Card(_("Disputes escalated to the branch leader"), str(escalated),
                          url_for("sales_dispute.index", show="escalated"), "danger" if escalated else "info"))
    return cards


def _reminder_window(payment):
    from datetime import timedelta

    settings = settings_of(payment.branch_id) or {}
    return timedelta(days=int(settings.get("instalment_reminder_days", 0)))


def customer_panels(customer, user) -> list:
    """The customer file shows the buyer's contracts — to those allowed to see contracts."""
    if not can(CONTRACT_VIEW, user, plugin=NAME, branch_id=customer.branch_id):
        return []
    rows = []
    for contract in contracts.contracts_query().filter(Contract.customer_id == customer.id).order_by(
            Contract.id.desc()).limit(20):
        rows.append((contract.number, Markup('<a href="%s" data-testid="panel-contract">%s</a> · %s · %s · %s') % (
            url_for("sales_contract.record", contract_id=contract.id), str(contract.unit),
            money(contract.price), messages.label(messages.PAYMENT_METHODS, contract.payment_method),
            messages.label(messages.CONTRACT_STATES, contract.state))))
    return [Panel(_("Sales contracts"), rows, url_for("sales_contract.index_view", search=customer.phone)
                  if customer.phone else None, _("Contract register"))]


def register(admin, category) -> None:
    admin.add_view(ProjectView(Project, name=_l("Projects"), category=category, endpoint="sales_project",
                               url="/admin/estate/projects"))
    admin.add_view(BuildingView(Building, name=_l("Buildings"), category=category, endpoint="sales_building",
                                url="/admin/estate/buildings"))
    admin.add_view(UnitView(Unit, name=_l("Units"), category=category, endpoint="sales_unit",
                            url="/admin/estate/units"))
    admin.add_view(ContractView(Contract, name=_l("Sales contracts"), category=category, endpoint="sales_contract",
                                url="/admin/estate/contracts"))
    admin.add_view(RegisterView(name=_l("Register a contract"), category=category, endpoint="sales_register",
                                url="/admin/estate/register"))
    admin.add_view(PaymentsView(name=_l("Payments and mortgages"), category=category, endpoint="sales_payments",
                                url="/admin/estate/payments"))
    admin.add_view(DisputeView(name=_l("Contract disputes"), category=category, endpoint="sales_dispute",
                               url="/admin/estate/disputes"))

