"""Who may do what through /api/v1: tokens, roles, throttling of failed attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import ApiToken

NEW_DEPARTMENT = {"name": "司法所"}


def test_reading_without_a_token_is_refused(client: FlaskClient) -> None:
    response = client.get("/api/v1/schedules")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_refused(client: FlaskClient) -> None:
    response = client.get("/api/v1/schedules", headers={"Authorization": "Bearer pufa_nope"})
    assert response.status_code == 401


def test_viewer_can_read(client: FlaskClient, viewer_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/schedules", headers=viewer_headers)
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "total": 0, "page": 1, "per_page": 20}


def test_viewer_cannot_change_a_schedule(
    client: FlaskClient, viewer_headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/departments", json=NEW_DEPARTMENT, headers=viewer_headers)
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    response = client.patch("/api/v1/schedules/1", json={}, headers=viewer_headers)
    assert response.status_code == 403


def test_admin_creates_a_token_shown_once_and_listed_without_it(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa
) -> None:
    created = client.post(
        "/api/v1/tokens", json={"name": "镇长办公室", "role": "viewer"}, headers=admin_headers
    )
    assert created.status_code == 201
    plaintext = created.get_json()["token"]
    assert plaintext.startswith("pufa_")

    listed = client.get("/api/v1/tokens", headers=admin_headers)
    assert plaintext not in listed.get_data(as_text=True)
    assert {t["name"] for t in listed.get_json()["items"]} == {"test admin", "镇长办公室"}
    shown = client.get(f"/api/v1/tokens/{created.get_json()['id']}", headers=admin_headers)
    assert "token" not in shown.get_json()

    new_headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/people", headers=new_headers).status_code == 200
    with pufa_state.db.sessions() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.name == "镇长办公室")).one()
        assert plaintext not in (row.token_hash, row.prefix)


def test_a_revoked_token_stops_working_at_once(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/tokens", json={"name": "临时", "role": "admin"}, headers=admin_headers
    ).get_json()
    their_headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/people", headers=their_headers).status_code == 200

    revoked = client.delete(f"/api/v1/tokens/{created['id']}", headers=admin_headers)
    assert revoked.status_code == 204
    assert client.get("/api/v1/people", headers=their_headers).status_code == 401
    listed = client.get("/api/v1/tokens?include_revoked=true", headers=admin_headers).get_json()
    assert [t["revoked_at"] is not None for t in listed["items"]] == [False, True]


def test_a_tokens_last_use_is_recorded_to_the_minute(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa
) -> None:
    def last_used() -> datetime | None:
        with pufa_state.db.sessions() as session:
            row = session.scalars(select(ApiToken).where(ApiToken.name == "test admin")).one()
            return row.last_used_at

    first = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(first, tick=False) as clock:
        assert client.get("/api/v1/people", headers=admin_headers).status_code == 200
        assert last_used() == first
        clock.move_to(first + timedelta(seconds=50))
        assert client.get("/api/v1/people", headers=admin_headers).status_code == 200
        assert last_used() == first  # within the minute: no write
        clock.move_to(first + timedelta(minutes=2))
        assert client.get("/api/v1/people", headers=admin_headers).status_code == 200
        assert last_used() == first + timedelta(minutes=2)


def test_repeated_failed_logins_from_one_address_are_slowed_down_and_logged(
    client: FlaskClient, admin_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    wrong = {"Authorization": "Bearer pufa_guess"}
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        statuses = [client.get("/api/v1/people", headers=wrong).status_code for _ in range(11)]
        assert statuses == [401] * 10 + [429]

        # Even the right token waits: the address is slowed down, not the token.
        throttled = client.get("/api/v1/people", headers=admin_headers)
        assert throttled.status_code == 429
        assert throttled.get_json()["error"] == "too_many_requests"
        assert 1 <= int(throttled.headers["Retry-After"]) <= 60

        # Other addresses are not affected.
        elsewhere = client.get(
            "/api/v1/people", headers=admin_headers, environ_base={"REMOTE_ADDR": "127.0.0.9"}
        )
        assert elsewhere.status_code == 200

        clock.shift(timedelta(seconds=61))
        assert client.get("/api/v1/people", headers=admin_headers).status_code == 200
    assert any(r.getMessage() == "authentication throttled" for r in caplog.records)
    assert any("authentication failed" in r.getMessage() for r in caplog.records)


def test_successful_requests_do_not_count_against_the_address(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    for _ in range(30):
        assert client.get("/api/v1/people", headers=admin_headers).status_code == 200


def test_malformed_json_is_a_400(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/departments",
        data='{"name": ',
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "malformed_json"


def test_a_body_that_is_not_json_is_a_400(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/departments",
        data="name=司法所",
        headers={**admin_headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_content_type"


def test_the_openapi_document_and_swagger_page_need_no_token(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.get_json()["paths"]
    assert "/api/v1/schedules/{schedule_id}/occurrences/{original_start}" in paths
    assert client.get("/api/v1/swagger").status_code == 200
