"""Demo records of the handover part for ``make run``: an accepted building with sold
units (the sales part's, when it made some; else a small one of our own), move-in notices
(one sent), a handover this week, one done with a defect and its certificate file, a
follow-up and a contact form waiting for the branch manager."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from portal.plugin_api import Customer, User, db, open_ticket, schedule_callback

from .. import rules
from ..sales.models import Building, Contract, Project, Unit
from .common import local_today, zone_of
from .models import (
    EstateCertificate, EstateCertificateEntry, EstateContactForm, EstateDefect, EstateFollowup, EstateHandover,
    EstateMoveInNotice,
)


def _user(branch, role):
    return db.session.scalar(select(User).where(User.username == f"{branch.code.lower()}_{role}"))


def _sold_units(branch) -> list:
    return db.session.scalars(select(Unit).where(Unit.branch_id == branch.id, Unit.state == "sold",
                                                 Unit.deleted_at.is_(None)).order_by(Unit.id).limit(3)).all()


def _own_building(branch, customers) -> list:
    project = Project(branch_id=branch.id, name="锦城花园", address="成都市高新区天府大道100号",
                      property_company="锦城物业服务有限公司")
    building = Building(branch_id=branch.id, project=project, name="9栋")
    db.session.add_all([project, building])
    units = []
    for i, number in enumerate(("0301", "0302", "0401", "0402")):
        unit = Unit(branch_id=branch.id, building=building, floor=3 + i // 2, number=number,
                    area_m2=Decimal("89.50"), price=Decimal("1260000.00"), state="sold" if i < 3 else "available")
        db.session.add(unit)
        units.append(unit)
    db.session.flush()
    for i, unit in enumerate(units[:3]):
        db.session.add(Contract(branch_id=branch.id, number=f"CD-HT-9-{unit.number}", unit_id=unit.id,
                                customer_id=customers[i].id, buyers=customers[i].name, price=unit.price,
                                signed_on=date.today() - timedelta(days=200), payment_method="one_payment",
                                state="archived"))
    db.session.flush()
    return units[:3]


def _contract(unit):
    return db.session.scalar(select(Contract).where(Contract.unit_id == unit.id, Contract.deleted_at.is_(None))
                             .order_by(Contract.id.desc()).limit(1))


def load(branch, settings) -> str | None:
    officer = _user(branch, "aftersales_officer")
    if officer is None:
        return None
    customers = db.session.scalars(select(Customer).where(Customer.branch_id == branch.id,
                                                          Customer.deleted_at.is_(None)).limit(3)).all()
    units = _sold_units(branch)
    units = [u for u in units if _contract(u) is not None]
    if len(units) < 3:
        if len(customers) < 3:
            return None
        units = _own_building(branch, customers)
    today = local_today(branch)
    for unit in units:
        if unit.building.completion_accepted_on is None:
            unit.building.completion_accepted_on = today - timedelta(days=40)
    mine = settings.get("real_estate", {})
    liaison = _user(branch, "property_liaison")
    notices = []
    for unit in units:
        contract = _contract(unit)
        notice = EstateMoveInNotice(branch_id=branch.id, unit_id=unit.id, contract_id=contract.id,
                                    customer_id=contract.customer_id, issued_on=today - timedelta(days=30))
        db.session.add(notice)
        notices.append(notice)
    notices[0].method, notices[0].tracking_number = "registered_mail", "XA123456789CN"
    notices[0].sent_on = notices[1].sent_on = today - timedelta(days=28)
    notices[1].method = "fax"
    items = rules.parse_checklist(mine.get("handover_checklist", rules.DEFAULT_CHECKLIST))
    zone = zone_of(branch)

    def appointment(unit, day, hour):
        contract = _contract(unit)
        return EstateHandover(
            branch_id=branch.id, unit_id=unit.id, contract_id=contract.id, customer_id=contract.customer_id,
            scheduled_at=datetime.combine(day, time(hour), tzinfo=zone).astimezone(timezone.utc),
            liaison_id=liaison.id if liaison else None, company_contact="物业客服 王经理 028-85550000",
            checklist_items=items, checklist={i: {"judgement": "", "note": ""} for i in items}, meter_readings={},
            created_by_id=officer.id, state="scheduled")

    done_day = today - timedelta(days=80)  # its certificate deadline is close: the warning shows
    done = appointment(units[0], done_day, 10)
    done.checklist = {i: {"judgement": "ok", "note": ""} for i in items}
    done.checklist[items[0]] = {"judgement": "defect", "note": "主卧窗框密封条脱落"}
    done.keys_handed, done.signed_by = 3, done.customer.name if done.customer else ""
    done.meter_readings = {"water": "12.5", "electricity": "305.0", "gas": "8.2"}
    done.state, done.completed_on, done.completed_by_id = "done", done_day, officer.id
    done.completed_at = datetime.combine(done_day, time(11), tzinfo=zone).astimezone(timezone.utc)
    units[0].state, units[0].handed_over_on = "handed_over", done_day
    db.session.add(done)
    db.session.add(appointment(units[1], today + timedelta(days=2), 14))
    db.session.flush()
    try:
        ticket = open_ticket(done.customer_id, f"交房缺陷：{units[0]}", "estate_defect", officer,
                             description=f"交房时发现：{items[0]}，主卧窗框密封条脱落。请锦城物业维修。")
        db.session.flush()
        ticket_id = ticket.id
    except Exception:  # the demo should load even where the ticket rules refuse
        ticket_id = None
    db.session.add(EstateDefect(branch_id=branch.id, handover_id=done.id, item=items[0], note="主卧窗框密封条脱落",
                                found_on=done_day, ticket_id=ticket_id))
    certificate = EstateCertificate(branch_id=branch.id, unit_id=units[0].id, handover_id=done.id,
                                    customer_id=done.customer_id, handed_over_on=done_day,
                                    deadline=rules.certificate_deadline(done_day, mine or {"certificate_months": 3}))
    db.session.add(certificate)
    db.session.flush()
    db.session.add(EstateCertificateEntry(branch_id=branch.id, certificate_id=certificate.id,
                                          submitted_on=done_day + timedelta(days=10), office="成都市不动产登记中心",
                                          documents="买卖合同、身份证复印件、契税完税证明", recorded_by_id=officer.id))
    due = done_day + timedelta(days=int(mine.get("followup_call_days", 30)))
    callback = schedule_callback(done.customer_id, due, "real_estate.followup", f"交房回访：{units[0]}",
                                 branch_id=branch.id)
    followup = EstateFollowup(branch_id=branch.id, customer_id=done.customer_id, handover_id=done.id,
                              callback_id=callback.id, channel="call", due_on=due, sent_on=due,
                              feedback="业主反映物业维修响应慢，窗框问题两周未处理。", recorded_by_id=officer.id)
    db.session.add(followup)
    db.session.flush()
    manager = _user(branch, "manager")
    if manager is not None:
        db.session.add(EstateContactForm(branch_id=branch.id, from_id=officer.id, to_id=manager.id,
                                         subject="业主反馈：物业维修响应慢", content=followup.feedback,
                                         followup_id=followup.id))
    return f"{len(notices)} move-in notices, 2 handovers, 1 certificate file"
