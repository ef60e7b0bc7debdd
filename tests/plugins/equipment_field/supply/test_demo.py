"""The demo branch's supply pages are not empty after ``demo load``."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.core.models import Branch
from portal.demo import DEMO_PASSWORD, load_demo
from portal.extensions import db
from plugins.equipment_field.supply.models import (
    FieldFactoryRequest, FieldInstall, FieldMaintenance, FieldProject, FieldSlip, FieldSupplierFault,
)


def test_demo_branch_has_supply_records(app, client):
    with app.app_context():
        summary = load_demo()
        db.session.commit()
        zz = db.session.scalar(select(Branch.id).where(Branch.code == "ZZ"))
        counts = {model.__name__: db.session.scalar(select(func.count(model.id)).where(model.branch_id == zz))
                  for model in (FieldSlip, FieldFactoryRequest, FieldInstall, FieldProject, FieldMaintenance,
                                FieldSupplierFault)}
    assert "ZZ supply" in summary
    assert counts["FieldSlip"] == 3 and counts["FieldFactoryRequest"] == 1 and counts["FieldInstall"] == 2
    assert counts["FieldProject"] == 1 and counts["FieldMaintenance"] >= 1 and counts["FieldSupplierFault"] == 1
    from tests.conftest import Browserish

    web = Browserish(client)
    web.login("zz_aftersales_manager", DEMO_PASSWORD)
    for url in ("/admin/", "/admin/field/supply/slips/?show=all", "/admin/field/supply/projects/",
                "/admin/field/supply/faults/?show=overdue", "/admin/field/supply/factory/"):
        assert web.get(url).status_code == 200, url
    assert "data-late" in web.get("/admin/field/supply/faults/?show=overdue").text
