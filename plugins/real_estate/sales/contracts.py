"""The register of sales contracts (商品房买卖契约, 二、1): the sales agent registers a
signed contract and hands it over; the after-sales officer confirms and archives it.
Registering sells the unit and sets up how the buyer pays. Services never commit."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_

from portal.plugin_api import Customer, TicketError, can, db, scope, utcnow

from .. import NAME, rules
from .common import (
    CONTRACT_VIEW, as_id, local_today, may, parse_date, parse_money, refuse, require_settings, text,
)
from .models import Contract, Unit
from . import payments
from .units import unit_in_scope

SEARCH_LIMIT = 30
#: Which permission each step of the register needs, on top of the role rules.check_contract_step asks for.
STEP_PERMISSION = {
    rules.ContractState.HANDED_TO_AFTERSALES.value: "estate.sell",
    rules.ContractState.CONFIRMED.value: "estate.aftersales",
    rules.ContractState.ARCHIVED.value: "estate.aftersales",
}
STAMP = {
    rules.ContractState.HANDED_TO_AFTERSALES.value: "handed_over_at",
    rules.ContractState.CONFIRMED.value: "confirmed_at",
    rules.ContractState.ARCHIVED.value: "archived_at",
}


def contracts_query():
    """The live contracts the user may see: nothing at all without the confidential permission."""
    query = scope(db.session.query(Contract), Contract).filter(Contract.deleted_at.is_(None))
    if not can(CONTRACT_VIEW, plugin=NAME):
        query = query.filter(db.false())
    return query


def contract_in_scope(contract_id):
    contract_id = as_id(contract_id)
    return None if contract_id is None else contracts_query().filter(Contract.id == contract_id).one_or_none()


def customer_in_scope(customer_id):
    customer_id = as_id(customer_id)
    if customer_id is None:
        return None
    return scope(db.session.query(Customer), Customer).filter(
        Customer.id == customer_id, Customer.deleted_at.is_(None)).one_or_none()


def find_customers(phone_or_name: str) -> list:
    """Customer files by phone or name (from its start), in the user's scope."""
    needle = (phone_or_name or "").strip()[:120]
    if not needle:
        return []
    pattern = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return scope(db.session.query(Customer), Customer).filter(
        Customer.deleted_at.is_(None),
        or_(Customer.phone.like(pattern, escape="\\"), Customer.name.like(pattern, escape="\\")),
    ).order_by(Customer.id.desc()).limit(SEARCH_LIMIT).all()


def _customer(form, user, branch_id) -> Customer:
    """The buyer's customer file: the one chosen, or the branch's file with this phone, or a new one."""
    if as_id(form.get("customer_id")) is not None:
        customer = customer_in_scope(form.get("customer_id"))
        if customer is None or customer.branch_id != branch_id:
            raise TicketError(_("Choose a customer file of the same branch as the unit."), {"customer_id": "x"})
        return customer
    name, phone = text(form.get("customer_name"), 120), text(form.get("customer_phone"), 40)
    if not name or not phone:
        raise TicketError(_("Find the buyer's customer file by phone, or enter the name and phone of a new one."),
                          {"customer_name": "x"})
    existing = db.session.query(Customer).filter(
        Customer.branch_id == branch_id, Customer.phone == phone, Customer.deleted_at.is_(None)).first()
    if existing is not None:
        return existing
    if not can("customer.create", user, branch_id=branch_id):
        raise TicketError(_("Your role may not create customer files; ask a colleague to create this one."))
    customer = Customer(branch_id=branch_id, name=name, phone=phone, kind="person",
                        created_by_id=user.id)
    db.session.add(customer)
    db.session.flush()
    return customer


def register(form, user) -> Contract:
    """Register a signed contract: the unit becomes sold and the payments are set up."""
    unit = unit_in_scope(form.get("unit_id"))
    if unit is None:
        raise TicketError(_("Choose the unit the contract sells."), {"unit_id": "x"})
    may("estate.sell", user, unit.branch_id)
    require_settings(unit.branch_id)
    refuse(rules.check_contract_step(None, rules.ContractState.REGISTERED.value, user.role_codes))
    number = text(form.get("number"), 40)
    buyers = text(form.get("buyers"))
    errors = {}
    if not number:
        errors["number"] = _("Enter the contract number printed on the contract.")
    elif db.session.query(Contract.id).filter(Contract.number == number).first() is not None:
        errors["number"] = _("A contract with this number is registered already.")
    if not buyers:
        errors["buyers"] = _("Name every buyer of the contract.")
    if errors:
        raise TicketError(list(errors.values()), errors)
    price = parse_money(form.get("price"), "price")
    signed_on = parse_date(form.get("signed_on"), "signed_on")
    method = (form.get("payment_method") or "").strip()
    today = local_today(unit.branch)
    refuse(rules.check_contract(price, unit.area_m2, signed_on, unit.state, method, today=today))
    refuse(rules.check_unit_step(unit.state, rules.UnitState.SOLD.value))
    notarised = form.get("notarised") in ("1", "on", "yes", "true")
    notary_reference = text(form.get("notary_reference"), 60)
    if notarised and not notary_reference:
        raise TicketError(_("Enter the notary's reference of a notarised contract."), {"notary_reference": "x"})
    customer = _customer(form, user, unit.branch_id)
    contract = Contract(
        branch_id=unit.branch_id, number=number, unit_id=unit.id, customer_id=customer.id, buyers=buyers,
        price=price, signed_on=signed_on, notarised=notarised, notary_reference=notary_reference if notarised else "",
        payment_method=method, state=rules.ContractState.REGISTERED.value, note=text(form.get("note")),
        agent_id=user.id,
    )
    contract.unit, contract.customer = unit, customer
    db.session.add(contract)
    db.session.flush()
    payments.set_up(contract, form)
    unit.state = rules.UnitState.SOLD.value
    return contract


def step(contract: Contract, target: str, user) -> None:
    """Hand to after-sales, confirm, archive — each by the role that owns it."""
    if target not in STEP_PERMISSION:
        raise TicketError(_("There is no such step."))
    may(STEP_PERMISSION[target], user, contract.branch_id)
    require_settings(contract.branch_id)
    refuse(rules.check_contract_step(contract.state, target, user.role_codes))
    contract.state = target
    setattr(contract, STAMP[target], utcnow())
    if target == rules.ContractState.CONFIRMED.value:
        contract.confirmed_by_id = user.id


def next_steps(contract: Contract, user) -> list[str]:
    """The register's next step, if this user may take it (for the buttons)."""
    return [target for target in STEP_PERMISSION
            if not rules.check_contract_step(contract.state, target, user.role_codes)
            and can(STEP_PERMISSION[target], user, plugin=NAME, branch_id=contract.branch_id)]


def unit_of(contract) -> Unit:
    return contract.unit
