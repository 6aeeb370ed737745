"""Property-based fuzzing of the whole API against its own OpenAPI document.

Schemathesis generates requests for every documented operation (valid and invalid
ones) and checks the answers: no 5xx, status codes, headers and bodies as documented,
and every 4xx carries the JSON error body. Bounded (few examples, derandomized) so the
run is quick and repeatable.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.orm import Session

from service.app import create_app
from service.auth import FailedAuthThrottle
from service.seed import load_demo_file, seed
from service.settings import Settings

# The document only: this app never reaches a database. Requests go to the test's app.
_SPEC_APP = create_app(
    Settings(env="test", database_url="sqlite://", secret_key="x" * 40, log_level="ERROR")
)
MAX_EXAMPLES = 5
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _SPEC_APP)


@pytest.fixture
def demo_app(app: Flask, session: Session) -> Flask:
    seed(session, load_demo_file())
    session.commit()
    # Schemathesis sends requests without a token on purpose: don't throttle them.
    app.extensions["pufa_auth_throttle"] = FailedAuthThrottle("100000/minute")
    return app


@schemathesis.check
def error_body_on_every_4xx(ctx: Any, response: Any, case: Any) -> bool | None:
    """Guarantee 6: every client error answers {"error", "message", "fields"}."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert set(body) == {"error", "message", "fields"}, body
        assert isinstance(body["error"], str) and isinstance(body["fields"], dict), body
    return None


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(
    case: Any, demo_app: Flask, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(
        app=demo_app,
        headers=admin_headers,
        # Schema-valid data can still be refused by design: a semantic 422 (bad RRULE,
        # unknown id, a year out of range), 428 without If-Match, 412 with a random one.
        excluded_checks=[positive_data_acceptance],
    )
