"""Customer files: created in the branch with a product, found, exported, archived, audited."""

import io
from datetime import date

import openpyxl

from portal.core.models import AuditEntry, Customer
from portal.extensions import db

NEW_FILE = {
    "kind": "person", "name": "赵小明", "phone": "13612345678", "province": "上海", "city": "上海",
    "address": "南京东路1号",
    "contacts-0-name": "赵太太", "contacts-0-phone": "13699998888",
    "products-0-name": "冰箱", "products-0-model": "BCD-520", "products-0-serial_number": "FRIDGE-0001",
    "products-0-purchase_date": "2026-03-10", "products-0-invoice_number": "FP123",
}


def _create(web, data=NEW_FILE):
    return web.submit("/admin/customer/new/", data, follow=True)


def test_clerk_creates_a_file_with_a_product_and_the_warranty_end_is_computed(app, web, world):
    web.login("a_clerk")
    response = _create(web)
    assert response.status_code == 200
    with app.app_context():
        customer = db.session.scalar(db.select(Customer).filter_by(name="赵小明"))
        assert customer.branch_id == world["A"]
        assert customer.created_by_id == world["users"]["a_clerk"]
        assert [c.phone for c in customer.contacts] == ["13699998888"]
        product = customer.products[0]
        assert product.branch_id == world["A"]
        assert product.warranty_end == date(2027, 3, 9)


def test_file_is_found_by_name_phone_contact_phone_and_serial(web, world):
    web.login("a_clerk")
    _create(web)
    for term in ("赵小明", "13612345678", "13699998888", "FRIDGE-0001"):
        assert "赵小明" in web.get(f"/admin/customer/?search={term}").text, term
    assert "赵小明" not in web.get("/admin/customer/?search=nobody-like-this").text


def test_a_file_without_any_phone_is_refused_with_a_message(app, web, world):
    web.login("a_clerk")
    response = _create(web, {"kind": "person", "name": "无电话"})
    assert "phone" in response.text.lower() or "电话" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(Customer).filter_by(name="无电话")) is None


def test_xlsx_and_csv_exports_hold_the_branch_files(web, world):
    web.login("a_branch_manager")
    xlsx = web.get("/admin/customer/export/xlsx/")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "客户A" in values and "客户B" not in values
    assert "13800000001" in web.get("/admin/customer/export/csv/").text


def test_archiving_is_soft_and_audited(app, web, world):
    web.login("a_branch_manager")
    customer_id = world["customers"]["A"]
    web.submit("/admin/customer/", {"id": str(customer_id)}, post_url="/admin/customer/delete/")
    assert "客户A" not in web.get("/admin/customer/").text
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert customer is not None and customer.deleted_at is not None
        entry = db.session.scalar(db.select(AuditEntry).filter_by(table_name="customer", row_id=str(customer_id),
                                                                  action="delete"))
        assert entry.user_id == world["users"]["a_branch_manager"]


def test_changes_are_audited_with_old_and_new_values(app, web, world):
    web.login("a_clerk")
    customer_id = world["customers"]["A"]
    edit = f"/admin/customer/edit/?id={customer_id}"
    web.submit(edit, {"kind": "person", "name": "客户A改名", "phone": "13800000001"})
    with app.app_context():
        entry = db.session.scalar(db.select(AuditEntry).filter_by(table_name="customer", action="update"))
        assert entry.changes["name"] == ["客户A", "客户A改名"]
        assert entry.user_id == world["users"]["a_clerk"]


def test_audit_trail_cannot_be_edited_or_deleted(app, web, world):
    web.login("admin")
    assert web.get("/admin/audit/").status_code == 200
    assert web.get("/admin/audit/new/").status_code in (302, 403, 404)
    with app.app_context():
        first = db.session.scalar(db.select(AuditEntry.id))
    web.submit("/admin/audit/", {"id": str(first)}, post_url="/admin/audit/delete/")
    with app.app_context():
        assert db.session.get(AuditEntry, first) is not None


def test_a_stale_edit_is_refused_and_nothing_is_lost(app, web, world):
    web.login("a_clerk")
    customer_id = world["customers"]["A"]
    edit = f"/admin/customer/edit/?id={customer_id}"
    from tests.conftest import csrf_token

    page = web.get(edit).text
    token = csrf_token(page)
    import re

    seen = re.search(r'name="seen_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="seen_version"', page)
    version = seen.group(1) or seen.group(2)
    # someone else saves first
    with app.app_context():
        db.session.get(Customer, customer_id).name = "别人改的"
        db.session.commit()
    response = web.client.post(edit, data={"kind": "person", "name": "我改的", "phone": "13800000001",
                                           "seen_version": version, "csrf_token": token}, follow_redirects=True)
    assert "Someone else saved" in response.text or "其他人" in response.text or "别人" in response.text
    with app.app_context():
        assert db.session.get(Customer, customer_id).name == "别人改的"


def test_product_list_finds_by_serial_in_own_branch(web, world):
    web.login("a_engineer")
    assert "SN-A-1" in web.get("/admin/product/?search=SN-A").text
    assert web.get("/admin/product/new/").status_code in (302, 403)
