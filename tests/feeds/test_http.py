"""The feed URL and its token: issuing, rotating, revoking, and what strangers get."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.feeds.tokens import current_token
from service.models import AuditEntry, Person
from service.settings import Settings
from tests.support.feeds import department_id, fetch, person, person_id, seed_demo, token_for

pytestmark = pytest.mark.usefixtures("feed_day")


@pytest.fixture
def demo(pufa_state: Pufa, feed_day: None) -> None:
    seed_demo(pufa_state)


def _rotate(client: FlaskClient, headers: dict[str, str], path: str) -> dict[str, str]:
    response = client.post(f"/api/v1/{path}/feed-token", headers=headers)
    assert response.status_code == 201, response.json
    body: dict[str, str] = response.get_json()
    return body


def _token_of(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".ics")


@pytest.mark.usefixtures("demo")
def test_admin_gets_https_and_webcal_urls_from_the_public_base_url(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    sun_id = person_id(pufa_state, "孙丽")
    body = _rotate(client, admin_headers, f"people/{sun_id}")
    token = _token_of(body["url"])
    assert body["url"] == f"https://pufa.example.test/calendar/{token}.ics"
    assert body["webcal_url"] == f"webcal://pufa.example.test/calendar/{token}.ics"
    assert len(token) >= 22  # ≥ 128 bits of URL-safe base64
    response = fetch(client, token)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"


@pytest.mark.usefixtures("demo")
def test_an_admin_gets_the_current_url_again_without_replacing_it(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    sun_id = person_id(pufa_state, "孙丽")
    url = f"/api/v1/people/{sun_id}/feed"
    assert client.get(url, headers=admin_headers).get_json()["url"] is None
    issued = _rotate(client, admin_headers, f"people/{sun_id}")
    for _ in range(2):
        state = client.get(url, headers=admin_headers)
        assert (state.get_json()["url"], state.get_json()["webcal_url"]) == (
            issued["url"],
            issued["webcal_url"],
        )
        assert state.headers["Cache-Control"] == "no-store"
    assert fetch(client, _token_of(issued["url"])).status_code == 200  # still the live one
    rotated = _rotate(client, admin_headers, f"people/{sun_id}")
    assert client.get(url, headers=admin_headers).get_json()["url"] == rotated["url"]
    client.delete(f"/api/v1/people/{sun_id}/feed-token", headers=admin_headers)
    assert client.get(url, headers=admin_headers).get_json()["url"] is None


@pytest.mark.usefixtures("demo")
def test_a_token_from_before_seeds_or_under_another_key_is_not_shown(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], settings: Settings
) -> None:
    sun_id = person_id(pufa_state, "孙丽")
    _rotate(client, admin_headers, f"people/{sun_id}")
    with pufa_state.db.transaction() as session:
        row = session.get(Person, sun_id)
        assert row is not None
        assert current_token(settings.secret_key, row) is not None
        assert current_token("another-secret-key-of-enough-length", row) is None
        row.feed_token_seed = None  # as issued before migration 0011
    state = client.get(f"/api/v1/people/{sun_id}/feed", headers=admin_headers)
    assert state.get_json()["has_token"] is True and state.get_json()["url"] is None


@pytest.mark.usefixtures("demo")
def test_rotating_kills_the_old_url_at_once(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    sun_id = person_id(pufa_state, "孙丽")
    old = _token_of(_rotate(client, admin_headers, f"people/{sun_id}")["url"])
    assert fetch(client, old).status_code == 200
    new = _token_of(_rotate(client, admin_headers, f"people/{sun_id}")["url"])
    assert fetch(client, old).status_code == 404
    assert fetch(client, new).status_code == 200


@pytest.mark.usefixtures("demo")
def test_only_the_hmac_is_stored_and_the_audit_log_holds_neither(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    sun_id = person_id(pufa_state, "孙丽")
    token = _token_of(_rotate(client, admin_headers, f"people/{sun_id}")["url"])
    with pufa_state.db.sessions() as session:
        stored = session.get(Person, sun_id)
        assert stored is not None and stored.feed_token_hash is not None
        assert token not in stored.feed_token_hash
        assert stored.feed_token_seed is not None and token not in stored.feed_token_seed
        [entry] = session.scalars(select(AuditEntry)).all()
        assert (entry.action, entry.resource, entry.resource_id) == (
            "issue_feed_token",
            "person",
            str(sun_id),
        )
        assert token not in repr((entry.before, entry.after))
        assert stored.feed_token_seed not in repr((entry.before, entry.after))


@pytest.mark.usefixtures("demo")
def test_viewer_sees_whether_a_feed_exists_but_cannot_rotate(
    client: FlaskClient,
    pufa_state: Pufa,
    admin_headers: dict[str, str],
    viewer_headers: dict[str, str],
) -> None:
    sun_id = person_id(pufa_state, "孙丽")
    state = client.get(f"/api/v1/people/{sun_id}/feed", headers=viewer_headers)
    nothing = {"url": None, "webcal_url": None}
    assert state.json == {"kind": "person", "id": sun_id, "has_token": False, **nothing}
    _rotate(client, admin_headers, f"people/{sun_id}")
    state = client.get(f"/api/v1/people/{sun_id}/feed", headers=viewer_headers)
    assert state.json == {"kind": "person", "id": sun_id, "has_token": True, **nothing}
    forbidden = client.post(f"/api/v1/people/{sun_id}/feed-token", headers=viewer_headers)
    assert forbidden.status_code == 403
    assert client.post(f"/api/v1/people/{sun_id}/feed-token").status_code == 401


@pytest.mark.usefixtures("demo")
def test_revoking_makes_the_url_answer_404(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    sun_id = person_id(pufa_state, "孙丽")
    token = _token_of(_rotate(client, admin_headers, f"people/{sun_id}")["url"])
    assert (
        client.delete(f"/api/v1/people/{sun_id}/feed-token", headers=admin_headers).status_code
        == 204
    )
    assert fetch(client, token).status_code == 404
    state = client.get(f"/api/v1/people/{sun_id}/feed", headers=admin_headers)
    assert state.get_json()["has_token"] is False


@pytest.mark.usefixtures("demo")
def test_department_feed_tokens_work_the_same_way(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    office_id = department_id(pufa_state, "司法所")
    old = _token_of(_rotate(client, admin_headers, f"departments/{office_id}")["url"])
    new = _token_of(_rotate(client, admin_headers, f"departments/{office_id}")["url"])
    assert fetch(client, old).status_code == 404
    response = fetch(client, new)
    assert response.status_code == 200
    assert "NAME:蟒河镇普法 · 司法所" in response.get_data(as_text=True)
    state = client.get(f"/api/v1/departments/{office_id}/feed", headers=admin_headers)
    assert state.json == {
        "kind": "department",
        "id": office_id,
        "has_token": True,
        "url": f"https://pufa.example.test/calendar/{new}.ics",
        "webcal_url": f"webcal://pufa.example.test/calendar/{new}.ics",
    }


def test_feed_token_endpoints_answer_404_for_unknown_rows(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    assert client.post("/api/v1/people/999/feed-token", headers=admin_headers).status_code == 404
    assert client.get("/api/v1/departments/999/feed", headers=admin_headers).status_code == 404


@pytest.mark.usefixtures("demo")
def test_unknown_revoked_and_malformed_tokens_get_the_same_404(
    client: FlaskClient, pufa_state: Pufa, settings: Settings, admin_headers: dict[str, str]
) -> None:
    revoked = token_for(pufa_state, settings, Person, "孙丽")
    token_for(pufa_state, settings, Person, "孙丽")  # rotating revokes the first
    unknown = "A" * 43
    answers = [fetch(client, t) for t in (revoked, unknown, "short", "bad%21chars" * 4)]
    assert {a.status_code for a in answers} == {404}
    assert len({a.get_data() for a in answers}) == 1
    assert "token" not in answers[0].get_data(as_text=True).lower()


@pytest.mark.usefixtures("demo")
def test_someone_who_left_has_no_feed(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    token = token_for(pufa_state, settings, Person, "孙丽")
    with pufa_state.db.transaction() as session:
        person(session, "孙丽").is_active = False
    assert fetch(client, token).status_code == 404


@pytest.mark.usefixtures("demo")
def test_head_works_and_other_methods_are_405(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    token = token_for(pufa_state, settings, Person, "孙丽")
    get = fetch(client, token)
    head = client.head(f"/calendar/{token}.ics")
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == str(len(get.get_data()))
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        response = client.open(f"/calendar/{token}.ics", method=method)
        assert response.status_code == 405, method
        assert "GET" in response.headers["Allow"]


@pytest.mark.usefixtures("demo")
def test_the_token_never_reaches_the_logs_in_full(
    client: FlaskClient,
    pufa_state: Pufa,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = token_for(pufa_state, settings, Person, "孙丽")
    from service.logs import JsonFormatter

    formatter = JsonFormatter()
    with caplog.at_level(logging.INFO):
        fetch(client, token)
        fetch(client, token[:-1] + ("A" if token[-1] != "A" else "B"))
    lines = [formatter.format(record) for record in caplog.records]
    assert any("/calendar/" in line for line in lines)
    assert all(token not in line for line in lines)
