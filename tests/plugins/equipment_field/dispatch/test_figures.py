"""The part's monthly figures (dispatches in person-times and person-days, travel cost),
its dashboard cards, and its demo records."""

from __future__ import annotations

from flask_babel import force_locale
from datetime import timedelta

from sqlalchemy import select

from portal.core.models import Branch
from portal.core.plugin_state import branch_hooks
from portal.extensions import db
from plugins.equipment_field.dispatch.models import FieldExpenseClaim, FieldPhoneGuidance, FieldTrip

from .conftest import ZONE, dispatch, open_ticket, record_guidance, sign_in, tomorrow_at, visits_of


def _section(app, branch_id, month):
    with app.test_request_context(), force_locale("en"):
        hooks, settings = branch_hooks(branch_id)
        branch = db.session.get(Branch, branch_id)
        for group in hooks.portal_report_sections(month=month, branch=branch, settings=settings):
            for title, rows in group or ():
                if str(title) == "Field service: dispatches and travel":
                    return {str(label): value for label, value in rows}
    return None


def test_monthly_figures_count_people_and_days_on_the_road(app, web, field):
    one, two = open_ticket(app, field, "in"), open_ticket(app, field, "out")
    sign_in(web, "b_dispatcher")
    for ticket_id in (one, two):
        record_guidance(web, ticket_id)
    when = tomorrow_at()
    dispatch(web, one, [field["users"]["b_field_engineer"], field["users"]["b_field_engineer2"]], when=when)
    # A three-day trip for the second.
    dispatch(web, two, [field["users"]["b_field_engineer"]], when=when, places="武汉",
             end_date=(when.date() + timedelta(days=2)).isoformat())
    [visit_two] = visits_of(app, two)
    with app.app_context():
        trip = db.session.query(FieldTrip).filter_by(visit_id=visit_two).one()
        trip_id = trip.id
    web.logout()
    sign_in(web, "b_general_manager")
    web.submit(f"/admin/field/trips/{trip_id}", {"decision": "approve"}, post_url=f"/admin/field/trips/{trip_id}/decide")
    month = when.astimezone(ZONE).date().replace(day=1)
    rows = _section(app, field["B"], month)
    assert rows["Field visits dispatched"] == 2
    assert rows["Dispatches (person-times)"] == 3
    assert rows["Dispatches (person-days)"] == 2 + 3
    assert rows["Travel cost: approved expense claims (yuan)"] == "0.00"
    assert _section(app, field["D"], month)["Field visits dispatched"] == 0
    assert _section(app, field["A"], month) is None  # the plugin is off in A


def test_dashboard_cards_show_what_waits(app, web, field):
    open_ticket(app, field, "out")
    sign_in(web, "b_dispatcher")
    page = web.get("/admin/").text
    assert "Tickets waiting for dispatch" in page
    web.logout()
    sign_in(web, "b_general_manager")
    page = web.get("/admin/").text
    assert "Trips waiting for your approval" in page and "Expense claims to check" in page
    web.logout()
    sign_in(web, "b_field_engineer")
    assert "My visits today" in web.get("/admin/").text


def test_demo_records_of_the_part(app):
    from portal.demo import load_demo

    with app.app_context():
        summary = load_demo()
        db.session.commit()
        assert "equipment_field dispatch" in summary
        zz = db.session.scalar(select(Branch).where(Branch.code == "ZZ"))
        assert db.session.query(FieldPhoneGuidance).filter_by(branch_id=zz.id).count() > 0
        assert db.session.query(FieldTrip).filter_by(branch_id=zz.id, state="waiting").count() == 1
        assert db.session.query(FieldExpenseClaim).filter_by(branch_id=zz.id, state="submitted").count() >= 1
