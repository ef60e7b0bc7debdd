"""Payments: instalment reminders and the overdue list on the right dates (the branch's
reminder days), recording payments and new due dates, and the mortgage case step by step
with the chase list when the loan is late."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from portal.extensions import db
from plugins.real_estate.sales import payments
from plugins.real_estate.sales.models import Contract, Mortgage, Payment

from .conftest import contract_id_of, days, register, set_settings, sign_in, today


def _instalments(web, office, first_due, count="3", unit=0, number="HT-I", signed_on=None):
    return contract_id_of(register(web, office["units_E"][unit], number, "instalments",
                                   customer_id=office["customer_E"], first_due_on=first_due, instalments=count,
                                   every_months="1", signed_on=signed_on or days(0)))


def _lists(app, day):
    with app.test_request_context():
        query = db.session.query(Contract)
        return ([(p.contract.number, p.seq) for p in payments.reminders_due(query, day)],
                [(p.contract.number, p.seq) for p in payments.overdue(query, day)])


def test_schedule_is_generated_from_the_price(app, web, office):
    sign_in(web, "e_sales_agent")
    contract = _instalments(web, office, days(10), count="3")
    with app.app_context():
        rows = db.session.query(Payment).filter_by(contract_id=contract).order_by(Payment.seq).all()
        assert [r.amount_due for r in rows] == [Decimal("381866.66"), Decimal("381866.66"), Decimal("381866.68")]
        assert sum(r.amount_due for r in rows) == Decimal("1145600.00")
        assert rows[0].due_on == today() + timedelta(days=10)
    page = web.get(f"/admin/estate/contracts/record/{contract}").text
    assert page.count('data-testid="payment"') == 3


def test_reminders_and_overdue_on_the_right_dates(app, web, office):
    set_settings(app, office["E"], instalment_reminder_days=5)
    sign_in(web, "e_sales_agent")
    due = today() + timedelta(days=30)
    _instalments(web, office, due.isoformat(), count="2")
    assert _lists(app, due - timedelta(days=6)) == ([], [])
    assert _lists(app, due - timedelta(days=5)) == ([("HT-I", 0)], [])
    assert _lists(app, due) == ([("HT-I", 0)], [])  # paying on the due day is on time
    assert _lists(app, due + timedelta(days=1)) == ([], [("HT-I", 0)])
    # the branch's number decides: with 10 days the window opens earlier
    set_settings(app, office["E"], instalment_reminder_days=10)
    assert _lists(app, due - timedelta(days=6)) == ([("HT-I", 0)], [])


def test_a_paid_instalment_leaves_the_lists(app, web, office):
    sign_in(web, "e_sales_agent")
    contract = _instalments(web, office, days(-3), count="2", signed_on=days(-40))
    page = web.get("/admin/estate/payments/?show=overdue").text
    assert 'data-contract="HT-I" data-seq="0"' in page
    assert "Overdue payments" in web.get("/admin/").text
    with app.app_context():
        first = db.session.query(Payment).filter_by(contract_id=contract, seq=0).one().id
    # a date in the future and a bad amount are refused, nothing changes
    for data, message in (({"paid_on": days(2), "amount_paid": "1"}, "The payment date is in the future."),
                          ({"paid_on": days(0), "amount_paid": "x"}, "Enter the amount in yuan")):
        response = web.submit(f"/admin/estate/contracts/record/{contract}", data,
                              post_url=f"/admin/estate/contracts/payment/{first}/pay", follow=True)
        assert message in response.text
    response = web.submit(f"/admin/estate/contracts/record/{contract}",
                          {"paid_on": days(0), "amount_paid": "572800.00"},
                          post_url=f"/admin/estate/contracts/payment/{first}/pay", follow=True)
    assert "Payment recorded." in response.text
    assert 'data-contract="HT-I" data-seq="0"' not in web.get("/admin/estate/payments/?show=overdue").text
    assert _lists(app, today()) == ([], [])


def test_due_dates_can_be_agreed_anew_and_reminders_recorded(app, web, office):
    sign_in(web, "e_sales_agent")
    contract = _instalments(web, office, days(3), count="2")
    with app.app_context():
        first = db.session.query(Payment).filter_by(contract_id=contract, seq=0).one().id
    page = web.get("/admin/estate/payments/").text  # reminders due today (default 7 days)
    assert 'data-contract="HT-I" data-seq="0"' in page
    response = web.submit("/admin/estate/payments/", {"note": "电话提醒", "back": "list"},
                          post_url=f"/admin/estate/contracts/payment/{first}/remind", follow=True)
    assert "Reminder recorded." in response.text
    with app.app_context():
        assert db.session.get(Payment, first).reminded_on == today()
    response = web.submit(f"/admin/estate/contracts/record/{contract}", {"due_on": days(20)},
                          post_url=f"/admin/estate/contracts/payment/{first}/due", follow=True)
    assert "Due date changed." in response.text
    assert 'data-seq="0"' not in web.get("/admin/estate/payments/").text
    response = web.submit(f"/admin/estate/contracts/record/{contract}", {"due_on": "2000-01-01"},
                          post_url=f"/admin/estate/contracts/payment/{first}/due", follow=True)
    assert "An instalment cannot fall due before the signing date." in response.text


def test_mortgage_steps_in_order_with_dates(app, web, office):
    sign_in(web, "e_aftersales_officer")
    web.logout()
    sign_in(web, "e_sales_agent")
    contract = contract_id_of(register(web, office["units_E"][0], "HT-M", "mortgage", customer_id=office["customer_E"],
                                       bank="建设银行", loan_amount="800000.00", expected_loan_on=days(30)))
    with app.app_context():
        mortgage = db.session.query(Mortgage).filter_by(contract_id=contract).one().id
    url = f"/admin/estate/contracts/mortgage/{mortgage}/step"
    record = f"/admin/estate/contracts/record/{contract}"
    # skipping a step is refused
    response = web.submit(record, {"target": "approved", "on_date": days(0)}, post_url=url, follow=True)
    assert "The next mortgage step is “Documents collected from the buyer”" in response.text
    steps = ("documents_collected", "submitted", "approved", "loan_received")
    for n, step in enumerate(steps):
        response = web.submit(record, {"target": step, "on_date": days(-len(steps) + n + 1)}, post_url=url,
                              follow=True)
        assert "Mortgage step recorded" in response.text, step
        assert f'data-step="{step}"' in response.text
    response = web.submit(record, {"target": "loan_received", "on_date": days(0)}, post_url=url, follow=True)
    assert "The loan has been received" in response.text
    with app.app_context():
        m = db.session.get(Mortgage, mortgage)
        assert m.loan_received_on == today() and m.documents_collected_on == today() - timedelta(days=3)


def test_mortgage_step_dates_are_checked(app, web, office):
    sign_in(web, "e_sales_agent")
    contract = contract_id_of(register(web, office["units_E"][0], "HT-M", "mortgage", customer_id=office["customer_E"],
                                       bank="建设银行", loan_amount="800000.00"))
    with app.app_context():
        mortgage = db.session.query(Mortgage).filter_by(contract_id=contract).one().id
    url = f"/admin/estate/contracts/mortgage/{mortgage}/step"
    record = f"/admin/estate/contracts/record/{contract}"
    assert "The date of the step is in the future." in web.submit(
        record, {"target": "documents_collected", "on_date": days(1)}, post_url=url, follow=True).text
    web.submit(record, {"target": "documents_collected", "on_date": days(0)}, post_url=url)
    assert "A step cannot be dated before the step before it." in web.submit(
        record, {"target": "submitted", "on_date": days(-1)}, post_url=url, follow=True).text


def test_chase_list_when_the_loan_is_late(app, web, office):
    set_settings(app, office["E"], mortgage_chase_days=30)
    sign_in(web, "e_sales_agent")
    expected = today() - timedelta(days=40)
    contract_id_of(register(web, office["units_E"][0], "HT-M", "mortgage", customer_id=office["customer_E"],
                            bank="建设银行", loan_amount="800000.00", expected_loan_on=expected.isoformat()))

    def late_on(day: date):
        with app.test_request_context():
            return [m.contract.number for m in payments.late_mortgages(db.session.query(Contract), day)]

    assert late_on(expected + timedelta(days=30)) == []
    assert late_on(expected + timedelta(days=31)) == ["HT-M"]
    page = web.get("/admin/estate/payments/?show=mortgages").text
    assert 'data-contract="HT-M"' in page
    assert "Late mortgage loans" in web.get("/admin/").text
    with app.app_context():
        mortgage = db.session.query(Mortgage).one()
        mortgage_id, contract = mortgage.id, mortgage.contract_id
    response = web.submit(f"/admin/estate/contracts/record/{contract}", {"chase_note": "银行称下周放款"},
                          post_url=f"/admin/estate/contracts/mortgage/{mortgage_id}/chase", follow=True)
    assert "Chase of the bank recorded." in response.text and "银行称下周放款" in response.text
