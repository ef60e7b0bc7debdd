"""The OpenAPI document is valid, generated from the same schemas that validate requests,
includes the plugins' endpoints (``portal_api``), and its page is served by the portal
itself — no CDN, no outside address."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from portal.core.models import BranchPlugin
from portal.core.provisioning import create_user
from portal.extensions import db
from tests.conftest import PASSWORD

CORE_PATHS = {
    "/api/v1/me", "/api/v1/branches", "/api/v1/branches/{branch_id}", "/api/v1/users", "/api/v1/users/{user_id}",
    "/api/v1/customers", "/api/v1/customers/{customer_id}", "/api/v1/customers/{customer_id}/products",
    "/api/v1/products/{product_id}", "/api/v1/tickets", "/api/v1/tickets/{ticket_id}",
    "/api/v1/tickets/{ticket_id}/transitions", "/api/v1/tickets/{ticket_id}/entries",
}


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.content_type == "application/json"
    return response.json


def test_the_document_is_valid_openapi_3(document):
    validate(document)
    assert document["openapi"].startswith("3.")
    assert CORE_PATHS <= set(document["paths"])
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearerAuth": []}]


def test_the_document_describes_what_the_code_validates(document):
    create = document["paths"]["/api/v1/tickets"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"customer_id", "title"}
    assert schema["properties"]["title"]["maxLength"] == 200
    assert schema["properties"]["priority"]["enum"] == ["low", "normal", "high", "urgent"]
    assert schema["additionalProperties"] is False
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])
    # every operation answers errors in the one shape
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    for path, operations in document["paths"].items():
        for method in set(operations) & {"get", "post", "patch", "put", "delete"}:
            assert "default" in operations[method]["responses"], (method, path)
    listing = document["paths"]["/api/v1/tickets"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"limit", "cursor", "show", "state", "kind", "assignee_id", "created_from", "created_to"} <= names


def test_plugin_endpoints_join_the_document_and_answer_only_where_enabled(app, api, document, world):
    """portal_api: the example plugin adds /api/v1/example/ping through the hook."""
    assert "/api/v1/example/ping" in document["paths"]
    with app.app_context():
        db.session.add(BranchPlugin(branch_id=world["A"], plugin="example_plugin", enabled=True, settings={}))
        create_user("a_example", PASSWORD, "A", ["example_role"])
        create_user("b_example", PASSWORD, "B", ["example_role"])
        db.session.commit()
        from portal.api.tokens import create_token
        from portal.core.models import User

        secrets = {name: create_token(db.session.scalar(db.select(User).filter_by(username=name))).secret
                   for name in ("a_example", "b_example")}
        db.session.commit()
    api.tokens.update(secrets)
    assert api.as_("a_example").get("/api/v1/example/ping").json == {"pong": True, "user": "a_example"}
    assert api.as_("a_clerk").get("/api/v1/example/ping").status_code == 403  # no example.view
    off = api.as_("b_example").get("/api/v1/example/ping")  # plugin off in branch B
    assert off.status_code == 404 and off.json["error"]["code"] == "not_found"


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def test_the_reference_page_is_served_without_any_outside_address(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not EXTERNAL.search(html), "the page must not load anything from another site"
    assert "/api/v1/openapi.json" in html and "validatorUrl: null" in html
    assets = re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", html)
    assert {a.rsplit("/", 1)[1] for a in assets} == {"swagger-ui.css", "swagger-ui-bundle.js"}
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.data) > 10_000
        response.close()
    css = client.get("/static/vendor/swagger-ui/swagger-ui.css").get_data(as_text=True)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", css)
    assert "sourceMappingURL" not in css


def test_the_document_and_its_page_need_no_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200
