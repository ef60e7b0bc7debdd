"""The approvals part's pages: a work order's quotation, discount and margin; claim
orders; own purchases; the special-tool register. Every page exists only where HQ switched
the plugin on; records are looked up in the user's scope (another branch's id is a 404);
each change is one transaction and a refusal changes nothing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_
from sqlalchemy.orm import selectinload

from portal.plugin_api import (
    commit_and_return as _act, page_branch, plugin_branches,
    Customer, PortalView, TicketError, can, db, scope, sees_all_branches, utcnow, or_404 as _or_404,
)

from .. import NAME
from ..messages import WORK_ORDER_STATE_LABELS, describe
from ..workshop.models import WorkOrder
from . import claims, common, discounts, labels, purchases, quotes, tools
from .models import (
    AutoClaimOrder, AutoDiscount, AutoOwnPurchase, AutoPartsOrder, AutoQuotationRevision, AutoTool, ToolLoan,
)

#: Registers the part's templates (plugins/auto_workshop/approvals/templates/auto_workshop/approvals/...).
blueprint = Blueprint("auto_workshop_approvals", __name__, template_folder="templates")

DOCUMENT_LOCALE = "zh_CN"  # the quotation goes to Chinese customers, whatever the advisor reads
PAGE = 50
T = "auto_workshop/approvals/"


def _keyset(query, model):
    after = common.as_id(request.args.get("after"))
    if after:
        query = query.filter(model.id < after)
    rows = query.order_by(model.id.desc()).limit(PAGE).all()
    return rows, (rows[-1].id if len(rows) == PAGE else None)


def _preset(presets, default):
    chosen = request.args.get("show", "")
    return chosen if chosen in dict(presets) else default


def _search():
    return request.args.get("q", "").strip()[:60]


def _like(text):
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# --- a work order's quotation, discount and margin ------------------------------------------------

ORDER_PRESETS = (
    ("unsigned", _l("Quotations waiting for a signature")),
    ("accident", _l("Open accident repairs")),
    ("open", _l("Open work orders")),
    ("all", _l("All")),
)


class WorkOrderApprovalView(PortalView):
    """报价单与折扣: the quotation to sign before ordering, the discount, the accident margin."""

    plugin_name = NAME

    permission = ("workshop.advise", "workshop.manage", "workshop.order", "workshop.direct")

    @expose("/")
    def index(self):
        preset = _preset(ORDER_PRESETS, "accident")
        query = common.work_orders()
        if preset in ("unsigned", "accident", "open"):
            query = query.filter(WorkOrder.state.notin_(quotes.CLOSED_STATES))
        if preset in ("unsigned", "accident"):
            query = query.filter(WorkOrder.job_type == "accident_repair")
        q = _search()
        if q:
            query = query.filter(WorkOrder.number.like(_like(q), escape="\\"))
        query = query.options(selectinload(WorkOrder.lines), selectinload(WorkOrder.vehicle))
        if preset == "unsigned":
            # Lines are compared in Python: the open accident repairs, bounded, on one page.
            rows, older = query.order_by(WorkOrder.id.desc()).limit(quotes.WAITING_LIMIT).all(), None
            states = quotes.states_for(rows)
            rows = [o for o in rows if states[o.id].needs_signature]
        else:
            rows, older = _keyset(query, WorkOrder)
            states = quotes.states_for(rows)
        return self.render(T + "orders.html", rows=rows, older=older, preset=preset, presets=ORDER_PRESETS, q=q,
                           quote_states=states, job_types=labels.JOB_TYPES, wo_states=WORK_ORDER_STATE_LABELS)

    def _order(self, order_id):
        order = _or_404(common.work_order_in_scope(order_id))
        if common.settings_of(order.branch_id) is None:
            abort(404)
        return order

    @expose("/<int:order_id>")
    def details(self, order_id):
        order = self._order(order_id)
        branch_id = order.branch_id
        discount = discounts.active_discount(order.id)
        history = db.session.query(AutoDiscount).filter(AutoDiscount.work_order_id == order.id).order_by(
            AutoDiscount.id.desc()).all()
        return self.render(
            T + "order.html", order=order, quote=quotes.state_of(order), margin=discounts.margin_state(order),
            discount=discount, discount_history=history, line_kinds=labels.LINE_KINDS,
            sign_methods=labels.SIGN_METHODS, job_types=labels.JOB_TYPES, wo_states=WORK_ORDER_STATE_LABELS,
            discount_states=labels.DISCOUNT_STATES, describe=describe, line_total=quotes.line_total,
            revisions=db.session.query(AutoQuotationRevision).filter_by(work_order_id=order.id).order_by(
                AutoQuotationRevision.revision.desc()).all(),
            parts_orders=db.session.query(AutoPartsOrder).filter_by(work_order_id=order.id).order_by(
                AutoPartsOrder.id.desc()).all(),
            order_kinds=labels.ORDER_KINDS, delivery=discounts.delivery_texts(order),
            may_advise=can("workshop.advise", plugin=NAME, branch_id=branch_id),
            may_order=can("workshop.order", plugin=NAME, branch_id=branch_id),
            may_direct=can("workshop.direct", plugin=NAME, branch_id=branch_id),
            finished=order.state in quotes.CLOSED_STATES,
        )

    def _post(self, order_id, action, done):
        order = self._order(order_id)
        return _act(lambda: action(order), done, url_for(".details", order_id=order.id))

    @expose("/<int:order_id>/lines", methods=("POST",))
    def add_line(self, order_id):
        return self._post(order_id, lambda o: quotes.add_line(o, request.form, current_user),
                          _("Line added: the quotation needs a new signature before ordering."))

    @expose("/<int:order_id>/lines/<int:line_id>", methods=("POST",))
    def edit_line(self, order_id, line_id):
        return self._post(order_id, lambda o: quotes.edit_line(o, line_id, request.form, current_user),
                          _("Line changed: the quotation needs a new signature before ordering."))

    @expose("/<int:order_id>/sign", methods=("POST",))
    def sign(self, order_id):
        return self._post(order_id, lambda o: quotes.sign(o, request.form, current_user),
                          _("The quotation is signed; its parts may be ordered."))

    @expose("/<int:order_id>/order-parts", methods=("POST",))
    def order_parts(self, order_id):
        return self._post(order_id, lambda o: quotes.order_parts(o, request.form, current_user),
                          _("Parts ordered."))

    @expose("/<int:order_id>/discount", methods=("POST",))
    def discount(self, order_id):
        def run(order):
            given = discounts.give(order, request.form, current_user)
            if given.state == "pending":
                flash(_("The discount waits for the after-sales director's approval."), "info")
        return self._post(order_id, run, _("Discount recorded."))

    @expose("/<int:order_id>/margin-reason", methods=("POST",))
    def margin_reason(self, order_id):
        def run(order):
            approval = discounts.approval_of(order.id)
            if approval is not None:
                common.check_version(approval, request.form.get("seen_version"))
            discounts.write_reason(order, request.form, current_user)
        return self._post(order_id, run, _("Reason recorded; the after-sales director approves it."))

    @expose("/<int:order_id>/margin-approve", methods=("POST",))
    def margin_approve(self, order_id):
        def run(order):
            approval = discounts.approval_of(order.id)
            if approval is not None:
                common.check_version(approval, request.form.get("seen_version"))
            discounts.approve_margin(order, current_user)
        return self._post(order_id, run, _("Margin approved."))

    @expose("/<int:order_id>/quotation")
    def printable(self, order_id):
        """维修报价单: the customer's copy, always in Chinese."""
        order = self._order(order_id)
        state = quotes.state_of(order)
        with force_locale(DOCUMENT_LOCALE):
            return self.render(T + "quotation.html", order=order, quote=state, branch=order.branch,
                               line_kinds={k: str(v) for k, v in labels.LINE_KINDS.items()},
                               sign_methods={k: str(v) for k, v in labels.SIGN_METHODS.items()},
                               job_type=str(labels.JOB_TYPES.get(order.job_type, order.job_type)),
                               line_total=quotes.line_total, customer=db.session.get(Customer, order.customer_id),
                               signed_current=state.signed is not None and state.signed.revision == state.current)


