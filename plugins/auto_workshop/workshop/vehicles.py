"""Vehicle files (车辆档案, 000 汽车 §(二).1, §(三).2): complete within ``vehicle_file_days``
of the first visit; the file is complete when every field of ``rules.VEHICLE_FILE_FIELDS``
is filled. Nothing here commits."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_

from portal.plugin_api import Branch, Customer, TicketError, db, scope, utcnow

from .. import messages, rules
from .common import as_id, local_today, may, parse_date, require_settings, text, whole_number
from .models import Vehicle

SEARCH_LIMIT = 50


def vehicles_query():
    return scope(db.session.query(Vehicle), Vehicle).filter(Vehicle.deleted_at.is_(None))


def vehicle_in_scope(vehicle_id):
    vehicle_id = as_id(vehicle_id)
    if vehicle_id is None:
        return None
    return vehicles_query().filter(Vehicle.id == vehicle_id).one_or_none()


def customer_in_scope(customer_id):
    customer_id = as_id(customer_id)
    if customer_id is None:
        return None
    return scope(db.session.query(Customer), Customer).filter(
        Customer.id == customer_id, Customer.deleted_at.is_(None)).one_or_none()


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_condition(q: str):
    """Plate, VIN or the owner's phone, from its start (the indexes serve a prefix)."""
    pattern = _like(q.strip()[:40].upper())
    phone = _like(q.strip()[:40])
    owners = db.session.query(Customer.id).filter(Customer.phone.like(phone, escape="\\"))
    return or_(Vehicle.plate.like(pattern, escape="\\"), Vehicle.vin.like(pattern, escape="\\"),
               Vehicle.customer_id.in_(owners.scalar_subquery()))


def late_condition(today, days: int):
    """Files still incomplete after their due day (first visit + ``vehicle_file_days``)."""
    return Vehicle.file_completed_at.is_(None) & (Vehicle.first_visit_on < today - timedelta(days=days))


def count_late(branch, settings) -> int:
    query = vehicles_query().with_entities(func.count(Vehicle.id)).filter(Vehicle.branch_id == branch.id)
    return query.filter(late_condition(local_today(branch), settings["vehicle_file_days"])).scalar() or 0


def file_values(vehicle: Vehicle) -> dict:
    return {
        "plate": vehicle.plate, "vin": vehicle.vin, "model": vehicle.model,
        "owner": vehicle.customer_id, "mileage": vehicle.mileage_km, "service_items": vehicle.service_items,
        "service_interval": (vehicle.service_interval_months, vehicle.service_interval_km),
        "next_service_date": vehicle.next_service_on,
    }


def missing_fields(vehicle: Vehicle) -> list[str]:
    return [str(messages.VEHICLE_FILE_FIELD_LABELS[f]) for f in rules.vehicle_file_missing(file_values(vehicle))]


def file_state(vehicle: Vehicle, settings) -> dict:
    """Due day, whether it is late, and what is missing; for pages and the customer file."""
    due = rules.vehicle_file_due(vehicle.first_visit_on, settings)
    completed = vehicle.file_completed_at
    completed_on = completed.astimezone(local_zone(vehicle)).date() if completed else None
    return {"due": due, "late": rules.vehicle_file_late(vehicle.first_visit_on, completed_on,
                                                        local_today(vehicle.branch), settings),
            "missing": missing_fields(vehicle), "completed_on": completed_on}


def local_zone(vehicle):
    from zoneinfo import ZoneInfo

    return ZoneInfo(vehicle.branch.timezone if vehicle.branch is not None else "Asia/Shanghai")


def save(vehicle: Vehicle | None, form, user) -> Vehicle:
    """Create or update a vehicle file from the advisor's form. The branch is the owner's:
    a car is filed where its owner's customer file is."""
    if vehicle is None:
        customer = customer_in_scope(form.get("customer_id"))
        if customer is None and str(form.get("owner_phone") or "").strip():
            phone = str(form.get("owner_phone")).strip()[:40]
            matches = scope(db.session.query(Customer), Customer).filter(
                Customer.deleted_at.is_(None), Customer.phone == phone).limit(2).all()
            customer = matches[0] if len(matches) == 1 else None
        if customer is None:
            raise TicketError(_("Choose the owner: a customer file of the branch (give the phone of an existing "
                                "customer file, or create the customer file first)."), {"owner_phone": "x"})
        branch_id = customer.branch_id
    else:
        customer, branch_id = vehicle.customer, vehicle.branch_id
    may("workshop.advise", user, branch_id)
    require_settings(branch_id)
    plate = text(form, "plate", 16, _("Enter the plate number.")).upper().replace(" ", "")
    vin = text(form, "vin", 17).upper().replace(" ", "")
    if vin and len(vin) != 17:
        raise TicketError(_("A VIN has 17 characters."), {"vin": "x"})
    duplicate = vehicles_query().filter(Vehicle.branch_id == branch_id, Vehicle.plate == plate)
    if vehicle is not None:
        duplicate = duplicate.filter(Vehicle.id != vehicle.id)
    if duplicate.first() is not None:
        raise TicketError(_("The branch already has a vehicle file for %(plate)s.", plate=plate), {"plate": "x"})
    first_visit = parse_date(form.get("first_visit_on"), "first_visit_on")
    today = local_today(db.session.get(Branch, branch_id))
    if vehicle is None:
        first_visit = first_visit or today
    if first_visit is not None and first_visit > today:
        raise TicketError(_("The first visit cannot be in the future."), {"first_visit_on": "x"})
    values = {
        "plate": plate, "vin": vin, "model": text(form, "model", 80),
        "owner_name": customer.name[:80],
        "mileage_km": whole_number(form.get("mileage_km"), "mileage_km"),
        "service_items": text(form, "service_items", 2000),
        "service_interval_months": whole_number(form.get("service_interval_months"), "service_interval_months",
                                                minimum=1, maximum=120),
        "service_interval_km": whole_number(form.get("service_interval_km"), "service_interval_km",
                                            minimum=500, maximum=200_000),
        "next_service_on": parse_date(form.get("next_service_on"), "next_service_on"),
    }
    if vehicle is None:
        vehicle = Vehicle(branch_id=branch_id, customer_id=customer.id, first_visit_on=first_visit)
        vehicle.customer = customer
        db.session.add(vehicle)
    elif first_visit is not None:
        vehicle.first_visit_on = first_visit
    for key, value in values.items():
        setattr(vehicle, key, value)
    if vehicle.next_service_on is None:
        found = rules.next_service_date(vehicle.first_visit_on, vehicle.service_interval_months,
                                        vehicle.mileage_km, vehicle.service_interval_km, None)
        vehicle.next_service_on = found.on if found else None
    if not rules.vehicle_file_missing(file_values(vehicle)):
        vehicle.file_completed_at = vehicle.file_completed_at or utcnow()
    else:
        vehicle.file_completed_at = None
    db.session.flush()
    return vehicle


def for_customer(customer) -> list[Vehicle]:
    return vehicles_query().filter(Vehicle.customer_id == customer.id).order_by(Vehicle.id).limit(20).all()
