"""The month's figures of the supply part for the monthly statistics (issue 6 item 9):
installations in person-times and person-days, parts and freight cost — SQL aggregates,
so a busy branch's month costs a handful of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from portal.plugin_api import db

from ..rules import add_months
from .models import FieldFactoryRequest, FieldInstall, FieldSlip, FieldSlipLine, FieldSupplierFault


def money(value) -> str:
    return f"{Decimal(value or 0).quantize(Decimal('0.01')):,}"


def month_rows(branch, month: date) -> list:
    start, end = month.replace(day=1), add_months(month.replace(day=1), 1)
    installs = db.session.query(
        func.count(FieldInstall.id), func.coalesce(func.sum(FieldInstall.team_size), 0),
        func.coalesce(func.sum(FieldInstall.team_size * FieldInstall.days_on_site), 0),
    ).filter(FieldInstall.branch_id == branch.id, FieldInstall.deleted_at.is_(None), FieldInstall.state == "done",
             FieldInstall.done_on >= start, FieldInstall.done_on < end).one()
    shipped = (FieldSlip.branch_id == branch.id, FieldSlip.deleted_at.is_(None), FieldSlip.state == "shipped",
               FieldSlip.shipped_on >= start, FieldSlip.shipped_on < end)
    slips, freight, charged = db.session.query(
        func.count(FieldSlip.id), func.coalesce(func.sum(FieldSlip.freight), 0),
        func.coalesce(func.sum(FieldSlip.charge), 0)).filter(*shipped).one()
    parts_value = db.session.query(func.coalesce(func.sum(FieldSlipLine.qty * FieldSlipLine.unit_price), 0)).join(
        FieldSlip, FieldSlip.id == FieldSlipLine.slip_id).filter(*shipped).scalar()
    parts_count = db.session.query(func.coalesce(func.sum(FieldSlipLine.qty), 0)).join(
        FieldSlip, FieldSlip.id == FieldSlipLine.slip_id).filter(*shipped).scalar()
    factory = db.session.query(func.count(FieldFactoryRequest.id)).filter(
        FieldFactoryRequest.branch_id == branch.id, FieldFactoryRequest.deleted_at.is_(None),
        FieldFactoryRequest.requested_on >= start, FieldFactoryRequest.requested_on < end).scalar()
    faults = db.session.query(func.count(FieldSupplierFault.id)).filter(
        FieldSupplierFault.branch_id == branch.id, FieldSupplierFault.deleted_at.is_(None),
        FieldSupplierFault.notified_on >= start, FieldSupplierFault.notified_on < end).scalar()
    return [
        (_l("Installations and training done"), int(installs[0] or 0)),
        (_l("Installations: person-times"), int(installs[1] or 0)),
        (_l("Installations: person-days"), int(installs[2] or 0)),
        (_l("Outbound slips shipped"), int(slips or 0)),
        (_l("Parts shipped (pieces)"), int(parts_count or 0)),
        (_l("Parts value shipped (yuan)"), money(parts_value)),
        (_l("Freight (yuan)"), money(freight)),
        (_l("Charged to customers for parts and freight (yuan)"), money(charged)),
        (_l("Parts requests to the factory"), int(factory or 0)),
        (_l("Supplier faults notified"), int(faults or 0)),
    ]
