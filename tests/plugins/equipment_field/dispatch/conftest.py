"""Field branch B of the suite's world (郑州, 河南) gets the plugin's people, a customer in
the province and one beyond it; a second field branch D (洛阳) has its own dispatcher and
engineer; helpers open triaged tickets, send engineers as the dispatch page does, and
finish a visit's service report the way the core's visit page does."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.core import tickets, visits
from portal.core.models import BranchPlugin, Customer, Ticket, User, Visit
from portal.core.provisioning import create_branch, create_user
from portal.extensions import db
from tests.conftest import PASSWORD

NAME = "equipment_field"
ZONE = ZoneInfo("Asia/Shanghai")
# A 1×1 PNG, as the signature pad would send a (very small) drawing.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAWk1v8QAAAABJRU5ErkJggg==")
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode("ascii")
TRIP_URL = re.compile(r"/admin/field/trips/(\d+)")


@pytest.fixture
def field(app, world):
    with app.app_context():
        d = create_branch("D", "洛阳服务站", "河南", [NAME])
        users = {}
        for name, branch, roles in (
            ("b_dispatcher", "B", ["dispatcher"]), ("b_field_engineer", "B", ["field_engineer"]),
            ("b_field_engineer2", "B", ["field_engineer"]), ("b_aftersales_manager", "B", ["aftersales_manager"]),
            ("b_general_manager", "B", ["general_manager"]),
            ("d_dispatcher", "D", ["dispatcher"]), ("d_field_engineer", "D", ["field_engineer"]),
            ("d_general_manager", "D", ["general_manager"]),
        ):
            users[name] = create_user(name, PASSWORD, branch, roles).id
        customers = {}
        for code, branch_id, province, city in (("in", world["B"], "河南省", "郑州"),
                                                ("out", world["B"], "湖北省", "武汉"),
                                                ("d", d.id, "河南", "洛阳")):
            customer = Customer(branch_id=branch_id, name=f"{city}机械厂", phone="1370000" + str(len(customers)),
                                province=province, city=city, address=f"{city}市工业路{len(customers) + 1}号")
            db.session.add(customer)
            db.session.flush()
            customers[code] = customer.id
        db.session.commit()
        return {**world, "D": d.id, "users": {**world["users"], **users}, "customers": {**world["customers"], **customers}}


def sign_in(web, username):
    """Log in and read the portal in English, so expected texts do not depend on the catalog."""
    web.login(username)
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")


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


def open_ticket(app, field, customer="in", kind="repair", promised=None, by="b_dispatcher", triage=True) -> int:
    """A ticket of the customer, triaged (visits are scheduled for triaged tickets)."""
    with app.test_request_context():
        user = db.session.get(User, field["users"][by])
        ticket = tickets.open_ticket(tickets.NewTicket(customer_id=field["customers"][customer], title="设备停机",
                                                       kind=kind, promised_arrival_at=promised), user)
        if triage:
            tickets.transition(ticket, tickets.StepRequest(name="triage", nature="product_quality"), user)
        db.session.commit()
        return ticket.id


def tomorrow_at(hour=10) -> datetime:
    return datetime.combine(datetime.now(ZONE).date() + timedelta(days=1), datetime.min.time(), ZONE).replace(hour=hour)


def today_at(hour=10) -> datetime:
    return datetime.combine(datetime.now(ZONE).date(), datetime.min.time(), ZONE).replace(hour=hour)


def dispatch(web, ticket_id, engineers, when=None, **extra):
    """The dispatch form of the ticket's dispatch page, as the page sends it."""
    when = when or tomorrow_at()
    data = {"when": when if isinstance(when, str) else when.strftime("%Y-%m-%dT%H:%M"), "engineers": [str(e) for e in engineers], "address": "", **extra}
    return web.submit(f"/admin/field/dispatch/ticket/{ticket_id}", data,
                      post_url=f"/admin/field/dispatch/ticket/{ticket_id}/dispatch")


def record_guidance(web, ticket_id, note="电话指导复位，未解决", kind="attempt"):
    return web.submit(f"/admin/field/dispatch/ticket/{ticket_id}", {"kind": kind, "note": note},
                      post_url=f"/admin/field/dispatch/ticket/{ticket_id}/guidance")


def visits_of(app, ticket_id) -> list[int]:
    with app.app_context():
        return [v.id for v in db.session.query(Visit).filter_by(ticket_id=ticket_id).order_by(Visit.id)]


def complete_report(app, visit_id, username, called_hq: bool) -> None:
    """The service report with the customer's signature, as the core's visit page saves it."""
    with app.test_request_context():
        visit = db.session.get(Visit, visit_id)
        user = db.session.scalar(db.select(User).where(User.username == username))
        visits.save_report(visit, {"fault_cause": "轴承磨损", "solution": "更换轴承", "hours": "2",
                                   "customer_opinion": "满意", "signed_by": "张工",
                                   "called_hq_before_leaving": called_hq}, [], SIGNATURE, True, user)
        db.session.commit()


def ticket(app, ticket_id) -> Ticket:
    with app.app_context():
        found = db.session.get(Ticket, ticket_id)
        db.session.expunge(found)
        return found
