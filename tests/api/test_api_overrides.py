"""One occurrence's override, reminder rules, study plans and holiday overrides."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient

API = "/api/v1"
WEEKLY = {
    "kind": "lecture",
    "title": "机关职工每周一讲",
    "start": "2026-01-05T16:00",
    "rrule": "FREQ=WEEKLY;BYDAY=MO",
    "is_for_everyone": True,
}


def _created(response: Any) -> Any:
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def lecture(client: FlaskClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    schedule: dict[str, Any] = _created(
        client.post(f"{API}/schedules", json=WEEKLY, headers=admin_headers)
    )
    return schedule


@pytest.fixture
def speaker(client: FlaskClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    person: dict[str, Any] = _created(
        client.post(f"{API}/people", json={"name": "陈律"}, headers=admin_headers)
    )
    return person


def test_one_lecture_gets_another_speaker_and_topic_and_is_restored(
    client: FlaskClient,
    admin_headers: dict[str, str],
    lecture: dict[str, Any],
    speaker: dict[str, Any],
) -> None:
    url = f"{API}/schedules/{lecture['id']}/occurrences/2026-01-12T16:00"
    change = {"speaker_id": speaker["id"], "topic": "农村常用法律知识"}
    created = client.put(url, json=change, headers=admin_headers)
    assert created.status_code == 201
    body = created.get_json()
    assert body["original_start"] == "2026-01-12T16:00:00+08:00"
    assert (body["speaker_id"], body["topic"], body["is_cancelled"]) == (
        speaker["id"],
        "农村常用法律知识",
        False,
    )
    # The same occurrence, named by its UTC instant.
    same = client.get(
        f"{API}/schedules/{lecture['id']}/occurrences/2026-01-12T08:00:00Z", headers=admin_headers
    )
    assert same.get_json()["id"] == body["id"]

    listed = client.get(f"{API}/schedules/{lecture['id']}/overrides", headers=admin_headers)
    assert [o["id"] for o in listed.get_json()["items"]] == [body["id"]]

    assert client.delete(url, headers=admin_headers).status_code == 428
    restored = client.delete(url, headers={**admin_headers, "If-Match": created.headers["ETag"]})
    assert restored.status_code == 204
    assert client.get(url, headers=admin_headers).status_code == 404


def test_replacing_an_override_needs_the_version_read(
    client: FlaskClient, admin_headers: dict[str, str], lecture: dict[str, Any]
) -> None:
    url = f"{API}/schedules/{lecture['id']}/occurrences/2026-01-19T16:00"
    client.put(url, json={"is_cancelled": True}, headers=admin_headers)
    assert client.put(url, json={"note": "改期"}, headers=admin_headers).status_code == 428
    moved = client.put(
        url,
        json={"moved_start": "2026-01-20T16:00", "note": "改期"},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert moved.status_code == 200
    assert moved.get_json()["moved_start_at"] == "2026-01-20T08:00:00Z"
    stale = client.put(url, json={}, headers={**admin_headers, "If-Match": '"1"'})
    assert stale.status_code == 412


def test_an_override_must_name_a_real_occurrence(
    client: FlaskClient, admin_headers: dict[str, str], lecture: dict[str, Any]
) -> None:
    tuesday = f"{API}/schedules/{lecture['id']}/occurrences/2026-01-13T16:00"
    response = client.put(tuesday, json={"is_cancelled": True}, headers=admin_headers)
    assert response.status_code == 422
    assert "original_start" in response.get_json()["fields"]
    unknown = client.put(
        f"{API}/schedules/{lecture['id']}/occurrences/2026-01-12T16:00",
        json={"speaker_id": 31337},
        headers=admin_headers,
    )
    assert unknown.status_code == 422
    assert unknown.get_json()["fields"] == {"speaker_id": "unknown id 31337"}


def test_an_occurrence_can_be_moved_by_a_year_at_most(
    client: FlaskClient, admin_headers: dict[str, str], lecture: dict[str, Any]
) -> None:
    url = f"{API}/schedules/{lecture['id']}/occurrences/2026-01-12T16:00"
    far = client.put(url, json={"moved_start": "2027-01-14T16:00"}, headers=admin_headers)
    assert far.status_code == 422
    assert "moved_start" in far.get_json()["fields"]
    assert client.get(url, headers=admin_headers).status_code == 404  # no override written
    near = client.put(url, json={"moved_start": "2027-01-12T16:00"}, headers=admin_headers)
    assert near.status_code == 201, near.get_json()


def test_reminder_rules_live_under_their_schedule(
    client: FlaskClient, admin_headers: dict[str, str], lecture: dict[str, Any]
) -> None:
    rules_url = f"{API}/schedules/{lecture['id']}/rules"
    rule = {"name": "主讲人一周前提醒", "lead_minutes": 7 * 1440, "template": "lecture_speaker"}
    created = _created(
        client.post(rules_url, json={**rule, "recipients": "speaker"}, headers=admin_headers)
    )
    items = client.get(rules_url, headers=admin_headers).get_json()["items"]
    # After the lecture's default rules, which it got when it was created.
    assert [i["name"] for i in items[:-1]] == [
        "讲座前一天提醒",
        "主讲人一周前提醒",
        "主讲人前一天提醒",
    ]
    assert items[-1] == created

    unknown_template = client.post(
        rules_url, json={**rule, "template": "no_such_template"}, headers=admin_headers
    )
    assert unknown_template.status_code == 422
    assert "template" in unknown_template.get_json()["fields"]

    rule_url = f"{rules_url}/{created['id']}"
    changed = client.patch(
        rule_url, json={"lead_minutes": 1440}, headers={**admin_headers, "If-Match": '"1"'}
    )
    assert changed.get_json()["lead_minutes"] == 1440
    assert (
        client.get(f"{API}/schedules/999/rules/{created['id']}", headers=admin_headers).status_code
        == 404
    )
    deleted = client.delete(rule_url, headers={**admin_headers, "If-Match": '"2"'})
    assert deleted.status_code == 204


def test_a_study_item_owns_an_all_day_deadline_for_everyone(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    plan = _created(
        client.post(
            f"{API}/study-plans",
            json={"year": 2026, "title": "2026年学法计划"},
            headers=admin_headers,
        )
    )
    again = client.post(
        f"{API}/study-plans", json={"year": 2026, "title": "重复"}, headers=admin_headers
    )
    assert again.status_code == 409

    items_url = f"{API}/study-plans/{plan['id']}/items"
    item = _created(
        client.post(
            items_url, json={"title": "民法典", "due_on": "2026-06-30"}, headers=admin_headers
        )
    )
    deadline_url = f"{API}/schedules/{item['schedule_id']}"
    deadline = client.get(deadline_url, headers=admin_headers).get_json()
    assert deadline["kind"] == "deadline"
    assert deadline["is_all_day"] and deadline["is_for_everyone"]
    assert deadline["start"] == "2026-06-30T00:00:00+08:00"
    assert deadline["title"] == "学法截止：民法典（2026）"

    # The deadline follows its item; it cannot be deleted on its own.
    moved = client.patch(
        f"{items_url}/{item['id']}",
        json={"due_on": "2026-07-31"},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert moved.status_code == 200
    assert (
        client.get(deadline_url, headers=admin_headers).get_json()["start"].startswith("2026-07-31")
    )
    refused = client.delete(deadline_url, headers={**admin_headers, "If-Match": "*"})
    assert refused.status_code == 409

    shown = client.get(f"{API}/study-plans/{plan['id']}", headers=admin_headers)
    assert [i["title"] for i in shown.get_json()["items"]] == ["民法典"]
    gone = client.delete(
        f"{API}/study-plans/{plan['id']}",
        headers={**admin_headers, "If-Match": shown.headers["ETag"]},
    )
    assert gone.status_code == 204, gone.get_json()
    assert client.get(deadline_url, headers=admin_headers).status_code == 404


def test_holiday_overrides_are_one_per_day(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    makeup = {"day": "2027-02-20", "is_workday": True, "name": "春节调休"}
    created = _created(client.post(f"{API}/holiday-overrides", json=makeup, headers=admin_headers))
    duplicate = client.post(f"{API}/holiday-overrides", json=makeup, headers=admin_headers)
    assert duplicate.status_code == 409
    assert duplicate.get_json()["fields"] == {"day": "duplicate"}
    in_2027 = client.get(
        f"{API}/holiday-overrides?from_date=2027-01-01&to_date=2027-12-31", headers=admin_headers
    )
    assert [d["id"] for d in in_2027.get_json()["items"]] == [created["id"]]


def test_the_audit_log_filters_by_actor_and_time(
    client: FlaskClient, admin_headers: dict[str, str], viewer_headers: dict[str, str]
) -> None:
    with time_machine.travel("2026-03-01T09:00:00Z", tick=False):
        client.post(f"{API}/departments", json={"name": "妇联"}, headers=admin_headers)
    with time_machine.travel("2026-03-05T09:00:00Z", tick=False):
        client.post(f"{API}/departments", json={"name": "综治办"}, headers=admin_headers)

    def names(query: str) -> list[str]:
        response = client.get(f"{API}/audit?{query}", headers=viewer_headers)
        assert response.status_code == 200, response.get_json()
        return [e["after"]["name"] for e in response.get_json()["items"]]

    assert names("resource=department") == ["综治办", "妇联"]
    assert names("since=2026-03-02T00:00:00Z") == ["综治办"]
    assert names("until=2026-03-02T00:00:00Z") == ["妇联"]
    assert names("actor=test%20admin&resource=department") == ["综治办", "妇联"]
    assert names("actor=someone%20else") == []
    backwards = client.get(
        f"{API}/audit?since=2026-03-05T00:00:00Z&until=2026-03-01T00:00:00Z", headers=viewer_headers
    )
    assert backwards.status_code == 422
