"""Schedules through the API: validation, filters and optimistic concurrency."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import AuditEntry, Schedule
from service.seed import load_demo_file, seed

API = "/api/v1"
LECTURE = {
    "kind": "lecture",
    "title": "机关职工每周一讲",
    "location": "镇政府三楼会议室",
    "start": "2026-01-05T16:00",
    "duration_minutes": 60,
    "rrule": "FREQ=WEEKLY;BYDAY=MO",
    "holiday_policy": "next_workday",
    "is_for_everyone": True,
    "topic": "宪法",
}


@pytest.fixture
def demo(session: Session) -> None:
    seed(session, load_demo_file())
    session.commit()


def _post(client: FlaskClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    response = client.post(f"{API}/schedules", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response


def test_a_schedule_is_created_in_its_timezone_with_an_etag(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = _post(client, admin_headers, LECTURE)
    body = response.get_json()
    assert body["start"] == "2026-01-05T16:00:00+08:00"
    assert body["starts_at"] == "2026-01-05T08:00:00Z"
    assert body["timezone"] == "Asia/Shanghai"
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"{API}/schedules/{body['id']}"
    fetched = client.get(response.headers["Location"], headers=admin_headers)
    assert fetched.get_json() == body
    assert fetched.headers["ETag"] == '"1"'


def test_an_all_day_campaign_takes_an_end_day_instead_of_a_duration(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    week = {
        "kind": "campaign",
        "title": "宪法宣传周",
        "start": "2026-12-01",
        "end": "2026-12-07",
        "is_all_day": True,
        "rrule": "FREQ=YEARLY",
    }
    body = _post(client, admin_headers, week).get_json()
    assert (body["is_all_day"], body["duration_days"]) == (True, 7)
    assert body["start"] == "2026-12-01T00:00:00+08:00"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rrule": "FREQ=FORTNIGHTLY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "rrule"),
        ({"rrule": "FREQ=SECONDLY"}, "rrule"),
        ({"rrule": "DTSTART:20260101T000000\nRRULE:FREQ=DAILY"}, "rrule"),
        ({"timezone": "Asia/Beijing"}, "timezone"),
        ({"end": "2026-01-05T15:00"}, "end"),
        ({"speaker_id": 9999}, "speaker_id"),
        ({"department_ids": [9999]}, "department_ids"),
        ({"person_ids": [1, 9999]}, "person_ids"),
        ({"kind": "party"}, "kind"),
        ({"title": ""}, "title"),
        ({"title": "\x00"}, "title"),
        ({"start": "3026-01-05T16:00"}, "start"),
        # RFC 5545 leaves a set undefined whose DTSTART the rule does not produce.
        ({"start": "2026-01-06T16:00"}, "start"),
        ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=MO;UNTIL=20251231T000000Z"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=MO;COUNT=3;UNTIL=20261231T000000Z"}, "rrule"),
    ],
)
def test_semantically_wrong_schedules_are_422s_naming_the_field(
    client: FlaskClient, admin_headers: dict[str, str], change: dict[str, Any], field: str
) -> None:
    response = client.post(f"{API}/schedules", json={**LECTURE, **change}, headers=admin_headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid"
    assert field in body["fields"], body


def test_a_start_the_rule_does_not_produce_is_refused_with_the_first_one_it_does(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    tuesday = {**LECTURE, "start": "2026-01-06T16:00"}
    body = client.post(f"{API}/schedules", json=tuesday, headers=admin_headers).get_json()
    assert body["fields"]["start"] == (
        "开始时间 2026-01-06 16:00 不是重复规则中的一次；之后的第一次是 2026-01-12 16:00"
    )


def test_a_schedule_saved_before_starts_had_to_be_occurrences_can_still_be_edited(
    client: FlaskClient, admin_headers: dict[str, str], session: Session
) -> None:
    legacy = Schedule(
        kind="lecture",
        title="旧日程",
        timezone="Asia/Shanghai",
        starts_at=datetime(2026, 1, 6, 8, tzinfo=UTC),  # a Tuesday, 16:00 in Shanghai
        rrule="FREQ=WEEKLY;BYDAY=MO",
        is_for_everyone=True,
    )
    session.add(legacy)
    session.commit()
    url = f"{API}/schedules/{legacy.id}"
    renamed = client.patch(
        url, json={"title": "新名字"}, headers={**admin_headers, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.get_json()
    assert renamed.get_json()["start"] == "2026-01-06T16:00:00+08:00"
    # Moving the start is checked: another Tuesday is refused.
    moved = client.patch(
        url, json={"start": "2026-01-13T16:00"}, headers={**admin_headers, "If-Match": '"2"'}
    )
    assert moved.status_code == 422
    assert "start" in moved.get_json()["fields"]


def test_a_rejected_schedule_leaves_nothing_behind(
    client: FlaskClient, admin_headers: dict[str, str], session: Session
) -> None:
    bad = {**LECTURE, "person_ids": [424242]}
    assert client.post(f"{API}/schedules", json=bad, headers=admin_headers).status_code == 422
    assert session.scalar(select(func.count()).select_from(Schedule)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_changing_a_schedule_needs_if_match(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    url = _post(client, admin_headers, LECTURE).headers["Location"]
    response = client.patch(url, json={"topic": "民法典"}, headers=admin_headers)
    assert response.status_code == 428
    assert response.get_json()["error"] == "precondition_required"
    assert client.delete(url, headers=admin_headers).status_code == 428


def test_two_admins_editing_the_same_schedule_never_overwrite_each_other(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    created = _post(client, admin_headers, LECTURE)
    url, etag = created.headers["Location"], created.headers["ETag"]

    first = client.patch(url, json={"topic": "民法典"}, headers={**admin_headers, "If-Match": etag})
    assert first.status_code == 200
    assert first.headers["ETag"] == '"2"'

    second = client.patch(
        url, json={"location": "二楼"}, headers={**admin_headers, "If-Match": etag}
    )
    assert second.status_code == 412
    assert second.get_json()["error"] == "precondition_failed"
    current = client.get(url, headers=admin_headers).get_json()
    assert (current["topic"], current["location"], current["version"]) == (
        "民法典",
        "镇政府三楼会议室",
        2,
    )

    retried = client.patch(
        url, json={"location": "二楼"}, headers={**admin_headers, "If-Match": '"2"'}
    )
    assert retried.status_code == 200
    assert retried.get_json()["topic"] == "民法典"


def test_the_version_column_stops_a_change_that_lands_after_the_check(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Any
) -> None:
    """Another process commits between the If-Match comparison and the UPDATE."""
    from service.domain import schedules as admin
    from service.domain.common import committed
    from service.errors import Conflict

    schedule_id = _post(client, admin_headers, LECTURE).get_json()["id"]
    with pufa_state.db.sessions() as first, pufa_state.db.sessions() as second:
        mine = first.get(Schedule, schedule_id)
        assert mine is not None
        first.commit()  # keeps what it read; SQLite lets one writer in at a time
        theirs = second.get(Schedule, schedule_id)
        assert theirs is not None
        with committed(second):
            admin.update_schedule(second, "其他管理员", theirs, {"topic": "禁毒法"}, 1)
        with pytest.raises(Conflict, match="at the same time"), committed(first):
            admin.update_schedule(first, "我", mine, {"topic": "行政处罚法"}, 1)
    final = client.get(f"{API}/schedules/{schedule_id}", headers=admin_headers).get_json()
    assert final["topic"] == "禁毒法"


def test_a_stale_delete_is_refused(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    created = _post(client, admin_headers, LECTURE)
    url = created.headers["Location"]
    client.patch(url, json={"topic": "民法典"}, headers={**admin_headers, "If-Match": '"1"'})
    assert client.delete(url, headers={**admin_headers, "If-Match": '"1"'}).status_code == 412
    assert client.delete(url, headers={**admin_headers, "If-Match": '"2"'}).status_code == 204
    assert client.get(url, headers=admin_headers).status_code == 404


def test_patching_the_start_revalidates_the_rrule_and_timezone(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    url = _post(client, admin_headers, LECTURE).headers["Location"]
    headers = {**admin_headers, "If-Match": '"1"'}
    moved = client.patch(url, json={"timezone": "Europe/Berlin"}, headers=headers)
    assert moved.status_code == 200
    assert moved.get_json()["start"] == "2026-01-05T16:00:00+01:00"
    bad = client.patch(
        url, json={"rrule": "FREQ=MINUTELY"}, headers={**admin_headers, "If-Match": '"2"'}
    )
    assert bad.status_code == 422
    assert client.get(url, headers=admin_headers).get_json()["rrule"] == "FREQ=WEEKLY;BYDAY=MO"


@pytest.mark.usefixtures("demo")
def test_schedules_are_filtered_by_kind_department_person_text_and_dates(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    def titles(query: str) -> list[str]:
        response = client.get(f"{API}/schedules?per_page=100&{query}", headers=admin_headers)
        assert response.status_code == 200, response.get_json()
        return [s["title"] for s in response.get_json()["items"]]

    people = client.get(f"{API}/people?q=何芳", headers=admin_headers).get_json()["items"]
    departments = client.get(f"{API}/departments?q=妇联", headers=admin_headers).get_json()

    assert titles("kind=lecture") == ["机关职工每周一讲"]
    for_women = titles(f"department_id={departments['items'][0]['id']}")
    assert "3·8 妇女节普法宣传" in for_women
    assert "4·15 全民国家安全教育日宣传" not in for_women
    he_fang = titles(f"person_id={people[0]['id']}")
    assert "3·8 妇女节普法宣传" in he_fang and "机关职工每周一讲" in he_fang
    assert "4·15 全民国家安全教育日宣传" not in he_fang
    assert titles("q=禁毒") == [t for t in titles("") if "禁毒" in t] != []
    in_april = titles("kind=campaign&from_date=2027-04-01&to_date=2027-04-30")
    assert in_april == ["4·15 全民国家安全教育日宣传"]
    assert titles("kind=lecture&to_date=2025-12-31") == []


@pytest.mark.usefixtures("demo")
def test_a_listed_schedule_reads_the_same_as_the_schedule_alone(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    departments = client.get(f"{API}/departments", headers=admin_headers).get_json()["items"]
    people = client.get(f"{API}/people", headers=admin_headers).get_json()["items"]
    department_ids = [d["id"] for d in departments[:3]][::-1]
    person_ids = [p["id"] for p in people[:2]][::-1]
    assert len(department_ids) == 3 and len(person_ids) == 2
    body = {**LECTURE, "is_for_everyone": False, "title": "专题讲座"}
    body |= {"department_ids": department_ids, "person_ids": person_ids}
    alone = _post(client, admin_headers, body).get_json()
    listed = client.get(f"{API}/schedules?q=专题讲座", headers=admin_headers).get_json()

    assert listed["items"] == [alone]
    assert alone["department_ids"] == sorted(department_ids)
    assert alone["person_ids"] == sorted(person_ids)
    for_everyone = client.get(f"{API}/schedules?q=每周一讲", headers=admin_headers).get_json()
    assert [s["department_ids"] for s in for_everyone["items"]] == [[]]


def test_a_date_range_that_ends_before_it_starts_is_a_422(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = client.get(
        f"{API}/schedules?from_date=2026-05-01&to_date=2026-04-01", headers=admin_headers
    )
    assert response.status_code == 422
    assert "to_date" in response.get_json()["fields"]


def test_every_change_is_in_the_audit_log_in_the_same_transaction(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    created = _post(client, admin_headers, LECTURE).get_json()
    url = f"{API}/schedules/{created['id']}"
    client.patch(url, json={"topic": "民法典"}, headers={**admin_headers, "If-Match": '"1"'})
    client.delete(url, headers={**admin_headers, "If-Match": '"2"'})
    log = client.get(
        f"{API}/audit?resource=schedule&resource_id={created['id']}", headers=admin_headers
    ).get_json()
    assert [e["action"] for e in log["items"]] == ["delete", "update", "create"]
    delete, update, create = log["items"]
    assert create["before"] is None and create["after"]["title"] == "机关职工每周一讲"
    assert (update["before"]["topic"], update["after"]["topic"]) == ("宪法", "民法典")
    assert delete["after"] is None and delete["before"]["version"] == 2
    assert {e["actor"] for e in log["items"]} == {"test admin"}
