"""One If-Match, many writers: exactly one PATCH wins, list fields included."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

API = "/api/v1"
WRITERS = 20


def _created(client: FlaskClient, headers: dict[str, str], path: str, body: Any) -> Any:
    answer = client.post(f"{API}/{path}", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_a_change_to_department_ids_alone_moves_the_version_and_the_etag(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    office = _created(client, admin_headers, "departments", {"name": "司法所"})
    person = _created(client, admin_headers, "people", {"name": "何芳"})
    path = f"{API}/people/{person['id']}"
    answer = client.patch(
        path,
        json={"department_ids": [office["id"]]},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert answer.status_code == 200
    assert (answer.get_json()["version"], answer.headers["ETag"]) == (2, '"2"')
    entries = client.get(f"{API}/audit?resource=person", headers=admin_headers).get_json()
    update = entries["items"][0]
    assert (update["before"]["version"], update["after"]["version"]) == (1, 2)


def test_a_change_to_person_ids_alone_moves_a_schedules_version(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    person = _created(client, admin_headers, "people", {"name": "何芳"})
    schedule = _created(
        client,
        admin_headers,
        "schedules",
        {"kind": "meeting", "title": "普法工作例会", "start": "2026-12-09T09:00"},
    )
    answer = client.patch(
        f"{API}/schedules/{schedule['id']}",
        json={"person_ids": [person["id"]]},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert answer.status_code == 200 and answer.get_json()["version"] == 2


def test_of_twenty_concurrent_patches_with_one_if_match_exactly_one_succeeds(
    app: Flask, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    offices = [
        _created(client, admin_headers, "departments", {"name": f"站所{i:02d}"})["id"]
        for i in range(WRITERS)
    ]
    person = _created(client, admin_headers, "people", {"name": "何芳"})
    path = f"{API}/people/{person['id']}"
    start = threading.Barrier(WRITERS, timeout=30)

    def patch(office: int) -> int:
        writer = app.test_client()
        start.wait()
        answer = writer.patch(
            path, json={"department_ids": [office]}, headers={**admin_headers, "If-Match": '"1"'}
        )
        return answer.status_code

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        statuses = list(pool.map(patch, offices, timeout=120))
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409, 412}, statuses
    final = client.get(path, headers=admin_headers).get_json()
    assert final["version"] == 2 and len(final["department_ids"]) == 1
