"""The counter flow of issue 5 through its pages: find the purchase, hear the customer,
get the decision and why at once, agree (the right ticket with the right charge and a
printed form) or escalate to the store manager, who may override with a written reason
(audited); returns wait for the approvals the branch asks for."""

from __future__ import annotations

from decimal import Decimal

from portal.core.models import AuditEntry, Ticket
from portal.extensions import db
from plugins.retail_store.models import RetailCounterRequest, RetailRepair

from .conftest import handle, purchase, request_id_of, set_settings, sign_in


def _request(app, request_id) -> RetailCounterRequest:
    with app.app_context():
        req = db.session.get(RetailCounterRequest, request_id)
        db.session.expunge_all()
        return req


def _ticket(app, ticket_id) -> Ticket:
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        db.session.expunge_all()
        return ticket


def test_the_clerk_finds_the_purchase_by_its_invoice_number_in_the_branch_only(app, web, store):
    mine = purchase(app, store, 3, "INV-1001")
    purchase(app, store, 3, "INV-2002", branch="C")
    sign_in(web, "a_store_clerk")
    page = web.get("/admin/retail/counter/?invoice=INV-1001").text
    assert f'data-product="{mine}"' in page
    other = web.get("/admin/retail/counter/?invoice=INV-2002").text
    assert 'data-testid="nothing-found"' in other and "data-product=" not in other
    by_phone = web.get("/admin/retail/counter/?customer=1381111").text
    assert "顾客A" in by_phone and "顾客C" not in by_phone


def test_the_decision_and_why_come_at_once_without_saving(app, web, store):
    product = purchase(app, store, 5, "INV-1")
    sign_in(web, "a_store_clerk")
    page = handle(web, product, "no_reason", ["resellable"], action="preview")
    assert page.status_code == 200
    assert 'data-decision="return"' in page.text and 'data-testid="why"' in page.text
    preview = web.client.post("/admin/retail/counter/preview", data={
        "product_id": product, "reason": "quality", "conditions": ["gift"],
        "csrf_token": _token(web, product)})
    assert preview.json["decision"] == "free_repair" and preview.json["why"]
    with app.app_context():
        assert db.session.query(RetailCounterRequest).count() == 0


def _token(web, product):
    from tests.conftest import csrf_token

    return csrf_token(web.get(f"/admin/retail/counter/decide?product_id={product}").text)


def test_unknown_condition_codes_are_refused_and_nothing_is_saved(app, web, store):
    product = purchase(app, store, 5, "INV-1")
    sign_in(web, "a_store_clerk")
    page = handle(web, product, "no_reason", ["resellable", "stolen"])
    assert page.status_code == 200 and "stolen" in page.text
    with app.app_context():
        assert db.session.query(RetailCounterRequest).count() == 0


def test_a_return_opens_a_triaged_free_return_ticket_and_waits_for_the_store_manager(app, web, store):
    product = purchase(app, store, 5, "INV-1")
    sign_in(web, "a_store_clerk")
    request_id = request_id_of(handle(web, product, "no_reason", ["resellable"], price="899.00"))
    req = _request(app, request_id)
    assert (req.decision, req.final_decision, req.state, req.days) == ("return", "return", "processing", 5)
    ticket = _ticket(app, req.ticket_id)
    assert (ticket.kind, ticket.state, ticket.warranty_free, ticket.channel) == ("retail_return", "triaged", True,
                                                                               "visit")
    page = web.get(f"/admin/retail/requests/{request_id}").text
    assert 'data-approval="manager" data-given="no"' in page
    # The refund waits for the store manager's approval.
    refused = web.submit(f"/admin/retail/requests/{request_id}", {"refund_amount": "899.00"},
                         post_url=f"/admin/retail/requests/{request_id}/refund", follow=True)
    assert "has not approved" in refused.text
    assert _request(app, request_id).refunded_at is None
    # ... and the ticket cannot be finished around the counter either (the plugin's veto).
    web.submit(f"/admin/ticket/details/?id={ticket.id}", {"step": "retail_refund"},
               post_url=f"/admin/ticket/step/{ticket.id}")
    assert _ticket(app, ticket.id).state == "triaged"
    web.logout()
    sign_in(web, "a_store_manager")
    web.submit(f"/admin/retail/requests/{request_id}", {}, post_url=f"/admin/retail/requests/{request_id}/approve")
    web.logout()
    sign_in(web, "a_store_clerk")
    too_much = web.submit(f"/admin/retail/requests/{request_id}", {"refund_amount": "900.00"},
                          post_url=f"/admin/retail/requests/{request_id}/refund", follow=True)
    assert "cannot be more than the price" in too_much.text
    web.submit(f"/admin/retail/requests/{request_id}", {"refund_amount": "899.00"},
               post_url=f"/admin/retail/requests/{request_id}/refund")
    req = _request(app, request_id)
    assert (req.state, req.refund_amount) == ("done", Decimal("899.00"))
    assert _ticket(app, ticket.id).state == "closed"


