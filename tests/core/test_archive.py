"""The archive (issue 4 item 6, REQUIREMENTS §2.10): letters, e-mails, replies and files
filed on a ticket or on the customer file, browsed by month, customer and product, with
search and download; a year's records retrievable; no branch sees another's."""

from __future__ import annotations

from datetime import date, datetime, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest

from portal.core import archive, tickets
from portal.core.models import AuditEntry, Customer, Product, Ticket, TicketEvent, User
from portal.core.models.performance import CustomerDocument
from portal.core.tickets import NewTicket, TicketError, open_ticket
from portal.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4 scanned letter"


def _user(world, name) -> User:
    return db.session.get(User, world["users"][name])


def make_ticket(app, world, branch="A", customer_id=None, product_id=None) -> int:
    with app.test_request_context():
        ticket = open_ticket(NewTicket(customer_id=customer_id or world["customers"][branch], title="来函要求维修",
                                       channel="letter", product_id=product_id or world["products"][branch]),
                             _user(world, f"{branch.lower()}_clerk"))
        db.session.commit()
        return ticket.id


def letter_on_ticket(app, world, ticket_id, body, local=None, kind="letter", branch="A") -> int:
    """A letter on the ticket's timeline, dated ``local`` (Shanghai) when given."""
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        entry = tickets.add_entry(ticket, kind, body, _user(world, f"{branch.lower()}_clerk"))
        if local:
            entry.at = datetime(*local, tzinfo=SHANGHAI).astimezone(timezone.utc)
        db.session.commit()
        return entry.id


def document(app, world, subject, day, branch="A", customer_id=None, product_id=None, kind="letter_in",
             data=None, body="正文") -> int:
    with app.test_request_context():
        customer = db.session.get(Customer, customer_id or world["customers"][branch])
        upload = archive.Upload("scan.pdf", "application/pdf", data) if data else None
        filed = archive.file_document(customer, kind, subject, body, day, _user(world, f"{branch.lower()}_clerk"),
                                      product_id=product_id, upload=upload)
        db.session.commit()
        return filed.id


def second_customer(app, world) -> tuple[int, int]:
    with app.app_context():
        customer = Customer(branch_id=world["A"], name="李先生", phone="13800000009")
        customer.products.append(Product(branch_id=world["A"], name="空调", model="KF-35", serial_number="SN-A-9"))
        db.session.add(customer)
        db.session.commit()
        return customer.id, customer.products[0].id


def items(page_text: str) -> list[str]:
    import re

    return re.findall(r'data-item="([a-z]+-\d+)"', page_text)


# --- filing -----------------------------------------------------------------------------------------

def test_letters_emails_and_files_filed_on_a_ticket_are_in_the_archive(app, web, world):
    ticket_id = make_ticket(app, world)
    web.login("a_clerk")
    page = f"/admin/ticket/details/?id={ticket_id}"
    web.submit(page, {"kind": "letter", "body": "客户来函：洗衣机漏水，要求上门"}, post_url=f"/admin/ticket/entry/{ticket_id}")
    web.submit(page, {"kind": "email", "body": "回复邮件：已安排工程师"}, post_url=f"/admin/ticket/entry/{ticket_id}")
    web.submit(page, {"kind": "note", "body": "内部备注不归档"}, post_url=f"/admin/ticket/entry/{ticket_id}")
    web.submit(page, {"file": (BytesIO(PDF), "来函扫描.pdf", "application/pdf")},
               post_url=f"/admin/ticket/attach/{ticket_id}")
    with app.app_context():
        letter, email = db.session.scalars(db.select(TicketEvent.id).where(
            TicketEvent.kind.in_(("letter", "email"))).order_by(TicketEvent.id)).all()
        number = db.session.get(Ticket, ticket_id).number
    listing = web.get("/admin/archive/").text
    assert set(items(listing)) == {f"event-{letter}", f"event-{email}", "file-1"}
    assert "客户来函" in listing and "来函扫描.pdf" in listing and "内部备注不归档" not in listing
    assert number in listing and "客户A" in listing and "洗衣机" in listing
    download = web.get("/admin/archive/download/file/1")
    assert download.status_code == 200 and download.data == PDF
    assert "来函扫描.pdf" in download.headers["Content-Disposition"] or "filename*" in download.headers[
        "Content-Disposition"]
    text = web.get(f"/admin/archive/download/event/{letter}")
    assert text.status_code == 200 and text.get_data(as_text=True) == "客户来函：洗衣机漏水，要求上门"
    assert "charset=utf-8" in text.headers["Content-Type"]


