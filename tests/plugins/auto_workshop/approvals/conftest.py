"""Two car workshops on top of the suite's small world: W (with a user for each of the
plugin's roles) and X (another branch running the plugin, with an advisor and a
director). Work orders are made directly in the database: the workshop part's pages are
another helper's work, and these tests look at approvals only."""

from __future__ import annotations

import base64
import html
import struct
import zlib
from datetime import date
from decimal import Decimal
from itertools import count

import pytest

from plugins.auto_workshop.workshop.models import Vehicle, WorkOrder, WorkOrderLine
from portal.core.models import BranchPlugin, Customer
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from tests.conftest import PASSWORD

NAME = "auto_workshop"
ROLES = ("service_advisor", "workshop_manager", "parts_keeper", "technician", "aftersales_director")
_numbers = count(1)


@pytest.fixture
def shop(app, world):
    with app.app_context():
        w = create_branch("W", "广州汽车4S店", "广东", [NAME])
        x = create_branch("X", "佛山汽车4S店", "广东", [NAME])
        users = {}
        for role in ROLES:
            users[f"w_{role}"] = create_user(f"w_{role}", PASSWORD, "W", [role], full_name=f"W{role}").id
        for role in ("service_advisor", "aftersales_director", "parts_keeper", "workshop_manager"):
            users[f"x_{role}"] = create_user(f"x_{role}", PASSWORD, "X", [role]).id
        users["w_branch_manager"] = create_user("w_branch_manager", PASSWORD, "W", ["branch_manager"]).id
        users["w_clerk"] = create_user("w_clerk", PASSWORD, "W", ["clerk"]).id
        users["w_engineer"] = create_user("w_engineer", PASSWORD, "W", ["engineer"]).id
        customers = {}
        for code, branch in (("W", w), ("X", x)):
            customer = Customer(branch_id=branch.id, name=f"车主{code}", phone=f"1380000{branch.id:04d}")
            db.session.add(customer)
            db.session.flush()
            customers[code] = customer.id
        db.session.commit()
        return {"W": w.id, "X": x.id, "A": world["A"], "B": world["B"], "hq": world["hq"],
                "users": {**world["users"], **users}, "customers": customers}


def make_order(app, shop, branch="W", job_type="accident_repair", state="started",
               lines=(("part", "前保险杠", "2", "1000", "600"), ("labour", "钣金喷漆", "3", "200", "100"))) -> int:
    """A work order with (kind, name, quantity, unit price, unit cost) lines; its id."""
    with app.app_context():
        vehicle = Vehicle(branch_id=shop[branch], customer_id=shop["customers"][branch], plate=f"粤A{next(_numbers):05d}",
                          vin="LVGBE40K38G000001", model="凯美瑞 2.0G", owner_name="车主", first_visit_on=date(2026, 3, 1))
        db.session.add(vehicle)
        db.session.flush()
        order = WorkOrder(branch_id=shop[branch], number=f"WO-{branch}-{next(_numbers):05d}", vehicle_id=vehicle.id,
                          customer_id=vehicle.customer_id, job_type=job_type, state=state)
        for kind, name, quantity, price, cost in lines:
            order.lines.append(WorkOrderLine(kind=kind, name=name, part_number="P-" + name[:2] if kind == "part" else "",
                                             quantity=Decimal(quantity), unit_price=Decimal(price),
                                             unit_cost=Decimal(cost)))
        db.session.add(order)
        db.session.commit()
        return order.id


def set_settings(app, branch_id, **changes) -> None:
    with app.app_context():
        row = db.session.query(BranchPlugin).filter_by(branch_id=branch_id, plugin=NAME).one()
        row.settings = {**(row.settings or {}), **changes}
        db.session.commit()


def switch(app, branch_id, enabled: bool) -> None:
    with app.app_context():
        row = db.session.query(BranchPlugin).filter_by(branch_id=branch_id, plugin=NAME).one()
        row.enabled = enabled
        db.session.commit()


def sign_in(web, username):
    """Log in and read the portal in English, so expected texts do not depend on the catalog."""
    web.login(username)
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")


class Shown:
    """A response as a person reads it: entities such as &#39; turned back into text."""

    def __init__(self, response):
        self.status_code, self.headers = response.status_code, response.headers
        self.text = html.unescape(response.text)


def post(web, page_url, post_url, data=None, follow=True):
    """Send a form of ``page_url`` to ``post_url`` and return the page shown afterwards."""
    return Shown(web.submit(page_url, data or {}, post_url=post_url, follow=follow))


def get(web, url):
    return Shown(web.get(url))


def tiny_png() -> str:
    """A real 1×1 PNG as the signature pad sends it."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(raw).decode()


ORDER = "/admin/auto/approvals/orders/{}"
