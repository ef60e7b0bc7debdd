"""Item 4: the engineer's phone page (today's visits, depart / arrive / finish) and the
penalty proposed for leaving the site without calling HQ (004/1 四.4)."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.core.models import Visit
from portal.core.models.performance import StaffRecord
from portal.extensions import db

from .conftest import ZONE, complete_report, dispatch, open_ticket, record_guidance, sign_in, today_at, visits_of


def _visit_today(app, web, field, engineers):
    ticket_id = open_ticket(app, field, "in")
    sign_in(web, "b_dispatcher")
    record_guidance(web, ticket_id)
    from datetime import datetime, timedelta

    from .conftest import ZONE

    when = datetime.now(ZONE) + timedelta(minutes=2)  # today (unless it is just before midnight)
    dispatch(web, ticket_id, [field["users"][e] for e in engineers], when=when.strftime("%Y-%m-%dT%H:%M"))
    web.logout()
    [visit_id] = visits_of(app, ticket_id)
    return ticket_id, visit_id


def _work(web, visit_id, step):
    return web.submit("/admin/field/my-visits/", {"step": step}, post_url=f"/admin/field/my-visits/{visit_id}/step",
                      follow=True)


def _penalties(app, visit_id):
    with app.app_context():
        return sorted((r.user.username, r.reason) for r in db.session.query(StaffRecord).filter_by(visit_id=visit_id))


def test_leaving_without_calling_hq_proposes_the_penalty_for_each_engineer(app, web, field):
    _ticket, visit_id = _visit_today(app, web, field, ["b_field_engineer", "b_field_engineer2"])
    sign_in(web, "b_field_engineer")
    page = web.get("/admin/field/my-visits/").text
    if today_at().date() == (datetime.now(ZONE) + timedelta(minutes=2)).date():
        assert f'data-visit="{visit_id}" data-state="scheduled"' in page
    _work(web, visit_id, "depart")
    page = _work(web, visit_id, "arrive").text
    assert f'data-visit="{visit_id}" data-state="arrived"' in page
    assert 'data-testid="step-finish"' not in page  # the report comes first
    refused = _work(web, visit_id, "finish")
    assert "Complete the service report" in refused.text
    complete_report(app, visit_id, "b_field_engineer", called_hq=False)
    _work(web, visit_id, "finish")
    with app.app_context():
        assert db.session.get(Visit, visit_id).state == "finished"
    assert _penalties(app, visit_id) == [("b_field_engineer", "no_hq_call"), ("b_field_engineer2", "no_hq_call")]


def test_calling_hq_before_leaving_proposes_nothing(app, web, field):
    _ticket, visit_id = _visit_today(app, web, field, ["b_field_engineer"])
    sign_in(web, "b_field_engineer")
    _work(web, visit_id, "depart")
    _work(web, visit_id, "arrive")
    complete_report(app, visit_id, "b_field_engineer", called_hq=True)
    _work(web, visit_id, "finish")
    assert _penalties(app, visit_id) == []


def test_the_phone_page_lists_todays_visits_of_the_engineer_only(app, web, field):
    _ticket, visit_id = _visit_today(app, web, field, ["b_field_engineer"])
    sign_in(web, "b_field_engineer2")
    assert f'data-visit="{visit_id}"' not in web.get("/admin/field/my-visits/").text
    assert "Your role does not allow this step." in _work(web, visit_id, "depart").text
    web.logout()
    sign_in(web, "b_field_engineer")
    _work(web, visit_id, "depart")  # a trip under way stays on the page whatever its day
    assert f'data-visit="{visit_id}" data-state="departed"' in web.get("/admin/field/my-visits/").text
