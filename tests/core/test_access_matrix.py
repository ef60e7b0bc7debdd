"""Who may open what, and no branch ever sees another's data — role by role."""

import pytest

from portal.core.models import Customer, Product, User
from portal.extensions import db

PAGES = ["customer", "product", "user", "branch", "role", "plugins", "audit", "ticket", "ticket/new"]
ALLOWED = {
    "admin": set(PAGES),
    "a_branch_manager": {"customer", "product", "user", "branch", "ticket", "ticket/new"},
    "a_clerk": {"customer", "product", "ticket", "ticket/new"},
    "a_engineer": {"customer", "product", "ticket"},
}


@pytest.mark.parametrize("username", sorted(ALLOWED))
@pytest.mark.parametrize("page", PAGES)
def test_each_role_opens_exactly_its_pages(web, world, username, page):
    web.login(username)
    status = web.get(f"/admin/{page}/").status_code
    assert status == (200 if page in ALLOWED[username] else 403)


@pytest.mark.parametrize("page", PAGES)
def test_signed_out_visitors_are_sent_to_login(web, world, page):
    response = web.get(f"/admin/{page}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _customer(app, customer_id):
    with app.app_context():
        return db.session.get(Customer, customer_id)


BRANCH_STAFF = ["a_branch_manager", "a_clerk", "a_engineer"]


@pytest.mark.parametrize("username", BRANCH_STAFF)
def test_lists_searches_and_exports_show_only_the_own_branch(web, world, username):
    web.login(username)
    listing = web.get("/admin/customer/").text
    assert "客户A" in listing and "客户B" not in listing
    assert "客户B" not in web.get("/admin/customer/?search=13900000002").text
    assert "SN-B-1" not in web.get("/admin/product/?search=SN-B").text
    assert "客户B" not in web.get("/admin/customer/?flt0_branch_code_equals=B").text
    export = web.get("/admin/customer/export/csv/")
    if username == "a_branch_manager":
        assert export.status_code == 200
        assert "客户A" in export.text and "客户B" not in export.text
    else:
        assert "客户B" not in export.get_data(as_text=True)


@pytest.mark.parametrize("username", BRANCH_STAFF)
@pytest.mark.parametrize("url", ["/admin/customer/details/?id={id}", "/admin/customer/edit/?id={id}",
                                 "/admin/product/details/?id={pid}", "/admin/product/edit/?id={pid}"])
def test_another_branchs_record_cannot_be_opened_by_id(web, world, username, url):
    web.login(username)
    response = web.get(url.format(id=world["customers"]["B"], pid=world["products"]["B"]), follow_redirects=True)
    assert "客户B" not in response.text and "SN-B-1" not in response.text


def test_another_branchs_record_cannot_be_edited_or_archived(app, web, world):
    web.login("a_branch_manager")
    other = world["customers"]["B"]
    web.submit("/admin/customer/", {"name": "hijacked", "phone": "1"}, post_url=f"/admin/customer/edit/?id={other}")
    web.submit("/admin/customer/", {"id": str(other)}, post_url="/admin/customer/delete/")
    web.submit("/admin/customer/", {"action": "delete", "rowid": str(other)}, post_url="/admin/customer/action/")
    customer = _customer(app, other)
    assert customer.name == "客户B" and customer.deleted_at is None


def test_forged_branch_id_is_ignored_for_branch_staff(app, web, world):
    web.login("a_clerk")
    response = web.submit("/admin/customer/new/", {
        "name": "新客户", "phone": "13711112222", "kind": "person", "branch": str(world["B"]),
        "branch_id": str(world["B"])}, follow=True)
    assert response.status_code == 200
    with app.app_context():
        created = db.session.scalar(db.select(Customer).filter_by(name="新客户"))
        assert created.branch_id == world["A"]


def test_relationship_dropdown_lists_only_the_own_branch(app, web, world):
    web.login("a_clerk")
    form = web.get("/admin/product/new/").text
    assert "客户A" in form and "客户B" not in form
    web.submit("/admin/product/new/", {"customer": str(world["customers"]["B"]), "name": "偷偷"})
    with app.app_context():
        assert db.session.scalar(db.select(Product).filter_by(name="偷偷")) is None


def test_hq_sees_every_branch(web, world):
    web.login("admin")
    listing = web.get("/admin/customer/").text
    assert "客户A" in listing and "客户B" in listing
    assert "客户B" in web.get(f"/admin/customer/details/?id={world['customers']['B']}").text


def test_branch_manager_manages_only_own_staff_and_cannot_grant_hq_roles(app, web, world):
    web.login("a_branch_manager")
    staff = web.get("/admin/user/").text
    assert "a_clerk" in staff and "b_clerk" not in staff
    assert "b_clerk" not in web.get(f"/admin/user/edit/?id={world['users']['b_clerk']}", follow_redirects=True).text
    form = web.get("/admin/user/new/").text
    assert "HQ administrator" not in form and "总部管理员" not in form
    with app.app_context():
        from portal.core.models import Role

        hq_role = db.session.scalar(db.select(Role).filter_by(code="hq_admin")).id
    web.submit("/admin/user/new/", {"username": "mole", "password": "long-enough-1", "roles": str(hq_role),
                                    "active": "y"})
    with app.app_context():
        mole = db.session.scalar(db.select(User).filter_by(username="mole"))
        assert mole is None or "hq_admin" not in mole.role_codes


def test_odd_ids_never_produce_a_server_error(web, world):
    web.login("a_clerk")
    for raw in ("1,2", "abc", "-1", "99999999999999999999", ""):
        assert web.get(f"/admin/customer/details/?id={raw}").status_code in (200, 302, 404)
