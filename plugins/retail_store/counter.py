"""The counter (第十七–二十二条): find the purchase, decide, agree or escalate, let the store
manager override, approve returns, refund or exchange.

Like every service of the portal these functions never commit: the page (or the API)
commits, so one request is one transaction. Refusals raise ``TicketError`` with messages
for the person and change nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal.plugin_api import (
    Customer, Product, TicketError, as_id, can, db, local_today, log_on_ticket, open_ticket, plugin_settings,
    scope, sees_all_branches, settle_warranty, ticket_step, utcnow,
)

from . import NAME, messages, rules
from .labels import TICKET_KINDS
from .models import RetailCounterRequest

KIND_OF_DECISION = {"return": "retail_return", "exchange": "retail_exchange", "free_repair": "retail_repair",
                    "paid_repair": "retail_repair"}
MAX_NOTE = 2000
MAX_REASON = 2000
SEARCH_LIMIT = 30


def settings_of(branch_id) -> dict | None:
    """The plugin's settings in the branch, or None where HQ has not switched it on."""
    return plugin_settings(NAME, branch_id)


# --- the branch: its day and its numbers ------------------------------------------------------


def require_settings(branch_id) -> dict:
    found = settings_of(branch_id)
    if found is None:
        raise TicketError(_("The retail store rules are not switched on in this branch."))
    return found


def _may(code: str, user, branch_id) -> None:
    if not can(code, user, plugin=NAME, branch_id=branch_id):
        raise TicketError(_("Your role does not allow this step."))


# --- finding the purchase -----------------------------------------------------------------------

def _live_products():
    return scope(db.session.query(Product), Product).filter(Product.deleted_at.is_(None))


def find_by_invoice(number: str) -> list:
    """Purchases with this receipt/invoice number in the customer files the user may see."""
    number = (number or "").strip()[:80]
    if not number:
        return []
    return _live_products().filter(Product.invoice_number == number).order_by(Product.id.desc()).limit(
        SEARCH_LIMIT).all()


def find_customers(text: str) -> list:
    """Customer files by phone or name (from its start), in the user's scope."""
    text = (text or "").strip()[:120]
    if not text:
        return []
    pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = scope(db.session.query(Customer), Customer).filter(
        Customer.deleted_at.is_(None),
        or_(Customer.phone.like(pattern, escape="\\"), Customer.name.like(pattern, escape="\\")))
    return query.order_by(Customer.id.desc()).limit(SEARCH_LIMIT).all()


def customer_in_scope(customer_id):
    customer_id = as_id(customer_id)
    if customer_id is None:
        return None
    return scope(db.session.query(Customer), Customer).filter(
        Customer.id == customer_id, Customer.deleted_at.is_(None)).one_or_none()


def product_in_scope(product_id):
    """The purchase, if the user may see it; None for another branch's or a bad id."""
    product_id = as_id(product_id)
    if product_id is None:
        return None
    return _live_products().filter(Product.id == product_id).one_or_none()


# --- the decision ---------------------------------------------------------------------------------

def parse_date(raw, field: str) -> date | None:
    raw = (raw or "").strip() if isinstance(raw, str) else raw
    if not raw:
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise TicketError(_("Enter the date like 2026-03-10."), {field: "x"}) from None


def judge(purchase_date, request_date, reason, conditions, settings) -> rules.Decision:
    """``rules.decide`` with its input errors turned into messages for the clerk."""
    try:
        return rules.decide(purchase_date, request_date, reason, conditions, settings)
    except rules.RuleInputError as exc:
        field = {"unknown_conditions": "conditions", "conditions_not_a_list": "conditions",
                 "unknown_reason": "reason", "date_before_start": "purchase_date",
                 "not_a_date": "purchase_date"}.get(exc.code, "reason")
        raise TicketError(messages.input_error_text(exc), {field: "x"}) from None


def explain(decision: rules.Decision) -> list[str]:
    return messages.explain(decision)


