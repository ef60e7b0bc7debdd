"""A sales office on top of the suite's small world: branch E (成都) runs the real_estate
plugin with every role of the office and the core roles; branch F runs it too, as the
other branch whose records must stay out of sight. Helpers build property and contracts
the way the pages do."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.core.models import BranchPlugin, Customer
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from plugins.real_estate.sales.models import Building, Project, Unit
from tests.conftest import PASSWORD

NAME = "real_estate"
CONTRACT_URL = re.compile(r"/admin/estate/contracts/record/(\d+)$")
ROLES = ("sales_agent", "aftersales_officer", "property_liaison", "branch_manager", "clerk", "engineer")


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def office(app, world):
    with app.app_context():
        e = create_branch("E", "成都置业售后部", "四川", [NAME])
        f = create_branch("F", "重庆置业售后部", "重庆", [NAME])
        users = {}
        for branch in (e, f):
            for role in ROLES:
                name = f"{branch.code.lower()}_{role}"
                users[name] = create_user(name, PASSWORD, branch.code, [role]).id
        ids = {"E": e.id, "F": f.id}
        for branch in (e, f):
            project = Project(branch_id=branch.id, name=f"锦城花园{branch.code}", address="天府大道 1 号",
                              property_company="锦城物业")
            accepted = Building(branch_id=branch.id, project=project, name="3栋", completion_accepted_on=today())
            db.session.add_all([project, accepted])
            db.session.flush()
            for number, floor in (("501", 5), ("502", 5), ("601", 6), ("602", 6)):
                db.session.add(Unit(branch_id=branch.id, building_id=accepted.id, floor=floor, number=number,
                                    area_m2=Decimal("89.50"), price=Decimal("1145600.00"), state="available"))
            phone = "13888880001" if branch is e else "13888880002"
            customer = Customer(branch_id=branch.id, name=f"业主{branch.code}", phone=phone)
            db.session.add(customer)
            db.session.flush()
            ids[f"project_{branch.code}"] = project.id
            ids[f"building_{branch.code}"] = accepted.id
            ids[f"customer_{branch.code}"] = customer.id
        db.session.commit()
        ids["units_E"] = [u.id for u in db.session.query(Unit).filter_by(branch_id=e.id).order_by(Unit.number)]
        ids["units_F"] = [u.id for u in db.session.query(Unit).filter_by(branch_id=f.id).order_by(Unit.number)]
        return {**ids, "users": {**world["users"], **users}, "A": world["A"], "hq": world["hq"]}


def sign_in(web, username):
    """Log in and read the portal in English, so expected texts do not depend on the catalog."""
    web.login(username)
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")


def register(web, unit_id, contract_no, method="one_payment", customer_id=None, **extra):
    """The agent's registration form, sent as the page sends it; returns the response."""
    data = {"unit_id": str(unit_id), "number": contract_no, "buyers": "张伟、李娜", "price": "1145600.00",
            "signed_on": today().isoformat(), "payment_method": method, **extra}
    if customer_id is not None:
        data["customer_id"] = str(customer_id)
    return web.submit("/admin/estate/register/", data)


def contract_id_of(response) -> int:
    assert response.status_code == 302, response.text[:3000]
    found = CONTRACT_URL.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


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


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()
