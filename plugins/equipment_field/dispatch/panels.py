"""The customer file's section of the dispatch part: where the customer is as the
dispatcher sees it (distance class, arrival target) and the trips made to them."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.plugin_api import Branch, Ticket, db

from .. import messages as shared_messages
from ..rules import arrival_target, distance_class
from .models import FieldTrip
from .services import customer_location, settings_of


def customer_panel(customer) -> tuple:
    branch = db.session.get(Branch, customer.branch_id)
    verdict = distance_class(customer.province, branch.province if branch else None)
    settings = settings_of(customer.branch_id)
    hours = int(arrival_target(verdict.distance, settings).working_time.total_seconds() // 3600)
    distance = str(shared_messages.DISTANCE_LABELS[str(verdict.distance)])
    if verdict.unknown:
        distance += " · " + str(shared_messages.UNKNOWN_DISTANCE)
    trips, km = db.session.execute(
        select(func.count(FieldTrip.id), func.max(FieldTrip.distance_km))
        .join(Ticket, Ticket.id == FieldTrip.ticket_id)
        .where(FieldTrip.deleted_at.is_(None), Ticket.customer_id == customer.id)).one()
    rows = [
        (_l("Location"), customer_location(customer) or "–"),
        (_l("Distance class"), distance),
        (_l("Arrival on site within (working hours)"), hours),
        (_l("Trips to this customer"), int(trips or 0)),
    ]
    if km is not None:
        rows.append((_l("Distance (km)"), int(km)))
    return (_l("Field service"), rows, url_for("field_dispatch_trips.index", show="all"), _l("Trips"))
