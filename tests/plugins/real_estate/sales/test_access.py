"""Who reaches which page of the sales office, per role; contracts are confidential
(sales and after-sales of the branch, and HQ) in the list, the record, the printed sheet,
the export and the customer file; another branch's records answer 404; where HQ switched
the plugin off, its menu, pages, ticket kind, cards and customer panel are gone."""

from __future__ import annotations

import pytest

from portal.core.plugin_state import branch_hooks
from portal.core.tickets import kinds_for
from portal.extensions import db
from plugins.real_estate.sales.models import Dispute, Payment

from .conftest import contract_id_of, days, register, sign_in, switch

PAGES = ("projects", "buildings", "units", "unit", "unit_new", "contracts", "contract", "print", "export",
         "register", "payments", "disputes", "dispute")
ALL = dict.fromkeys(PAGES, 200)
NONE = dict.fromkeys(PAGES, 403)
PROPERTY = {"projects": 200, "buildings": 200, "units": 200, "unit": 200}
MATRIX = {
    "e_sales_agent": ALL,
    "e_aftersales_officer": {**ALL, "register": 403},
    "e_property_liaison": {**NONE, **PROPERTY, "unit_new": 302},  # may read, not create: back to the list
    "e_branch_manager": {**NONE, "disputes": 200, "dispute": 200},
    "e_clerk": NONE, "e_engineer": NONE,
    "admin": ALL,
    "a_clerk": NONE, "a_branch_manager": NONE, "b_engineer": NONE,
    # another branch running the plugin: its lists open, our records do not
    "f_sales_agent": {**ALL, "unit": 404, "contract": 404, "print": 404, "dispute": 404},
    "f_branch_manager": {**NONE, "disputes": 200, "dispute": 404},
}


@pytest.fixture
def records(app, web, office):
    """A contract with a dispute in E and a contract in F."""
    found = {}
    for code in ("E", "F"):
        sign_in(web, f"{code.lower()}_sales_agent")
        contract = contract_id_of(register(web, office[f"units_{code}"][0], f"HT-{code}",
                                           "instalments", customer_id=office[f"customer_{code}"],
                                           signed_on=days(-60), first_due_on=days(-30), instalments="4",
                                           every_months="1"))
        response = web.submit(f"/admin/estate/contracts/record/{contract}", {"customer_said": f"争议{code}"},
                              post_url=f"/admin/estate/contracts/record/{contract}/dispute")
        assert response.status_code == 302, response.text[:2000]
        web.logout()
        with app.app_context():
            dispute = db.session.query(Dispute.id).filter_by(contract_id=contract).scalar()
        found[code] = {"contract": contract, "dispute": dispute, "unit": office[f"units_{code}"][0],
                       "customer": office[f"customer_{code}"]}
    return found


def _urls(ids):
    return {
        "projects": "/admin/estate/projects/", "buildings": "/admin/estate/buildings/",
        "units": "/admin/estate/units/", "unit": f"/admin/estate/units/unit/{ids['unit']}",
        "unit_new": "/admin/estate/units/new/", "contracts": "/admin/estate/contracts/",
        "contract": f"/admin/estate/contracts/record/{ids['contract']}",
        "print": f"/admin/estate/contracts/record/{ids['contract']}/print",
        "export": "/admin/estate/contracts/export/csv/", "register": "/admin/estate/register/",
        "payments": "/admin/estate/payments/", "disputes": "/admin/estate/disputes/?show=all",
        "dispute": f"/admin/estate/disputes/{ids['dispute']}",
    }


@pytest.mark.parametrize("username", sorted(MATRIX))
def test_access_matrix(web, records, username):
    web.login(username)
    for page, url in _urls(records["E"]).items():
        assert web.get(url).status_code == MATRIX[username][page], (username, page)
    menu = web.get("/admin/").text
    assert ("/admin/estate/units/" in menu) is (MATRIX[username]["units"] == 200)
    assert ("/admin/estate/contracts/" in menu) is (MATRIX[username]["contracts"] == 200)


@pytest.mark.parametrize("username, sees_e, sees_f", [
    ("e_sales_agent", True, False), ("e_aftersales_officer", True, False), ("f_sales_agent", False, True),
    ("admin", True, True),
])
def test_contract_list_and_export_show_only_the_branch(web, records, username, sees_e, sees_f):
    web.login(username)
    listing = web.get("/admin/estate/contracts/").text
    export = web.get("/admin/estate/contracts/export/csv/").get_data(as_text=True)
    for text in (listing, export):
        assert ("HT-E" in text) is sees_e
        assert ("HT-F" in text) is sees_f


@pytest.mark.parametrize("username, panel", [
    ("e_sales_agent", True), ("e_aftersales_officer", True), ("admin", True),
    ("e_clerk", False), ("e_branch_manager", False), ("e_property_liaison", False),
])
def test_customer_file_shows_the_contract_only_to_those_allowed(web, records, username, panel):
    web.login(username)
    page = web.get(f"/admin/customer/details/?id={records['E']['customer']}")
    assert page.status_code == 200
    assert ('data-testid="panel-contract"' in page.text) is panel
    assert ("HT-E" in page.text) is panel


