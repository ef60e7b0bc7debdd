"""Free care services of clothing (001 §4.2.4): dry cleaning for textiles sold above the
branch's price, leather care for every leather garment, so many per purchase; refused
when used up (``rules.may_use_free_care``). Nothing here commits."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from portal.plugin_api import TicketError, can, db

from . import NAME, messages, rules
from .counter import local_today, money, require_settings
from .models import CARE_SERVICES, RetailCareUse, RetailGarment


def _may(user, branch_id) -> None:
    if not can("retail.counter", user, plugin=NAME, branch_id=branch_id):
        raise TicketError(_("Your role does not allow this step."))


def garment_of(product) -> RetailGarment | None:
    return db.session.scalar(select(RetailGarment).where(RetailGarment.product_id == product.id))


def register_garment(product, material: str, price, user) -> RetailGarment:
    """Say what the purchase is made of and what it cost; both decide the free services.
    Once a service was given they stay as they were."""
    _may(user, product.branch_id)
    require_settings(product.branch_id)
    if material not in rules.MATERIALS:
        raise TicketError(_("Choose the material from the list."), {"material": "x"})
    amount = money(price, "price")
    if amount is None:
        raise TicketError(_("Enter the price paid."), {"price": "x"})
    garment = garment_of(product)
    if garment is None:
        garment = RetailGarment(branch_id=product.branch_id, product_id=product.id, material=material, price=amount)
        db.session.add(garment)
    elif garment.uses:
        raise TicketError(_("Free services were given on this purchase: its material and price stay as recorded."))
    else:
        garment.material, garment.price = material, amount
    db.session.flush()
    return garment


def allowance(garment: RetailGarment, settings: dict) -> int:
    return rules.care_allowance(garment.price, garment.material, len(garment.uses), settings)


def refusals(garment: RetailGarment, settings: dict) -> list[str]:
    product = garment.product
    if product.purchase_date is None:
        return [_("The customer file has no purchase date for this item.")]
    today = local_today(product.branch)
    codes = rules.may_use_free_care(product.purchase_date, today, garment.price, garment.material,
                                    len(garment.uses), settings)
    return messages.care_refusal_texts(codes, settings)


def use(garment: RetailGarment, note: str, user) -> RetailCareUse:
    """Give one free service, or refuse with the reasons."""
    _may(user, garment.branch_id)
    settings = require_settings(garment.branch_id)
    refused = refusals(garment, settings)
    if refused:
        raise TicketError(refused)
    item = RetailCareUse(branch_id=garment.branch_id, garment=garment, service=CARE_SERVICES[garment.material],
                         service_date=local_today(garment.product.branch), by_id=user.id,
                         note=(note or "").strip()[:255])
    db.session.add(item)
    db.session.flush()
    return item
