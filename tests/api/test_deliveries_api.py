"""The outbox over HTTP: list, preview, retry; bad input gets a 4xx with the JSON body."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditEntry, Delivery
from tests.support.sms_world import World, local, outbox

AFTERNOON = local(2026, 12, 6, 15)
LECTURE = local(2026, 12, 7, 16)


def test_listing_needs_a_token(client: FlaskClient) -> None:
    response = client.get("/api/v1/deliveries")
    assert response.status_code == 401
    assert response.json is not None and response.get_json()["error"] == "unauthorized"


def test_deliveries_are_listed_newest_first_with_masked_numbers(
    client: FlaskClient, session: Session, viewer_headers: dict[str, str]
) -> None:
    rows = outbox(World(session), 3, AFTERNOON, LECTURE)
    rows[0].status = "failed"
    session.commit()

    response = client.get("/api/v1/deliveries?per_page=2", headers=viewer_headers)

    assert response.status_code == 200
    page = response.get_json()
    assert page is not None
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 1, 2, 2)
    item = page["items"][0]
    assert item["to"].startswith("***") and len(item["to"]) == 7
    assert item["person_name"] == "周伟"


def test_deliveries_can_be_filtered(
    client: FlaskClient, session: Session, viewer_headers: dict[str, str]
) -> None:
    rows = outbox(World(session), 3, AFTERNOON, LECTURE)
    rows[0].status = "failed"
    rows[1].due_at = AFTERNOON + timedelta(hours=2)
    session.commit()

    failed = client.get("/api/v1/deliveries?status=failed", headers=viewer_headers).json
    later = client.get(
        "/api/v1/deliveries",
        query_string={"from": (AFTERNOON + timedelta(hours=1)).isoformat()},
        headers=viewer_headers,
    ).json
    mine = client.get(
        f"/api/v1/deliveries?person_id={rows[0].person_id}&schedule_id={rows[0].schedule_id}",
        headers=viewer_headers,
    ).json

    assert failed is not None and [i["id"] for i in failed["items"]] == [rows[0].id]
    assert later is not None and [i["id"] for i in later["items"]] == [rows[1].id]
    assert mine is not None and mine["total"] == 3


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "person_id=abc",
        "person_id=0",
        "per_page=0",
        "per_page=100000",
        "from=yesterday",
        "from=2026-12-06T10:00:00",  # naive: which timezone?
        "colour=blue",
    ],
)
def test_bad_list_queries_get_422_with_the_json_error_body(
    client: FlaskClient, viewer_headers: dict[str, str], query: str
) -> None:
    response = client.get(f"/api/v1/deliveries?{query}", headers=viewer_headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body is not None and body["error"] == "invalid" and body["fields"]


def test_a_failed_delivery_can_be_retried_while_still_useful(
    client: FlaskClient, session: Session, admin_headers: dict[str, str]
) -> None:
    [row] = outbox(World(session), 1, AFTERNOON, LECTURE)
    row.status, row.error_code = "failed", "30003"
    session.commit()

    with time_machine.travel(AFTERNOON, tick=False):
        response = client.post(f"/api/v1/deliveries/{row.id}/retry", headers=admin_headers)

    assert response.status_code == 200
    assert response.json is not None and response.get_json()["status"] == "pending"
    assert session.scalars(select(AuditEntry.action)).all() == ["retry"]


@pytest.mark.parametrize("status", ["sent", "pending", "delivered", "retracted"])
def test_only_failed_or_unknown_deliveries_can_be_retried(
    client: FlaskClient, session: Session, admin_headers: dict[str, str], status: str
) -> None:
    [row] = outbox(World(session), 1, AFTERNOON, LECTURE)
    row.status = status
    session.commit()

    with time_machine.travel(AFTERNOON, tick=False):
        response = client.post(f"/api/v1/deliveries/{row.id}/retry", headers=admin_headers)

    assert response.status_code == 409
    assert response.json is not None and response.get_json()["error"] == "not_retryable"


def test_a_delivery_no_longer_useful_cannot_be_retried(
    client: FlaskClient, session: Session, admin_headers: dict[str, str]
) -> None:
    [row] = outbox(World(session), 1, AFTERNOON, LECTURE)
    row.status = "unknown"
    session.commit()

    with time_machine.travel(LECTURE, tick=False):
        response = client.post(f"/api/v1/deliveries/{row.id}/retry", headers=admin_headers)

    assert response.status_code == 409
    assert response.json is not None and "no longer useful" in response.get_json()["message"]
    session.expire_all()
    assert session.scalars(select(Delivery.status)).one() == "unknown"


def test_retry_answers_404_for_a_missing_delivery_and_403_for_a_viewer(
    client: FlaskClient, admin_headers: dict[str, str], viewer_headers: dict[str, str]
) -> None:
    assert client.post("/api/v1/deliveries/999/retry", headers=admin_headers).status_code == 404
    assert client.post("/api/v1/deliveries/999/retry", headers=viewer_headers).status_code == 403
    assert client.post("/api/v1/deliveries/0/retry", headers=admin_headers).status_code == 422


def test_preview_shows_what_would_be_sent_without_writing(
    client: FlaskClient, session: Session, viewer_headers: dict[str, str]
) -> None:
    world = World(session)
    speaker = world.person("孙丽")
    world.person("周伟")
    lecture = world.lecture(speaker=speaker)
    world.rule(lecture, 1440, "lecture_audience")
    world.rule(lecture, 7 * 1440, "lecture_speaker", recipients="speaker")
    session.commit()

    with time_machine.travel(local(2026, 12, 1, 9), tick=False):
        response = client.get("/api/v1/preview?days=7", headers=viewer_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body is not None
    # Lectures on 12-07 (2 audience + 1 speaker 7 days ahead on 11-30 is past) and the
    # speaker reminder for 12-14 due on 12-07.
    assert body["totals"]["messages"] == 3
    assert body["totals"]["by_template"] == {"lecture_audience": 2, "lecture_speaker": 1}
    assert body["totals"]["people"] == 2
    first = body["items"][0]
    assert first["to"].startswith("***") and first["segments"] >= 1
    assert first["outbox_status"] is None
    assert session.scalars(select(Delivery)).all() == []


@pytest.mark.parametrize("query", ["days=0", "days=32", "days=abc", "limit=-1"])
def test_bad_preview_queries_get_422(
    client: FlaskClient, viewer_headers: dict[str, str], query: str
) -> None:
    response = client.get(f"/api/v1/preview?{query}", headers=viewer_headers)
    assert response.status_code == 422
    assert response.json is not None and response.get_json()["error"] == "invalid"