def test_a_store_manager_at_the_counter_approves_the_return_by_processing_it(app, web, store):
    product = purchase(app, store, 2, "INV-1")
    sign_in(web, "a_store_manager")
    request_id = request_id_of(handle(web, product, "no_reason", ["resellable"]))
    web.submit(f"/admin/retail/requests/{request_id}", {"refund_amount": "100"},
               post_url=f"/admin/retail/requests/{request_id}/refund")
    assert _request(app, request_id).state == "done"


def test_returns_wait_for_hq_where_the_branch_says_so(app, web, store):
    set_settings(app, store["A"], returns_need_hq_approval=True)
    product = purchase(app, store, 2, "INV-1")
    sign_in(web, "a_store_manager")
    request_id = request_id_of(handle(web, product, "no_reason", ["resellable"]))
    url = f"/admin/retail/requests/{request_id}"
    refused = web.submit(url, {"refund_amount": "100"}, post_url=f"{url}/refund", follow=True)
    assert "HQ approval" in refused.text
    # The store manager cannot give HQ's approval.
    assert 'data-testid="approve-form"' not in web.get(url).text
    web.submit(url, {}, post_url=f"{url}/approve")
    assert _request(app, request_id).hq_approved_at is None
    web.logout()
    sign_in(web, "hq_approver")
    assert f'data-request="{request_id}"' in web.get("/admin/retail/requests/?show=approval").text
    web.submit(url, {}, post_url=f"{url}/approve")
    assert _request(app, request_id).hq_approved_at is not None
    web.logout()
    sign_in(web, "a_store_clerk")
    web.submit(url, {"refund_amount": "100"}, post_url=f"{url}/refund")
    assert _request(app, request_id).state == "done"


def test_the_branch_settings_change_the_outcome_at_the_counter(app, web, store):
    product = purchase(app, store, 5, "INV-1")
    sign_in(web, "a_store_clerk")
    assert 'data-decision="return"' in handle(web, product, "no_reason", ["resellable"], action="preview").text
    set_settings(app, store["A"], return_any_reason_days=3)
    assert 'data-decision="refused"' in handle(web, product, "no_reason", ["resellable"], action="preview").text
    late = purchase(app, store, 40, "INV-2")
    assert 'data-decision="free_repair"' in handle(web, late, "quality", action="preview").text
    set_settings(app, store["A"], free_repair_months=1)
    assert 'data-decision="paid_repair"' in handle(web, late, "quality", action="preview").text
    set_settings(app, store["A"], quality_exchange_days=45)
    assert 'data-decision="exchange"' in handle(web, late, "quality", action="preview").text


def test_repairs_are_free_or_paid_by_the_rules_and_the_ticket_charges_accordingly(app, web, store):
    free = purchase(app, store, 40, "INV-1")
    paid = purchase(app, store, 200, "INV-2")
    damaged = purchase(app, store, 3, "INV-3")
    sign_in(web, "a_store_clerk")
    for product, conditions, decision, warranty_free in ((free, [], "free_repair", True),
                                                         (paid, [], "paid_repair", False),
                                                         (damaged, ["customer_damage"], "paid_repair", False)):
        request_id = request_id_of(handle(web, product, "quality", conditions))
        req = _request(app, request_id)
        assert req.final_decision == decision
        ticket = _ticket(app, req.ticket_id)
        assert (ticket.kind, ticket.warranty_free) == ("retail_repair", warranty_free)
        page = web.get(f"/admin/retail/requests/{request_id}").text
        assert f'data-charge="{"free" if warranty_free else "paid"}"' in page
        with app.app_context():
            repair = db.session.query(RetailRepair).filter_by(request_id=request_id).one()
            assert repair.charged is not warranty_free
            assert (repair.due_on - repair.received_on).days == 7


def test_a_refusal_opens_no_ticket(app, web, store):
    product = purchase(app, store, 20, "INV-1")
    sign_in(web, "a_store_clerk")
    request_id = request_id_of(handle(web, product, "no_reason", ["resellable"]))
    req = _request(app, request_id)
    assert (req.final_decision, req.state, req.ticket_id) == ("refused", "refused", None)


