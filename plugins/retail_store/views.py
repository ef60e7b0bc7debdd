"""The store's pages: the counter, its requests (escalations, overrides, approvals,
refunds, the printed form), repairs and pickup notices, out-of-stock registration,
clothing care and the end of the day. Every page exists only where HQ switched the plugin
on (``plugin_name``); every record is looked up in the user's scope (another branch's id
is a 404); every change is one transaction, and a refusal changes nothing."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.plugin_api import Card, PortalView, TicketError, can, db, sees_all_branches, check_version as _check_version, or_404 as _or_404, commit_and_return as _act, page_branch, plugin_branches

from . import NAME, care, counter, messages, repairs, rules, stock, summary
from .labels import CARE_SERVICES, DECISION_TONES, NOTICE_CHANNELS, REPAIR_STATES, REQUEST_STATES
from .models import RetailCounterRequest, RetailOutOfStock

#: Registers the plugin's templates (plugins/retail_store/templates/retail_store/...).
blueprint = Blueprint(NAME, __name__, template_folder="templates")

DOCUMENT_LOCALE = "zh_CN"  # the printed form goes to Chinese customers, whatever the clerk reads
PAGE = 50


def _decision_view(decision: rules.Decision) -> dict:
    return {"decision": decision.decision, "label": str(messages.DECISIONS[decision.decision]),
            "rule": messages.rule_text(decision), "why": counter.explain(decision), "days": decision.days,
            "tone": DECISION_TONES[decision.decision], "charged": decision.charged}


# --- the counter -----------------------------------------------------------------------------------

class CounterView(PortalView):
    """第十七–十九条: find the purchase, hear the customer, judge — the answer comes at once."""

    plugin_name = NAME
    permission = "retail.counter"

    @expose("/")
    def index(self):
        invoice = request.args.get("invoice", "").strip()[:80]
        who = request.args.get("customer", "").strip()[:120]
        customer = None
        if request.args.get("customer_id"):
            customer = _or_404(counter.customer_in_scope(request.args.get("customer_id")))
        return self.render(
            "retail_store/counter.html", invoice=invoice, who=who, customer=customer,
            products=counter.find_by_invoice(invoice) if invoice else [],
            customers=counter.find_customers(who) if who and customer is None else [],
            searched=bool(invoice or who), can_create_customer=can("customer.create"),
        )

    def _form(self) -> dict:
        form = request.form
        return {
            "reason": form.get("reason", ""), "conditions": form.getlist("conditions"),
            "purchase_date": form.get("purchase_date", ""), "note": form.get("note", ""),
            "price": form.get("price", ""), "material": form.get("material", ""),
            "escalation_note": form.get("escalation_note", ""),
        }

    @expose("/decide", methods=("GET", "POST"))
    def decide(self):
        product = _or_404(counter.product_in_scope(request.values.get("product_id")))
        settings = counter.settings_of(product.branch_id)
        if settings is None:
            abort(404)  # the rules do not run in the purchase's branch
        form = self._form() if request.method == "POST" else {"conditions": []}
        decision, errors = None, {}
        action = request.form.get("action", "preview")
        if request.method == "POST":
            try:
                if action in ("agree", "escalate"):
                    req = counter.record(product, form, current_user, agree=action == "agree")
                    db.session.commit()
                    flash(_("Request %(number)s recorded.", number=req.number), "success")
                    return redirect(url_for("retail_request.details", request_id=req.id))
                decision, _settings = counter.preview(product, form["reason"], form["conditions"],
                                                      form["purchase_date"])
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
        return self.render(
            "retail_store/decide.html", product=product, customer=product.customer, form=form, errors=errors,
            decision=_decision_view(decision) if decision else None, settings=settings,
            reasons=messages.REQUEST_REASONS, conditions=messages.CONDITIONS, materials=messages.MATERIALS,
            today=counter.local_today(product.branch),
            warranty_ends={m: rules.clothing_warranty_end(product.purchase_date, m, settings)
                           for m in rules.MATERIALS} if product.purchase_date else {},
        )

    @expose("/preview", methods=("POST",))
    def preview(self):
        """The decision as the clerk ticks the boxes (the page's script asks; nothing is saved)."""
        product = counter.product_in_scope(request.form.get("product_id"))
        if product is None or counter.settings_of(product.branch_id) is None:
            return jsonify({"errors": [_("There is nothing here, or it belongs to another branch.")]}), 404
        try:
            decision, _settings = counter.preview(product, request.form.get("reason", ""),
                                                  request.form.getlist("conditions"),
                                                  request.form.get("purchase_date", ""))
        except TicketError as exc:
            return jsonify({"errors": exc.messages}), 422
        return jsonify(_decision_view(decision))


# --- counter requests ------------------------------------------------------------------------------

REQUEST_PRESETS = (
    ("escalated", _l("Waiting for the store manager")),
    ("approval", _l("Returns waiting for your approval")),
    ("open", _l("Being processed")),
    ("today", _l("Today")),
    ("all", _l("All")),
)


class RequestView(PortalView):
    """The counter's requests: the decision and why, the manager's word, approvals, the
    refund or the replacement, and the printed form."""

    plugin_name = NAME
    permission = ("retail.counter", "retail.override", "retail.approve_return")

    def _condition(self, preset):
        R = RetailCounterRequest
        if preset == "escalated":
            return R.state == "escalated"
        if preset == "approval":
            return counter.awaiting_approval_condition(current_user)
        if preset == "open":
            return R.state.in_(("escalated", "processing"))
        if preset == "today":
            branch = current_user.branch
            return R.request_date == counter.local_today(branch)
        return None

    @expose("/")
    def index(self):
        preset = request.args.get("show", "")
        if preset not in dict(REQUEST_PRESETS):
            preset = "approval" if sees_all_branches() else "open"
        query = counter.requests_query()
        condition = self._condition(preset)
        if condition is not None:
            query = query.filter(condition)
        after = counter.as_id(request.args.get("after"))
        if after:
            query = query.filter(RetailCounterRequest.id < after)
        rows = query.order_by(RetailCounterRequest.id.desc()).limit(PAGE).all()
        older = rows[-1].id if len(rows) == PAGE else None
        return self.render("retail_store/requests.html", rows=rows, preset=preset, presets=REQUEST_PRESETS,
                           older=older, states=REQUEST_STATES, decisions=messages.DECISIONS, tones=DECISION_TONES)

    def _request(self, request_id):
        return _or_404(counter.request_in_scope(request_id))

    @expose("/<int:request_id>")
    def details(self, request_id):
        req = self._request(request_id)
        settings = counter.settings_of(req.branch_id)
        branch_id = req.branch_id
        decision = counter.stored_decision(req)
        refund, percent = counter.suggested_refund(req, settings) if settings else (None, 0)
        repair = repairs.repair_of(req)
        return self.render(
            "retail_store/request.html", req=req, original=_decision_view(decision),
            final_label=messages.DECISIONS[req.final_decision], final_tone=DECISION_TONES[req.final_decision],
            states=REQUEST_STATES, reasons=messages.REQUEST_REASONS, conditions=messages.CONDITIONS,
            materials=messages.MATERIALS, decisions=messages.DECISIONS, repair=repair,
            repair_states=REPAIR_STATES, settings=settings, suggested_refund=refund, depreciation=percent,
            missing=counter.missing_approvals(req) if req.final_decision == "return" else [],
            approval_level=counter.approval_level(req, current_user),
            can_counter=can("retail.counter", plugin=NAME, branch_id=branch_id) and settings is not None,
            can_override=can("retail.override", plugin=NAME, branch_id=branch_id) and settings is not None,
            can_see_tickets=can("ticket.view", branch_id=branch_id),
        )

    def _post(self, request_id, action, done):
        req = self._request(request_id)

        def run():
            _check_version(req, request.form.get("seen_version"))
            action(req)
        return _act(run, done, url_for(".details", request_id=req.id))

    @expose("/<int:request_id>/escalate", methods=("POST",))
    def escalate(self, request_id):
        return self._post(request_id, lambda req: counter.escalate(
            req, request.form.get("escalation_note", ""), current_user), _("Sent to the store manager."))

    @expose("/<int:request_id>/decide", methods=("POST",))
    def manager_decides(self, request_id):
        return self._post(request_id, lambda req: counter.manager_decides(
            req, request.form.get("decision", ""), request.form.get("override_reason", ""), current_user),
            _("The store manager's decision is recorded."))

    @expose("/<int:request_id>/approve", methods=("POST",))
    def approve(self, request_id):
        return self._post(request_id, lambda req: counter.approve(req, current_user), _("Return approved."))

    @expose("/<int:request_id>/refund", methods=("POST",))
    def refund(self, request_id):
        return self._post(request_id, lambda req: counter.refund(
            req, request.form.get("refund_amount", ""), current_user), _("Refund recorded; the ticket is closed."))

    @expose("/<int:request_id>/hand-over", methods=("POST",))
    def hand_over(self, request_id):
        return self._post(request_id, lambda req: counter.hand_over(
            req, request.form.get("exchange_note", ""), current_user),
            _("Replacement handed over; the ticket is closed."))

    @expose("/<int:request_id>/form")
    def printable(self, request_id):
        """退换货/维修单: the customer's copy, always in Chinese."""
        req = self._request(request_id)
        decision = counter.stored_decision(req)
        with force_locale(DOCUMENT_LOCALE):
            return self.render(
                "retail_store/form.html", req=req, branch=req.branch, customer=req.customer, product=req.product,
                why=counter.explain(decision), rule=messages.rule_text(decision),
                final_label=str(messages.DECISIONS[req.final_decision]),
                original_label=str(messages.DECISIONS[req.decision]), reason=str(messages.REQUEST_REASONS[req.reason]),
                conditions=[str(messages.CONDITIONS[c]) for c in req.conditions or ()],
                repair=repairs.repair_of(req), address=repairs.customer_address(req.customer),
            )


# --- repairs and pickup notices ----------------------------------------------------------------

class RepairView(PortalView):
    """第二十六–二十八条: what to tell whom today, and every notice with its channel."""

    plugin_name = NAME
    permission = "retail.counter"

    @expose("/")
    def index(self):
        return self.render("retail_store/repairs.html", tasks=repairs.tasks(), open_repairs=repairs.open_repairs(),
                           states=REPAIR_STATES)

    def _repair(self, repair_id):
        return _or_404(repairs.repair_in_scope(repair_id))

    @expose("/<int:repair_id>")
    def details(self, repair_id):
        repair = self._repair(repair_id)
        settings = counter.settings_of(repair.branch_id)
        step = repairs.next_step(repair, settings)
        return self.render(
            "retail_store/repair.html", repair=repair, settings=settings, step=step,
            step_text=messages.pickup_text(step) if step else "", states=REPAIR_STATES, channels=NOTICE_CHANNELS,
            today=counter.local_today(repair.branch), address=repairs.customer_address(repair.customer),
            late_due=messages.TASKS["late_repair_notice"] % {"due": repair.late_notice_due_on.isoformat()},
            may_work=can("retail.counter", plugin=NAME, branch_id=repair.branch_id) and settings is not None,
        )

    def _post(self, repair_id, action, done):
        repair = self._repair(repair_id)

        def run():
            _check_version(repair, request.form.get("seen_version"))
            action(repair)
        return _act(run, done, url_for(".details", repair_id=repair.id))

    @expose("/<int:repair_id>/late", methods=("POST",))
    def flag_late(self, repair_id):
        return self._post(repair_id, lambda r: repairs.flag_late(r, current_user),
                          _("Marked late: tell the customer before the due day."))

    @expose("/<int:repair_id>/tell-late", methods=("POST",))
    def tell_late(self, repair_id):
        return self._post(repair_id, lambda r: repairs.tell_late(
            r, request.form.get("channel", ""), request.form.get("note", ""), current_user),
            _("Recorded: the customer knows the repair will be late."))

    @expose("/<int:repair_id>/back", methods=("POST",))
    def back(self, repair_id):
        def action(repair):
            repairs.back_in_store(repair, counter.parse_date(request.form.get("back_on", ""), "back_on"),
                                  current_user)
        return self._post(repair_id, action, _("Back in store: send the first pickup notice."))

    @expose("/<int:repair_id>/notice", methods=("POST",))
    def notice(self, repair_id):
        return self._post(repair_id, lambda r: repairs.send_notice(
            r, request.form.get("channel", ""), request.form.get("note", ""), current_user),
            _("Pickup notice recorded."))

    @expose("/<int:repair_id>/collected", methods=("POST",))
    def collected(self, repair_id):
        return self._post(repair_id, lambda r: repairs.collected(r, current_user), _("Collected."))

    @expose("/<int:repair_id>/mailed", methods=("POST",))
    def mailed(self, repair_id):
        return self._post(repair_id, lambda r: repairs.mailed(
            r, request.form.get("mail_address", ""), request.form.get("mail_tracking", ""), current_user),
            _("Mailing recorded."))


# --- out-of-stock registration ----------------------------------------------------------------------

STOCK_PRESETS = (("open", _l("Open")), ("overdue", _l("Answer overdue")), ("closed", _l("Closed")),
                 ("all", _l("All")))


class StockView(PortalView):
    """缺货登记: register, transfer, confirm, answer within the days, notify, close."""

    plugin_name = NAME
    permission = "retail.stock"

    @expose("/")
    def index(self):
        preset = request.args.get("show", "open")
        if preset not in dict(STOCK_PRESETS):
            preset = "open"
        query = stock.stock_query()
        S = RetailOutOfStock
        if preset == "open":
            query = query.filter(S.state.notin_(rules.STOCK_CLOSED))
        elif preset == "overdue":
            query = query.filter(stock.overdue_condition(counter.local_today(current_user.branch)))
        elif preset == "closed":
            query = query.filter(S.state.in_(rules.STOCK_CLOSED))
        after = counter.as_id(request.args.get("after"))
        if after:
            query = query.filter(S.id < after)
        rows = query.order_by(S.id.desc()).limit(PAGE).all()
        return self.render("retail_store/stock_list.html", rows=rows, preset=preset, presets=STOCK_PRESETS,
                           older=rows[-1].id if len(rows) == PAGE else None, states=messages.STOCK_STATES,
                           overdue=stock.is_overdue)

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        branch = page_branch(NAME)
        if branch is None:
            abort(404)
        customer = None
        if request.values.get("customer_id"):
            customer = _or_404(counter.customer_in_scope(request.values.get("customer_id")))
        form, errors = (request.form if request.method == "POST" else {}), {}
        if request.method == "POST":
            try:
                record = stock.register(form, current_user, branch)
                db.session.commit()
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            else:
                flash(_("Registered: answer the customer by %(day)s.", day=record.answer_due_on.isoformat()),
                      "success")
                return redirect(url_for(".details", record_id=record.id))
        return self.render("retail_store/stock_new.html", form=form, errors=errors, customer=customer,
                           branch=branch, branches=plugin_branches(NAME) if sees_all_branches() else [])

    def _record(self, record_id):
        return _or_404(stock.record_in_scope(record_id))

    @expose("/<int:record_id>")
    def details(self, record_id):
        record = self._record(record_id)
        return self.render("retail_store/stock.html", record=record, states=messages.STOCK_STATES,
                           next_states=rules.next_states(record.state), overdue=stock.is_overdue(record),
                           may_work=can("retail.stock", plugin=NAME, branch_id=record.branch_id)
                           and counter.settings_of(record.branch_id) is not None)

    @expose("/<int:record_id>/step", methods=("POST",))
    def step(self, record_id):
        record = self._record(record_id)

        def run():
            _check_version(record, request.form.get("seen_version"))
            stock.step(record, request.form.get("target", ""), request.form.get("note", ""), current_user)
        return _act(run, _("Done."), url_for(".details", record_id=record.id))

    @expose("/<int:record_id>/answer", methods=("POST",))
    def answer(self, record_id):
        record = self._record(record_id)

        def run():
            _check_version(record, request.form.get("seen_version"))
            stock.answer(record, request.form.get("answer_note", ""), current_user)
        return _act(run, _("Answer recorded."), url_for(".details", record_id=record.id))


# --- clothing care ---------------------------------------------------------------------------------

class CareView(PortalView):
    """Free dry cleaning and leather care, counted per purchase (001 §4.2.4)."""

    plugin_name = NAME
    permission = "retail.counter"

    @expose("/")
    def index(self):
        product = None
        if request.args.get("product_id"):
            product = _or_404(counter.product_in_scope(request.args.get("product_id")))
        invoice = request.args.get("invoice", "").strip()[:80]
        garment = care.garment_of(product) if product is not None else None
        settings = counter.settings_of(product.branch_id) if product is not None else None
        return self.render(
            "retail_store/care.html", product=product, invoice=invoice, garment=garment, settings=settings,
            products=counter.find_by_invoice(invoice) if invoice and product is None else [],
            left=care.allowance(garment, settings) if garment is not None and settings else None,
            refusals=care.refusals(garment, settings) if garment is not None and settings else [],
            materials=messages.MATERIALS, services=CARE_SERVICES,
        )

    def _product(self):
        return _or_404(counter.product_in_scope(request.form.get("product_id")))

    @expose("/garment", methods=("POST",))
    def garment(self):
        product = self._product()
        return _act(lambda: care.register_garment(product, request.form.get("material", ""),
                                                  request.form.get("price", ""), current_user),
                    _("Saved."), url_for(".index", product_id=product.id))

    @expose("/use", methods=("POST",))
    def use(self):
        product = self._product()
        garment = care.garment_of(product)
        if garment is None:
            abort(404)

        def run():
            _check_version(garment, request.form.get("seen_version"))
            care.use(garment, request.form.get("note", ""), current_user)
        return _act(run, _("Free service recorded."), url_for(".index", product_id=product.id))


# --- end of day ---------------------------------------------------------------------------------------

class DayView(PortalView):
    """第二十二条: the day's requests, decisions, refunds, exchanges and repairs on one page."""

    plugin_name = NAME
    permission = "retail.counter"

    @expose("/")
    def index(self):
        branch = page_branch(NAME)
        if branch is None:
            abort(404)
        today = counter.local_today(branch)
        try:
            day = date.fromisoformat(request.args.get("day", "")) if request.args.get("day") else today
        except ValueError:
            flash(_("Enter the date like 2026-03-10."), "error")
            day = today
        report = summary.day_report(branch, day)
        return self.render("retail_store/day.html", report=report, branch=branch, today=today,
                           branches=plugin_branches(NAME) if sees_all_branches() else [],
                           decisions=messages.DECISIONS, states=REQUEST_STATES, money=summary.money)


# --- the dashboard ------------------------------------------------------------------------------------

def dashboard_cards(user, branch, settings) -> list:
    """What the store must not forget today: escalations, approvals, repair tasks,
    out-of-stock answers past their day."""
    if branch is None:
        return []
    today = counter.local_today(branch)
    cards = []
    if can("retail.override", user, plugin=NAME):
        waiting = counter.count(RetailCounterRequest.state == "escalated")
        cards.append(Card(_("Counter requests waiting for the store manager"), str(waiting),
                          url_for("retail_request.index", show="escalated"), "danger" if waiting else "info"))
    if can("retail.approve_return", user, plugin=NAME):
        waiting = counter.count(counter.awaiting_approval_condition(user))
        cards.append(Card(_("Returns waiting for your approval"), str(waiting),
                          url_for("retail_request.index", show="approval"), "warning" if waiting else "info"))
    if can("retail.counter", user, plugin=NAME):
        late = repairs.count_due(repairs.late_condition(today))
        pickup = repairs.count_due(repairs.pickup_condition(today))
        url = url_for("retail_repair.index")
        cards.append(Card(_("Repairs running late: tell the customer"), str(late), url,
                          "warning" if late else "info"))
        cards.append(Card(_("Pickup notices and mailings due"), str(pickup), url, "warning" if pickup else "info"))
    if can("retail.stock", user, plugin=NAME):
        overdue = stock.count_overdue(today)
        cards.append(Card(_("Out-of-stock answers overdue"), str(overdue),
                          url_for("retail_stock.index", show="overdue"), "danger" if overdue else "info"))
    return cards


def register(admin, category) -> None:
    admin.add_view(CounterView(name=_l("Counter"), category=category, endpoint="retail_counter",
                               url="/admin/retail/counter"))
    admin.add_view(RequestView(name=_l("Counter requests"), category=category, endpoint="retail_request",
                               url="/admin/retail/requests"))
    admin.add_view(RepairView(name=_l("Repairs and pickup"), category=category, endpoint="retail_repair",
                              url="/admin/retail/repairs"))
    admin.add_view(StockView(name=_l("Out-of-stock registration"), category=category, endpoint="retail_stock",
                             url="/admin/retail/stock"))
    admin.add_view(CareView(name=_l("Clothing care"), category=category, endpoint="retail_care",
                            url="/admin/retail/care"))
    admin.add_view(DayView(name=_l("End of day"), category=category, endpoint="retail_day",
                           url="/admin/retail/day"))
