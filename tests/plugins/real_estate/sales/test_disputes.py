"""Disputes about a contract: recorded with what the customer said, the rule used and the
answer; a core ticket with the complaint file; escalated to the branch leader only when
it could not be answered or the answer is rejected; the leader reads it."""

from __future__ import annotations

import re

from portal.core.models import Ticket
from portal.core.models.complaint import Complaint
from portal.extensions import db
from plugins.real_estate.sales.models import Dispute

from .conftest import contract_id_of, register, sign_in

DISPUTE_URL = re.compile(r"/admin/estate/disputes/(\d+)$")


def _contract(web, office):
    sign_in(web, "e_aftersales_officer")
    web.logout()
    sign_in(web, "e_sales_agent")
    return contract_id_of(register(web, office["units_E"][0], "HT-D", customer_id=office["customer_E"]))


def _record(web, contract, **data):
    response = web.submit(f"/admin/estate/contracts/record/{contract}", data,
                          post_url=f"/admin/estate/contracts/record/{contract}/dispute")
    assert response.status_code == 302, response.text[:2000]
    return int(DISPUTE_URL.search(response.headers["Location"]).group(1))


def test_dispute_opens_a_ticket_and_the_complaint_file(app, web, office):
    contract = _contract(web, office)
    dispute = _record(web, contract, customer_said="面积比合同少 2 平方米", rule_cited="合同第五条面积差异处理",
                      answer_given="按第五条退还差价", customer_accepts="yes")
    page = web.get(f"/admin/estate/disputes/{dispute}").text
    assert "面积比合同少 2 平方米" in page and 'data-state="open"' in page
    assert 'data-testid="dispute-ticket"' in page and 'data-testid="dispute-complaint"' in page
    with app.app_context():
        record = db.session.get(Dispute, dispute)
        ticket = db.session.get(Ticket, record.ticket_id)
        assert ticket.kind == "estate_dispute" and ticket.customer_id == office["customer_E"]
        assert db.session.get(Complaint, record.complaint_id).ticket_id == ticket.id
    # answered and accepted: nothing to escalate, it can be settled
    assert 'data-testid="escalate-form"' not in page
    response = web.submit(f"/admin/estate/disputes/{dispute}", {},
                          post_url=f"/admin/estate/disputes/{dispute}/escalate", follow=True)
    assert "nothing to escalate" in response.text
    response = web.submit(f"/admin/estate/disputes/{dispute}", {}, post_url=f"/admin/estate/disputes/{dispute}/settle",
                          follow=True)
    assert 'data-state="settled"' in response.text


def test_unanswered_dispute_goes_to_the_branch_leader(app, web, office):
    contract = _contract(web, office)
    dispute = _record(web, contract, customer_said="要求按网签日期计算逾期交房违约金")
    page = web.get(f"/admin/estate/disputes/{dispute}").text
    assert 'data-testid="needs-escalation"' in page
    response = web.submit(f"/admin/estate/disputes/{dispute}", {"note": "合同条款理解分歧，请领导定夺"},
                          post_url=f"/admin/estate/disputes/{dispute}/escalate", follow=True)
    assert 'data-state="escalated"' in response.text
    web.logout()
    sign_in(web, "e_branch_manager")
    assert "Disputes escalated to the branch leader" in web.get("/admin/").text
    listing = web.get("/admin/estate/disputes/?show=escalated").text
    assert f'data-dispute="{dispute}"' in listing
    page = web.get(f"/admin/estate/disputes/{dispute}").text
    assert "合同条款理解分歧" in page
    # the leader reads the dispute but not the confidential contract
    assert 'data-testid="dispute-contract"' not in page
    assert web.get(f"/admin/estate/contracts/record/{contract}").status_code == 403


def test_rejected_answer_is_escalated_and_a_dispute_needs_what_the_customer_said(app, web, office):
    contract = _contract(web, office)
    response = web.submit(f"/admin/estate/contracts/record/{contract}", {"customer_said": ""},
                          post_url=f"/admin/estate/contracts/record/{contract}/dispute", follow=True)
    assert "Write down what the customer said." in response.text
    dispute = _record(web, contract, customer_said="不同意", answer_given="已解释", customer_accepts="")
    assert 'data-testid="needs-escalation"' not in web.get(f"/admin/estate/disputes/{dispute}").text
    response = web.submit(f"/admin/estate/disputes/{dispute}",
                          {"rule_cited": "售后服务管理制度二、11", "answer_given": "已解释", "customer_accepts": "no"},
                          post_url=f"/admin/estate/disputes/{dispute}/answer", follow=True)
    assert 'data-testid="needs-escalation"' in response.text
    with app.app_context():
        assert db.session.query(Dispute).count() == 1
