"""Customer files through the API: open with contacts and products, search by name, phone
or serial number, read, and change with a version."""

from __future__ import annotations

from portal.core.models import AuditEntry, Customer
from portal.extensions import db


def test_open_a_customer_file_with_contacts_and_products(app, api, world):
    api.as_("a_clerk")
    response = api.post("/api/v1/customers", json={
        "name": "张伟", "kind": "person", "province": "上海", "city": "上海", "address": "南京路 1 号",
        "contacts": [{"name": "李娜", "title": "妻子", "phone": "13611112222"}],
        "products": [{"name": "空调", "model": "KFR-35", "serial_number": "AC-2026-01",
                      "purchase_date": "2026-03-10"}],
    })
    assert response.status_code == 201, response.json
    body = response.json
    assert body["branch_id"] == world["A"] and body["contacts"][0]["phone"] == "13611112222"
    product = body["products"][0]
    assert product["warranty_end"] == "2027-03-09"  # 12 months from purchase, the default
    assert api.get(f"/api/v1/customers/{body['id']}").json == body
    assert api.get(f"/api/v1/products/{product['id']}").json == product
    with app.app_context():
        entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.table_name == "customer",
                                                             AuditEntry.row_id == str(body["id"])))
        assert entry.user_id == world["users"]["a_clerk"]  # the token's user is on the audit trail


def test_a_customer_file_needs_a_phone_and_sane_dates(api, world):
    api.as_("a_clerk")
    response = api.post("/api/v1/customers", json={"name": "没电话"})
    assert response.status_code == 422 and "phone" in response.json["error"]["fields"]
    response = api.post("/api/v1/customers", json={"name": "日期", "phone": "1", "products": [
        {"name": "冰箱", "purchase_date": "2026-05-01", "delivered_on": "2026-04-01"}]})
    assert response.status_code == 422 and "products.0.delivered_on" in response.json["error"]["fields"]
    response = api.post("/api/v1/customers", json={"name": "远古", "phone": "1", "products": [
        {"name": "冰箱", "purchase_date": "0001-01-01"}]})
    assert response.status_code == 422


def test_hq_chooses_the_branch_of_a_new_customer(api, world):
    api.as_("admin")
    assert api.post("/api/v1/customers", json={"name": "总部录入", "phone": "1"}).status_code == 422
    assert api.post("/api/v1/customers", json={"name": "总部录入", "phone": "1",
                                               "branch_id": world["hq"]}).status_code == 422
    created = api.post("/api/v1/customers", json={"name": "总部录入", "phone": "1", "branch_id": world["B"]})
    assert created.status_code == 201 and created.json["branch_id"] == world["B"]


def test_search_by_name_phone_and_serial(api, world):
    api.as_("a_clerk")
    api.post("/api/v1/customers", json={"name": "王芳", "phone": "13522223333",
                                        "contacts": [{"name": "王强", "phone": "18800001111"}],
                                        "products": [{"name": "电视", "serial_number": "TV-77-X"}]})
    names = lambda query: [c["name"] for c in api.get(f"/api/v1/customers?{query}").json["items"]]  # noqa: E731
    assert names("name=王") == ["王芳"]
    assert names("phone=2222") == ["王芳"]
    assert names("phone=18800001111") == ["王芳"]  # a contact's phone finds the file
    assert names("serial=tv-77") == ["王芳"]
    assert names("q=SN-A-1") == ["客户A"]
    assert names("q=13800000001") == ["客户A"]
    assert names("name=%25") == [] and names("name=_") == []  # wildcards are taken literally


def test_update_a_customer_and_a_product_with_their_versions(app, api, world):
    api.as_("a_clerk")
    path = f"/api/v1/customers/{world['customers']['A']}"
    response = api.patch(path, json={"version": 1, "name": "客户A（改）", "email": "a@example.com"})
    assert response.status_code == 200 and response.json["version"] == 2
    assert response.json["name"] == "客户A（改）"
    assert api.patch(path, json={"version": 2, "phone": ""}).status_code == 422  # would lose the only phone
    product = f"/api/v1/products/{world['products']['A']}"
    response = api.patch(product, json={"version": 1, "delivered_on": "2026-02-01"})
    assert response.status_code == 200 and response.json["warranty_end"] == "2027-01-31"
    added = api.post(f"{path}/products", json={"name": "烘干机", "delivered_on": "2026-06-01"})
    assert added.status_code == 201 and added.json["warranty_end"] == "2027-05-31"
    assert len(api.get(path).json["products"]) == 2
    with app.app_context():
        assert db.session.get(Customer, world["customers"]["A"]).name == "客户A（改）"
