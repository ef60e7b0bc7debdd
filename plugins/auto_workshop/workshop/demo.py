"""Demo records for ``make run`` on the GZ branch: parts in the store, vehicle files (one
late), and work orders in every state of the lifecycle, with their issues and calls."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.plugin_api import Customer, User, db, utcnow

from .common import local_today
from .followups import schedule_after_delivery
from .models import PartStock, StockMovement, Vehicle, WorkOrder, WorkOrderLine, WorkOrderLog
from .numbers import next_number

PARTS = [
    ("04465-33480", "前刹车片", 24, "420.00", "260.00"),
    ("90915-YZZD2", "机油滤清器", 60, "68.00", "35.00"),
    ("08880-83323", "全合成机油 4L", 40, "380.00", "230.00"),
    ("17801-0H050", "空气滤清器", 30, "120.00", "62.00"),
    ("87139-0N010", "空调滤清器", 30, "150.00", "70.00"),
    ("52119-06964", "前保险杠", 2, "2600.00", "1700.00"),
]
MODELS = ["凯美瑞 2.0G", "汉兰达 2.5", "雷凌 1.5", "RAV4 荣放", "卡罗拉 1.2T", "亚洲龙 2.5"]
# state, job type, complaint, parts (part index, qty), labour (name, hours, price)
ORDERS = [
    ("draft", "maintenance", "常规保养 2 万公里", [(1, 1), (2, 1)], [("小保养", "1", "180.00")]),
    ("started", "general_repair", "刹车时有异响", [(0, 1)], [("更换前刹车片", "1.5", "120.00")]),
    ("parts_issued", "maintenance", "保养并更换空调滤", [(1, 1), (2, 1), (4, 1)], [("小保养", "1", "180.00")]),
    ("work_done", "accident_repair", "前保险杠碰撞", [(5, 1)], [("拆装前保险杠", "3", "150.00"),
                                                                 ("喷漆", "4", "200.00")]),
    ("quality_check", "general_repair", "发动机故障灯亮", [(3, 1)], [("故障诊断", "1", "200.00")]),
    ("delivered", "maintenance", "常规保养 3 万公里", [(1, 1), (2, 1), (3, 1)], [("中保养", "2", "180.00")]),
    ("closed", "warranty_claim", "车窗升降异常（索赔）", [], [("检查车窗升降器", "1", "0.00")]),
]
ORDER_OF_STATES = ["draft", "started", "parts_issued", "work_done", "quality_check", "delivered", "closed"]


def _user(branch, role):
    return db.session.scalar(select(User).where(User.username == f"{branch.code.lower()}_{role}"))


def load(branch, settings) -> str:
    customers = db.session.scalars(select(Customer).where(Customer.branch_id == branch.id, Customer.deleted_at.is_(None))
                                   .order_by(Customer.id)).all()
    if not customers:
        return ""
    advisor, keeper = _user(branch, "service_advisor"), _user(branch, "parts_keeper")
    technician = _user(branch, "technician")
    today = local_today(branch)
    now = utcnow()
    stock = []
    for number, name, qty, price, cost in PARTS:
        part = PartStock(branch_id=branch.id, part_number=number, name=name, quantity=qty,
                         unit_price=Decimal(price), unit_cost=Decimal(cost))
        db.session.add(part)
        stock.append(part)
    db.session.flush()
    for part in stock:
        db.session.add(StockMovement(branch_id=branch.id, part_stock_id=part.id, kind="receipt", quantity=part.quantity,
                                     unit_price=part.unit_cost, user_id=keeper.id if keeper else None,
                                     at=now - timedelta(days=20), note="期初入库"))
    vehicles = []
    for i, customer in enumerate(customers[:8]):
        late = i == 6  # visited four days ago and still incomplete: on the advisor's dashboard
        vehicle = Vehicle(branch_id=branch.id, customer_id=customer.id, plate=f"粤A{(i * 7919) % 90000 + 10000}",
                          vin="" if late else f"LVGBE40K{i}AG{100000 + i:06d}"[:17], model=MODELS[i % len(MODELS)],
                          owner_name=customer.name[:80], mileage_km=8000 + i * 6500,
                          service_items="" if late else "机油、机滤、空滤", service_interval_months=6,
                          service_interval_km=5000, first_visit_on=today - timedelta(days=4 if late else 30 + i),
                          next_service_on=today + timedelta(days=30 * (i + 1)))
        vehicle.file_completed_at = None if late else now - timedelta(days=29 + i)
        db.session.add(vehicle)
        vehicles.append(vehicle)
    db.session.flush()
    for i, (state, job, complaint, part_lines, jobs) in enumerate(ORDERS):
        vehicle = vehicles[i % len(vehicles)]  # a branch with few customers: cars come back
        reached = ORDER_OF_STATES.index(state)
        order = WorkOrder(branch_id=branch.id, number=next_number(branch), vehicle_id=vehicle.id,
                          customer_id=vehicle.customer_id, job_type=job, state=state, complaint=complaint,
                          mileage_km=vehicle.mileage_km, advisor_id=advisor.id if advisor else None,
                          technician_id=technician.id if technician and reached >= 1 else None,
                          opened_on=today - timedelta(days=1), created_at=now - timedelta(days=1))
        order.vehicle = vehicle
        db.session.add(order)
        db.session.flush()
        for index, qty in part_lines:
            part = stock[index]
            line = WorkOrderLine(kind="part", part_number=part.part_number, name=part.name, quantity=Decimal(qty),
                                 unit_price=part.unit_price, unit_cost=part.unit_cost)
            order.lines.append(line)
            db.session.flush()
            if reached >= 2:
                line.issued_quantity = qty
                part.quantity -= qty
                db.session.add(StockMovement(branch_id=branch.id, part_stock_id=part.id, kind="issue", quantity=qty,
                                             unit_price=part.unit_price, work_order_id=order.id, line_id=line.id,
                                             received_by=(technician.full_name if technician else "") or "技师",
                                             used=reached >= 3, user_id=keeper.id if keeper else None,
                                             at=now - timedelta(hours=20)))
        for name, hours, price in jobs:
            order.lines.append(WorkOrderLine(kind="labour", name=name, quantity=Decimal(hours),
                                             unit_price=Decimal(price), unit_cost=Decimal("60.00"),
                                             done_at=now - timedelta(hours=6) if reached >= 3 else None))
        if reached >= 1:
            order.started_at = now - timedelta(hours=22)
        if reached >= 3:
            order.work_done_at = now - timedelta(hours=5)
        if reached >= 5:
            order.quality_passed, order.checked_at = True, now - timedelta(hours=4)
            order.delivered_at = now - timedelta(hours=2)
        if reached >= 6:
            order.settled_at, order.settled_note, order.closed_at = now - timedelta(hours=1), "索赔结算", now
        db.session.add(WorkOrderLog(work_order_id=order.id, body="演示数据：工单已建立", user_id=advisor.id if advisor else None,
                                    at=now - timedelta(days=1)))
        db.session.flush()
        if reached >= 5:
            schedule_after_delivery(order, advisor)
    db.session.flush()
    return f"auto_workshop workshop: {len(vehicles)} vehicle files, {len(ORDERS)} work orders, {len(stock)} parts"