def test_a_clerk_files_a_letter_with_its_scan_on_the_customer_page(app, web, world):
    customer_id, product_id = world["customers"]["A"], world["products"]["A"]
    web.login("a_clerk")
    page = f"/admin/customer/details/?id={customer_id}"
    assert 'data-testid="file-document"' in web.get(page).text
    response = web.submit(page, {"kind": "letter_in", "subject": "质量投诉函", "body": "洗衣机第三次漏水",
                                 "dated_on": "2026-03-10", "product_id": str(product_id),
                                 "file": (BytesIO(PDF), "投诉函.pdf", "application/pdf")},
                          post_url=f"/admin/archive/file/{customer_id}", follow=True)
    assert response.status_code == 200
    with app.app_context():
        filed = db.session.scalar(db.select(CustomerDocument))
        assert (filed.kind, filed.subject, filed.product_id, filed.filename, filed.size, filed.filed_by_id) == (
            "letter_in", "质量投诉函", product_id, "投诉函.pdf", len(PDF), world["users"]["a_clerk"])
        assert filed.dated_at == datetime(2026, 3, 10, tzinfo=SHANGHAI).astimezone(timezone.utc)
        audit = db.session.scalar(db.select(AuditEntry).filter_by(table_name="customer_document"))
        assert audit.action == "create" and "data" not in audit.changes
        document_id = filed.id
    customer_page = web.get(page).text
    assert f'data-document="{document_id}"' in customer_page and "2026-03-10" in customer_page
    march = web.get("/admin/archive/?year=2026&month=3").text
    assert items(march) == [f"document-{document_id}"] and "质量投诉函" in march
    assert web.get(f"/admin/archive/download/document/{document_id}").data == PDF


def test_a_document_without_a_file_downloads_as_text(app, web, world):
    document_id = document(app, world, "电话回复记录", date(2026, 3, 3), kind="reply", body="已答复客户")
    web.login("a_branch_manager")
    download = web.get(f"/admin/archive/download/document/{document_id}")
    assert download.status_code == 200 and download.get_data(as_text=True) == "电话回复记录\n\n已答复客户"


@pytest.mark.parametrize("change, field", [
    ({"kind": "fax"}, "kind"),
    ({"subject": "  "}, "subject"),
    ({"subject": "x" * 201}, "subject"),
    ({"dated_on": None}, "dated_on"),
    ({"dated_on": date(2999, 1, 1)}, "dated_on"),
    ({"dated_on": date(1900, 1, 1)}, "dated_on"),
    ({"product_id": "other"}, "product"),
    ({"product_id": "B"}, "product"),
    ({"product_id": "abc"}, "product"),
    ({"body": "", "upload": None}, "body"),
    ({"upload": archive.Upload("virus.exe", "application/x-msdownload", b"MZ")}, "file"),
    ({"upload": archive.Upload("big.pdf", "application/pdf", b"0" * (10 * 1024 * 1024 + 1))}, "file"),
])
def test_filing_is_refused_with_a_message_and_nothing_is_filed(app, world, change, field):
    other_customer, other_product = second_customer(app, world)
    with app.test_request_context():
        values = {"kind": "letter_in", "subject": "来函", "body": "正文", "dated_on": date(2026, 3, 3),
                  "product_id": None, "upload": None, **change}
        values["product_id"] = {"other": other_product, "B": world["products"]["B"]}.get(values["product_id"],
                                                                                          values["product_id"])
        customer = db.session.get(Customer, world["customers"]["A"])
        with pytest.raises(TicketError) as refused:
            archive.file_document(customer, values["kind"], values["subject"], values["body"], values["dated_on"],
                                  _user(world, "a_clerk"), product_id=values["product_id"], upload=values["upload"])
        assert set(refused.value.fields) == {field}
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count(CustomerDocument.id))) == 0


