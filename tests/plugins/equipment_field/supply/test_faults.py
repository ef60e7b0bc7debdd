"""Supplier faults (004/5 二.3): passed to the supplier in writing with the deadline and
who bears the cost, chased until closed; overdue ones reach the dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.extensions import db
from plugins.equipment_field.supply.models import FieldSupplierFault

from .conftest import created_id, sign_in, today

FAULT_URL = re.compile(r"/admin/field/supply/faults/(\d+)$")


def notify(web, **changes):
    data = {"supplier": "洛阳轴承有限公司", "part": "主轴轴承 6205", "description": "运行三个月后异响",
            "notified_on": today().isoformat(), "deadline": (today() + timedelta(days=10)).isoformat(),
            "cost_bearer": "supplier", **changes}
    return web.submit("/admin/field/supply/faults/new", data)


def _version(app, fault_id):
    with app.app_context():
        return str(db.session.get(FieldSupplierFault, fault_id).version)


def test_notice_needs_deadline_and_cost_bearer(app, web, shop):
    sign_in(web, "b_aftersales_manager")
    page = notify(web, deadline="", cost_bearer="")
    assert page.status_code == 200
    assert "Give the supplier a deadline." in page.text and "Say who bears the cost of the fault." in page.text
    early = notify(web, deadline=(today() - timedelta(days=1)).isoformat())
    assert "deadline is before the notice date" in early.text
    with app.app_context():
        assert db.session.query(FieldSupplierFault).count() == 0


def test_fault_is_chased_until_closed_and_the_letter_is_printed(app, web, shop):
    sign_in(web, "b_aftersales_manager")
    fault_id = created_id(notify(web), FAULT_URL)
    letter = web.get(f"/admin/field/supply/faults/{fault_id}/letter")
    assert letter.status_code == 200 and 'data-testid="supplier-letter"' in letter.text
    assert (today() + timedelta(days=10)).isoformat() in letter.text and "洛阳轴承有限公司" in letter.text
    base = f"/admin/field/supply/faults/{fault_id}"
    empty = web.submit(base, {"note": "", "seen_version": _version(app, fault_id)}, post_url=f"{base}/chase", follow=True)
    assert "Write what the supplier said." in empty.text
    chased = web.submit(base, {"note": "供应商答应周五换货", "seen_version": _version(app, fault_id)},
                        post_url=f"{base}/chase", follow=True)
    assert "供应商答应周五换货" in chased.text
    closed = web.submit(base, {"close_note": "已更换轴承", "seen_version": _version(app, fault_id)},
                        post_url=f"{base}/close", follow=True)
    assert 'data-state="closed"' in closed.text
    again = web.submit(base, {"note": "x", "seen_version": _version(app, fault_id)}, post_url=f"{base}/chase",
                       follow=True)
    assert 'data-testid="chase-form"' not in again.text
    with app.app_context():
        assert len(db.session.get(FieldSupplierFault, fault_id).chases) == 1


def test_overdue_faults_reach_the_dashboard(app, web, shop):
    with app.app_context():
        fault = FieldSupplierFault(branch_id=shop["B"], supplier="某电机厂", part="伺服电机", description="烧毁",
                                   notified_on=today() - timedelta(days=20), deadline=today() - timedelta(days=1),
                                   cost_bearer="supplier")
        on_time = FieldSupplierFault(branch_id=shop["B"], supplier="某电机厂", part="编码器", description="失灵",
                                     notified_on=today() - timedelta(days=2), deadline=today(), cost_bearer="shared")
        db.session.add_all([fault, on_time])
        db.session.commit()
        late_id, on_time_id = fault.id, on_time.id
    sign_in(web, "b_aftersales_manager")
    listing = web.get("/admin/field/supply/faults/?show=overdue").text
    assert f'data-id="{late_id}"' in listing and f'data-id="{on_time_id}"' not in listing
    assert 'data-testid="overdue"' in web.get(f"/admin/field/supply/faults/{late_id}").text
    dashboard = web.get("/admin/").text
    assert "Supplier faults past the deadline" in dashboard and "/admin/field/supply/faults/?show=overdue" in dashboard
