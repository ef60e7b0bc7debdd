"""Two sales offices on top of the suite's small world: branches E and F run the
real_estate plugin, each with its after-sales officer, property liaison, sales agent and
the core roles; each has a project with an accepted building (three sold units with
contracts, one available unit) and a building not accepted yet. Rows of the sales part
are made directly: its pages are another helper's."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from plugins.real_estate.sales.models import Building, Contract, Project, Unit
from portal.core.models import BranchPlugin, Customer
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from tests.conftest import PASSWORD

NAME = "real_estate"
ROLES = ("aftersales_officer", "property_liaison", "sales_agent", "branch_manager", "clerk", "engineer")


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def png_signature() -> str:
    """A small real PNG, as the signature pad posts it."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _office(code, branch_id, accepted_on):
    project = Project(branch_id=branch_id, name=f"锦城花园{code}", address="天府大道1号",
                      property_company=f"锦城物业{code}")
    building = Building(branch_id=branch_id, project=project, name="3栋", completion_accepted_on=accepted_on)
    other = Building(branch_id=branch_id, project=project, name="5栋")
    db.session.add_all([project, building, other])
    units, contracts, customers = {}, {}, {}
    for number, state, bldg in (("0101", "sold", building), ("0102", "sold", building),
                                ("0201", "sold", building), ("0202", "available", building),
                                ("0301", "reserved", building), ("0501", "sold", other)):
        unit = Unit(branch_id=branch_id, building=bldg, floor=int(number[:2]), number=number, area_m2=Decimal("88.00"),
                    price=Decimal("1000000.00"), state=state)
        db.session.add(unit)
        db.session.flush()
        units[number] = unit.id
        if state == "sold":
            customer = Customer(branch_id=branch_id, name=f"业主{code}{number}", phone=f"139{branch_id:02d}{number}00")
            db.session.add(customer)
            db.session.flush()
            contract = Contract(branch_id=branch_id, number=f"HT-{code}-{number}", unit_id=unit.id,
                                customer_id=customer.id, buyers=customer.name, price=unit.price,
                                signed_on=today() - timedelta(days=300), payment_method="one_payment",
                                state="archived")
            db.session.add(contract)
            db.session.flush()
            contracts[number], customers[number] = contract.id, customer.id
    return {"project": project.id, "building": building.id, "unaccepted": other.id, "units": units,
            "contracts": contracts, "customers": customers}


@pytest.fixture
def estate(app, world):
    with app.app_context():
        found = {"users": dict(world["users"]), "hq": world["hq"], "A": world["A"], "B": world["B"]}
        for code in ("E", "F"):
            branch = create_branch(code, f"成都置业{code}", "四川", [NAME])
            found[code] = branch.id
            for role in ROLES:
                name = f"{code.lower()}_{role}"
                found["users"][name] = create_user(name, PASSWORD, code, [role]).id
            found[f"office_{code}"] = _office(code, branch.id, today() - timedelta(days=10))
        db.session.commit()
        return found


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
    """Log in and read the portal in English (printed papers stay Chinese)."""
    web.login(username)
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")


HANDOVER_URL = re.compile(r"/admin/estate/handovers/(\d+)$")


def schedule(web, estate, number="0101", code="E", day=None, liaison=True):
    """The officer schedules the unit's handover from the building page; returns the id."""
    office = estate[f"office_{code}"]
    data = {"day": (day or today() + timedelta(days=1)).isoformat(), "time": "10:00",
            "company_contact": "物业 王经理 028-1234",
            "liaison_id": str(estate["users"][f"{code.lower()}_property_liaison"]) if liaison else ""}
    response = web.submit(f"/admin/estate/move-in/building/{office['building']}", data,
                          post_url=f"/admin/estate/move-in/unit/{office['units'][number]}/schedule")
    assert response.status_code == 302, response.text[:500]
    found = HANDOVER_URL.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def inspection_form(items=8, defect_at=None, signature=True, keys="2", meters=("water", "electricity", "gas")):
    data = {f"judgement-{i}": ("defect" if i == defect_at else "ok") for i in range(items)}
    data.update({f"note-{i}": ("窗框渗水" if i == defect_at else "") for i in range(items)})
    data["keys_handed"] = keys
    data.update({f"meter-{m}": "12.5" for m in meters})
    data["signed_by"] = "业主"
    data["signature"] = png_signature() if signature else ""
    return data


def complete(web, handover_id, data, action="complete"):
    return web.submit(f"/admin/estate/handovers/{handover_id}", {**data, "action": action},
                      post_url=f"/admin/estate/handovers/{handover_id}/save")
