"""The API reference page in a real browser: Swagger UI renders the portal's own document
and every request the page makes goes to the portal itself."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import browser, live_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_reference_page_renders_from_the_portal_alone(live_url, browser):  # noqa: F811
    page = browser.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(f"{live_url}/api/v1/docs")
    page.get_by_text("/api/v1/tickets/{ticket_id}/transitions", exact=True).wait_for(timeout=20_000)
    assert page.locator(".opblock").count() >= 13  # one block per operation
    assert page.locator("button.authorize").count() == 1
    assert hosts == {urlsplit(live_url).netloc}, hosts
    page.close()
