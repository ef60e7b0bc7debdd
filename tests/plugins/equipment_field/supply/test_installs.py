"""Installation and training requests (003 §4.3): request, the general manager's
approval, agreed date and team, checklist and training material, travel approval, and the
training record with the customer's drawn signature — each step refused with the rule's
words until its facts are there."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.extensions import db
from plugins.equipment_field.supply.models import FieldInstall
from tests.core.test_visits import SIGNATURE

from .conftest import created_id, sign_in, today

INSTALL_URL = re.compile(r"/admin/field/supply/installs/(\d+)$")


def _state(app, install_id) -> str:
    with app.app_context():
        return db.session.get(FieldInstall, install_id).state


def _version(app, install_id) -> str:
    with app.app_context():
        return str(db.session.get(FieldInstall, install_id).version)


def request_install(web, customer_id) -> int:
    url = f"/admin/field/supply/installs/new?customer_id={customer_id}"
    return created_id(web.submit(url, {"customer_id": str(customer_id), "site": "郑州高新区厂房2号",
                                       "wanted_date": (today() + timedelta(days=5)).isoformat(),
                                       "description": "安装数控机床并培训操作工"}, post_url=url), INSTALL_URL)


def post(web, install_id, action, data, app):
    base = f"/admin/field/supply/installs/{install_id}"
    return web.submit(base, {"seen_version": _version(app, install_id), **data}, post_url=f"{base}/{action}", follow=True)


def test_installation_from_request_to_signed_training_record(app, web, shop):
    sign_in(web, "b_aftersales_manager")
    install_id = request_install(web, shop["big"]["B"])
    assert _state(app, install_id) == "requested"
    # Only the general manager approves.
    post(web, install_id, "step", {"target": "approved"}, app)
    assert _state(app, install_id) == "requested"
    web.logout()

    sign_in(web, "b_general_manager")
    assert "Installation requests waiting for approval" in web.get("/admin/").text
    post(web, install_id, "step", {"target": "approved"}, app)
    assert _state(app, install_id) == "approved"
    web.logout()

    sign_in(web, "b_aftersales_manager")
    refused = post(web, install_id, "schedule", {"agreed_date": ""}, app)
    assert "Agree the date with the customer first." in refused.text
    assert "Name at least one engineer for the team." in refused.text
    assert _state(app, install_id) == "approved"
    engineer = shop["users"]["b_field_engineer"]
    post(web, install_id, "schedule", {"agreed_date": (today() + timedelta(days=7)).isoformat(),
                                       "team": [str(engineer)], "needs_travel": "1"}, app)
    assert _state(app, install_id) == "scheduled"

    post(web, install_id, "prepare", {"checklist": "扭矩扳手\n水平仪\n地脚螺栓", "ticked": ["扭矩扳手"],
                                      "training_material": "操作手册 v2", "material_ready": "1"}, app)
    refused = post(web, install_id, "step", {"target": "prepared"}, app)
    assert "Tick every item of the checklist" in refused.text
    assert "travel approval before departure" in refused.text
    post(web, install_id, "prepare", {"checklist": "扭矩扳手\n水平仪\n地脚螺栓",
                                      "ticked": ["扭矩扳手", "水平仪", "地脚螺栓"],
                                      "training_material": "操作手册 v2", "material_ready": "1"}, app)
    web.logout()
    sign_in(web, "b_general_manager")
    post(web, install_id, "travel", {}, app)
    web.logout()
    sign_in(web, "b_aftersales_manager")
    post(web, install_id, "step", {"target": "prepared"}, app)
    assert _state(app, install_id) == "prepared"
    web.logout()

    sign_in(web, "b_field_engineer")
    unsigned = post(web, install_id, "sign", {"trainees": "张三、李四", "training_record": "开机、编程、保养",
                                              "signed_by": "王厂长", "signature": ""}, app)
    assert "The customer must sign the training record." in unsigned.text
    assert _state(app, install_id) == "prepared"
    bad = post(web, install_id, "sign", {"trainees": "张三", "training_record": "开机", "signed_by": "王厂长",
                                         "signature": "data:image/png;base64,!!!"}, app)
    assert _state(app, install_id) == "prepared" and bad.status_code == 200
    done = post(web, install_id, "sign", {"trainees": "张三、李四", "training_record": "开机、编程、保养",
                                          "signed_by": "王厂长", "signature": SIGNATURE, "days_on_site": "3"}, app)
    assert 'data-state="done"' in done.text and 'data-testid="training-record"' in done.text
    with app.app_context():
        record = db.session.get(FieldInstall, install_id)
        assert record.signature == SIGNATURE and record.team_size == 1 and record.done_on == today()


def test_reject_and_cancel_need_a_reason(app, web, shop):
    sign_in(web, "b_general_manager")
    install_id = request_install(web, shop["big"]["B"])
    refused = post(web, install_id, "step", {"target": "rejected", "reason": " "}, app)
    assert "Write the reason." in refused.text and _state(app, install_id) == "requested"
    post(web, install_id, "step", {"target": "rejected", "reason": "客户尚未付款"}, app)
    assert _state(app, install_id) == "rejected"
    again = post(web, install_id, "step", {"target": "approved"}, app)
    assert "cannot move to that step" in again.text and _state(app, install_id) == "rejected"


def test_request_needs_a_customer_and_a_date(app, web, shop):
    sign_in(web, "b_aftersales_manager")
    url = f"/admin/field/supply/installs/new?customer_id={shop['big']['B']}"
    page = web.submit(url, {"customer_id": str(shop["big"]["B"]), "wanted_date": "tomorrow"}, post_url=url)
    assert page.status_code == 200 and "Enter the date like 2026-03-10." in page.text
    mixed = web.submit(url, {"customer_id": str(shop["big"]["C"]), "wanted_date": today().isoformat()}, post_url=url)
    assert mixed.status_code == 200 and "Choose a customer of the branch." in mixed.text
    other = f"/admin/field/supply/installs/new?customer_id={shop['big']['C']}"
    assert web.get(other).status_code == 404  # another branch's customer
    assert web.submit(url, {"customer_id": str(shop["big"]["C"])}, post_url=other).status_code == 404
    with app.app_context():
        assert db.session.query(FieldInstall).count() == 0
