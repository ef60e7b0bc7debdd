"""The handover itself (交房, 二、9): the inspection checklist of the branch's template,
keys and meter readings, the owner's signature on screen, and completion — the unit is
handed over, each defect becomes a repair ticket for the property-management company,
the certificate file opens and a follow-up call is scheduled.

Services never commit: the page commits, so a refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal.plugin_api import TicketError, clean_signature, db, open_ticket, schedule_callback, utcnow

from .. import messages, rules
from .common import check_version, local_today, may, refuse, require_settings, text
from .models import EstateCertificate, EstateDefect, EstateFollowup, EstateHandover

PERM = "estate.aftersales"
DEFECT_KIND = "estate_defect"
FOLLOWUP_KIND = "real_estate.followup"
MAX_NOTE = 500


def item_label(item: str) -> str:
    return messages.label(messages.CHECKLIST_ITEMS, item)


def meters_of(settings) -> list[str]:
    return rules.parse_list(settings.get("handover_meters", rules.DEFAULT_METERS))


def _reading(raw, meter: str):
    value = str(raw or "").strip()
    if not value:
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or abs(number) > Decimal("99999999"):
        raise TicketError(_("Enter the meter reading as a number: %(meter)s.",
                            meter=messages.label(messages.METERS, meter)), {f"meter-{meter}": "x"})
    return number


def _keys(raw):
    value = str(raw or "").strip()
    if not value:
        return None
    try:
        keys = int(value)
    except ValueError:
        keys = -1
    if not 0 <= keys <= 99:
        raise TicketError(_("Enter the number of keys handed over (0–99)."), {"keys_handed": "x"})
    return keys


def apply_form(handover: EstateHandover, form, settings) -> None:
    """Copy the posted checklist, keys, meters and signature onto the handover."""
    checklist = {}
    for index, item in enumerate(handover.checklist_items or []):
        judgement = str(form.get(f"judgement-{index}") or "").strip()
        if judgement and judgement not in set(rules.Judgement):
            raise TicketError(_("Mark each item in order or defective."), {f"judgement-{index}": "x"})
        note = text(form.get(f"note-{index}"), f"note-{index}", MAX_NOTE, label=item_label(item))
        checklist[item] = {"judgement": judgement, "note": note}
    handover.checklist = checklist
    handover.keys_handed = _keys(form.get("keys_handed"))
    readings = {}
    for meter in meters_of(settings):
        reading = _reading(form.get(f"meter-{meter}"), meter)
        if reading is not None:
            readings[meter] = str(reading)
    handover.meter_readings = readings
    signature = clean_signature(form.get("signature"))
    if signature is not None:
        handover.signature = signature
    elif str(form.get("clear_signature") or "") == "1":
        handover.signature = None
    handover.signed_by = text(form.get("signed_by"), "signed_by", 120, label=_("Signed by"))


def judgements(handover: EstateHandover) -> dict:
    return {item: (handover.checklist or {}).get(item, {}).get("judgement") or None
            for item in handover.checklist_items or []}


def refusals(handover: EstateHandover, settings) -> list:
    """Why the handover cannot be completed yet (rules.check_handover)."""
    readings = {m: Decimal(v) for m, v in (handover.meter_readings or {}).items()}
    return rules.check_handover(judgements(handover), bool(handover.signature), handover.keys_handed,
                                readings, settings)


def save(handover: EstateHandover, form, user, seen_version=None) -> EstateHandover:
    """Save the inspection as it stands (a draft may be incomplete)."""
    check_version(handover, seen_version)
    may(PERM, user, handover.branch_id)
    settings = require_settings(handover.branch_id)
    if handover.state != "scheduled":
        raise TicketError(_("This handover is finished; its record can no longer be changed."))
    apply_form(handover, form, settings)
    return handover


def complete(handover: EstateHandover, form, user, seen_version=None) -> EstateHandover:
    """Save and complete: refused without the owner's signature and a fully judged checklist."""
    save(handover, form, user, seen_version)
    settings = require_settings(handover.branch_id)
    refuse(refusals(handover, settings))
    unit = handover.unit
    refuse(rules.check_unit_step(unit.state, rules.UnitState.HANDED_OVER))
    today = local_today(handover.branch)
    handover.state = "done"
    handover.completed_on = today
    handover.completed_at = utcnow()
    handover.completed_by_id = user.id
    unit.state = rules.UnitState.HANDED_OVER.value
    unit.handed_over_on = today
    for item in rules.defects(judgements(handover)):
        _defect_ticket(handover, item, user, today)
    db.session.add(EstateCertificate(
        branch_id=handover.branch_id, unit_id=unit.id, handover_id=handover.id, customer_id=handover.customer_id,
        handed_over_on=today, deadline=rules.certificate_deadline(today, settings)))
    _follow_up_call(handover, today + timedelta(days=int(settings.get("followup_call_days", 30))), user)
    db.session.flush()
    return handover


def _defect_ticket(handover: EstateHandover, item: str, user, today) -> EstateDefect:
    unit = handover.unit
    company = unit.building.project.property_company if unit.building and unit.building.project else ""
    note = (handover.checklist or {}).get(item, {}).get("note", "")
    title = _("Handover defect: %(unit)s, %(item)s", unit=str(unit), item=item_label(item))
    description = _("Defect found at the handover of unit %(unit)s on %(day)s. Item: %(item)s. Note: %(note)s. "
                    "To be repaired by the property-management company %(company)s.",
                    unit=str(unit), day=today.isoformat(), item=item_label(item), note=note or "–",
                    company=company or "–")
    ticket = open_ticket(handover.customer_id, title[:200], DEFECT_KIND, user, description=description,
                         channel="visit")
    db.session.flush()  # the ticket's id goes on the defect
    defect = EstateDefect(branch_id=handover.branch_id, handover_id=handover.id, item=item[:80], note=note,
                          found_on=today, ticket_id=ticket.id)
    db.session.add(defect)
    return defect


def _follow_up_call(handover: EstateHandover, due_on, user) -> EstateFollowup:
    label = _("After-sales follow-up call: %(unit)s", unit=str(handover.unit))
    callback = schedule_callback(handover.customer_id, due_on, FOLLOWUP_KIND, label, branch_id=handover.branch_id)
    followup = EstateFollowup(branch_id=handover.branch_id, customer_id=handover.customer_id,
                              handover_id=handover.id, callback_id=callback.id, channel="call", due_on=due_on,
                              recorded_by_id=user.id)
    db.session.add(followup)
    return followup


def cancel(handover: EstateHandover, user, seen_version=None) -> EstateHandover:
    check_version(handover, seen_version)
    may(PERM, user, handover.branch_id)
    if handover.state != "scheduled":
        raise TicketError(_("Only a scheduled handover can be cancelled."))
    handover.state = "cancelled"
    return handover
