"""Disputes about a contract (二、11): what the customer said, the rule or regulation used
to explain, the answer given; when the office cannot answer, or the customer does not
accept the answer, it goes to the branch leader. Each dispute is a core ticket of kind
``estate_dispute`` with the core's eight-step complaint file, so it follows the
complaint steps of the core. Services never commit."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.plugin_api import (
    TicketError, can, db, log_on_ticket, open_complaint, open_ticket, scope, utcnow,
)

from .. import NAME, rules
from .common import as_id, may_any, require_settings, text
from .models import Contract, Dispute

KIND = "estate_dispute"
KIND_LABEL = _l("Contract dispute")
#: Who records and answers disputes; the branch leader reads the escalated ones.
WORKERS = ("estate.sell", "estate.aftersales")
DISPUTE_VIEW = "estate.dispute.view"
STATES = {"open": _l("Being answered"), "escalated": _l("Escalated to the branch leader"),
          "settled": _l("Settled: the customer accepts")}
ACCEPTS = {"": None, "yes": True, "no": False}


def disputes_query():
    query = scope(db.session.query(Dispute), Dispute).filter(Dispute.deleted_at.is_(None))
    if not can(DISPUTE_VIEW, plugin=NAME):
        query = query.filter(db.false())
    return query


def dispute_in_scope(dispute_id):
    dispute_id = as_id(dispute_id)
    return None if dispute_id is None else disputes_query().filter(Dispute.id == dispute_id).one_or_none()


def _accepts(raw):
    raw = (raw or "").strip()
    if raw not in ACCEPTS:
        raise TicketError(_("Say whether the customer accepts the answer."), {"customer_accepts": "x"})
    return ACCEPTS[raw]


def record(contract: Contract, form, user) -> Dispute:
    """Record a dispute and open its ticket and complaint file."""
    may_any(WORKERS, user, contract.branch_id)
    require_settings(contract.branch_id)
    said = text(form.get("customer_said"))
    if not said:
        raise TicketError(_("Write down what the customer said."), {"customer_said": "x"})
    dispute = Dispute(branch_id=contract.branch_id, contract_id=contract.id, customer_said=said,
                      rule_cited=text(form.get("rule_cited")), answer_given=text(form.get("answer_given")),
                      customer_accepts=_accepts(form.get("customer_accepts")), recorded_by_id=user.id, state="open")
    dispute.contract = contract
    # The ticket is seen by every colleague with tickets, so it names the unit, not the
    # confidential contract (number, price, payments stay on the dispute page).
    ticket = open_ticket(contract.customer_id, _("Contract dispute: unit %(unit)s", unit=str(contract.unit))[:200],
                         KIND, user, description=said)
    db.session.flush()
    complaint = open_complaint(ticket)
    dispute.ticket_id, dispute.complaint_id = ticket.id, complaint.id
    db.session.add(dispute)
    db.session.flush()
    return dispute


def answer(dispute: Dispute, form, user) -> None:
    """The rule used to explain, the answer given and the customer's reply."""
    may_any(WORKERS, user, dispute.branch_id)
    require_settings(dispute.branch_id)
    if dispute.state != "open":
        raise TicketError(_("This dispute is with the branch leader or settled; it can no longer be changed here."))
    dispute.rule_cited = text(form.get("rule_cited"))
    dispute.answer_given = text(form.get("answer_given"))
    dispute.customer_accepts = _accepts(form.get("customer_accepts"))
    if dispute.ticket is not None:
        log_on_ticket(dispute.ticket, _("Dispute answered: %(answer)s", answer=dispute.answer_given or "–"), user)


def needs_escalation(dispute: Dispute) -> bool:
    return rules.dispute_needs_escalation(bool(dispute.answer_given.strip()), dispute.customer_accepts)


def escalate(dispute: Dispute, note, user) -> None:
    """汇报给分管领导: only when it could not be answered or the customer rejects the answer."""
    may_any(WORKERS, user, dispute.branch_id)
    require_settings(dispute.branch_id)
    if dispute.state != "open":
        raise TicketError(_("This dispute is with the branch leader or settled already."))
    if not needs_escalation(dispute):
        raise TicketError(_("The customer has not rejected the answer given: there is nothing to escalate yet."))
    dispute.state = "escalated"
    dispute.escalated_at = utcnow()
    dispute.escalation_note = text(note)
    if dispute.ticket is not None:
        log_on_ticket(dispute.ticket, _("Dispute escalated to the branch leader: %(note)s",
                                        note=dispute.escalation_note or "–"), user)


def settle(dispute: Dispute, user) -> None:
    may_any(WORKERS, user, dispute.branch_id)
    require_settings(dispute.branch_id)
    if dispute.state != "open":
        raise TicketError(_("This dispute is with the branch leader or settled already."))
    if not dispute.answer_given.strip() or dispute.customer_accepts is not True:
        raise TicketError(_("A dispute is settled when it was answered and the customer accepts the answer."))
    dispute.state = "settled"
    if dispute.ticket is not None:
        log_on_ticket(dispute.ticket, _("Dispute settled: the customer accepts the answer."), user)


def count(condition) -> int:
    return disputes_query().filter(condition).count()
