"""A car workshop on top of the suite's small world: branches G and H run the plugin, each
with a user per workshop role, an owner with a car, and parts in stock. Helpers send
forms as the pages do and read the flashed messages."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.core.models import BranchPlugin, Customer
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from plugins.auto_workshop.workshop.models import PartStock, Vehicle
from tests.conftest import PASSWORD

NAME = "auto_workshop"
ROLES = ("service_advisor", "workshop_manager", "parts_keeper", "technician", "aftersales_director")
ORDER_URL = re.compile(r"/admin/auto/orders/(\d+)$")


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def shop(app, world):
    with app.app_context():
        ids = {"A": world["A"], "B": world["B"], "hq": world["hq"]}
        users = dict(world["users"])
        vehicles, customers, stock = {}, {}, {}
        for code in ("G", "H"):
            branch = create_branch(code, f"汽车4S店{code}", "广东", [NAME])
            ids[code] = branch.id
            for role in ROLES:
                users[f"{code.lower()}_{role}"] = create_user(f"{code.lower()}_{role}", PASSWORD, code, [role],
                                                              full_name=f"{code}{role}").id
            customer = Customer(branch_id=branch.id, name=f"车主{code}", phone=f"1370000000{len(ids)}")
            db.session.add(customer)
            db.session.flush()
            customers[code] = customer.id
            vehicle = Vehicle(branch_id=branch.id, customer_id=customer.id, plate=f"粤A{code}1234", model="凯美瑞",
                              vin="LVGBE40K0AG000001", first_visit_on=today(), owner_name=customer.name)
            db.session.add(vehicle)
            part = PartStock(branch_id=branch.id, part_number="BP-001", name="刹车片", quantity=10,
                             unit_price=Decimal("300.00"), unit_cost=Decimal("180.00"))
            db.session.add(part)
            db.session.flush()
            vehicles[code], stock[code] = vehicle.id, part.id
        db.session.commit()
        return {**ids, "users": users, "customers": customers, "vehicles": vehicles, "stock": stock}


def sign_in(web, username):
    """Log in and read the portal in English, so expected texts do not depend on the catalog."""
    web.login(username)
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")


def post(web, url, data, page=None):
    """POST a form of ``page`` (default: the URL's work order page) with its token; follow
    the redirect and return the page shown after it."""
    page = page or url.rsplit("/", 1)[0] if "/orders/" in url else page or "/admin/"
    return web.submit(page, data, post_url=url, follow=True)


def order_page(web, order_id):
    return web.get(f"/admin/auto/orders/{order_id}")


def open_order(web, vehicle_id, job_type="general_repair", **extra) -> int:
    response = web.submit(f"/admin/auto/vehicles/{vehicle_id}", {"job_type": job_type, "complaint": "刹车异响",
                                                                 **extra},
                          post_url=f"/admin/auto/vehicles/{vehicle_id}/order")
    assert response.status_code == 302, response.text[:2000]
    found = ORDER_URL.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def version(app, order_id) -> str:
    from plugins.auto_workshop.workshop.models import WorkOrder

    with app.app_context():
        return str(db.session.get(WorkOrder, order_id).version)


def act(web, order_id, path, data=None):
    """A form on the work order page, sent with the order's current version; returns the
    page shown afterwards (with its flashed messages)."""
    url = f"/admin/auto/orders/{order_id}"
    page = web.get(url).text
    match = re.search(r'name="seen_version" value="(\d+)"', page)
    data = {**(data or {}), **({"seen_version": match.group(1)} if match else {})}
    return web.submit(url, data, post_url=f"{url}/{path}", follow=True)


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
