"""A store on top of the suite's small world: branch A runs the retail store plugin; here
it gets a store clerk and a store manager, a second retail branch C with its own clerk,
an HQ approver of returns, and helpers that put purchases into customer files a given
number of days ago (the rules count calendar days in the branch's time zone)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.core.models import BranchPlugin, Customer, Product
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from tests.conftest import PASSWORD

NAME = "retail_store"
REQUEST_URL = re.compile(r"/admin/retail/requests/(\d+)$")


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def store(app, world):
    with app.app_context():
        c = create_branch("C", "杭州二店", "浙江", [NAME])
        users = {}
        for name, branch, roles in (
            ("a_store_clerk", "A", ["store_clerk"]), ("a_store_manager", "A", ["store_manager"]),
            ("c_store_clerk", "C", ["store_clerk"]), ("c_store_manager", "C", ["store_manager"]),
            ("hq_approver", "HQ", ["retail_hq_approver"]),
        ):
            users[name] = create_user(name, PASSWORD, branch, roles).id
        customers = {}
        for code, branch_id, phone in (("A", world["A"], "13811112222"), ("C", c.id, "13633334444")):
            customer = Customer(branch_id=branch_id, name=f"顾客{code}", phone=phone, province="上海",
                                city="上海", address=f"{code}路1号")
            db.session.add(customer)
            db.session.flush()
            customers[code] = customer.id
        db.session.commit()
        return {"C": c.id, "users": {**world["users"], **users}, "customers": {**world["customers"], **customers},
                "A": world["A"], "B": world["B"], "hq": world["hq"]}


def purchase(app, store, days_ago: int, invoice: str, branch: str = "A", name: str = "羊毛大衣",
             purchase_date=None) -> int:
    """A purchase in the branch's customer file, bought ``days_ago`` days before today."""
    with app.app_context():
        product = Product(branch_id=store[branch], customer_id=store["customers"][branch], name=name,
                          invoice_number=invoice,
                          purchase_date=purchase_date or today() - timedelta(days=days_ago))
        db.session.add(product)
        db.session.commit()
        return product.id


def set_settings(app, branch_id, **changes) -> None:
    """HQ changes the branch's numbers of the retail store plugin."""
    with app.app_context():
        row = db.session.query(BranchPlugin).filter_by(branch_id=branch_id, plugin=NAME).one()
        row.settings = {**(row.settings or {}), **changes}
        db.session.commit()


def switch(app, branch_id, enabled: bool) -> None:
    with app.app_context():
        row = db.session.query(BranchPlugin).filter_by(branch_id=branch_id, plugin=NAME).one()
        row.enabled = enabled
        db.session.commit()


def handle(web, product_id, reason, conditions=(), action="agree", **extra):
    """The clerk's counter form, sent as the page sends it; returns the response."""
    data = {"product_id": str(product_id), "reason": reason, "conditions": list(conditions), "action": action,
            **extra}
    return web.submit(f"/admin/retail/counter/decide?product_id={product_id}", data,
                      post_url="/admin/retail/counter/decide")


def request_id_of(response) -> int:
    assert response.status_code == 302, response.text[:2000]
    found = REQUEST_URL.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def sign_in(web, username):
    """Log in and read the portal in English, so the tests' expected texts do not depend on
    the Chinese catalog (the printed form is Chinese whatever the reader chose)."""
    web.login(username)
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")