# --- discounts for the director ------------------------------------------------------------------------

DISCOUNT_PRESETS = (
    ("review", _l("To review")),
    ("pending", _l("Waiting for the director")),
    ("all", _l("All")),
)


class DiscountView(PortalView):
    """Every discount with its reason, reported to the after-sales director (004/2 一.5)."""

    plugin_name = NAME

    permission = ("workshop.advise", "workshop.direct")

    @expose("/")
    def index(self):
        preset = _preset(DISCOUNT_PRESETS, "review")
        query = scope(db.session.query(AutoDiscount), AutoDiscount)
        if preset == "review":
            query = query.filter(discounts.to_review_condition())
        elif preset == "pending":
            query = query.filter(AutoDiscount.state == "pending")
        q = _search()
        if q:
            query = query.join(WorkOrder, WorkOrder.id == AutoDiscount.work_order_id).filter(
                or_(WorkOrder.number.like(_like(q), escape="\\"), AutoDiscount.reason.like(_like(q), escape="\\")))
        rows, older = _keyset(query, AutoDiscount)
        return self.render(T + "discounts.html", rows=rows, older=older, preset=preset, presets=DISCOUNT_PRESETS,
                           q=q, states=labels.DISCOUNT_STATES, job_types=labels.JOB_TYPES, who=common.who,
                           may_direct=can("workshop.direct", plugin=NAME))

    def _post(self, discount_id, action, done):
        discount = _or_404(common.in_scope(AutoDiscount, discount_id))

        def run():
            common.check_version(discount, request.form.get("seen_version"))
            action(discount)
        back = request.form.get("back") == "order"
        return _act(run, done, url_for("approvals_orders.details", order_id=discount.work_order_id) if back
                    else url_for(".index", show=request.args.get("show", "review")))

    @expose("/<int:discount_id>/review", methods=("POST",))
    def review(self, discount_id):
        return self._post(discount_id, lambda d: discounts.review(d, current_user), _("Marked as reviewed."))

    @expose("/<int:discount_id>/decide", methods=("POST",))
    def decide(self, discount_id):
        approve = request.form.get("decision") == "approve"
        return self._post(discount_id, lambda d: discounts.decide(d, approve, request.form.get("director_note", ""),
                                                                  current_user),
                          _("Discount approved.") if approve else _("Discount refused."))

    @expose("/<int:discount_id>/withdraw", methods=("POST",))
    def withdraw(self, discount_id):
        return self._post(discount_id, lambda d: discounts.withdraw(d, current_user), _("Discount withdrawn."))


