"""Attendance through the API: the roll call, totals, and what is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import AuditEntry, OccurrenceOverride, Schedule
from tests.support.records import LECTURE_PATH
from tests.support.workflows import lecture, local, person, seed_demo


@pytest.fixture
def demo(pufa_state: Pufa) -> Iterator[int]:
    """The demo township on the evening of Monday 2 March 2026, after the lecture."""
    seed_demo(pufa_state)
    with pufa_state.db.sessions() as session:
        schedule_id = lecture(session).id
    with time_machine.travel(local(2026, 3, 2, 18, 0), tick=False):
        yield schedule_id


def url(schedule_id: int, start: str = LECTURE_PATH) -> str:
    return f"/api/v1/schedules/{schedule_id}/occurrences/{start}/attendance"


def person_id(state: Pufa, name: str) -> int:
    with state.db.sessions() as session:
        return person(session, name).id


def test_the_roll_call_lists_the_audience_and_counts_each_status(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: int
) -> None:
    for name, status in (("孙丽", "present"), ("周伟", "leave"), ("马超", "absent")):
        body = {"person_id": person_id(pufa_state, name), "status": status, "note": ""}
        response = client.post(url(demo), json=body, headers=admin_headers)
        assert response.status_code == 200, response.get_json()
    got = client.get(url(demo), headers=admin_headers).get_json()
    assert got["totals"] == {
        "expected": 20, "present": 1, "leave": 1, "absent": 1, "unrecorded": 17, "rate": 0.05,
    }  # fmt: skip
    by_name = {item["name"]: item for item in got["items"]}
    assert by_name["孙丽"]["status"] == "present"
    assert by_name["孙丽"]["source"] == "roll_call"
    assert by_name["王建国"]["status"] is None


def test_changing_a_status_keeps_one_record_and_audits_both_writes(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: int
) -> None:
    pid = person_id(pufa_state, "孙丽")
    for status in ("absent", "present"):
        body = {"person_id": pid, "status": status}
        assert client.post(url(demo), json=body, headers=admin_headers).status_code == 200
    got = client.get(url(demo), headers=admin_headers).get_json()
    assert got["totals"]["present"] == 1 and got["totals"]["absent"] == 0
    with pufa_state.db.sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.resource == "attendance").order_by(AuditEntry.id)
        ).all()
    assert [e.action for e in entries] == ["create", "update"]
    before, after = entries[1].before, entries[1].after
    assert before is not None and after is not None
    assert before["status"] == "absent" and after["status"] == "present"


def test_attendance_for_a_future_occurrence_is_refused_with_409(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: int
) -> None:
    body = {"person_id": person_id(pufa_state, "孙丽"), "status": "present"}
    response = client.post(url(demo, "2026-03-09T16:00"), json=body, headers=admin_headers)
    assert response.status_code == 409
    assert response.get_json()["error"] == "occurrence_in_future"
    assert "还没有开始" in response.get_json()["message"]


def test_attendance_for_a_cancelled_occurrence_is_refused_with_409_and_nothing_written(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: int
) -> None:
    with pufa_state.db.transaction() as session:
        override = session.scalars(
            select(OccurrenceOverride).where(
                OccurrenceOverride.original_start_at == local(2026, 2, 23, 16, 0)
            )
        ).first()
        if override is None:
            override = OccurrenceOverride(
                schedule_id=demo, original_start_at=local(2026, 2, 23, 16, 0)
            )
            session.add(override)
        override.is_cancelled, override.moved_start_at = True, None
    body = {"person_id": person_id(pufa_state, "孙丽"), "status": "present"}
    response = client.post(url(demo, "2026-02-23T16:00"), json=body, headers=admin_headers)
    assert response.status_code == 409
    assert "已取消" in response.get_json()["message"]
    with pufa_state.db.sessions() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.resource == "attendance")) is None


def test_someone_outside_the_audience_and_a_bad_status_get_422(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: int
) -> None:
    with pufa_state.db.sessions() as session:
        women_day = session.scalars(
            select(Schedule).where(Schedule.kind == "campaign", Schedule.title.contains("妇女"))
        ).one()
        campaign_url = url(women_day.id, "2026-03-08T00:00")
    outsider = person_id(pufa_state, "孙丽")  # 党政办: not among the campaign's departments
    with time_machine.travel(local(2026, 3, 20, 9, 0), tick=False):
        response = client.post(
            campaign_url, json={"person_id": outsider, "status": "present"}, headers=admin_headers
        )
    assert response.status_code == 422
    assert response.get_json()["message"] == "孙丽不在这次活动的参加范围内。"
    bad = client.post(url(demo), json={"person_id": outsider, "status": "maybe"},
                      headers=admin_headers)  # fmt: skip
    assert bad.status_code == 422
    assert "status" in bad.get_json()["fields"]


def test_a_time_that_is_no_occurrence_is_422_in_chinese(
    client: FlaskClient, admin_headers: dict[str, str], demo: int
) -> None:
    response = client.get(url(demo, "2026-03-03T16:00"), headers=admin_headers)
    assert response.status_code == 422
    assert "不是这个日程的一次活动" in response.get_json()["message"]
    assert client.get(url(999, "2026-03-03T16:00"), headers=admin_headers).status_code == 404
