"""Who reaches which page of the handover part, per role; another branch's records answer
404; odd ids never a 500; and where HQ switched the plugin off, its menu, pages, ticket
kind, dashboard cards and report section are gone."""

from __future__ import annotations

from flask_babel import force_locale
import re

import pytest

from plugins.real_estate.handover.models import (
    EstateCertificate, EstateFollowup, EstateMoveInNotice,
)
from portal.core.models import Branch, Role
from portal.core.plugin_state import branch_hooks
from portal.core.tickets import kinds_for
from portal.extensions import db

from .conftest import complete, inspection_form, schedule, sign_in, switch

PAGES = ("move_in", "building", "notice", "handovers", "handover", "record", "certificates", "certificate",
         "followups", "followup", "contacts", "contact_new", "contact")
ALL = dict.fromkeys(PAGES, 200)
NONE = dict.fromkeys(PAGES, 403)
MATRIX = {
    "e_aftersales_officer": ALL,
    "admin": ALL,
    "e_property_liaison": {**NONE, "handovers": 200, "handover": 200, "record": 200},
    "e_branch_manager": {**NONE, "contacts": 200, "contact": 200},
    "e_sales_agent": NONE, "e_clerk": NONE, "e_engineer": NONE,
    "a_clerk": NONE, "a_branch_manager": NONE, "b_engineer": NONE,
}


@pytest.fixture
def records(app, web, estate):
    """In E and in F: notices, a completed handover (certificate, follow-up) and a contact form."""
    found = {}
    for code in ("E", "F"):
        sign_in(web, f"{code.lower()}_aftersales_officer")
        office = estate[f"office_{code}"]
        url = f"/admin/estate/move-in/building/{office['building']}"
        web.submit(url, {}, post_url=url + "/notices")
        handover_id = schedule(web, estate, code=code)
        assert complete(web, handover_id, inspection_form()).status_code == 302
        sent = web.submit("/admin/estate/contact-forms/new",
                          {"to_id": str(estate["users"][f"{code.lower()}_branch_manager"]), "subject": "s",
                           "content": "c"})
        contact = int(re.search(r"/contact-forms/(\d+)$", sent.headers["Location"]).group(1))
        web.logout()
        with app.app_context():
            found[code] = {
                "building": office["building"], "handover": handover_id, "contact": contact,
                "notice": db.session.query(EstateMoveInNotice.id).filter_by(unit_id=office["units"]["0102"]).scalar(),
                "certificate": db.session.query(EstateCertificate.id).filter_by(branch_id=estate[code]).scalar(),
                "followup": db.session.query(EstateFollowup.id).filter_by(branch_id=estate[code]).scalar(),
            }
    return found


def _urls(ids):
    return {
        "move_in": "/admin/estate/move-in/", "building": f"/admin/estate/move-in/building/{ids['building']}",
        "notice": f"/admin/estate/move-in/notice/{ids['notice']}/print",
        "handovers": "/admin/estate/handovers/", "handover": f"/admin/estate/handovers/{ids['handover']}",
        "record": f"/admin/estate/handovers/{ids['handover']}/record",
        "certificates": "/admin/estate/certificates/", "certificate": f"/admin/estate/certificates/{ids['certificate']}",
        "followups": "/admin/estate/followups/", "followup": f"/admin/estate/followups/{ids['followup']}",
        "contacts": "/admin/estate/contact-forms/", "contact_new": "/admin/estate/contact-forms/new",
        "contact": f"/admin/estate/contact-forms/{ids['contact']}",
    }


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_access_matrix(web, records, username):
    web.login(username)
    for page, url in _urls(records["E"]).items():
        assert web.get(url).status_code == MATRIX[username][page], (username, page)
    menu = web.get("/admin/").text
    assert ("/admin/estate/move-in/" in menu) is (MATRIX[username]["move_in"] == 200)
    assert ("/admin/estate/handovers/" in menu) is (MATRIX[username]["handovers"] == 200)


