"""The admin's page URLs built from a kept path and a query string (``views.urls``) are the
URLs ``url_for`` builds: a link that differed would open another page than it says."""

import pytest
from flask import url_for

from portal.core.views import urls

ARGUMENTS = [
    {},
    {"page": 2},
    {"page": 0, "page_size": 50, "sort": 3, "desc": 1},
    {"search": "王 小明 & 13800/138?x=1#y", "flt0_2": "closed"},
    {"flt1_23": "2026-08-26 00:00:00 to 2026-09-25 23:59:59", "search": None},
    {"id": 42, "url": "/admin/ticket/?search=a%20b&page=3"},
    {"flt0_2": ["open", "closed"], "after": "199981"},
    {"search": "!$'()*,/:;?@=+%~"},
    {"page": None, "search": ""},
]


@pytest.mark.parametrize("values", ARGUMENTS)
@pytest.mark.parametrize("endpoint", ["ticket.index_view", "ticket.details_view", "customer.index_view",
                                      "auth.login"])
def test_a_page_url_is_the_url_url_for_builds(app, endpoint, values):
    with app.test_request_context("/admin/ticket/"):
        assert urls.page_url(endpoint, dict(values)) == url_for(endpoint, **values)


def test_a_relative_endpoint_is_read_in_the_requests_blueprint(app):
    with app.test_request_context("/admin/customer/?page=2"):
        assert urls.page_url(".details_view", {"id": 7}) == url_for("customer.details_view", id=7)
        assert urls.page_url(".details_view", {"id": 7}).startswith("/admin/customer/details/?")


def test_a_url_under_a_mounted_script_root_keeps_it(app):
    with app.test_request_context("/admin/ticket/", base_url="http://portal.example/after-sales/"):
        built = urls.page_url("ticket.index_view", {"page": 3})
        assert built == url_for("ticket.index_view", page=3) == "/after-sales/admin/ticket/?page=3"


def test_urls_with_path_arguments_or_options_go_through_url_for(app):
    with app.test_request_context("/admin/ticket/"):
        assert urls.page_url("admin.static", {"filename": "admin/css/x.css"}) == url_for(
            "admin.static", filename="admin/css/x.css")
        assert urls.page_url("ticket.index_view", {"_external": True, "page": 1}) == \
            "http://localhost/admin/ticket/?page=1"
        assert urls.page_url("ticket.index_view", {"_anchor": "rows"}) == "/admin/ticket/#rows"


@pytest.mark.parametrize("text", ["42", "0012", "A-7", "a b/c", "٣", "²", "编号1", "?&#"])
def test_a_row_id_in_a_link_is_quoted_as_url_for_would(app, text):
    from urllib.parse import quote

    from portal.core.views.urls import url_part

    assert url_part(text) == quote(text, safe="")