def test_another_branch_cannot_reach_or_change_our_records(app, web, records):
    web.login("f_sales_agent")
    assert web.get(f"/admin/customer/details/?id={records['E']['customer']}").status_code in (302, 404)
    contract = records["E"]["contract"]
    for post in (f"/admin/estate/contracts/record/{contract}/step",
                 f"/admin/estate/contracts/record/{contract}/dispute",
                 f"/admin/estate/units/unit/{records['E']['unit']}/step",
                 f"/admin/estate/disputes/{records['E']['dispute']}/escalate"):
        response = web.submit("/admin/estate/payments/", {"target": "handed_to_aftersales"}, post_url=post)
        assert response.status_code == 404, post
    # nor the payments of our contract
    with app.app_context():
        ours = [p.id for p in db.session.query(Payment).filter_by(contract_id=contract)]
    assert ours
    for payment in ours:
        for action in ("pay", "due", "remind"):
            response = web.submit("/admin/estate/payments/", {"paid_on": days(0), "amount_paid": "1", "due_on": days(3)},
                                  post_url=f"/admin/estate/contracts/payment/{payment}/{action}")
            assert response.status_code == 404, action
    with app.app_context():
        assert db.session.query(Payment).filter(Payment.id.in_(ours), Payment.paid_on.isnot(None)).count() == 0
    # and the register offers only F's units
    page = web.get("/admin/estate/register/").text
    assert "锦城花园E" not in page and "锦城花园F" in page


@pytest.mark.parametrize("url", [
    "/admin/estate/contracts/record/0", "/admin/estate/contracts/record/99999999999",
    "/admin/estate/contracts/record/0/print", "/admin/estate/units/unit/4294967296", "/admin/estate/disputes/0",
])
def test_odd_ids_are_not_found(web, office, url):
    web.login("e_sales_agent")
    assert web.get(url).status_code == 404


def test_odd_parameters_never_break_a_page(web, office):
    web.login("admin")
    for url in ("/admin/estate/payments/?show=x", "/admin/estate/disputes/?show=%00&after=abc",
                "/admin/estate/register/?who=%25_%5C&customer_id=x&unit_id=-1",
                "/admin/estate/contracts/?search=%25", "/admin/estate/units/?after=-5"):
        assert web.get(url).status_code == 200, url


def test_switched_off_in_a_branch_the_plugin_is_gone_there(app, web, records):
    switch(app, records and _branch(app, "E"), False)
    web.login("e_sales_agent")
    dashboard = web.get("/admin/").text
    assert "/admin/estate/" not in dashboard
    assert "逾期付款" not in dashboard
    for page, url in _urls(records["E"]).items():
        assert web.get(url).status_code == 403, page
    web.logout()
    web.login("e_clerk")
    page = web.get(f"/admin/customer/details/?id={records['E']['customer']}").text
    assert "HT-E" not in page and 'data-testid="panel-contract"' not in page
    with app.test_request_context():
        assert "estate_dispute" not in dict(kinds_for(_branch(app, "E")))
        assert "estate_dispute" in dict(kinds_for(_branch(app, "F")))
        hooks, settings = branch_hooks(_branch(app, "E"))
        assert "real_estate" not in settings
    # the other branch is untouched
    web.logout()
    web.login("f_sales_agent")
    assert web.get("/admin/estate/contracts/").status_code == 200
    assert "逾期付款" in web.get("/admin/").text


def _branch(app, code):
    from portal.core.models import Branch

    with app.app_context():
        return db.session.query(Branch.id).filter_by(code=code).scalar()


def test_odd_posts_are_refused_with_a_message_never_a_500(app, web, records):
    web.login("e_sales_agent")
    contract = records["E"]["contract"]
    with app.app_context():
        payment = db.session.query(Payment.id).filter_by(contract_id=contract).first()[0]
    record = f"/admin/estate/contracts/record/{contract}"
    posts = [
        (f"{record}/step", {"target": "nonsense"}),
        (f"{record}/step", {"target": "archived", "seen_version": "x"}),
        (f"/admin/estate/contracts/payment/{payment}/pay", {"paid_on": "31/12/2026", "amount_paid": "1e400"}),
        (f"/admin/estate/contracts/payment/{payment}/pay", {}),
        (f"/admin/estate/contracts/payment/{payment}/due", {"due_on": "9999-99-99"}),
        (f"/admin/estate/disputes/{records['E']['dispute']}/answer", {"customer_accepts": "maybe"}),
        (f"/admin/estate/disputes/{records['E']['dispute']}/settle", {}),
        (f"/admin/estate/units/unit/{records['E']['unit']}/step", {"target": ""}),
        (f"{record}/dispute", {"customer_said": "x" * 20000}),
    ]
    for url, data in posts:
        response = web.submit(record, data, post_url=url, follow=True)
        assert response.status_code == 200, url
        assert 'class="alert' in response.text, url
    web.logout()
    sign_in(web, "e_property_liaison")
    response = web.submit(f"/admin/estate/units/unit/{records['E']['unit']}", {"target": "reserved"},
                          post_url=f"/admin/estate/units/unit/{records['E']['unit']}/step", follow=True)
    assert response.status_code == 200 and "Your role does not allow this step." in response.text
