"""Projects, buildings and units: looked up in the user's scope, and the unit's own steps
(reserve, release). A unit becomes sold only through a registered contract and handed
over only through the handover part, so neither can be clicked here."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.plugin_api import TicketError, db, scope

from .. import rules
from .common import PROPERTY_EDIT, as_id, may_any, refuse, require_settings
from .models import Building, Unit

#: The steps a person takes on the unit page; the others belong to a contract or a handover.
PAGE_STEPS = (rules.UnitState.RESERVED.value, rules.UnitState.AVAILABLE.value)


def live(model):
    return scope(db.session.query(model), model).filter(model.deleted_at.is_(None))


def unit_in_scope(unit_id):
    unit_id = as_id(unit_id)
    return None if unit_id is None else live(Unit).filter(Unit.id == unit_id).one_or_none()


def units_for_sale(branch_id=None, limit: int = 500) -> list:
    """Units a contract may be signed for (check_contract: available or reserved)."""
    query = live(Unit).filter(Unit.state.in_((rules.UnitState.AVAILABLE.value, rules.UnitState.RESERVED.value)))
    if branch_id is not None:
        query = query.filter(Unit.branch_id == branch_id)
    return query.join(Building).order_by(Building.name, Unit.number).limit(limit).all()


def step_unit(unit: Unit, target: str, user) -> None:
    """Reserve a unit for a buyer, or free a reservation that fell through."""
    may_any((PROPERTY_EDIT, "estate.sell"), user, unit.branch_id)
    require_settings(unit.branch_id)
    if target not in PAGE_STEPS:
        raise TicketError(_("A unit becomes sold when its contract is registered, and handed over at the "
                            "handover; it cannot be set here."))
    refuse(rules.check_unit_step(unit.state, target))
    unit.state = target


def check_building_branch(building: Building) -> None:
    """A building belongs to its project's branch, a unit to its building's: the branch is
    taken from the parent, so one branch's project never holds another's buildings."""
    if building.project is not None:
        building.branch_id = building.project.branch_id


def check_unit(unit: Unit) -> None:
    if unit.building is not None:
        unit.branch_id = unit.building.branch_id
    if unit.area_m2 is not None and unit.area_m2 <= 0:
        raise TicketError(_("The floor area must be more than zero."))
    if unit.price is not None and unit.price <= 0:
        raise TicketError(_("The list price must be more than zero."))

