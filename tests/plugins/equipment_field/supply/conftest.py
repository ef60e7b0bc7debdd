"""The supply part on top of the suite's small world: branch B (Zhengzhou) runs
equipment_field; here it gets a user for each of the plugin's roles, a second branch C of
the plugin with its own after-sales manager, a customer with an address, and helpers that
fill the stock and write slips the way the pages do."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.core.models import BranchPlugin, Customer
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from plugins.equipment_field.supply.models import FieldPart
from tests.conftest import PASSWORD

NAME = "equipment_field"
ROLES = ("dispatcher", "field_engineer", "aftersales_manager", "general_manager")


def today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def shop(app, world):
    with app.app_context():
        c = create_branch("C", "西安服务站", "陕西", [NAME])
        users = {}
        for code in ("B", "C"):
            for role in ROLES:
                name = f"{code.lower()}_{role}"
                users[name] = create_user(name, PASSWORD, code, [role]).id
        customers = {}
        for code, branch_id in (("B", world["B"]), ("C", c.id)):
            customer = Customer(branch_id=branch_id, name=f"{code}重工集团", phone=f"1370000000{len(customers)}",
                                province="河南" if code == "B" else "陕西", city="郑州" if code == "B" else "西安",
                                address=f"{code}工业园1号")
            db.session.add(customer)
            db.session.flush()
            customers[code] = customer.id
        db.session.commit()
        return {"B": world["B"], "C": c.id, "A": world["A"], "hq": world["hq"],
                "users": {**world["users"], **users}, "customers": world["customers"],
                "big": customers}


def stock(app, branch_id, number, quantity, price="100.00", name=None) -> int:
    from decimal import Decimal

    with app.app_context():
        part = FieldPart(branch_id=branch_id, part_number=number, name=name or f"配件{number}", quantity=quantity,
                         unit_price=Decimal(price))
        db.session.add(part)
        db.session.commit()
        return part.id


def quantity_of(app, part_id) -> int:
    with app.app_context():
        return db.session.get(FieldPart, part_id).quantity


def sign_in(web, username):
    """Log in and read the portal in English (printed documents stay Chinese)."""
    web.login(username)
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")


def write_slip(web, customer_id, lines, shipping="express", in_warranty=True, freight="", needed_by=""):
    data = {"customer_id": str(customer_id), "shipping_method": shipping, "freight": freight,
            "needed_by": needed_by, "note": "",
            "part_number": [l[0] for l in lines], "part_name": [""] * len(lines),
            "qty": [str(l[1]) for l in lines], "unit_price": [l[2] if len(l) > 2 else "" for l in lines]}
    if in_warranty:
        data["in_warranty"] = "1"
    url = f"/admin/field/supply/slips/new?customer_id={customer_id}"
    return web.submit(url, data, post_url=url)


SLIP_URL = re.compile(r"/admin/field/supply/slips/(\d+)$")


def created_id(response, pattern=SLIP_URL) -> int:
    assert response.status_code == 302, response.text[:3000]
    found = pattern.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def switch(app, branch_id, enabled: bool) -> None:
    with app.app_context():
        row = db.session.query(BranchPlugin).filter_by(branch_id=branch_id, plugin=NAME).one()
        row.enabled = enabled
        db.session.commit()


def set_settings(app, branch_id, **changes) -> None:
    with app.app_context():
        row = db.session.query(BranchPlugin).filter_by(branch_id=branch_id, plugin=NAME).one()
        row.settings = {**(row.settings or {}), **changes}
        db.session.commit()


def flashes(response) -> str:
    return response.text
