"""Own purchases (自购, 004/2 三.10): three suppliers' prices side by side before the order;
the cheapest is shown and chosen unless the person picks another quote."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.plugin_api import TicketError, db, utcnow

from .. import rules
from . import common
from .models import AutoOwnPurchase, AutoPartsOrder, AutoSupplierQuote


def create(branch, form, user, work_order=None) -> AutoOwnPurchase:
    common.may("workshop.order", user, branch.id)
    common.require_settings(branch.id)
    item = common.text(form.get("item"), 200)
    if not item:
        raise TicketError(_("Name what is bought."), {"item": "x"})
    quantity = common.number(form.get("quantity") or "1", "quantity", low=1, high=99999)
    if quantity != quantity.to_integral_value():
        raise TicketError(_("Enter a whole number of pieces."), {"quantity": "x"})
    purchase = AutoOwnPurchase(branch_id=branch.id, work_order_id=work_order.id if work_order else None,
                               item=item, quantity=int(quantity), created_by_id=user.id)
    db.session.add(purchase)
    db.session.flush()
    return purchase


def quotes_of(purchase) -> list[tuple[str, object]]:
    return [(q.supplier, q.price) for q in purchase.quotes]


def cheapest(purchase):
    """The cheapest quote record, or None."""
    best = rules.cheapest(quotes_of(purchase))
    if best is None:
        return None
    return next(q for q in purchase.quotes if (q.supplier, q.price) == best)


def refusals(purchase) -> list:
    settings = common.settings_of(purchase.branch_id)
    return rules.check_own_purchase(quotes_of(purchase), settings) if settings is not None else []


def add_quote(purchase, form, user) -> AutoSupplierQuote:
    common.may("workshop.order", user, purchase.branch_id)
    if purchase.ordered_at is not None:
        raise TicketError(_("The purchase is already ordered."))
    supplier = common.text(form.get("supplier"), 120)
    if not supplier:
        raise TicketError(_("Name the supplier."), {"supplier": "x"})
    quote = AutoSupplierQuote(purchase_id=purchase.id, supplier=supplier,
                              price=common.amount(form.get("price"), "price"),
                              quoted_on=common.parse_date(form.get("quoted_on"), "quoted_on"),
                              recorded_by_id=user.id)
    purchase.quotes.append(quote)
    db.session.add(quote)
    db.session.flush()
    return quote


def order(purchase, form, user) -> AutoPartsOrder:
    common.may("workshop.order", user, purchase.branch_id)
    if purchase.ordered_at is not None:
        raise TicketError(_("The purchase is already ordered."))
    common.refuse(refusals(purchase))
    chosen_id = common.as_id(form.get("quote_id"))
    chosen = next((q for q in purchase.quotes if q.id == chosen_id), None) if chosen_id else cheapest(purchase)
    if chosen is None:
        raise TicketError(_("Choose one of the quotes."), {"quote_id": "x"})
    best = cheapest(purchase)
    note = common.text(form.get("note"))
    if best is not None and chosen.price > best.price and not note:
        raise TicketError(_("Say why a dearer quote than the cheapest (%(supplier)s, %(price)s yuan) is chosen.",
                            supplier=best.supplier, price=best.price), {"note": "x"})
    purchase.ordered_at, purchase.chosen_quote_id = utcnow(), chosen.id
    placed = AutoPartsOrder(branch_id=purchase.branch_id, kind="own_purchase", purchase_id=purchase.id,
                            work_order_id=purchase.work_order_id, supplier=chosen.supplier,
                            amount=chosen.price * purchase.quantity, note=note, ordered_at=purchase.ordered_at,
                            ordered_by_id=user.id)
    db.session.add(placed)
    db.session.flush()
    return placed
