"""Issue 3 end to end in Debian's chromium: a clerk opens a repair ticket from the customer
file, triages, assigns and schedules a visit; the engineer works the visit on a phone and
the customer signs with a finger; the ticket is resolved and closed; the printed report
shows the signature."""

import re
from pathlib import Path
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"  # screenshots for a person to look at (git-ignored)


def _step(page, name, **selects):
    form = page.locator(f"form[data-step={name}]")
    for field, value in selects.items():
        control = form.locator(f"[name={field}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_repair_ticket_with_a_signed_visit_closes_and_prints(live_url, browser, world):
    base = live_url
    clerk = browser.new_page(locale="zh-CN")
    login(clerk, base, "a_clerk")
    clerk.goto(f"{base}/admin/customer/details/?id={world['customers']['A']}")
    clerk.click("[data-testid=new-ticket]")
    clerk.select_option("#product_id", str(world["products"]["A"]))
    clerk.fill("#title", "洗衣机不脱水")
    clerk.click("[data-testid=open-ticket]")
    clerk.wait_for_url(re.compile(r".*/admin/ticket/details/.*"))
    number = clerk.inner_text("[data-testid=number]")
    assert re.fullmatch(r"A-\d{4}-\d{6}", number)
    ticket_url = clerk.url

    _step(clerk, "triage", nature="product_quality")
    assert clerk.locator("[data-testid=warranty] .badge-success").count() == 1
    _step(clerk, "assign", assignee_id=str(world["users"]["a_engineer"]))
    clerk.click("text=安排上门")
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    clerk.fill("#when", tomorrow)
    clerk.check(f"#engineer-{world['users']['a_engineer']}")
    clerk.fill("#address", "上海市淮海中路100号")
    clerk.click("[data-testid=schedule-form] button[type=submit]")
    clerk.goto(ticket_url)
    assert clerk.locator("[data-clock=arrival]").get_attribute("data-status") in ("running", "at_risk", "breached")
    visit_href = clerk.locator("[data-testid=visits] a").first.get_attribute("href")

    phone_context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                        has_touch=True, is_mobile=True, device_scale_factor=2)
    phone = phone_context.new_page()
    login(phone, base, "a_engineer")
    phone.goto(ticket_url)
    _step(phone, "start", handling="on_site")
    phone.goto(f"{base}{visit_href}")
    phone.click("button[name=step][value=depart]")
    phone.click("button[name=step][value=arrive]")
    phone.fill("#fault_cause", "排水泵堵塞")
    phone.fill("#solution", "清理排水泵，试机正常")
    phone.fill("#hours", "1.5")
    phone.fill("#customer_opinion", "满意")
    phone.fill("#signed_by", "客户A")
    pad = phone.locator(".signature-pad canvas")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    # A finger stroke across the pad.
    phone.mouse.move(box["x"] + 20, box["y"] + 60)
    phone.mouse.down()
    for step in range(1, 12):
        phone.mouse.move(box["x"] + 20 + step * 25, box["y"] + 60 + (step % 3) * 20)
    phone.mouse.up()
    assert phone.locator("#signature").input_value().startswith("data:image/png;base64,")
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "visit-on-phone.png"), full_page=True)
    phone.click("button[name=complete][value='1']")
    phone.click("button[name=step][value=finish]")
    assert phone.locator("[data-testid=visit-state]").inner_text() == "已结束"
    phone.goto(ticket_url)
    assert phone.locator("[data-clock=arrival]").get_attribute("data-status") == "met"
    _step(phone, "resolve", solution="清理排水泵")
    phone_context.close()

    clerk.goto(ticket_url)
    _step(clerk, "close")
    assert clerk.inner_text("[data-testid=state]") == "已关闭"
    clerk.screenshot(path=str(ARTIFACTS / "closed-ticket.png"), full_page=True)

    clerk.goto(f"{base}{visit_href}")
    clerk.click("a[href$='/report']")
    clerk.wait_for_url(re.compile(r".*/report$"))
    image = clerk.locator("img[src^='data:image/png']")
    assert image.count() == 1
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "售后服务报告单" in clerk.content() and "排水泵堵塞" in clerk.content()
    clerk.emulate_media(media="print")
    clerk.screenshot(path=str(ARTIFACTS / "printed-report.png"), full_page=True)
    pdf = clerk.pdf(format="A4")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one A4 page
    clerk.close()
