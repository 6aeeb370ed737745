"""Every change reaches the outbox in its own request: no clock runs in these tests.

Each test plans once (as the clock's tick would), edits through the API or the console,
and reads the outbox straight after.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import AuditEntry, Delivery, Person, Schedule
from service.sms import desired
from service.sms.outbox import claim
from service.sms.planner import plan_deliveries
from tests.support.sms_world import World, local
from tests.support.web import post_form, sign_in

API = "/api/v1"
NOW = local(2026, 12, 7, 9)  # a Monday; the lecture is at 16:00


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def town(pufa_state: Pufa, frozen: None) -> dict[str, int]:
    with pufa_state.db.transaction() as session:
        world = World(session)
        zhou, li = world.person("周伟"), world.person("李强")
        lecture = world.lecture(speaker=li)
        world.rule(lecture, 60, "lecture_audience")
        plan_deliveries(session, NOW.astimezone(UTC))
        return {"zhou": zhou.id, "li": li.id, "lecture": lecture.id}


def rows(state: Pufa, person_id: int | None = None) -> list[Delivery]:
    with state.db.sessions() as session:
        query = select(Delivery).order_by(Delivery.id)
        if person_id is not None:
            query = query.where(Delivery.person_id == person_id)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def version(client: FlaskClient, headers: dict[str, str], path: str) -> dict[str, str]:
    etag = client.get(f"{API}/{path}", headers=headers).headers["ETag"]
    return {**headers, "If-Match": etag}


def test_turning_sms_off_through_the_api_withdraws_the_pending_message_at_once(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, town: dict[str, int]
) -> None:
    [before] = rows(pufa_state, town["zhou"])
    assert before.status == "pending"
    path = f"people/{town['zhou']}"
    answer = client.patch(
        f"{API}/{path}",
        json={"is_sms_enabled": False},
        headers=version(client, admin_headers, path),
    )
    assert answer.status_code == 200
    [after] = rows(pufa_state, town["zhou"])
    assert (after.status, after.reason) == ("retracted", "收件人已关闭短信提醒")
    assert [r.status for r in rows(pufa_state, town["li"])] == ["pending"]


def test_turning_sms_on_again_brings_the_message_back_at_once(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, town: dict[str, int]
) -> None:
    path = f"people/{town['zhou']}"
    for enabled in (False, True):
        client.patch(
            f"{API}/{path}",
            json={"is_sms_enabled": enabled},
            headers=version(client, admin_headers, path),
        )
    assert [r.status for r in rows(pufa_state, town["zhou"])] == ["pending"]


def test_cancelling_an_occurrence_through_the_api_retracts_its_messages_with_the_reason(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, town: dict[str, int]
) -> None:
    url = f"{API}/schedules/{town['lecture']}/occurrences/2026-12-07T16:00"
    answer = client.put(url, json={"is_cancelled": True, "note": "改期"}, headers=admin_headers)
    assert answer.status_code == 201
    statuses = {(r.status, r.reason.split(":")[0]) for r in rows(pufa_state)}
    assert statuses == {("retracted", "occurrence cancelled")}


def test_moving_an_occurrence_re_times_its_messages(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, town: dict[str, int]
) -> None:
    url = f"{API}/schedules/{town['lecture']}/occurrences/2026-12-07T16:00"
    moved = {"moved_start": "2026-12-07T17:30"}
    assert client.put(url, json=moved, headers=admin_headers).status_code == 201
    due = {r.due_at for r in rows(pufa_state) if r.status == "pending"}
    assert due == {local(2026, 12, 7, 16, 30).astimezone(UTC)}


def test_a_new_person_added_through_the_api_gets_the_lecture_reminder_at_once(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, town: dict[str, int]
) -> None:
    created = client.post(
        f"{API}/people", json={"name": "何芳", "mobile": "+8613900008000"}, headers=admin_headers
    )
    assert created.status_code == 201
    [row] = rows(pufa_state, created.get_json()["id"])
    assert row.status == "pending" and "机关职工每周一讲" in row.body


def test_turning_sms_off_in_the_console_withdraws_the_pending_message_at_once(
    client: FlaskClient, pufa_state: Pufa, town: dict[str, int]
) -> None:
    sign_in(client, pufa_state)
    page = f"/admin/people/{town['zhou']}"
    with pufa_state.db.sessions() as session:
        person = session.get(Person, town["zhou"])
        assert person is not None
        form = {"name": person.name, "mobile": person.mobile, "role": "staff", "is_active": "1"}
        form["version"] = str(person.version)
    answer = post_form(client, page, page, form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    [after] = rows(pufa_state, town["zhou"])
    assert (after.status, after.reason) == ("retracted", "收件人已关闭短信提醒")


def test_a_re_plan_that_fails_rolls_the_whole_request_back(
    client: FlaskClient,
    admin_headers: dict[str, str],
    pufa_state: Pufa,
    town: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("template store unavailable")

    monkeypatch.setattr(desired.PlanRun, "_schedule", broken)
    path = f"schedules/{town['lecture']}"
    headers = version(client, admin_headers, path)
    answer = client.patch(f"{API}/{path}", json={"title": "新标题"}, headers=headers)
    assert answer.status_code == 500
    with pufa_state.db.sessions() as session:
        lecture = session.get(Schedule, town["lecture"])
        assert lecture is not None and lecture.title == "机关职工每周一讲"
        assert session.scalars(select(AuditEntry)).all() == []
    assert {r.status for r in rows(pufa_state)} == {"pending"}


def test_bad_input_is_still_a_4xx_and_writes_nothing(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, town: dict[str, int]
) -> None:
    path = f"people/{town['zhou']}"
    answer = client.patch(
        f"{API}/{path}", json={"mobile": "12345"}, headers=version(client, admin_headers, path)
    )
    assert answer.status_code == 422
    assert {r.status for r in rows(pufa_state)} == {"pending"}


def test_a_row_whose_person_stopped_qualifying_after_the_plan_is_retracted_not_sent(
    pufa_state: Pufa, town: dict[str, int]
) -> None:
    # A change that bypassed the domain (a direct write) leaves the row pending.
    with pufa_state.db.transaction() as session:
        person = session.get(Person, town["zhou"])
        assert person is not None
        person.is_active = False
    due = local(2026, 12, 7, 15, 1).astimezone(UTC)
    with pufa_state.db.transaction() as session:
        claimed = claim(session, due, 10, skip_locked=False)
    assert [c.to for c in claimed] == [p.to for p in rows(pufa_state, town["li"])]
    [stopped] = rows(pufa_state, town["zhou"])
    assert (stopped.status, stopped.reason) == ("retracted", "发送前复核：收件人已停用")


def test_a_row_whose_occurrence_was_cancelled_after_the_plan_is_retracted_not_sent(
    pufa_state: Pufa, town: dict[str, int]
) -> None:
    with pufa_state.db.transaction() as session:
        World(session).override(
            session.get_one(Schedule, town["lecture"]), local(2026, 12, 7, 16), is_cancelled=True
        )
    due = local(2026, 12, 7, 15, 1).astimezone(UTC)
    with pufa_state.db.transaction() as session:
        assert claim(session, due, 10, skip_locked=False) == []
    assert {r.reason for r in rows(pufa_state)} == {"发送前复核：该场次已取消"}