def test_a_refused_filing_from_the_page_is_a_message(app, web, world):
    customer_id = world["customers"]["A"]
    web.login("a_clerk")
    page = f"/admin/customer/details/?id={customer_id}"
    response = web.submit(page, {"kind": "letter_in", "subject": "", "dated_on": "2026-02-30"},
                          post_url=f"/admin/archive/file/{customer_id}", follow=True)
    assert response.status_code == 200 and "alert-danger" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CustomerDocument.id))) == 0


def test_a_document_filed_by_mistake_is_taken_off_but_kept(app, web, world):
    document_id = document(app, world, "误归档", date(2026, 3, 3), data=PDF)
    customer_id = world["customers"]["A"]
    web.login("a_clerk")
    page = f"/admin/customer/details/?id={customer_id}"
    web.submit(page, {}, post_url=f"/admin/archive/document/{document_id}/remove")
    assert f'data-document="{document_id}"' not in web.get(page).text
    assert items(web.get("/admin/archive/?year=2026").text) == []
    assert web.get(f"/admin/archive/download/document/{document_id}").status_code == 404
    with app.app_context():
        assert db.session.get(CustomerDocument, document_id).deleted_at is not None
        assert db.session.scalar(db.select(AuditEntry.action).filter_by(table_name="customer_document",
                                                                        row_id=str(document_id))
                                 .order_by(AuditEntry.id.desc())) == "delete"


def test_engineers_neither_file_nor_see_the_archive(app, web, world):
    document(app, world, "来函", date(2026, 3, 3))
    customer_id = world["customers"]["A"]
    web.login("a_engineer")
    page = web.get(f"/admin/customer/details/?id={customer_id}").text
    assert 'data-testid="customer-documents"' not in page and 'data-testid="file-document"' not in page
    assert web.get("/admin/archive/").status_code == 403
    assert web.submit(f"/admin/customer/details/?id={customer_id}", {"kind": "letter_in", "subject": "x",
                                                                     "body": "x", "dated_on": "2026-03-03"},
                      post_url=f"/admin/archive/file/{customer_id}").status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CustomerDocument.id))) == 1


def test_hq_quality_browses_but_does_not_file(app, web, world):
    from portal.core.provisioning import create_user, sync_roles
    from tests.conftest import PASSWORD

    with app.app_context():
        sync_roles()
        create_user("hq_quality", PASSWORD, "HQ", ["hq_quality"])
        db.session.commit()
    a_doc = document(app, world, "来函A", date(2026, 3, 3))
    b_doc = document(app, world, "来函B", date(2026, 3, 4), branch="B")
    web.login("hq_quality")
    assert set(items(web.get("/admin/archive/?year=2026").text)) == {f"document-{a_doc}", f"document-{b_doc}"}
    page = web.get(f"/admin/customer/details/?id={world['customers']['A']}").text
    assert f'data-document="{a_doc}"' in page and 'data-testid="file-document"' not in page


# --- browsing ----------------------------------------------------------------------------------------