def stored_decision(req: RetailCounterRequest) -> rules.Decision:
    """The rules' decision as it was made, from the request's record."""
    return rules.Decision(req.decision, req.rule, tuple(req.reasons or ()), req.days, dict(req.rule_params or {}))


def _plain_params(decision: rules.Decision) -> dict:
    return {k: (list(v) if isinstance(v, (tuple, list)) else v) for k, v in dict(decision.params).items()}


def money(raw, field: str) -> Decimal | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise TicketError(_("Enter an amount in yuan, e.g. 120.50."), {field: "x"}) from None
    if not value.is_finite() or value < 0 or value > Decimal("9999999999.99") or value != value.quantize(
            Decimal("0.01")):
        raise TicketError(_("Enter an amount in yuan, e.g. 120.50."), {field: "x"})
    return value


def purchase_date_of(product, typed) -> date:
    """The purchase date from the customer file, or from the receipt when the file has none."""
    if product is not None and product.purchase_date is not None:
        return product.purchase_date
    found = parse_date(typed, "purchase_date")
    if found is None:
        raise TicketError(_("The customer file has no purchase date: enter the date on the receipt."),
                          {"purchase_date": "x"})
    return found


def preview(product, reason, conditions, typed_purchase_date=None) -> tuple[rules.Decision, dict]:
    """The decision for a purchase in its branch's settings today, without saving anything."""
    settings = require_settings(product.branch_id)
    purchase = purchase_date_of(product, typed_purchase_date)
    today = local_today(product.branch)
    if purchase > today:
        raise TicketError(_("The purchase date cannot be in the future."), {"purchase_date": "x"})
    return judge(purchase, today, reason, conditions, settings), settings


# --- recording and processing --------------------------------------------------------------------