# --- warranty-claim orders -------------------------------------------------------------------------------

CLAIM_PRESETS = (
    ("waiting", _l("Not ordered yet")),
    ("fitting", _l("Ordered, not fitted")),
    ("refund", _l("Deposit to refund")),
    ("all", _l("All")),
)


class ClaimView(PortalView):
    """索赔订货: deposit, signatures, order, fitting, refund."""

    plugin_name = NAME

    permission = ("workshop.advise", "workshop.manage", "workshop.order", "workshop.direct")

    @expose("/")
    def index(self):
        preset = _preset(CLAIM_PRESETS, "waiting")
        C = AutoClaimOrder
        query = scope(db.session.query(C), C).filter(C.deleted_at.is_(None))
        if preset == "waiting":
            query = query.filter(C.ordered_at.is_(None))
        elif preset == "fitting":
            query = query.filter(C.ordered_at.isnot(None), C.fitted_at.is_(None))
        elif preset == "refund":
            query = query.filter(C.fitted_at.isnot(None), C.deposit_received_at.isnot(None), C.refunded_at.is_(None))
        q = _search()
        if q:
            query = query.join(WorkOrder, WorkOrder.id == C.work_order_id).filter(
                or_(WorkOrder.number.like(_like(q), escape="\\"), C.parts.like(_like(q), escape="\\")))
        rows, older = _keyset(query, C)
        return self.render(T + "claims.html", rows=rows, older=older, preset=preset, presets=CLAIM_PRESETS, q=q,
                           refusals={c.id: claims.refusals(c) for c in rows}, describe=describe,
                           may_create=can("workshop.advise", plugin=NAME))

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        if not can("workshop.advise", plugin=NAME):
            abort(403)
        form, errors = (request.form if request.method == "POST" else request.args), {}
        if request.method == "POST":
            order = None
            if form.get("work_order_id"):
                order = _or_404(common.work_order_in_scope(form.get("work_order_id")))
            try:
                if order is None:
                    raise TicketError(_("Choose the work order the claim is for."), {"work_order_id": "x"})
                claim = claims.create(order, form, current_user)
                db.session.commit()
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            else:
                flash(_("Claim order recorded: take the deposit and collect the signatures."), "success")
                return redirect(url_for(".details", claim_id=claim.id))
        choices = common.work_orders().filter(WorkOrder.state.notin_(("closed", "cancelled"))).order_by(
            (WorkOrder.job_type == "warranty_claim").desc(), WorkOrder.id.desc()).limit(200).all()
        return self.render(T + "claim_new.html", form=form, errors=errors, choices=choices,
                           job_types=labels.JOB_TYPES)

    def _claim(self, claim_id):
        claim = _or_404(common.in_scope(AutoClaimOrder, claim_id))
        if common.settings_of(claim.branch_id) is None:
            abort(404)
        return claim

    @expose("/<int:claim_id>")
    def details(self, claim_id):
        claim = self._claim(claim_id)
        b = claim.branch_id
        return self.render(T + "claim.html", claim=claim, needed=claims.needed(claim),
                           refusals=[describe(r) for r in claims.refusals(claim)], who=common.who,
                           may_advise=can("workshop.advise", plugin=NAME, branch_id=b),
                           may_manage=can("workshop.manage", plugin=NAME, branch_id=b),
                           may_direct=can("workshop.direct", plugin=NAME, branch_id=b),
                           may_order=can("workshop.order", plugin=NAME, branch_id=b))

    def _post(self, claim_id, action, done):
        claim = self._claim(claim_id)

        def run():
            common.check_version(claim, request.form.get("seen_version"))
            action(claim)
        return _act(run, done, url_for(".details", claim_id=claim.id))

    @expose("/<int:claim_id>/deposit", methods=("POST",))
    def deposit(self, claim_id):
        return self._post(claim_id, lambda c: claims.record_deposit(c, request.form, current_user),
                          _("Deposit recorded."))

    @expose("/<int:claim_id>/sign", methods=("POST",))
    def sign(self, claim_id):
        return self._post(claim_id, lambda c: claims.sign(c, request.form.get("role", ""), current_user),
                          _("Signed."))

    @expose("/<int:claim_id>/order", methods=("POST",))
    def order(self, claim_id):
        return self._post(claim_id, lambda c: claims.order(c, request.form, current_user), _("Claim ordered."))

    @expose("/<int:claim_id>/withdraw", methods=("POST",))
    def withdraw(self, claim_id):
        claim = self._claim(claim_id)

        def run():
            common.check_version(claim, request.form.get("seen_version"))
            claims.withdraw(claim, current_user)
        return _act(run, _("Claim order withdrawn."), url_for(".index"))

    @expose("/<int:claim_id>/fitted", methods=("POST",))
    def fitted(self, claim_id):
        return self._post(claim_id, lambda c: claims.mark_fitted(c, current_user),
                          _("Fitted: the deposit can be refunded."))

    @expose("/<int:claim_id>/refund", methods=("POST",))
    def refund(self, claim_id):
        return self._post(claim_id, lambda c: claims.refund(c, request.form, current_user), _("Refund recorded."))