@pytest.fixture
def filed(app, world):
    """March and April 2026 and one of 2025 in branch A, two customers; one in branch B."""
    other_customer, other_product = second_customer(app, world)
    ticket_a = make_ticket(app, world)
    ticket_other = make_ticket(app, world, customer_id=other_customer, product_id=other_product)
    ticket_b = make_ticket(app, world, branch="B")
    ids = {
        "march_letter": f"event-{letter_on_ticket(app, world, ticket_a, '三月来函 漏水', (2026, 3, 31, 23, 30))}",
        "april_email": f"event-{letter_on_ticket(app, world, ticket_other, '四月邮件 空调不制冷', (2026, 4, 1, 0, 10), 'email')}",
        "march_doc": f"document-{document(app, world, '三月回复函', date(2026, 3, 5), kind='letter_out')}",
        "april_doc": f"document-{document(app, world, '空调说明书寄送', date(2026, 4, 20), customer_id=other_customer, product_id=other_product)}",
        "old_doc": f"document-{document(app, world, '去年的来函', date(2025, 12, 31))}",
        "b_letter": f"event-{letter_on_ticket(app, world, ticket_b, 'B分公司来函', (2026, 3, 10, 10, 0), branch='B')}",
        "b_doc": f"document-{document(app, world, 'B分公司回复', date(2026, 3, 11), branch='B')}",
    }
    ids.update(other_customer=other_customer, other_product=other_product)
    return ids


def test_the_archive_is_browsed_by_month_in_local_time(web, world, filed):
    web.login("a_clerk")
    year = web.get("/admin/archive/?year=2026").text
    assert items(year) == [filed["april_doc"], filed["april_email"], filed["march_letter"], filed["march_doc"]]
    assert 'data-month="3" href=' in year
    assert '3 <span class="badge badge-light">2</span>' in year and '4 <span class="badge badge-light">2</span>' in year
    # 23:30 on 31 March in Shanghai is 15:30 UTC: still March
    assert items(web.get("/admin/archive/?year=2026&month=3").text) == [filed["march_letter"], filed["march_doc"]]
    assert items(web.get("/admin/archive/?year=2026&month=4").text) == [filed["april_doc"], filed["april_email"]]
    assert items(web.get("/admin/archive/?year=2026&month=5").text) == []
    # last year's records are still there
    assert items(web.get("/admin/archive/?year=2025").text) == [filed["old_doc"]]
    assert items(web.get("/admin/archive/?year=2025&month=12").text) == [filed["old_doc"]]


def test_the_archive_is_browsed_by_customer_and_product(web, world, filed):
    web.login("a_clerk")
    other = web.get(f"/admin/archive/?year=2026&customer={filed['other_customer']}").text
    assert items(other) == [filed["april_doc"], filed["april_email"]]
    assert 'data-testid="chosen-customer">李先生' in other
    assert items(web.get(f"/admin/archive/?year=2026&customer={world['customers']['A']}").text) == [
        filed["march_letter"], filed["march_doc"]]
    by_product = web.get(f"/admin/archive/?year=2026&product={filed['other_product']}").text
    assert items(by_product) == [filed["april_doc"], filed["april_email"]]
    assert items(web.get(f"/admin/archive/?year=2026&product={world['products']['A']}").text) == [
        filed["march_letter"]]  # the March reply names no product


def test_the_archive_is_searched_and_filtered_by_kind(web, world, filed):
    web.login("a_clerk")
    assert items(web.get("/admin/archive/?year=2026&q=空调").text) == [filed["april_doc"], filed["april_email"]]
    assert items(web.get("/admin/archive/?year=2026&q=李先生").text) == [filed["april_doc"], filed["april_email"]]
    assert items(web.get("/admin/archive/?year=2026&q=漏水").text) == [filed["march_letter"]]
    assert items(web.get("/admin/archive/?year=2026&q=100%").text) == []
    assert items(web.get("/admin/archive/?year=2026&kind=email").text) == [filed["april_email"]]
    assert items(web.get("/admin/archive/?year=2026&kind=letter_out").text) == [filed["march_doc"]]


