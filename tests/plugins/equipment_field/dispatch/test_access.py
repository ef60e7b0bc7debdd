"""Who reaches which page of the dispatch part, per role; another branch's records answer
404; odd ids never break a page; and where HQ switched the plugin off its menus, pages,
cards, customer panel, arrival targets and vetoes are gone."""

from __future__ import annotations

import pytest

from portal.core.models import Ticket, User, Visit
from portal.core.plugin_state import branch_hooks
from portal.extensions import db
from plugins.equipment_field.dispatch.models import FieldTrip

from .conftest import dispatch, open_ticket, record_guidance, sign_in, switch, visits_of

PAGES = ("board", "ticket", "trips", "trip", "phone")
ALL = dict.fromkeys(PAGES, 200)
NONE = dict.fromkeys(PAGES, 403)
TRAVELLER = {**NONE, "trips": 200, "trip": 200, "phone": 200}
MATRIX = {
    "b_dispatcher": {**ALL, "phone": 403},
    "b_field_engineer": TRAVELLER,
    "b_aftersales_manager": ALL,
    "b_general_manager": ALL,
    "b_clerk": NONE,
    "b_engineer": TRAVELLER,
    "b_branch_manager": TRAVELLER,
    "admin": ALL,
    "a_clerk": NONE, "a_engineer": NONE, "a_branch_manager": NONE,
    "d_dispatcher": {**ALL, "ticket": 404, "trip": 404, "phone": 403},
    "d_field_engineer": {**TRAVELLER, "trip": 404},
}


@pytest.fixture
def records(app, web, field):
    ticket_id = open_ticket(app, field, "out")
    sign_in(web, "b_dispatcher")
    record_guidance(web, ticket_id)
    dispatch(web, ticket_id, [field["users"]["b_field_engineer"]], places="武汉")
    web.logout()
    [visit_id] = visits_of(app, ticket_id)
    with app.app_context():
        trip_id = db.session.query(FieldTrip.id).filter_by(visit_id=visit_id).scalar()
    return {"ticket": ticket_id, "visit": visit_id, "trip": trip_id}


def _urls(ids):
    return {"board": "/admin/field/dispatch/", "ticket": f"/admin/field/dispatch/ticket/{ids['ticket']}",
            "trips": "/admin/field/trips/", "trip": f"/admin/field/trips/{ids['trip']}",
            "phone": "/admin/field/my-visits/"}


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_access_matrix(web, records, username):
    web.login(username)
    for page, url in _urls(records).items():
        assert web.get(url).status_code == MATRIX[username][page], (username, page)
    menu = web.get("/admin/").text
    assert ("/admin/field/dispatch/" in menu) is (MATRIX[username]["board"] == 200)
    assert ("/admin/field/my-visits/" in menu) is (MATRIX[username]["phone"] == 200)


def test_another_branchs_records_are_not_found_and_not_changed(app, web, field, records):
    sign_in(web, "d_dispatcher")
    ticket, trip, visit = records["ticket"], records["trip"], records["visit"]
    for post in (f"/admin/field/dispatch/ticket/{ticket}/guidance", f"/admin/field/dispatch/ticket/{ticket}/dispatch",
                 f"/admin/field/dispatch/visit/{visit}/trip", f"/admin/field/trips/{trip}/decide",
                 f"/admin/field/trips/{trip}/advance", f"/admin/field/trips/{trip}/claim",
                 "/admin/field/trips/claim/1/submit"):
        assert web.submit("/admin/field/trips/", {"decision": "approve", "step": "depart"},
                          post_url=post).status_code == 404, post
    web.logout()
    sign_in(web, "d_field_engineer")
    assert web.submit("/admin/field/my-visits/", {"step": "depart"},
                      post_url=f"/admin/field/my-visits/{visit}/step").status_code == 404
    web.logout()
    sign_in(web, "d_general_manager")
    web.submit("/admin/field/trips/", {"decision": "approve"}, post_url=f"/admin/field/trips/{trip}/decide")
    with app.app_context():
        assert db.session.get(FieldTrip, trip).state == "waiting"
        assert db.session.get(Visit, visit).state == "scheduled"


@pytest.mark.parametrize("url", [
    "/admin/field/dispatch/ticket/0", "/admin/field/dispatch/ticket/99999999999", "/admin/field/trips/0",
    "/admin/field/trips/4294967296", "/admin/field/trips/receipt/1", "/admin/field/trips/abc",
])
def test_odd_ids_are_not_found(web, field, url):
    web.login("b_general_manager")
    assert web.get(url).status_code == 404


def test_odd_parameters_never_break_a_page(web, field):
    web.login("admin")
    for url in ("/admin/field/dispatch/?branch=abc&show=x&q=%25_%5C", "/admin/field/trips/?show=%00&after=abc",
                "/admin/field/trips/?after=-5", "/admin/field/my-visits/"):
        assert web.get(url).status_code == 200, url


def test_switched_off_in_a_branch_the_part_is_gone_there(app, web, field, records):
    switch(app, field["B"], False)
    web.login("b_general_manager")
    page = web.get("/admin/").text
    assert "/admin/field/" not in page  # no menu, no dashboard cards
    for name, url in _urls(records).items():
        assert web.get(url).status_code == 403, name
    web.logout()
    web.login("b_branch_manager")
    customer_page = web.get(f"/admin/customer/details/?id={field['customers']['out']}").text
    assert "/admin/field/trips/" not in customer_page
    with app.test_request_context():
        hooks, settings = branch_hooks(field["B"])
        assert "equipment_field" not in settings
        ticket = db.session.get(Ticket, records["ticket"])
        visit = db.session.get(Visit, records["visit"])
        user = db.session.get(User, field["users"]["b_field_engineer"])
        assert hooks.portal_sla_targets(ticket=ticket, settings=settings) is None
        vetoes = [r for group in hooks.portal_check_visit_step(ticket=ticket, visit=visit, step="depart", user=user,
                                                               settings=settings) for r in group or ()]
        assert vetoes == []
        hooks_d, settings_d = branch_hooks(field["D"])
        assert [r for group in hooks_d.portal_check_visit_step(ticket=ticket, visit=visit, step="depart", user=user,
                                                               settings=settings_d) for r in group or ()]
        db.session.rollback()
    # Where it is still on, it still works.
    web.logout()
    web.login("d_dispatcher")
    assert web.get("/admin/field/dispatch/").status_code == 200


def test_the_customer_file_shows_the_distance_class_to_dispatchers(app, web, field, records):
    web.login("b_dispatcher")
    page = web.get(f"/admin/customer/details/?id={field['customers']['out']}").text
    assert "/admin/field/trips/" in page
    web.logout()
    web.login("b_clerk")
    page = web.get(f"/admin/customer/details/?id={field['customers']['out']}").text
    assert "/admin/field/trips/" not in page