def test_escalation_waits_for_the_manager_who_overrides_with_a_written_reason_and_it_is_audited(app, web, store):
    product = purchase(app, store, 20, "INV-1")
    sign_in(web, "a_store_clerk")
    request_id = request_id_of(handle(web, product, "no_reason", ["resellable"], action="escalate",
                                      escalation_note="顾客坚持退货"))
    req = _request(app, request_id)
    assert (req.state, req.final_decision, req.ticket_id) == ("escalated", "refused", None)
    url = f"/admin/retail/requests/{request_id}"
    # The clerk cannot override.
    assert 'data-testid="override-form"' not in web.get(url).text
    web.submit(url, {"decision": "exchange", "override_reason": "老顾客"}, post_url=f"{url}/decide")
    assert _request(app, request_id).override_decision is None
    web.logout()
    sign_in(web, "a_store_manager")
    assert f'data-request="{request_id}"' in web.get("/admin/retail/requests/?show=escalated").text
    dashboard = web.get("/admin/").text
    assert "/admin/retail/requests/?show=escalated" in dashboard
    unexplained = web.submit(url, {"decision": "exchange", "override_reason": ""}, post_url=f"{url}/decide",
                             follow=True)
    assert "Write why" in unexplained.text
    assert _request(app, request_id).state == "escalated"
    web.submit(url, {"decision": "exchange", "override_reason": "老顾客，破例换货"}, post_url=f"{url}/decide")
    req = _request(app, request_id)
    assert (req.decision, req.final_decision, req.override_decision, req.state) == (
        "refused", "exchange", "exchange", "processing")
    assert req.override_reason == "老顾客，破例换货" and req.overridden_by_id == store["users"]["a_store_manager"]
    assert _ticket(app, req.ticket_id).kind == "retail_exchange"
    with app.app_context():
        audit = db.session.query(AuditEntry).filter_by(table_name="retail_counter_request",
                                                       row_id=str(request_id), action="update").all()
        changes = [entry.changes for entry in audit if "override_decision" in entry.changes]
        assert changes and changes[0]["override_decision"] == [None, "exchange"]
        assert changes[0]["override_reason"][1] == "老顾客，破例换货"
        assert all(entry.user_id == store["users"]["a_store_manager"] for entry in audit
                   if "override_decision" in entry.changes)
    page = web.get(url).text
    assert 'data-testid="override-reason"' in page and "老顾客，破例换货" in page
    # Handing over the replacement finishes the request and closes the ticket.
    web.submit(url, {"exchange_note": "同款 M 码"}, post_url=f"{url}/hand-over")
    req = _request(app, request_id)
    assert req.state == "done" and _ticket(app, req.ticket_id).state == "closed"


def test_an_override_of_a_processed_request_cancels_its_ticket_and_opens_the_right_one(app, web, store):
    product = purchase(app, store, 40, "INV-1")
    sign_in(web, "a_store_clerk")
    request_id = request_id_of(handle(web, product, "quality"))
    first = _request(app, request_id).ticket_id
    web.logout()
    sign_in(web, "a_store_manager")
    url = f"/admin/retail/requests/{request_id}"
    web.submit(url, {"decision": "paid_repair", "override_reason": "人为进水"}, post_url=f"{url}/decide")
    req = _request(app, request_id)
    assert req.ticket_id == first and _ticket(app, first).warranty_free is False  # same ticket, now paid
    web.submit(url, {"decision": "exchange", "override_reason": "质量问题反复出现"}, post_url=f"{url}/decide")
    req = _request(app, request_id)
    assert req.ticket_id != first and _ticket(app, first).state == "cancelled"
    assert _ticket(app, req.ticket_id).kind == "retail_exchange"
    with app.app_context():
        assert db.session.query(RetailRepair).filter_by(request_id=request_id).one().state == "cancelled"


def test_the_printed_form_is_in_chinese_whatever_the_clerk_reads(app, web, store):
    product = purchase(app, store, 5, "INV-1")
    sign_in(web, "a_store_clerk")
    request_id = request_id_of(handle(web, product, "no_reason", ["resellable"]))
    web.submit("/admin/", {"next": "/admin/"}, post_url="/locale/en")
    assert ">Return<" in web.get(f"/admin/retail/requests/{request_id}").text
    form = web.get(f"/admin/retail/requests/{request_id}/form")
    assert form.status_code == 200
    assert 'data-testid="customer-form"' in form.text
    assert "退货" in form.text and "INV-1" in form.text and "顾客A" in form.text


def test_a_processed_request_escalated_and_upheld_keeps_its_ticket(app, web, store):
    product = purchase(app, store, 40, "INV-1")
    sign_in(web, "a_store_clerk")
    request_id = request_id_of(handle(web, product, "quality"))
    ticket_id = _request(app, request_id).ticket_id
    url = f"/admin/retail/requests/{request_id}"
    web.submit(url, {"escalation_note": "要求退货"}, post_url=f"{url}/escalate")
    assert _request(app, request_id).state == "escalated"
    web.logout()
    sign_in(web, "a_store_manager")
    web.submit(url, {"decision": "free_repair", "override_reason": "按规定维修"}, post_url=f"{url}/decide")
    req = _request(app, request_id)
    assert (req.state, req.ticket_id, req.override_decision) == ("processing", ticket_id, None)
    with app.app_context():
        assert db.session.query(Ticket).count() == 1
        assert db.session.query(RetailRepair).filter_by(request_id=request_id).count() == 1


def test_a_stale_page_changes_nothing(app, web, store):
    product = purchase(app, store, 20, "INV-1")
    sign_in(web, "a_store_clerk")
    request_id = request_id_of(handle(web, product, "no_reason", ["resellable"], action="escalate"))
    web.logout()
    sign_in(web, "a_store_manager")
    url = f"/admin/retail/requests/{request_id}"
    stale = web.submit(url, {"decision": "exchange", "override_reason": "老顾客", "seen_version": "0"},
                       post_url=f"{url}/decide", follow=True)
    assert "Someone else changed this record" in stale.text
    assert _request(app, request_id).state == "escalated"
