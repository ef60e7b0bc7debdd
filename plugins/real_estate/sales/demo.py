"""Demo records for ``make run``: a project of the sales office with two buildings (one
accepted, so the handover part has sold units to give notices for), units in every
state, contracts with each payment method and one dispute."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from portal.plugin_api import Customer, TicketError, User, db

from .. import rules
from .common import local_today
from .models import Building, Contract, Mortgage, Payment, Project, Unit

BUYERS = [("张伟", "13880010001"), ("王芳", "13880010002"), ("李娜", "13880010003"), ("刘洋", "13880010004"),
          ("陈静", "13880010005"), ("杨磊", "13880010006"), ("赵敏", "13880010007"), ("黄强", "13880010008")]


def _user(name):
    return db.session.query(User).filter(User.username == name).one_or_none()


def _customer(branch, name, phone):
    found = db.session.query(Customer).filter(Customer.branch_id == branch.id, Customer.phone == phone).first()
    if found is None:
        found = Customer(branch_id=branch.id, name=name, phone=phone, province=branch.province, city="成都",
                         address="成都市高新区天府大道锦城花园")
        db.session.add(found)
        db.session.flush()
    return found


def load(branch) -> str | None:
    if db.session.query(Contract.id).filter(Contract.number == f"JC-{branch.code}-2026-001").first() is not None:
        return None  # loaded already
    today = local_today(branch)
    code = branch.code.lower()
    agent, officer = _user(f"{code}_sales_agent"), _user(f"{code}_aftersales_officer")
    project = db.session.query(Project).filter(Project.branch_id == branch.id, Project.name == "锦城花园",
                                               Project.deleted_at.is_(None)).first()
    if project is None:
        project = Project(branch_id=branch.id, name="锦城花园", address="成都市高新区天府大道北段 1688 号",
                          property_company="锦城物业服务有限公司")
        db.session.add(project)
    accepted = Building(branch_id=branch.id, project=project, name="3栋",
                        completion_accepted_on=today - timedelta(days=20))
    building = Building(branch_id=branch.id, project=project, name="5栋")
    db.session.add_all([accepted, building])
    units = []
    for b, floors in ((accepted, (5, 6, 7, 8, 9)), (building, (10, 11, 12, 15, 16))):
        for floor in floors:
            for door in (1, 2):
                area = Decimal("89.50") if door == 1 else Decimal("118.20")
                units.append(Unit(branch_id=branch.id, building=b, floor=floor, number=f"{floor}0{door}",
                                  area_m2=area, price=(area * Decimal("12800")).quantize(Decimal("1")),
                                  state="available"))
    db.session.add_all(units)
    db.session.flush()
    sold = units[:8]  # all in 3栋, accepted: material for move-in notices
    methods = ["one_payment", "instalments", "mortgage", "mortgage", "instalments", "one_payment", "mortgage",
               "instalments"]
    contracts = []
    for i, (unit, method, (name, phone)) in enumerate(zip(sold, methods, BUYERS)):
        customer = _customer(branch, name, phone)
        signed = today - timedelta(days=120 - i * 9)
        state = ("archived", "confirmed", "handed_to_aftersales", "registered")[i % 4]
        contract = Contract(branch_id=branch.id, number=f"JC-{branch.code}-2026-{i + 1:03d}", unit=unit,
                            customer_id=customer.id, buyers=name if i % 3 else f"{name}、{name[0]}太太",
                            price=unit.price, signed_on=signed, notarised=i % 2 == 0,
                            notary_reference=f"(2026)川成证字第{3100 + i}号" if i % 2 == 0 else "",
                            payment_method=method, state=state, agent_id=agent.id if agent else None,
                            confirmed_by_id=officer.id if officer and state in ("confirmed", "archived") else None)
        db.session.add(contract)
        unit.state = rules.UnitState.SOLD.value
        contracts.append(contract)
        if method == "one_payment":
            db.session.add(Payment(branch_id=branch.id, contract=contract, seq=0, due_on=signed,
                                   amount_due=contract.price, paid_on=signed, amount_paid=contract.price))
        elif method == "instalments":
            first = today - timedelta(days=35) if i == 1 else today + timedelta(days=3 if i == 4 else 40)
            for seq, (due, amount) in enumerate(rules.instalment_schedule(contract.price, first, 4, 3)):
                paid = due < today and seq > 0
                db.session.add(Payment(branch_id=branch.id, contract=contract, seq=seq, due_on=due, amount_due=amount,
                                       paid_on=due if paid else None, amount_paid=amount if paid else None))
        else:
            loan = (contract.price * Decimal("0.7")).quantize(Decimal("1"))
            late = i == 2
            db.session.add(Mortgage(
                branch_id=branch.id, contract=contract, bank="中国建设银行成都高新支行" if late else "招商银行成都分行",
                amount=loan, expected_loan_on=today - timedelta(days=45) if late else today + timedelta(days=20),
                step="submitted" if late else ("loan_received" if i == 6 else "documents_collected"),
                documents_collected_on=signed + timedelta(days=3),
                submitted_on=signed + timedelta(days=10) if late or i == 6 else None,
                approved_on=signed + timedelta(days=25) if i == 6 else None,
                loan_received_on=signed + timedelta(days=40) if i == 6 else None))
    units[8].state = rules.UnitState.RESERVED.value
    units[12].state = rules.UnitState.RESERVED.value
    db.session.flush()
    summary = f"real_estate.sales: 1 project, 2 buildings, {len(units)} units, {len(contracts)} contracts"
    if officer is not None:
        from . import disputes

        try:
            dispute = disputes.record(contracts[3], {
                "customer_said": "业主认为合同约定的交房日期应以网签日期为准，要求按逾期交房支付违约金。",
                "rule_cited": "《商品房买卖合同》第十二条：交付日期以合同约定为准；售后服务管理制度二、11。",
                "answer_given": "已向业主解释合同约定的交付日期尚未届满，不存在逾期交房。", "customer_accepts": "no",
            }, officer)
            disputes.escalate(dispute, "业主坚持索赔，需分管领导出面沟通。", officer)
            summary += ", 1 dispute (escalated)"
        except TicketError:  # a demo without the dispute is still a demo
            pass
    return summary
