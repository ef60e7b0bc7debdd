"""Vehicle files: the advisor files the car within the days after the first visit; files
not completed in time show on the dashboard; the customer file lists the vehicles."""

from __future__ import annotations

from datetime import timedelta

from portal.extensions import db
from plugins.auto_workshop.workshop.models import Vehicle

from .conftest import set_settings, sign_in, today

COMPLETE = {"plate": "粤a 88888", "vin": "lvgbe40k0ag000009", "model": "汉兰达 2.5", "mileage_km": "12000",
            "service_items": "机油、机滤", "service_interval_months": "6", "service_interval_km": "5000"}


def _new(web, data):
    return web.submit("/admin/auto/vehicles/new", data, follow=True)


def test_a_complete_file_and_its_next_service(app, web, shop):
    sign_in(web, "g_service_advisor")
    page = _new(web, {**COMPLETE, "owner_phone": "13700000004"})
    assert "Vehicle file saved." in page.text, page.text
    with app.app_context():
        vehicle = db.session.query(Vehicle).filter_by(plate="粤A88888").one()
        assert vehicle.vin == "LVGBE40K0AG000009" and vehicle.branch_id == shop["G"]
        assert vehicle.file_completed_at is not None
        first = vehicle.first_visit_on
        assert vehicle.next_service_on is not None and vehicle.next_service_on.month == (first.month + 5) % 12 + 1
    assert 'data-complete="1"' in page.text


def test_refusals_keep_the_form(app, web, shop):
    sign_in(web, "g_service_advisor")
    assert "Choose the owner" in _new(web, {**COMPLETE, "owner_phone": "10000000000"}).text
    assert "A VIN has 17 characters." in _new(web, {**COMPLETE, "owner_phone": "13700000004", "vin": "abc"}).text
    assert "already has a vehicle file" in _new(web, {**COMPLETE, "owner_phone": "13700000004",
                                                      "plate": "粤AG1234"}).text
    page = _new(web, {**COMPLETE, "owner_phone": "13700000004", "first_visit_on": "2026-13-01"})
    assert "Enter the date like 2026-03-10." in page.text
    # Another branch's customer cannot own a car filed here.
    assert web.get(f"/admin/auto/vehicles/new?customer_id={shop['customers']['H']}").status_code == 404
    page = web.submit("/admin/auto/vehicles/new", {**COMPLETE, "customer_id": str(shop["customers"]["H"])})
    assert page.status_code == 404
    with app.app_context():
        assert db.session.query(Vehicle).count() == 2


def test_files_not_completed_in_time_are_on_the_dashboard(app, web, shop):
    with app.app_context():
        late = Vehicle(branch_id=shop["G"], customer_id=shop["customers"]["G"], plate="粤B00001",
                       first_visit_on=today() - timedelta(days=3))
        fresh = Vehicle(branch_id=shop["G"], customer_id=shop["customers"]["G"], plate="粤B00002",
                        first_visit_on=today() - timedelta(days=2))
        db.session.add_all([late, fresh])
        db.session.commit()
    sign_in(web, "g_service_advisor")
    dashboard = web.get("/admin/").text
    assert "Vehicle files not completed in time" in dashboard
    listed = web.get("/admin/auto/vehicles/?show=late").text
    # The lead's fixture car was first seen today; day 2 is still in time, day 3 is late.
    assert "粤B00001" in listed and "粤B00002" not in listed and "粤AG1234" not in listed
    set_settings(app, shop["G"], vehicle_file_days=1)
    listed = web.get("/admin/auto/vehicles/?show=late").text
    assert "粤B00001" in listed and "粤B00002" in listed


def test_search_by_plate_vin_and_owner_phone(app, web, shop):
    sign_in(web, "g_service_advisor")
    for q in ("粤AG", "LVGBE40K0AG", "1370000000"):
        page = web.get(f"/admin/auto/vehicles/?q={q}").text
        assert "粤AG1234" in page, q
    assert 'data-testid="nothing-found"' in web.get("/admin/auto/vehicles/?q=ZZZ").text
    assert "粤AH1234" not in web.get("/admin/auto/vehicles/").text


def test_the_customer_file_shows_the_vehicles(app, web, shop):
    sign_in(web, "g_service_advisor")
    page = web.get(f"/admin/customer/details/?id={shop['customers']['G']}").text
    assert "Vehicles" in page and "粤AG1234" in page
    web.logout()
    sign_in(web, "g_workshop_manager")
    assert "粤AG1234" in web.get(f"/admin/customer/details/?id={shop['customers']['G']}").text


def test_edit_with_a_stale_version_changes_nothing(app, web, shop):
    sign_in(web, "g_service_advisor")
    url = f"/admin/auto/vehicles/{shop['vehicles']['G']}/edit"
    page = web.submit(url, {**COMPLETE, "plate": "粤AG1234", "seen_version": "99"}, follow=True)
    assert "Someone else changed this record" in page.text
    page = web.submit(url, {**COMPLETE, "plate": "粤AG1234", "seen_version": "1"}, follow=True)
    assert "Vehicle file saved." in page.text
    with app.app_context():
        assert db.session.get(Vehicle, shop["vehicles"]["G"]).model == "汉兰达 2.5"