def test_another_branchs_records_are_not_found(web, records):
    web.login("f_aftersales_officer")
    lists = ("move_in", "handovers", "certificates", "followups", "contacts", "contact_new")
    for page, url in _urls(records["E"]).items():
        assert web.get(url).status_code == (200 if page in lists else 404), page
    for page in ("handovers", "certificates", "followups", "contacts"):
        listing = web.get(_urls(records["E"])[page]).text
        assert f'data-handover="{records["E"]["handover"]}"' not in listing
        assert f'data-certificate="{records["E"]["certificate"]}"' not in listing
    e = records["E"]
    for post in (f"/admin/estate/move-in/building/{e['building']}/notices",
                 f"/admin/estate/move-in/notice/{e['notice']}/sent",
                 f"/admin/estate/handovers/{e['handover']}/save",
                 f"/admin/estate/certificates/{e['certificate']}/log",
                 f"/admin/estate/followups/{e['followup']}/feedback",
                 f"/admin/estate/contact-forms/{e['contact']}/reply"):
        assert web.submit("/admin/estate/move-in/", {}, post_url=post).status_code == 404, post


def test_hq_sees_every_branch(web, records):
    web.login("admin")
    listing = web.get("/admin/estate/handovers/?show=all").text
    assert f'data-handover="{records["E"]["handover"]}"' in listing
    assert f'data-handover="{records["F"]["handover"]}"' in listing


@pytest.mark.parametrize("url", [
    "/admin/estate/handovers/0", "/admin/estate/handovers/99999999999", "/admin/estate/handovers/abc",
    "/admin/estate/move-in/building/0", "/admin/estate/move-in/notice/4294967296/print",
    "/admin/estate/certificates/0", "/admin/estate/followups/0", "/admin/estate/contact-forms/0",
    "/admin/estate/contact-forms/new?followup_id=abc",
])
def test_odd_ids_are_not_found(web, estate, url):
    web.login("e_aftersales_officer")
    assert web.get(url).status_code == 404


def test_odd_parameters_never_break_a_page(web, estate):
    web.login("admin")
    for url in ("/admin/estate/handovers/?show=x&after=-5&q=%25_%5C", "/admin/estate/certificates/?show=%00&after=abc",
                "/admin/estate/followups/?channel=x&branch=abc", "/admin/estate/contact-forms/?show=x&after=0",
                "/admin/estate/move-in/?accepted=x&q=%25", "/admin/estate/contact-forms/new?branch=abc"):
        assert web.get(url).status_code == 200, url


def test_roles_are_extended_not_replaced(app, estate):
    with app.app_context():
        manager = db.session.query(Role).filter_by(code="branch_manager").one()
        assert "estate.leadership" in manager.permissions and "user.view" in manager.permissions
        officer = db.session.query(Role).filter_by(code="aftersales_officer").one()
        assert "estate.aftersales" in officer.permissions and "callback.work" in officer.permissions


def test_switched_off_in_a_branch_the_part_is_gone_there(app, web, estate, records):
    switch(app, estate["E"], False)
    sign_in(web, "e_aftersales_officer")
    dashboard = web.get("/admin/").text
    assert "/admin/estate/" not in dashboard  # no menu, no dashboard cards
    assert "Handovers scheduled this week" not in dashboard
    for page, url in _urls(records["E"]).items():
        assert web.get(url).status_code == 403, page
    with app.test_request_context(), force_locale("en"):
        assert "estate_defect" not in dict(kinds_for(estate["E"]))
        assert "estate_defect" in dict(kinds_for(estate["F"]))
        hooks, settings = branch_hooks(estate["E"])
        branch = db.session.get(Branch, estate["E"])
        from datetime import date

        sections = [s for group in hooks.portal_report_sections(month=date.today().replace(day=1), branch=branch,
                                                                settings=settings) for s in group or ()]
        assert not any("move-in" in str(title) for title, _rows in sections)
    web.logout()
    sign_in(web, "f_aftersales_officer")
    assert "Handovers scheduled this week" in web.get("/admin/").text
    assert web.get("/admin/estate/handovers/").status_code == 200


def test_the_customer_file_shows_the_handover_and_certificate(app, web, estate, records):
    customer = estate["office_E"]["customers"]["0101"]
    sign_in(web, "e_aftersales_officer")
    page = web.get(f"/admin/customer/details/?id={customer}").text
    assert "Handover and property certificate" in page and "Property certificate: " in page
    web.logout()
    sign_in(web, "e_property_liaison")
    page = web.get(f"/admin/customer/details/?id={customer}").text
    assert "Handover and property certificate" in page and "Property certificate: " not in page
    web.logout()
    sign_in(web, "e_clerk")
    assert "Handover and property certificate" not in web.get(f"/admin/customer/details/?id={customer}").text
    web.logout()
    switch(app, estate["E"], False)
    sign_in(web, "e_aftersales_officer")
    assert "Handover and property certificate" not in web.get(f"/admin/customer/details/?id={customer}").text
