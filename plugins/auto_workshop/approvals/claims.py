"""Warranty-claim orders (索赔订货, 004/2 三.8–9): the customer's deposit, the workshop
manager's signature and, above the branch's amount, the after-sales director's; only then
is the claim ordered. After fitting, the deposit is refunded and the refund recorded."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.plugin_api import TicketError, db, utcnow

from .. import rules
from . import common
from .models import AutoClaimOrder, AutoPartsOrder


def create(work_order, form, user) -> AutoClaimOrder:
    common.may("workshop.advise", user, work_order.branch_id)
    common.require_settings(work_order.branch_id)
    if work_order.state in ("closed", "cancelled"):
        raise TicketError(_("This work order is finished; open the claim on an open work order."))
    parts = common.text(form.get("parts"))
    if not parts:
        raise TicketError(_("List the parts claimed."), {"parts": "x"})
    claim = AutoClaimOrder(branch_id=work_order.branch_id, work_order_id=work_order.id, parts=parts,
                           amount=common.amount(form.get("amount"), "amount"), created_by_id=user.id)
    db.session.add(claim)
    db.session.flush()
    return claim


def needed(claim) -> set[str]:
    return rules.claim_signatures_needed(claim.amount, common.require_settings(claim.branch_id))


def refusals(claim) -> list:
    """Why the claim may not be ordered yet (rules.check_claim_order)."""
    settings = common.settings_of(claim.branch_id)
    if settings is None:
        return []
    return rules.check_claim_order(claim.deposit_received_at is not None, claim.signatures, claim.amount, settings)


def _not_ordered(claim) -> None:
    if claim.ordered_at is not None:
        raise TicketError(_("The claim is already ordered."))


def record_deposit(claim, form, user) -> None:
    common.may("workshop.advise", user, claim.branch_id)
    _not_ordered(claim)
    if claim.deposit_received_at is not None:
        raise TicketError(_("The deposit is already recorded."))
    receipt = common.text(form.get("deposit_receipt_no"), 40)
    if not receipt:
        raise TicketError(_("Enter the receipt number of the deposit."), {"deposit_receipt_no": "x"})
    claim.deposit_amount = common.amount(form.get("deposit_amount"), "deposit_amount")
    claim.deposit_receipt_no = receipt
    claim.deposit_received_at = utcnow()
    claim.deposit_recorded_by_id = user.id


def sign(claim, role: str, user) -> None:
    """The workshop manager or the after-sales director signs; two different people."""
    _not_ordered(claim)
    if role == rules.WORKSHOP_MANAGER:
        common.may("workshop.manage", user, claim.branch_id)
        if claim.manager_signed_at is not None:
            raise TicketError(_("The workshop manager has already signed."))
        if claim.director_signed_by_id == user.id:
            raise TicketError(_("The two signatures must come from two different people."))
        claim.manager_signed_at, claim.manager_signed_by_id = utcnow(), user.id
    elif role == rules.AFTERSALES_DIRECTOR:
        common.may("workshop.direct", user, claim.branch_id)
        if rules.AFTERSALES_DIRECTOR not in needed(claim):
            raise TicketError(_("This claim does not need the after-sales director's signature."))
        if claim.director_signed_at is not None:
            raise TicketError(_("The after-sales director has already signed."))
        if claim.manager_signed_by_id == user.id:
            raise TicketError(_("The two signatures must come from two different people."))
        claim.director_signed_at, claim.director_signed_by_id = utcnow(), user.id
    else:
        raise TicketError(_("Choose who signs."))


def order(claim, form, user) -> AutoPartsOrder:
    common.may("workshop.order", user, claim.branch_id)
    _not_ordered(claim)
    common.refuse(refusals(claim))
    claim.ordered_at = utcnow()
    placed = AutoPartsOrder(branch_id=claim.branch_id, kind="claim", work_order_id=claim.work_order_id,
                            claim_id=claim.id, supplier=common.text(form.get("supplier"), 120) or _("Manufacturer"),
                            amount=claim.amount, note=common.text(form.get("note")), ordered_at=claim.ordered_at,
                            ordered_by_id=user.id)
    db.session.add(placed)
    db.session.flush()
    return placed


def withdraw(claim, user) -> None:
    """A claim recorded by mistake goes to the archive while nothing is ordered yet."""
    common.may("workshop.advise", user, claim.branch_id)
    _not_ordered(claim)
    if claim.deposit_received_at is not None:
        raise TicketError(_("The customer's deposit is recorded: give it back before the claim is withdrawn."))
    claim.deleted_at = utcnow()


def mark_fitted(claim, user) -> None:
    common.may("workshop.advise", user, claim.branch_id)
    if claim.ordered_at is None:
        raise TicketError(_("The claimed parts have not been ordered yet."))
    if claim.fitted_at is not None:
        raise TicketError(_("The claimed parts are already recorded as fitted."))
    claim.fitted_at = utcnow()


def refund(claim, form, user) -> None:
    common.may("workshop.advise", user, claim.branch_id)
    if claim.deposit_received_at is None:
        raise TicketError(_("No deposit was recorded, so there is nothing to refund."))
    common.refuse(rules.check_deposit_refund(claim.fitted_at is not None, claim.refunded_at is not None))
    value = common.amount(form.get("refund_amount") or claim.deposit_amount, "refund_amount")
    if value > claim.deposit_amount:
        raise TicketError(_("The refund cannot be more than the deposit (%(deposit)s yuan).",
                            deposit=claim.deposit_amount), {"refund_amount": "x"})
    claim.refund_amount = value
    claim.refund_receipt_no = common.text(form.get("refund_receipt_no"), 40)
    claim.refunded_at, claim.refunded_by_id = utcnow(), user.id


def waiting_condition(settings):
    """Claims not ordered that still lack a signature they need (SQL, for the card)."""
    from sqlalchemy import and_, or_

    C = AutoClaimOrder
    return and_(C.deleted_at.is_(None), C.ordered_at.is_(None), or_(
        C.manager_signed_at.is_(None),
        and_(C.director_signed_at.is_(None), C.amount > rules.money(settings["claim_director_amount"]))))
