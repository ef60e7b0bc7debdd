"""Item 6: the certificate file from handover, its log, and the warnings before the
3-month deadline (a branch setting) passes — on the list and on the dashboard."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest

from plugins.real_estate import rules
from plugins.real_estate.handover.models import EstateCertificate
from portal.extensions import db

from .conftest import set_settings, sign_in, today


def _file(app, estate, handed_over_days_ago, number="0101", code="E"):
    """A certificate file of a unit handed over ``handed_over_days_ago`` days ago."""
    office = estate[f"office_{code}"]
    with app.app_context():
        handed = today() - timedelta(days=handed_over_days_ago)
        settings = {"certificate_months": 3}
        certificate = EstateCertificate(branch_id=estate[code], unit_id=office["units"][number],
                                        customer_id=office["customers"][number], handed_over_on=handed,
                                        deadline=rules.certificate_deadline(handed, settings))
        db.session.add(certificate)
        db.session.commit()
        return certificate.id, certificate.deadline


def _status(web, certificate_id):
    page = web.get(f"/admin/estate/certificates/{certificate_id}").text
    return page.split('data-testid="certificate-status" data-status="')[1].split('"')[0]


def test_deadline_warnings(app, web, estate):
    fresh, _ = _file(app, estate, 5, "0101")
    close, close_deadline = _file(app, estate, 0, "0102")
    overdue, _ = _file(app, estate, 200, "0201")
    # Move the "close" file's deadline into the warning window (14 days by default).
    with app.app_context():
        db.session.get(EstateCertificate, close).handed_over_on = today() - timedelta(days=85)
        db.session.get(EstateCertificate, close).deadline = rules.certificate_deadline(
            today() - timedelta(days=85), {"certificate_months": 3})
        db.session.commit()
    sign_in(web, "e_aftersales_officer")
    assert _status(web, fresh) == "ok"
    assert _status(web, close) == "warn"
    assert _status(web, overdue) == "overdue"
    warn_list = web.get("/admin/estate/certificates/?show=warn").text
    assert f'data-certificate="{close}" data-status="warn"' in warn_list
    assert f'data-certificate="{overdue}" data-status="overdue"' in warn_list
    assert f'data-certificate="{fresh}"' not in warn_list
    overdue_list = web.get("/admin/estate/certificates/?show=overdue").text
    assert f'data-certificate="{overdue}"' in overdue_list and f'data-certificate="{close}"' not in overdue_list
    dashboard = unescape(web.get("/admin/").text)
    assert "Property certificates: deadline close or passed" in dashboard and "1 (passed: 1)" in dashboard


def test_the_warning_window_is_a_branch_setting(app, web, estate):
    fresh, _ = _file(app, estate, 5, "0101")  # deadline in ~85 days
    sign_in(web, "e_aftersales_officer")
    assert _status(web, fresh) == "ok"
    set_settings(app, estate["E"], certificate_warning_days=90)
    assert _status(web, fresh) == "warn"
    assert f'data-certificate="{fresh}"' in web.get("/admin/estate/certificates/?show=warn").text


@pytest.mark.parametrize("months", [1, 6])
def test_the_deadline_follows_the_months_setting(app, web, estate, months):
    from .conftest import complete, inspection_form, schedule

    set_settings(app, estate["E"], certificate_months=months)
    sign_in(web, "e_aftersales_officer")
    handover_id = schedule(web, estate)
    complete(web, handover_id, inspection_form())
    with app.app_context():
        certificate = db.session.query(EstateCertificate).one()
        assert certificate.deadline == rules.add_months(today(), months)


def test_the_file_logs_submissions_and_closes_when_obtained(app, web, estate):
    certificate_id, _ = _file(app, estate, 20)
    sign_in(web, "e_aftersales_officer")
    url = f"/admin/estate/certificates/{certificate_id}"
    empty = web.submit(url, {"submitted_on": today().isoformat(), "office": "", "documents": ""},
                       post_url=url + "/log", follow=True)
    assert "Fill in: Office." in empty.text
    done = web.submit(url, {"submitted_on": today().isoformat(), "office": "成都市不动产登记中心",
                            "documents": "买卖合同、身份证复印件"}, post_url=url + "/log", follow=True)
    assert "Submission recorded." in done.text and "成都市不动产登记中心" in done.text
    obtained = web.submit(url, {"obtained_on": today().isoformat(), "certificate_number": "川(2026)成都市0001号"},
                          post_url=url + "/obtained", follow=True)
    assert "Certificate obtained." in obtained.text
    assert _status(web, certificate_id) == "done"
    later = web.submit(url, {"submitted_on": today().isoformat(), "office": "x", "documents": "y"},
                       post_url=url + "/log", follow=True)
    assert "the file is closed" in later.text
