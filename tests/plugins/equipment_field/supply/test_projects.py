"""Major projects (000 §2.3): the maintenance plan during warranty generates maintenance
tickets and visits, never twice; the on-site accompaniment after start-up shows the days
left; the project lists its installations and the customer's tickets."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.core.models import Ticket, Visit
from portal.extensions import db
from plugins.equipment_field.rules import add_months, maintenance_plan
from plugins.equipment_field.supply.models import FieldMaintenance, FieldProject

from .conftest import created_id, set_settings, sign_in, today

PROJECT_URL = re.compile(r"/admin/field/supply/projects/(\d+)$")


def new_project(web, customer_id, start_up, warranty_end, name="年产十万吨生产线") -> int:
    url = f"/admin/field/supply/projects/new?customer_id={customer_id}"
    return created_id(web.submit(url, {"customer_id": str(customer_id), "name": name, "site": "郑州经开区第九大街",
                                       "start_up": start_up.isoformat(), "warranty_end": warranty_end.isoformat()},
                                 post_url=url), PROJECT_URL)


def generate(web, app, project_id, engineer_id):
    with app.app_context():
        version = db.session.get(FieldProject, project_id).version
    base = f"/admin/field/supply/projects/{project_id}"
    return web.submit(base, {"engineer": str(engineer_id), "seen_version": str(version)},
                      post_url=f"{base}/generate", follow=True)


def test_the_maintenance_plan_generates_visits_once(app, web, shop):
    start_up = today() - timedelta(days=40)
    warranty_end = add_months(start_up, 24) - timedelta(days=1)
    sign_in(web, "b_aftersales_manager")
    project_id = new_project(web, shop["big"]["B"], start_up, warranty_end)
    page = web.get(f"/admin/field/supply/projects/{project_id}").text
    planned = maintenance_plan(start_up, warranty_end, {"maintenance_interval_months": 3})
    for day in planned:
        assert f'data-day="{day.isoformat()}" data-generated="0"' in page
    # Within the core's one-year reach; the rest is generated when it comes closer.
    reachable = [d for d in planned if today() <= d <= today() + timedelta(days=365)]
    assert reachable and len(reachable) < len(planned)

    engineer = shop["users"]["b_field_engineer"]
    done = generate(web, app, project_id, engineer)
    assert "Maintenance visits generated." in done.text
    with app.app_context():
        rows = db.session.query(FieldMaintenance).filter_by(project_id=project_id).all()
        assert sorted(r.planned_on for r in rows) == reachable
        for row in rows:
            ticket, visit = db.session.get(Ticket, row.ticket_id), db.session.get(Visit, row.visit_id)
            assert ticket.kind == "field_maintenance" and ticket.state == "assigned" and ticket.assignee_id == engineer
            assert ticket.customer_id == shop["big"]["B"]
            assert visit.state == "scheduled" and [e.id for e in visit.engineers] == [engineer]
        tickets_before = db.session.query(Ticket).count()
    again = generate(web, app, project_id, engineer)
    assert "already has its visit" in again.text
    with app.app_context():
        assert db.session.query(FieldMaintenance).filter_by(project_id=project_id).count() == len(reachable)
        assert db.session.query(Ticket).count() == tickets_before
    page = web.get(f"/admin/field/supply/projects/{project_id}").text
    assert f'data-day="{reachable[0].isoformat()}" data-generated="1"' in page
    # The engineer sees the visit among theirs; the dashboard counts the week's visits.
    assert "Planned maintenance visits this week" in web.get("/admin/").text


def test_interval_is_a_branch_setting(app, web, shop):
    set_settings(app, shop["B"], maintenance_interval_months=6)
    start_up = today()
    sign_in(web, "b_aftersales_manager")
    project_id = new_project(web, shop["big"]["B"], start_up, add_months(start_up, 12))
    page = web.get(f"/admin/field/supply/projects/{project_id}").text
    assert page.count('data-generated="0"') == 2 and "every 6 months" in page


def test_accompaniment_days_left(app, web, shop):
    sign_in(web, "b_aftersales_manager")
    running = new_project(web, shop["big"]["B"], today() - timedelta(days=30), today() + timedelta(days=300))
    page = web.get(f"/admin/field/supply/projects/{running}").text
    assert 'data-active="1"' in page and "60 days left" in page
    ended = new_project(web, shop["big"]["B"], today() - timedelta(days=91), today() + timedelta(days=300), "旧项目")
    assert 'data-active="0"' in web.get(f"/admin/field/supply/projects/{ended}").text
    listing = web.get("/admin/field/supply/projects/?show=accompaniment").text
    assert f'data-id="{running}"' in listing and f'data-id="{ended}"' not in listing


def test_generating_needs_an_engineer_of_the_branch(app, web, shop):
    sign_in(web, "b_aftersales_manager")
    project_id = new_project(web, shop["big"]["B"], today(), today() + timedelta(days=200))
    refused = generate(web, app, project_id, shop["users"]["c_field_engineer"])
    assert "Choose the engineer who carries out the maintenance." in refused.text
    with app.app_context():
        assert db.session.query(FieldMaintenance).count() == 0


def test_project_needs_warranty_after_start_up(app, web, shop):
    sign_in(web, "b_aftersales_manager")
    url = f"/admin/field/supply/projects/new?customer_id={shop['big']['B']}"
    page = web.submit(url, {"customer_id": str(shop["big"]["B"]), "name": "X", "start_up": today().isoformat(),
                            "warranty_end": (today() - timedelta(days=1)).isoformat()}, post_url=url)
    assert page.status_code == 200 and "The warranty cannot end before the start-up." in page.text


def test_the_weeks_maintenance_visits_reach_the_dashboard(app, web, shop):
    start_up = add_months(today() + timedelta(days=2), -3)
    sign_in(web, "b_aftersales_manager")
    project_id = new_project(web, shop["big"]["B"], start_up, add_months(start_up, 12))
    other = new_project(web, shop["big"]["B"], today(), add_months(today(), 12), "远期项目")
    planned = maintenance_plan(start_up, add_months(start_up, 12), {"maintenance_interval_months": 3})
    due = [d for d in planned if today() <= d <= today() + timedelta(days=6)]
    assert due  # the first visit falls two days from now
    generate(web, app, project_id, shop["users"]["b_field_engineer"])
    generate(web, app, other, shop["users"]["b_field_engineer"])
    home = web.get("/admin/").text
    assert "/admin/field/supply/projects/?show=due" in home
    card = re.search(r'Planned maintenance visits this week</div>\s*<div class="display-value">'
                     r'<a href="[^"]*show=due">(\d+)<', home)
    assert card and card.group(1) == "1"
    listing = web.get("/admin/field/supply/projects/?show=due").text
    assert f'data-id="{project_id}"' in listing and f'data-id="{other}"' not in listing