# --- own purchases -------------------------------------------------------------------------------------------

PURCHASE_PRESETS = (("open", _l("Not ordered yet")), ("ordered", _l("Ordered")), ("all", _l("All")))


class PurchaseView(PortalView):
    """自购: three suppliers' quotes, then the order."""

    plugin_name = NAME
    permission = "workshop.order"

    @expose("/")
    def index(self):
        preset = _preset(PURCHASE_PRESETS, "open")
        P = AutoOwnPurchase
        query = scope(db.session.query(P), P).filter(P.deleted_at.is_(None))
        if preset == "open":
            query = query.filter(P.ordered_at.is_(None))
        elif preset == "ordered":
            query = query.filter(P.ordered_at.isnot(None))
        q = _search()
        if q:
            query = query.filter(P.item.like(_like(q), escape="\\"))
        rows, older = _keyset(query, P)
        return self.render(T + "purchases.html", rows=rows, older=older, preset=preset, presets=PURCHASE_PRESETS,
                           q=q, cheapest=purchases.cheapest)

    @expose("/new", methods=("GET", "POST"))
    def new(self):
        branch = page_branch(NAME)
        if branch is None:
            abort(404)
        form, errors = (request.form if request.method == "POST" else {}), {}
        if request.method == "POST":
            order = None
            if form.get("work_order_id"):
                order = _or_404(common.work_order_in_scope(form.get("work_order_id")))
                branch = order.branch
            try:
                purchase = purchases.create(branch, form, current_user, order)
                db.session.commit()
            except TicketError as exc:
                db.session.rollback()
                errors = exc.fields
                for message in exc.messages:
                    flash(message, "error")
            else:
                flash(_("Recorded: add the suppliers' quotes."), "success")
                return redirect(url_for(".details", purchase_id=purchase.id))
        choices = common.work_orders().filter(WorkOrder.state.notin_(quotes.CLOSED_STATES)).order_by(
            WorkOrder.id.desc()).limit(200).all()
        return self.render(T + "purchase_new.html", form=form, errors=errors, branch=branch, choices=choices,
                           branches=plugin_branches(NAME) if sees_all_branches() else [])

    def _purchase(self, purchase_id):
        purchase = _or_404(common.in_scope(AutoOwnPurchase, purchase_id))
        if common.settings_of(purchase.branch_id) is None:
            abort(404)
        return purchase

    @expose("/<int:purchase_id>")
    def details(self, purchase_id):
        purchase = self._purchase(purchase_id)
        return self.render(T + "purchase.html", purchase=purchase, cheapest=purchases.cheapest(purchase),
                           refusals=[describe(r) for r in purchases.refusals(purchase)],
                           today=common.local_today(purchase.branch).isoformat(),
                           may_order=can("workshop.order", plugin=NAME, branch_id=purchase.branch_id))

    def _post(self, purchase_id, action, done):
        purchase = self._purchase(purchase_id)

        def run():
            common.check_version(purchase, request.form.get("seen_version"))
            action(purchase)
        return _act(run, done, url_for(".details", purchase_id=purchase.id))

    @expose("/<int:purchase_id>/quote", methods=("POST",))
    def quote(self, purchase_id):
        return self._post(purchase_id, lambda p: purchases.add_quote(p, request.form, current_user),
                          _("Quote recorded."))

    @expose("/<int:purchase_id>/order", methods=("POST",))
    def order(self, purchase_id):
        return self._post(purchase_id, lambda p: purchases.order(p, request.form, current_user),
                          _("Purchase ordered."))


