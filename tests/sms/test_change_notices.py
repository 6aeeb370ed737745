"""变更通知: people already reminded of an occurrence hear of its change, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, time

import pytest
import time_machine
from flask.testing import FlaskClient

from service.context import Pufa
from service.settings import QuietHours
from service.sms.outbox import hold_for_quiet_hours
from service.sms.planner import plan_deliveries
from tests.support.sms_world import SHANGHAI, change_notices, local, reminded_of_a_lecture

API = "/api/v1"
NOW = local(2026, 12, 6, 22, 40)  # Sunday night, in quiet hours; the lecture is Monday 16:00
OCCURRENCE = "occurrences/2026-12-07T16:00"


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reminded(pufa_state: Pufa, frozen: None) -> dict[str, int]:
    """周伟 was reminded (sent); 郑洁's reminder is still pending."""
    with pufa_state.db.transaction() as session:
        return reminded_of_a_lecture(session, NOW)


def test_cancelling_sends_one_urgent_notice_to_each_person_already_reminded(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    url = f"{API}/schedules/{reminded['lecture']}/{OCCURRENCE}"
    change = {"is_cancelled": True, "note": "停电"}
    assert client.put(url, json=change, headers=admin_headers).status_code == 201

    [notice] = change_notices(pufa_state)
    assert (notice.person_id, notice.status) == (reminded["zhou"], "pending")
    assert notice.body == (
        "【蟒河镇普法】变更通知：原定12月7日（周一）16:00的机关职工每周一讲取消。说明：停电。"
    )
    # Urgent: quiet hours do not hold it.
    quiet = QuietHours(time(21, 30), time(7, 30))
    with pufa_state.db.transaction() as session:
        hold_for_quiet_hours(session, NOW.astimezone(UTC), quiet, SHANGHAI)
    assert change_notices(pufa_state)[0].next_attempt_at is None


def test_the_same_change_saved_again_is_no_second_notice(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    url = f"{API}/schedules/{reminded['lecture']}/{OCCURRENCE}"
    moved = {"moved_start": "2026-12-07T18:00"}
    assert client.put(url, json=moved, headers=admin_headers).status_code == 201
    etag = client.get(url, headers=admin_headers).headers["ETag"]
    again = {**moved, "note": "会议室冲突"}
    client.put(url, json=again, headers={**admin_headers, "If-Match": etag})

    [notice] = change_notices(pufa_state)
    assert "改至12月7日（周一）18:00" in notice.body


def test_a_new_speaker_is_news_and_a_schedule_can_switch_notices_off(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    path = f"{API}/schedules/{reminded['lecture']}"
    etag = client.get(path, headers=admin_headers).headers["ETag"]
    off = client.patch(
        path, json={"change_notices": False}, headers={**admin_headers, "If-Match": etag}
    )
    assert off.status_code == 200 and off.get_json()["change_notices"] is False
    url = f"{path}/{OCCURRENCE}"
    change = {"speaker_id": reminded["zheng"]}
    assert client.put(url, json=change, headers=admin_headers).status_code == 201
    assert change_notices(pufa_state) == []


def test_lectures_and_meetings_have_notices_on_by_default(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    kinds = {}
    for kind in ("lecture", "meeting", "campaign"):
        body = {"kind": kind, "title": "普法", "start": "2027-01-04T16:00"}
        answer = client.post(f"{API}/schedules", json=body, headers=admin_headers)
        kinds[kind] = answer.get_json()["change_notices"]
    assert kinds == {"lecture": True, "meeting": True, "campaign": False}


def test_the_plan_tick_leaves_a_notice_alone(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    url = f"{API}/schedules/{reminded['lecture']}/{OCCURRENCE}"
    client.put(url, json={"moved_start": "2026-12-07T18:00"}, headers=admin_headers)
    with pufa_state.db.transaction() as session:
        plan_deliveries(session, NOW.astimezone(UTC))
    assert [n.status for n in change_notices(pufa_state)] == ["pending"]


def test_a_rota_change_of_speaker_is_news_to_those_already_reminded(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    url = f"{API}/schedules/{reminded['lecture']}/rota/weeks/2026-12-07T16:00:00+08:00"
    answer = client.put(url, json={"speaker_id": reminded["zheng"]}, headers=admin_headers)
    assert answer.status_code == 200, answer.get_json()
    [notice] = change_notices(pufa_state)
    assert notice.person_id == reminded["zhou"]
    assert "主讲人改为郑洁" in notice.body
