"""Move-in (二、4 and 9): the building's completion acceptance, a move-in notice
(入住通知单) for every sold unit, how and when each notice went out, and the handover
appointments made together with the property-management company.

Services never commit: the page commits, so a refusal changes nothing."""

from __future__ import annotations

from datetime import datetime, time, timezone

from flask_babel import gettext as _
from sqlalchemy import select

from portal.plugin_api import TicketError, User, can, db

from .. import rules
from ..sales.models import Building, Contract, Unit
from .common import check_version, local_today, may, parse_date, refuse, require_settings, text, zone_of
from .models import EstateHandover, EstateMoveInNotice

PERM = "estate.aftersales"


def contract_of(unit) -> Contract | None:
    """The unit's live sales contract (the newest one, should a cancelled sale precede it)."""
    return db.session.scalar(select(Contract).where(Contract.unit_id == unit.id, Contract.deleted_at.is_(None))
                             .order_by(Contract.id.desc()).limit(1))


def live_units(building) -> list:
    return db.session.scalars(select(Unit).where(Unit.building_id == building.id, Unit.deleted_at.is_(None))
                              .order_by(Unit.floor, Unit.number)).all()


def accept_building(building: Building, accepted_on_raw, user, seen_version=None) -> Building:
    """Record the completion acceptance (竣工验收) of the building."""
    check_version(building, seen_version)
    may(PERM, user, building.branch_id)
    require_settings(building.branch_id)
    accepted_on = parse_date(accepted_on_raw, "accepted_on")
    if accepted_on > local_today(building.branch):
        raise TicketError(_("The acceptance date is in the future."), {"accepted_on": "x"})
    if building.completion_accepted_on is not None:
        raise TicketError(_("The completion acceptance of this building is recorded already."))
    building.completion_accepted_on = accepted_on
    return building


def generate_notices(building: Building, user) -> list[EstateMoveInNotice]:
    """One notice for every sold unit that has none yet; nothing before the acceptance.
    Running it again only adds notices for units sold since."""
    may(PERM, user, building.branch_id)
    require_settings(building.branch_id)
    if building.completion_accepted_on is None:
        raise TicketError(_("Record the building's completion acceptance first: move-in notices go out "
                            "only after it."))
    units = live_units(building)
    wanted = rules.units_for_move_in([(u.id, u.state) for u in units], True)
    have = set(db.session.scalars(select(EstateMoveInNotice.unit_id).where(
        EstateMoveInNotice.unit_id.in_(wanted or [0]))))
    today = local_today(building.branch)
    created = []
    by_id = {u.id: u for u in units}
    for unit_id in wanted:
        if unit_id in have:
            continue
        contract = contract_of(by_id[unit_id])
        notice = EstateMoveInNotice(branch_id=building.branch_id, unit_id=unit_id, issued_on=today,
                                    contract_id=contract.id if contract else None,
                                    customer_id=contract.customer_id if contract else None)
        db.session.add(notice)
        created.append(notice)
    db.session.flush()
    return created


def record_sent(notice: EstateMoveInNotice, method, tracking_number, sent_on_raw, user, seen_version=None):
    """How and when the notice went out: registered mail (with its tracking number) or fax."""
    check_version(notice, seen_version)
    may(PERM, user, notice.branch_id)
    require_settings(notice.branch_id)
    tracking = text(tracking_number, "tracking_number", 60)
    sent_on = parse_date(sent_on_raw, "sent_on", required=False)
    refuse(rules.check_notice_sent(method or None, tracking, sent_on, today=local_today(notice.branch)))
    notice.method = method
    notice.tracking_number = tracking if method == rules.NoticeMethod.REGISTERED_MAIL else ""
    notice.sent_on = sent_on
    notice.sent_by_id = user.id
    return notice


def open_handover(unit) -> EstateHandover | None:
    return db.session.scalar(select(EstateHandover).where(
        EstateHandover.unit_id == unit.id, EstateHandover.deleted_at.is_(None),
        EstateHandover.state.in_(("scheduled", "done"))).limit(1))


def liaison_choices(branch_id) -> list:
    """Colleagues of the branch who liaise with the property-management company."""
    users = db.session.scalars(select(User).where(User.branch_id == branch_id, User.active.is_(True))
                               .order_by(User.username)).all()
    return [u for u in users if can("estate.liaison", u, branch_id=branch_id)]


def schedule_handover(unit, day_raw, time_raw, liaison_id, company_contact, user) -> EstateHandover:
    """An appointment to hand the unit over, agreed with the property-management company."""
    may(PERM, user, unit.branch_id)
    settings = require_settings(unit.branch_id)
    building = unit.building
    if building.completion_accepted_on is None:
        raise TicketError(_("The building's completion acceptance is not recorded yet."))
    if unit.state != rules.UnitState.SOLD:
        raise TicketError(_("Only a sold unit that is not handed over yet gets a handover appointment."))
    if open_handover(unit) is not None:
        raise TicketError(_("This unit has a handover appointment already."))
    contract = contract_of(unit)
    if contract is None:
        raise TicketError(_("The unit has no sales contract in the register: the owner is unknown."))
    day = parse_date(day_raw, "day")
    try:
        at = time.fromisoformat((time_raw or "").strip() or "09:00")
    except ValueError:
        raise TicketError(_("Enter the time like 09:30."), {"time": "x"}) from None
    if day < local_today(unit.branch):
        raise TicketError(_("The appointment cannot be in the past."), {"day": "x"})
    liaison = None
    if str(liaison_id or "").strip():
        liaison = next((u for u in liaison_choices(unit.branch_id) if str(u.id) == str(liaison_id).strip()), None)
        if liaison is None:
            raise TicketError(_("Choose the property liaison from the list."), {"liaison_id": "x"})
    contact = text(company_contact, "company_contact", 120, required=True,
                   label=_("Contact at the property-management company"))
    items = rules.parse_checklist(settings.get("handover_checklist"))
    when = datetime.combine(day, at, tzinfo=zone_of(unit.branch)).astimezone(timezone.utc)
    handover = EstateHandover(
        branch_id=unit.branch_id, unit_id=unit.id, contract_id=contract.id, customer_id=contract.customer_id,
        scheduled_at=when, liaison_id=liaison.id if liaison else None, company_contact=contact,
        checklist_items=items, checklist={item: {"judgement": "", "note": ""} for item in items},
        meter_readings={}, created_by_id=user.id, state="scheduled")
    db.session.add(handover)
    db.session.flush()
    return handover