# --- special tools ----------------------------------------------------------------------------------------------

TOOL_PRESETS = (("out", _l("Lent out")), ("overdue", _l("Overdue")), ("lost", _l("Lost and charged")),
                ("register", _l("Tool register")))


class ToolView(PortalView):
    """专用工具: the register and the lending book."""

    plugin_name = NAME
    permission = "workshop.tools"

    @expose("/")
    def index(self):
        preset = _preset(TOOL_PRESETS, "out")
        q = _search()
        branch = page_branch(NAME)
        if preset == "register":
            query = scope(db.session.query(AutoTool), AutoTool).filter(AutoTool.deleted_at.is_(None))
            if q:
                query = query.filter(or_(AutoTool.name.like(_like(q), escape="\\"),
                                         AutoTool.number.like(_like(q), escape="\\")))
            rows, older = _keyset(query, AutoTool)
        else:
            query = scope(db.session.query(ToolLoan), ToolLoan)
            if preset == "lost":
                query = query.filter(ToolLoan.lost_at.isnot(None))
            else:
                query = query.filter(ToolLoan.returned_at.is_(None), ToolLoan.lost_at.is_(None))
            if preset == "overdue":
                query = query.filter(tools.overdue_condition(utcnow()))
            if q:
                query = query.join(AutoTool, AutoTool.id == ToolLoan.tool_id).filter(
                    or_(AutoTool.name.like(_like(q), escape="\\"), AutoTool.number.like(_like(q), escape="\\")))
            rows, older = _keyset(query, ToolLoan)
        return self.render(T + "tools.html", rows=rows, older=older, preset=preset, presets=TOOL_PRESETS, q=q,
                           branch=branch, branches=plugin_branches(NAME) if sees_all_branches() else [],
                           overdue=tools.is_overdue, open_loan=tools.open_loan, who=common.who)

    @expose("/new", methods=("POST",))
    def new(self):
        branch = page_branch(NAME)
        if branch is None:
            abort(404)
        return _act(lambda: tools.add_tool(branch, request.form, current_user), _("Tool registered."),
                    url_for(".index", show="register"))

    def _tool(self, tool_id):
        tool = _or_404(common.in_scope(AutoTool, tool_id))
        if common.settings_of(tool.branch_id) is None:
            abort(404)
        return tool

    @expose("/<int:tool_id>")
    def details(self, tool_id):
        tool = self._tool(tool_id)
        loans = db.session.query(ToolLoan).filter(ToolLoan.tool_id == tool.id).order_by(ToolLoan.id.desc()).limit(
            PAGE).all()
        return self.render(T + "tool.html", tool=tool, loans=loans, open_loan=tools.open_loan(tool.id),
                           colleagues=common.branch_colleagues(tool.branch_id), who=common.who,
                           overdue=tools.is_overdue, settings=common.settings_of(tool.branch_id))

    @expose("/<int:tool_id>/lend", methods=("POST",))
    def lend(self, tool_id):
        tool = self._tool(tool_id)

        def run():
            common.check_version(tool, request.form.get("seen_version"))
            tools.lend(tool, request.form, current_user, common.require_settings(tool.branch_id))
        return _act(run, _("Lent out."), url_for(".details", tool_id=tool.id))

    @expose("/<int:tool_id>/retire", methods=("POST",))
    def retire(self, tool_id):
        tool = self._tool(tool_id)

        def run():
            common.check_version(tool, request.form.get("seen_version"))
            tools.retire(tool, current_user)
        return _act(run, _("Tool taken off the register."), url_for(".index", show="register"))

    def _loan_post(self, loan_id, action, done):
        loan = _or_404(common.in_scope(ToolLoan, loan_id))
        if common.settings_of(loan.branch_id) is None:
            abort(404)

        def run():
            common.check_version(loan, request.form.get("seen_version"))
            action(loan)
        return _act(run, done, url_for(".details", tool_id=loan.tool_id))

    @expose("/loans/<int:loan_id>/return", methods=("POST",))
    def give_back(self, loan_id):
        return self._loan_post(loan_id, lambda l: tools.give_back(l, current_user), _("Tool back in the store."))

    @expose("/loans/<int:loan_id>/lost", methods=("POST",))
    def lost(self, loan_id):
        return self._loan_post(loan_id, lambda l: tools.lost(l, request.form, current_user),
                               _("Recorded as lost: the borrower is charged the tool's price."))


def register(admin, category) -> None:
    admin.add_view(WorkOrderApprovalView(name=_l("Quotations and discounts"), category=category,
                                         endpoint="approvals_orders", url="/admin/auto/approvals/orders"))
    admin.add_view(DiscountView(name=_l("Discounts to review"), category=category, endpoint="approvals_discounts",
                                url="/admin/auto/approvals/discounts"))
    admin.add_view(ClaimView(name=_l("Warranty-claim orders"), category=category, endpoint="approvals_claims",
                             url="/admin/auto/approvals/claims"))
    admin.add_view(PurchaseView(name=_l("Own purchases"), category=category, endpoint="approvals_purchases",
                                url="/admin/auto/approvals/purchases"))
    admin.add_view(ToolView(name=_l("Special tools"), category=category, endpoint="approvals_tools",
                            url="/admin/auto/approvals/tools"))
