"""A property-based run of the whole API from its own OpenAPI document (schemathesis):
whatever the generated requests, no answer is a 500 and none contradicts the document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, ignored_auth, response_headers_conformance,
    response_schema_conformance, status_code_conformance,
)

from portal.core.models import BranchPlugin, User
from portal.core.tickets import NewTicket, open_ticket
from portal.extensions import db

# Not `negative_data_rejection`: the test sends a valid bearer token with every case, which
# turns schemathesis' "Authorization missing" negative cases into valid requests, and the
# check then reports their 200 as "invalid data accepted" (seen with GET /users?active=false).
# Invalid bodies and parameters are still generated (mode "all") and must not give a 500
# or an answer outside the document; tests/api/test_errors.py asserts the 400/422 answers.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, ignored_auth]


# Bounded so the run stays well under a minute: random valid and invalid requests (the
# fuzzing phase, both modes), not the exhaustive boundary cases of the coverage phase.
CONFIG = {
    "generation": {"mode": "all", "max-examples": 25, "deterministic": True},
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
}


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app,
                                          config=schemathesis.Config.from_dict(CONFIG))


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def fuzz_token(app, world, tokens, monkeypatch):
    """HQ's administrator reaches every endpoint; the example plugin runs in branch A so
    its portal_api endpoint answers too."""
    with app.test_request_context():
        db.session.add(BranchPlugin(branch_id=world["A"], plugin="example_plugin", enabled=True, settings={}))
        admin = db.session.get(User, world["users"]["admin"])
        for code in ("A", "B", "A", "B"):  # small ids exist, so generated paths find records too
            open_ticket(NewTicket(customer_id=world["customers"][code], title="fuzz"), admin)
        db.session.commit()
    # Hundreds of requests in seconds: throttling is tested elsewhere, here it would only
    # hide answers behind 429.
    monkeypatch.setitem(app.config, "PORTAL_API_RATE_LIMIT", "100000/minute")
    return tokens["admin"]


@schema.parametrize()
@settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_request_breaks_the_api_or_its_document(case, fuzz_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_token}"}, checks=CHECKS)
