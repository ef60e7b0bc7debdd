"""Issue 4 item 1 in Debian's chromium: a clerk opens today's callback queue, calls the
customer of a finished visit, records the survey card with ratings; the callback moves to
"done" and the customer file shows the result."""

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.core.models.callback import Callback
from portal.extensions import db
from tests.browser.conftest import login
from tests.core.test_visits import make_visit

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"  # screenshots for a person to look at (git-ignored)


def _callback_due_today(app, world) -> int:
    """The satisfaction callback of a visit finished earlier, whose first calling day has
    come (the portal scheduled it when the engineer finished the visit)."""
    _ticket_id, visit_id = make_visit(app, world, steps=("depart", "arrive", "report", "finish"))
    with app.app_context():
        callback = db.session.scalar(db.select(Callback).filter_by(visit_id=visit_id))
        callback.next_try_on = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        db.session.commit()
        return callback.id


def test_clerk_records_a_callback_from_todays_queue(app, live_url, browser, world):
    base = live_url
    callback_id = _callback_due_today(app, world)
    clerk = browser.new_page(locale="zh-CN")
    login(clerk, base, "a_clerk")

    clerk.goto(f"{base}/admin/callback/")
    assert "flt0_0=today" in clerk.url
    link = clerk.locator(f"[data-testid=call-link][data-callback='{callback_id}']")
    assert link.count() == 1
    link.click()
    clerk.wait_for_url(re.compile(r".*/admin/callback/details/.*"))
    # what the clerk must say before asking: the visit and the fee standard, above the card
    assert clerk.locator("[data-testid=engineers]").inner_text().strip() == "a_engineer"
    assert clerk.locator("[data-testid=fee-standard]").inner_text().strip() != ""
    assert clerk.locator("[data-testid=callback-state]").get_attribute("data-state") == "due"

    for answer in ("#fixed-y", "#on_time-y", "#fee_charged-n", "#rating_attitude-5", "#rating_skill-4",
                   "#rating_punctuality-5", "#rating_service-5"):
        clerk.check(answer)
    clerk.fill("#suggestions", "师傅准时，讲解清楚")
    ARTIFACTS.mkdir(exist_ok=True)
    clerk.screenshot(path=str(ARTIFACTS / "callback-card.png"), full_page=True)
    clerk.click("[data-testid=save-result]")
    clerk.wait_for_load_state()
    assert clerk.locator("[data-testid=callback-state]").get_attribute("data-state") == "done"
    assert clerk.locator("[data-testid=result] [data-field=rating_skill]").inner_text().strip() == "4"
    assert clerk.locator("[data-testid=survey-form]").count() == 0

    clerk.goto(f"{base}/admin/callback/?flt0_0=today")
    assert clerk.locator(f"[data-callback='{callback_id}']").count() == 0
    clerk.goto(f"{base}/admin/callback/?flt0_0=done")
    assert clerk.locator(f"[data-testid=call-link][data-callback='{callback_id}']").count() == 1

    clerk.goto(f"{base}/admin/customer/details/?id={world['customers']['A']}")
    row = clerk.locator(f"[data-testid=customer-callbacks] tr[data-callback='{callback_id}']")
    assert row.get_attribute("data-state") == "done"
    assert row.locator("[data-testid=ratings]").inner_text().strip() == "5 / 4 / 5 / 5"
    assert "师傅准时，讲解清楚" in row.inner_text()
    clerk.screenshot(path=str(ARTIFACTS / "customer-file-callbacks.png"), full_page=True)
    clerk.close()