def record(product, form: dict, user, agree: bool) -> RetailCounterRequest:
    """Record the request and its decision. The customer agrees: the request is processed
    at once (ticket, charge, form); the customer does not: it waits for the store manager."""
    _may("retail.counter", user, product.branch_id)
    decision, settings = preview(product, form.get("reason", ""), form.get("conditions", []),
                                 form.get("purchase_date"))
    material = (form.get("material") or "").strip() or None
    if material is not None and material not in rules.MATERIALS:
        raise TicketError(_("Choose the material from the list."), {"material": "x"})
    note = (form.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        raise TicketError(_("Keep the note under %(n)s characters.", n=MAX_NOTE), {"note": "x"})
    req = RetailCounterRequest(
        branch_id=product.branch_id, customer_id=product.customer_id, product_id=product.id,
        created_by_id=user.id, purchase_date=purchase_date_of(product, form.get("purchase_date")),
        request_date=local_today(product.branch), days=decision.days, reason=form["reason"],
        conditions=sorted(rules.parse_conditions(form.get("conditions", []))), note=note,
        price=money(form.get("price"), "price"), material=material,
        decision=decision.decision, rule=decision.rule, reasons=list(decision.reasons),
        rule_params=_plain_params(decision), final_decision=decision.decision,
        state="processing",
    )
    req.branch, req.product, req.customer = product.branch, product, product.customer
    db.session.add(req)
    db.session.flush()
    if agree:
        process(req, user, settings)
    else:
        escalate(req, form.get("escalation_note", ""), user, new=True)
    return req


def process(req: RetailCounterRequest, user, settings: dict | None = None) -> None:
    """Carry out the final decision: a refusal closes the request; anything else opens the
    ticket of its kind, triaged on the spot (the counter judged it, 第十九条) and with the
    charge the decision gives."""
    settings = settings or require_settings(req.branch_id)
    decision = req.final_decision
    if decision == "refused":
        req.state = "refused"
        return
    if not can("ticket.create", user, branch_id=req.branch_id):
        raise TicketError(_("Your role does not allow opening tickets."))
    kind = KIND_OF_DECISION[decision]
    product = req.product
    title = _("%(decision)s: %(item)s", decision=messages.DECISIONS[decision],
              item=product.name if product is not None else req.customer.name)
    description = "\n".join(filter(None, [req.note] + explain(_current_decision(req))))
    ticket = open_ticket(req.customer_id, title[:200], kind, user, product_id=req.product_id,
                         description=description[:10000])
    ticket_step(ticket, "triage", user, nature="product_quality" if req.reason == "quality" else "other")
    settle_warranty(ticket, decision != "paid_repair", _charge_note(req), user)
    req.ticket_id, req.ticket, req.state = ticket.id, ticket, "processing"
    if decision == "return":
        req.needs_hq_approval = bool(settings["returns_need_hq_approval"])
        if can("retail.approve_return", user, plugin=NAME, branch_id=req.branch_id) and not sees_all_branches(user):
            req.manager_approved_at, req.manager_approved_by_id = utcnow(), user.id
    if kind == "retail_repair":
        from .repairs import start_repair

        start_repair(req, ticket, settings)


def _current_decision(req: RetailCounterRequest) -> rules.Decision:
    return stored_decision(req)


def _charge_note(req: RetailCounterRequest) -> str:
    """The ticket's timeline line: what the counter decided, and why."""
    decision = stored_decision(req)
    head = _("Counter request %(number)s: %(decision)s (%(rule)s).", number=req.number,
             decision=messages.DECISIONS[req.final_decision], rule=messages.rule_text(decision))
    lines = [head] + explain(decision)
    if req.overridden:
        lines.append(_("Overridden by the store manager: %(reason)s", reason=req.override_reason))
    return "\n".join(lines)


def escalate(req: RetailCounterRequest, note: str, user, new: bool = False) -> None:
    """The customer does not agree: the request goes to the store manager (第二十条)."""
    _may("retail.counter", user, req.branch_id)
    if not new:
        if req.state == "escalated":
            raise TicketError(_("This request is already waiting for the store manager."))
        if req.state == "done" or _carried_out(req):
            raise TicketError(_("This request has been carried out: it can no longer be escalated."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise TicketError(_("Keep the note under %(n)s characters.", n=MAX_NOTE), {"escalation_note": "x"})
    req.state = "escalated"
    req.escalated_at, req.escalated_by_id, req.escalation_note = utcnow(), user.id, note
    if req.ticket is not None:
        log_on_ticket(req.ticket, _("The customer does not agree; escalated to the store manager. %(note)s",
                                    note=note), user)


def _carried_out(req: RetailCounterRequest) -> bool:
    if req.refunded_at is not None or req.exchanged_at is not None:
        return True
    from .repairs import repair_of

    repair = repair_of(req)
    return repair is not None and repair.state not in ("in_repair", "cancelled")


def manager_decides(req: RetailCounterRequest, decision: str, reason: str, user) -> None:
    """The store manager's word: keep the decision (an escalated request is then processed)
    or override it with a written reason, which the audit trail keeps (第二十条)."""
    _may("retail.override", user, req.branch_id)
    settings = require_settings(req.branch_id)
    if decision not in rules.DECISIONS:
        raise TicketError(_("Choose a decision from the list."), {"decision": "x"})
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise TicketError(_("Keep the reason under %(n)s characters.", n=MAX_REASON), {"override_reason": "x"})
    if req.state == "done" or _carried_out(req):
        raise TicketError(_("This request has been carried out: the decision can no longer change."))
    if decision == req.final_decision:
        if req.state != "escalated":
            raise TicketError(_("This is already the decision."), {"decision": "x"})
        if reason:
            req.escalation_note = (req.escalation_note + "\n" + _("Upheld: %(reason)s", reason=reason)).strip()
        if req.ticket is not None:
            # Escalated after it was processed: the ticket it has stands.
            req.state = "processing"
            log_on_ticket(req.ticket, _("The store manager keeps the decision. %(reason)s", reason=reason), user)
            return
        req.state = "processing"
        process(req, user, settings)
        return
    if len(reason) < 4:
        raise TicketError(_("Write why the decision is overridden."), {"override_reason": "x"})
    if req.ticket is not None and not req.ticket.is_open:
        raise TicketError(_("Ticket %(number)s is no longer open: the decision can no longer change.",
                            number=req.ticket.number))
    old_kind = KIND_OF_DECISION.get(req.final_decision)
    new_kind = KIND_OF_DECISION.get(decision)
    req.override_decision, req.override_reason = decision, reason
    req.overridden_at, req.overridden_by_id = utcnow(), user.id
    req.final_decision = decision
    ticket = req.ticket
    if ticket is not None and ticket.is_open and old_kind == new_kind:
        # Free ↔ paid repair: the same ticket, another charge.
        settle_warranty(ticket, decision != "paid_repair", _charge_note(req), user)
        from .repairs import repair_of

        repair = repair_of(req)
        if repair is not None:
            repair.charged = decision == "paid_repair"
        req.state = "processing"
        return
    if ticket is not None and ticket.is_open:
        ticket_step(ticket, "cancel", user, reason=_("Decision overridden: %(reason)s", reason=reason)[:2000])
        from .repairs import cancel_repair

        cancel_repair(req)
    req.ticket_id, req.ticket = None, None
    req.manager_approved_at = req.manager_approved_by_id = None
    req.hq_approved_at = req.hq_approved_by_id = None
    req.state = "processing"
    process(req, user, settings)


# --- returns: approval and refund; exchanges ------------------------------------------------------

def approval_level(req: RetailCounterRequest, user) -> str | None:
    """Which approval the user can give now: "manager", "hq" or None."""
    if req.final_decision != "return" or req.state != "processing" or req.refunded_at is not None:
        return None
    if not can("retail.approve_return", user, plugin=NAME, branch_id=req.branch_id):
        return None
    if sees_all_branches(user):
        return "hq" if req.needs_hq_approval and req.hq_approved_at is None else None
    return "manager" if req.manager_approved_at is None else None


def approve(req: RetailCounterRequest, user) -> str:
    level = approval_level(req, user)
    if level is None:
        raise TicketError(_("There is nothing for you to approve on this request."))
    now = utcnow()
    if level == "hq":
        req.hq_approved_at, req.hq_approved_by_id = now, user.id
        text = _("Return approved by HQ.")
    else:
        req.manager_approved_at, req.manager_approved_by_id = now, user.id
        text = _("Return approved by the store manager.")
    if req.ticket is not None:
        log_on_ticket(req.ticket, text, user)
    return level


def missing_approvals(req: RetailCounterRequest) -> list[str]:
    missing = []
    if req.manager_approved_at is None:
        missing.append(_("The store manager has not approved the return yet."))
    if req.needs_hq_approval and req.hq_approved_at is None:
        missing.append(_("This branch's returns also need HQ approval, which has not been given yet."))
    return missing


def suggested_refund(req: RetailCounterRequest, settings: dict) -> tuple[Decimal | None, int]:
    """(amount, depreciation percent). A return the rules give is refunded in full; a
    clothing return granted by the store manager beyond the rules is a paid return, less
    the depreciation for the days since purchase (001 §4.2.3)."""
    if req.price is None:
        return None, 0
    if req.material and req.decision != "return":
        try:
            percent = rules.depreciation_percent(req.days, settings)
            return rules.paid_return_refund(req.price, req.days, settings), percent
        except rules.RuleSettingsError:
            return req.price, 0
    return req.price, 0


def refund(req: RetailCounterRequest, amount, user) -> None:
    """Pay the money back and take the item back; the ticket is resolved and closed."""
    _may("retail.counter", user, req.branch_id)
    require_settings(req.branch_id)
    if req.final_decision != "return" or req.state != "processing" or req.ticket is None:
        raise TicketError(_("Only a return being processed is refunded."))
    if req.refunded_at is not None:
        raise TicketError(_("The refund has been recorded already."))
    missing = missing_approvals(req)
    if missing:
        raise TicketError(missing)
    value = money(amount, "refund_amount")
    if value is None or value <= 0:
        raise TicketError(_("Enter the amount refunded."), {"refund_amount": "x"})
    if req.price is not None and value > req.price:
        raise TicketError(_("The refund cannot be more than the price paid (%(price)s yuan).", price=req.price),
                          {"refund_amount": "x"})
    req.refund_amount, req.refunded_at, req.refunded_on = value, utcnow(), local_today(req.branch)
    db.session.flush()
    ticket_step(req.ticket, "retail_refund", user, solution=_("Refunded %(amount)s yuan.", amount=value))
    ticket_step(req.ticket, "close", user)
    req.state = "done"


def hand_over(req: RetailCounterRequest, note: str, user) -> None:
    """Give the customer the replacement and take the faulty item back."""
    _may("retail.counter", user, req.branch_id)
    require_settings(req.branch_id)
    if req.final_decision != "exchange" or req.state != "processing" or req.ticket is None:
        raise TicketError(_("Only an exchange being processed is handed over."))
    note = (note or "").strip()[:255]
    req.exchanged_at, req.exchange_note = utcnow(), note
    db.session.flush()
    ticket_step(req.ticket, "retail_hand_over", user, solution=note or _("Replacement handed over."))
    ticket_step(req.ticket, "close", user)
    req.state = "done"


def transition_refusals(ticket, target: str) -> list[str]:
    """Why a store return or exchange ticket may not move on yet (``portal_check_transition``):
    a return waits for its approvals, and both are completed from their counter request,
    where the refund or the replacement is recorded."""
    if ticket is None or ticket.kind not in ("retail_return", "retail_exchange") or target == "cancelled":
        return []
    req = db.session.scalar(select(RetailCounterRequest).where(
        RetailCounterRequest.ticket_id == ticket.id, RetailCounterRequest.deleted_at.is_(None)))
    if req is None:
        if target in ("resolved", "closed"):
            return [_("A store return or exchange is completed from its counter request.")]
        return []
    reasons = []
    if ticket.kind == "retail_return" and target in ("in_progress", "resolved", "closed"):
        reasons += missing_approvals(req)
        if target == "resolved" and req.refunded_at is None:
            reasons.append(_("Record the refund on the counter request %(number)s: it resolves the ticket.",
                             number=req.number))
    if ticket.kind == "retail_exchange" and target == "resolved" and req.exchanged_at is None:
        reasons.append(_("Hand over the replacement on the counter request %(number)s: it resolves the ticket.",
                         number=req.number))
    return reasons


# --- lists ----------------------------------------------------------------------------------------

def requests_query():
    return scope(db.session.query(RetailCounterRequest), RetailCounterRequest).filter(
        RetailCounterRequest.deleted_at.is_(None))


def request_in_scope(request_id):
    request_id = as_id(request_id)
    if request_id is None:
        return None
    return requests_query().filter(RetailCounterRequest.id == request_id).one_or_none()


def awaiting_approval_condition(user):
    """Returns waiting for the approval this user gives (store manager, or HQ)."""
    base = (RetailCounterRequest.final_decision == "return") & (RetailCounterRequest.state == "processing") & (
        RetailCounterRequest.refunded_at.is_(None))
    if sees_all_branches(user):
        return base & RetailCounterRequest.needs_hq_approval.is_(True) & RetailCounterRequest.hq_approved_at.is_(None)
    return base & RetailCounterRequest.manager_approved_at.is_(None)


def count(condition) -> int:
    return requests_query().with_entities(func.count(RetailCounterRequest.id)).filter(condition).scalar() or 0


def kind_label(kind: str) -> str:
    return str(TICKET_KINDS.get(kind, kind))
