"""HQ switches plugins on per branch and sets their numbers in a generated form."""

import pytest

from portal.core.models import BranchPlugin
from portal.extensions import db


def _row(app, branch_id, plugin):
    with app.app_context():
        row = db.session.scalar(db.select(BranchPlugin).filter_by(branch_id=branch_id, plugin=plugin))
        return None if row is None else (row.enabled, dict(row.settings))


def test_switchboard_turns_a_plugin_on_and_off_for_one_branch(app, web, world):
    web.login("admin")
    web.submit("/admin/plugins/", {}, post_url=f"/admin/plugins/{world['B']}/real_estate/toggle")
    assert _row(app, world["B"], "real_estate")[0] is True
    assert _row(app, world["A"], "real_estate") is None
    web.submit("/admin/plugins/", {}, post_url=f"/admin/plugins/{world['B']}/real_estate/toggle")
    assert _row(app, world["B"], "real_estate")[0] is False


def test_generated_form_saves_valid_settings(app, web, world):
    web.login("admin")
    url = f"/admin/plugins/{world['A']}/retail_store/settings"
    page = web.get(url).text
    assert 'name="return_any_reason_days"' in page and 'name="returns_need_hq_approval"' in page
    data = {"return_any_reason_days": "10", "quality_return_days": "15", "quality_exchange_days": "30",
            "free_repair_months": "3", "repair_days": "7", "pickup_notice_interval_days": "3",
            "pickup_notices_before_mailing": "3", "out_of_stock_answer_days": "7", "returns_need_hq_approval": "on",
            "textile_warranty_months": "3", "leather_warranty_months": "6", "depreciation_days": "7,15,30",
            "depreciation_percent": "10,20,30", "dry_clean_price_threshold": "888.50", "free_dry_cleanings": "2",
            "free_leather_care": "1"}
    web.submit(url, data)
    enabled, settings = _row(app, world["A"], "retail_store")
    assert settings["return_any_reason_days"] == 10
    assert settings["returns_need_hq_approval"] is True
    assert settings["dry_clean_price_threshold"] == "888.50"
    assert settings["depreciation_days"] == [7, 15, 30]


@pytest.mark.parametrize("key,value", [
    ("return_any_reason_days", "abc"), ("return_any_reason_days", "-1"), ("repair_days", "0"),
    ("dry_clean_price_threshold", "NaN"), ("depreciation_days", "30,15,7"), ("depreciation_percent", "10,x"),
])
def test_bad_values_are_refused_with_a_message_and_nothing_changes(app, web, world, key, value):
    web.login("admin")
    url = f"/admin/plugins/{world['A']}/retail_store/settings"
    before = _row(app, world["A"], "retail_store")
    response = web.submit(url, {key: value})
    assert response.status_code == 200
    assert "invalid-feedback" in response.text
    assert _row(app, world["A"], "retail_store") == before


def test_branch_staff_cannot_reach_the_switchboard(web, world):
    web.login("a_branch_manager")
    assert web.get("/admin/plugins/").status_code == 403
    assert web.client.post(f"/admin/plugins/{world['A']}/retail_store/toggle").status_code in (400, 403)


def test_unknown_branch_or_plugin_is_a_404(web, world):
    web.login("admin")
    assert web.get("/admin/plugins/9999/retail_store/settings").status_code == 404
    assert web.get(f"/admin/plugins/{world['A']}/nope/settings").status_code == 404
