"""Demo records of the supply part on the demo branch (``flask --app portal demo load``):
a parts store, slips in every state (one short of a part, so a factory request runs), an
installation request waiting for the general manager, a major project with its
maintenance plan turned into visits, and a supplier fault past its deadline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.plugin_api import Customer, TicketError, User, db, utcnow

from ..rules import add_months
from . import common, projects, slips
from .models import FieldInstall, FieldPart, FieldProject, FieldSlip, FieldSlipLine, FieldSupplierChase, FieldSupplierFault

PARTS = (("CNC-500-SP", "主轴轴承", 6, "1280.00"), ("AC-75-F", "空压机空气滤芯", 20, "95.00"),
         ("LC-3015-L", "激光切割头保护镜片", 12, "160.00"), ("CNC-500-DR", "伺服驱动器", 1, "4600.00"))


def _user(branch, role):
    return db.session.scalar(select(User).where(User.username == f"{branch.code.lower()}_{role}"))


def _slip(branch, customer, user, lines, state, in_warranty=True, freight="0.00", method="express"):
    today = common.local_today(branch)
    slip = FieldSlip(branch_id=branch.id, customer_id=customer.id, slip_date=today, shipping_method=method,
                     in_warranty=in_warranty, freight=Decimal(freight), needed_by=today + timedelta(days=7),
                     state="waiting", created_by_id=user.id)
    stock = {p.part_number: p for p in db.session.scalars(select(FieldPart).where(FieldPart.branch_id == branch.id))}
    for position, (number, qty) in enumerate(lines, start=1):
        part = stock[number]
        slip.lines.append(FieldSlipLine(branch_id=branch.id, position=position, part_number=number, name=part.name,
                                        qty=qty, unit_price=part.unit_price))
    slip.charge = slips.charge_of(slip)
    db.session.add(slip)
    db.session.flush()
    if state in ("approved", "shipped"):
        slip.state, slip.approved_at, slip.approved_by_id = "approved", utcnow(), user.id
    if state == "shipped":
        for line in slip.lines:
            stock[line.part_number].quantity -= line.qty
        slip.state, slip.shipped_at, slip.shipped_on, slip.tracking = "shipped", utcnow(), today, "SF1234567890"
    return slip


def load(branch) -> str:
    manager = _user(branch, "aftersales_manager")
    dispatcher = _user(branch, "dispatcher")
    engineer = _user(branch, "field_engineer")
    if manager is None or dispatcher is None or engineer is None:
        return ""
    customers = db.session.scalars(select(Customer).where(Customer.branch_id == branch.id, Customer.deleted_at.is_(None))
                                   .order_by(Customer.id).limit(4)).all()
    if len(customers) < 3:
        return ""
    today = common.local_today(branch)
    for number, name, qty, price in PARTS:
        db.session.add(FieldPart(branch_id=branch.id, part_number=number, name=name, quantity=qty,
                                 unit_price=Decimal(price)))
    db.session.flush()
    _slip(branch, customers[0], manager, [("AC-75-F", 2)], "shipped")
    _slip(branch, customers[1], dispatcher, [("LC-3015-L", 1), ("CNC-500-SP", 1)], "waiting", in_warranty=False,
          freight="45.00", method="logistics")
    short = _slip(branch, customers[2], dispatcher, [("CNC-500-DR", 3)], "approved", in_warranty=False,
                  freight="60.00")
    slips.raise_shortages(short)

    db.session.add(FieldInstall(
        branch_id=branch.id, customer_id=customers[1].id, site=common.address_of(customers[1]) or "郑州经开区",
        wanted_date=today + timedelta(days=10), created_by_id=dispatcher.id, state="requested", team=[], checklist=[],
        description="新购激光切割机一台，需安装调试并培训两名操作工。"))

    start_up = today - timedelta(days=45)
    project = FieldProject(branch_id=branch.id, customer_id=customers[0].id, name="数控机床生产线（二期）",
                           site=common.address_of(customers[0]) or "郑州高新区", start_up=start_up,
                           warranty_end=add_months(start_up, 24) - timedelta(days=1),
                           note="十二台数控机床，开机后连续跟班服务。")
    db.session.add(project)
    db.session.flush()
    db.session.add(FieldInstall(
        branch_id=branch.id, customer_id=customers[0].id, project_id=project.id, site=project.site,
        wanted_date=start_up - timedelta(days=5), agreed_date=start_up - timedelta(days=5), team=[engineer.id],
        team_size=1, state="done", done_on=start_up, days_on_site=4, created_by_id=manager.id,
        checklist=[{"item": "水平仪", "done": True}, {"item": "扭矩扳手", "done": True}],
        training_material="数控机床操作与日常保养手册", material_ready=True, trainees="操作工六名",
        training_record="开机、回零、程序调用、日常保养", signed_by="车间主任"))
    generated = 0
    try:
        with db.session.begin_nested():
            generated = len(projects.generate(project, engineer.id, manager))
    except TicketError:
        generated = 0  # the plan stays visible; "Generate visits" works from the page

    fault = FieldSupplierFault(branch_id=branch.id, supplier="洛阳精密轴承有限公司", part="主轴轴承 CNC-500-SP",
                               description="两台机床主轴运行约三百小时后异响，拆检为轴承滚道剥落。",
                               customer_id=customers[0].id, notified_on=today - timedelta(days=20),
                               deadline=today - timedelta(days=3), cost_bearer="supplier",
                               cost_note="更换轴承及上门工时由供应商承担", created_by_id=manager.id)
    db.session.add(fault)
    db.session.flush()
    db.session.add(FieldSupplierChase(branch_id=branch.id, fault_id=fault.id, chased_on=today - timedelta(days=2),
                                      note="电话催办，供应商称本周内寄出新轴承", by_id=manager.id))
    return f"{branch.code} supply: {len(PARTS)} parts, 3 outbound slips, 2 installations, 1 project " \
           f"({generated} maintenance visits), 1 supplier fault"