def test_another_branchs_archive_is_invisible(app, web, world, filed):
    web.login("a_branch_manager")
    listing = web.get("/admin/archive/?year=2026").text + web.get("/admin/archive/?year=2026&q=分公司").text
    assert filed["b_letter"] not in items(listing) and filed["b_doc"] not in items(listing)
    assert "B分公司来函" not in listing and "B分公司回复" not in listing
    for source_id in (filed["b_letter"], filed["b_doc"]):
        source, item_id = source_id.split("-")
        response = web.get(f"/admin/archive/download/{source}/{item_id}")
        assert response.status_code == 404 and "B分公司" not in response.get_data(as_text=True)
    assert web.get(f"/admin/archive/?customer={world['customers']['B']}").status_code == 404
    assert web.get(f"/admin/archive/?product={world['products']['B']}").status_code == 404
    customer_b = world["customers"]["B"]
    response = web.submit("/admin/archive/", {"kind": "letter_in", "subject": "偷偷", "body": "x",
                                              "dated_on": "2026-03-03"}, post_url=f"/admin/archive/file/{customer_b}")
    assert response.status_code == 404
    b_doc = filed["b_doc"].split("-")[1]
    assert web.submit("/admin/archive/", {}, post_url=f"/admin/archive/document/{b_doc}/remove").status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CustomerDocument.id)).filter_by(
            branch_id=world["B"], deleted_at=None)) == 1
    web.logout()
    web.login("admin")
    everything = items(web.get("/admin/archive/?year=2026").text)
    assert filed["b_letter"] in everything and filed["b_doc"] in everything


def test_the_archive_pages_through_a_busy_month(app, web, world):
    ticket_id = make_ticket(app, world)
    with app.test_request_context():
        ticket = db.session.get(Ticket, ticket_id)
        for n in range(55):
            entry = tickets.log(ticket, "letter", f"来函 {n}", _user(world, "a_clerk"))
            entry.at = datetime(2026, 3, 1, 10, tzinfo=SHANGHAI).astimezone(timezone.utc).replace(minute=n)
        db.session.commit()
    web.login("a_clerk")
    first = web.get("/admin/archive/?year=2026&month=3").text
    assert len(items(first)) == 50 and 'data-testid="older"' in first
    second = web.get("/admin/archive/?year=2026&month=3&page=2").text
    assert len(items(second)) == 5 and not set(items(first)) & set(items(second))


# --- access ------------------------------------------------------------------------------------------

ALLOWED = {"admin": 200, "a_branch_manager": 200, "a_clerk": 200, "a_engineer": 403, "b_clerk": 200}


@pytest.mark.parametrize("username", sorted(ALLOWED))
def test_each_role_opens_the_archive_or_not(web, world, username):
    web.login(username)
    assert web.get("/admin/archive/").status_code == ALLOWED[username]


@pytest.mark.parametrize("url", ["/admin/archive/", "/admin/archive/download/document/1",
                                 "/admin/archive/download/file/1"])
def test_signed_out_visitors_are_sent_to_login(web, world, url):
    response = web.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_odd_ids_and_filters_never_produce_a_server_error(web, world):
    web.login("a_clerk")
    for query in ("year=abc", "year=0", "year=99999999999", "year=1800", "month=13", "month=-1", "month=x",
                  "kind=x", "page=abc", "page=99999999999", "q=%27%3B%20drop", "customer=", "product="):
        assert web.get(f"/admin/archive/?{query}").status_code == 200, query
    for query in ("customer=abc", "customer=99999999999", "product=-1", "product=2147483648", "customer=1,2"):
        assert web.get(f"/admin/archive/?{query}").status_code == 404, query
    for url in ("/admin/archive/download/nothing/1", "/admin/archive/download/event/99999999999",
                "/admin/archive/download/file/2147483648", "/admin/archive/download/document/x",
                "/admin/archive/download/document/-1"):
        assert web.get(url).status_code == 404, url
    for url in ("/admin/archive/file/99999999999", "/admin/archive/document/2147483648/remove"):
        assert web.submit("/admin/archive/", {"subject": "x"}, post_url=url).status_code == 404, url
