"""Demo data: HQ, one branch per industry, a user for every role, a few dozen customer files.

Every demo user's password is ``DEMO_PASSWORD``; the README lists the logins.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from .core.models import Contact, Customer, Product
from .core.provisioning import create_branch, create_user, sync_roles
from .core.warranty import warranty_end
from .extensions import db

DEMO_PASSWORD = "demo-2026"

BRANCHES = [
    # code, name, province, plugin, extra roles of the plugin
    ("SH", "上海南京路店", "上海", "retail_store", ["store_clerk", "store_manager"]),
    ("ZZ", "郑州设备服务站", "河南", "equipment_field",
     ["dispatcher", "field_engineer", "aftersales_manager", "general_manager"]),
    ("GZ", "广州汽车4S店", "广东", "auto_workshop",
     ["service_advisor", "workshop_manager", "parts_keeper", "technician", "aftersales_director"]),
    ("CD", "成都置业售后部", "四川", "real_estate", ["sales_agent", "aftersales_officer", "property_liaison"]),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "建华"]
PRODUCTS = {
    "retail_store": [("羊毛西服", "WS-2026"), ("真皮夹克", "LJ-88"), ("羽绒服", "DJ-300")],
    "equipment_field": [("数控机床", "CNC-500"), ("空压机", "AC-75"), ("激光切割机", "LC-3015")],
    "auto_workshop": [("轿车", "凯美瑞 2.0G"), ("SUV", "汉兰达 2.5"), ("轿车", "雷凌 1.5")],
    "real_estate": [("住宅", "锦城花园 3栋"), ("住宅", "锦城花园 5栋"), ("商铺", "锦城广场 1层")],
}


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _customers(branch, plugin: str, creator, rng: random.Random, count: int = 10) -> None:
    today = date.today()
    for i in range(count):
        company = i % 4 == 3
        name = f"{branch.province}{_person(rng)}实业有限公司" if company else _person(rng)
        customer = Customer(
            branch_id=branch.id, kind="company" if company else "person", name=name,
            phone=f"13{rng.randint(100000000, 999999999)}", province=branch.province,
            city=branch.province, address=f"{branch.province}市人民路{rng.randint(1, 999)}号",
            created_by_id=creator.id,
        )
        if company:
            customer.contacts.append(Contact(name=_person(rng), title="设备主管", phone=f"139{rng.randint(10000000, 99999999)}"))
        product_name, model = rng.choice(PRODUCTS[plugin])
        bought = today - timedelta(days=rng.randint(1, 700))
        customer.products.append(Product(
            branch_id=branch.id, name=product_name, model=model,
            serial_number=f"{branch.code}{bought:%y%m}{rng.randint(10000, 99999)}",
            purchase_date=bought, invoice_number=f"FP{rng.randint(10000000, 99999999)}",
            warranty_card_number=f"BK{rng.randint(100000, 999999)}", delivered_on=bought,
            warranty_end=warranty_end(bought),
        ))
        db.session.add(customer)


def load_demo() -> str:
    rng = random.Random(2026)
    sync_roles()
    create_branch("HQ", "总部售后服务中心", "上海", is_hq=True, region="华东")
    create_user("admin", DEMO_PASSWORD, "HQ", ["hq_admin"], "总部管理员")
    users = 1
    for code, name, province, plugin, plugin_roles in BRANCHES:
        branch = create_branch(code, name, province, [plugin])
        prefix = code.lower()
        manager = create_user(f"{prefix}_manager", DEMO_PASSWORD, code, ["branch_manager"], f"{name}店长")
        create_user(f"{prefix}_clerk", DEMO_PASSWORD, code, ["clerk"], _person(rng))
        create_user(f"{prefix}_engineer", DEMO_PASSWORD, code, ["engineer"], _person(rng))
        for role in plugin_roles:
            create_user(f"{prefix}_{role}", DEMO_PASSWORD, code, [role], _person(rng))
        users += 3 + len(plugin_roles)
        _customers(branch, plugin, manager, rng)
    db.session.flush()
    return f"demo loaded: 5 branches, {users} users, 40 customer files; password for all: {DEMO_PASSWORD}"
