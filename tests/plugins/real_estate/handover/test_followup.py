"""Item 8: follow-up letters, faxes and calls are core callbacks; feedback goes to the
branch leader on an internal work contact form, who replies; the lists, cards and the
monthly figures."""

from __future__ import annotations

from flask_babel import force_locale
import re
from datetime import date

from plugins.real_estate.handover.models import EstateContactForm, EstateFollowup
from portal.core.models.callback import Callback
from portal.core.plugin_state import branch_hooks
from portal.core.models import Branch
from portal.extensions import db

from .conftest import complete, inspection_form, schedule, sign_in, today


def _log(web, estate, channel="letter", feedback="物业响应慢"):
    customer = estate["office_E"]["customers"]["0101"]
    return web.submit("/admin/estate/followups/", {"customer_id": str(customer), "channel": channel,
                                                   "due_on": today().isoformat(), "sent_on": today().isoformat(),
                                                   "feedback": feedback},
                      post_url="/admin/estate/followups/new", follow=True)


def test_a_letter_is_logged_as_a_callback_and_feedback_reaches_the_leader(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    schedule(web, estate)  # the owner is one of the branch's owners
    page = _log(web, estate)
    assert "Follow-up logged; it is in the callback queue." in page.text
    with app.app_context():
        followup = db.session.query(EstateFollowup).one()
        callback = db.session.get(Callback, followup.callback_id)
        assert callback.kind == "real_estate.followup" and callback.branch_id == estate["E"]
        followup_id = followup.id
    details = web.get(f"/admin/estate/followups/{followup_id}").text
    assert f"/admin/callback/details/?id={followup.callback_id}" in details.replace("&amp;", "&")
    # The officer writes the contact form to the branch manager.
    form_page = web.get(f"/admin/estate/contact-forms/new?followup_id={followup_id}")
    assert form_page.status_code == 200 and "物业响应慢" in form_page.text
    sent = web.submit(f"/admin/estate/contact-forms/new?followup_id={followup_id}",
                      {"to_id": str(estate["users"]["e_branch_manager"]), "subject": "业主反馈",
                       "content": "物业响应慢", "followup_id": str(followup_id)},
                      post_url=f"/admin/estate/contact-forms/new?followup_id={followup_id}")
    assert sent.status_code == 302
    form_id = int(re.search(r"/contact-forms/(\d+)$", sent.headers["Location"]).group(1))
    web.logout()
    sign_in(web, "e_branch_manager")
    dashboard = web.get("/admin/").text
    assert "Contact forms awaiting a reply" in dashboard
    waiting = web.get("/admin/estate/contact-forms/?show=waiting").text
    assert f'data-form="{form_id}" data-replied="no"' in waiting
    url = f"/admin/estate/contact-forms/{form_id}"
    empty = web.submit(url, {"reply": ""}, post_url=url + "/reply", follow=True)
    assert "Fill in: Reply." in empty.text
    replied = web.submit(url, {"reply": "已责成物业三日内处理"}, post_url=url + "/reply", follow=True)
    assert "Reply recorded." in replied.text and "已责成物业三日内处理" in replied.text
    with app.app_context():
        form = db.session.get(EstateContactForm, form_id)
        assert form.replied_at is not None and form.replied_by_id == estate["users"]["e_branch_manager"]
    assert f'data-form="{form_id}"' not in web.get("/admin/estate/contact-forms/?show=waiting").text


def test_only_a_branch_leader_receives_and_answers_contact_forms(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    refused = web.submit("/admin/estate/contact-forms/new", {"to_id": str(estate["users"]["e_clerk"]),
                                                             "subject": "x", "content": "y"})
    assert refused.status_code == 200 and "Choose the branch leader the form goes to." in refused.text
    sent = web.submit("/admin/estate/contact-forms/new", {"to_id": str(estate["users"]["e_branch_manager"]),
                                                          "subject": "x", "content": "y"})
    form_id = int(re.search(r"/contact-forms/(\d+)$", sent.headers["Location"]).group(1))
    url = f"/admin/estate/contact-forms/{form_id}"
    # The officer cannot answer it.
    answer = web.submit(url, {"reply": "ok"}, post_url=url + "/reply", follow=True)
    assert "Your role does not allow this step." in answer.text
    with app.app_context():
        assert db.session.get(EstateContactForm, form_id).replied_at is None


def test_unknown_channel_and_another_branchs_owner_are_refused(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    assert "Choose letter, fax or call." in _log(web, estate, channel="pigeon").text
    other = estate["office_F"]["customers"]["0101"]
    response = web.submit("/admin/estate/followups/", {"customer_id": str(other), "channel": "call",
                                                       "due_on": today().isoformat()},
                          post_url="/admin/estate/followups/new", follow=True)
    assert "Choose an owner of your branch." in response.text
    with app.app_context():
        assert db.session.query(EstateFollowup).count() == 0


def test_month_figures(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    office = estate["office_E"]
    url = f"/admin/estate/move-in/building/{office['building']}"
    web.submit(url, {}, post_url=url + "/notices")
    from plugins.real_estate.handover.models import EstateMoveInNotice

    with app.app_context():
        notice = db.session.query(EstateMoveInNotice).filter_by(unit_id=office["units"]["0102"]).one()
    web.submit(url, {"method": "fax", "sent_on": today().isoformat()},
               post_url=f"/admin/estate/move-in/notice/{notice.id}/sent")
    handover_id = schedule(web, estate)
    complete(web, handover_id, inspection_form(defect_at=2))
    with app.test_request_context(), force_locale("en"):
        branch = db.session.get(Branch, estate["E"])
        hooks, settings = branch_hooks(branch.id)
        sections = dict((str(t), rows) for group in [hooks.portal_report_sections(
            month=date(today().year, today().month, 1), branch=branch, settings=settings)] for s in group
            for t, rows in s)
        rows = {str(label): value for label, value in
                sections["Property sales office: move-in, handover and certificates"]}
    assert rows == {"Move-in notices sent": 1, "Handovers done": 1, "Defects found at handovers": 1,
                    "Property certificate files submitted": 0}


def test_feedback_of_a_call_is_recorded_on_the_follow_up(app, web, estate):
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    complete(web, handover_id, inspection_form())
    with app.app_context():
        followup = db.session.query(EstateFollowup).filter_by(handover_id=handover_id).one()
        followup_id, version = followup.id, followup.version
    listing = web.get("/admin/estate/followups/?show=open").text
    assert f'data-followup="{followup_id}" data-channel="call"' in listing
    url = f"/admin/estate/followups/{followup_id}"
    saved = web.submit(url, {"sent_on": today().isoformat(), "feedback": "对交房服务满意",
                             "seen_version": str(version)}, post_url=url + "/feedback", follow=True)
    assert "Saved." in saved.text and "对交房服务满意" in saved.text
    stale = web.submit(url, {"feedback": "旧页面", "seen_version": str(version)}, post_url=url + "/feedback",
                       follow=True)
    assert "Someone else changed this record" in stale.text
    assert f'data-followup="{followup_id}"' in web.get("/admin/estate/followups/?show=feedback").text
