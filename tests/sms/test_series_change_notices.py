"""变更通知 for an edit of the whole series: a PATCH of the schedule (API and console) or
its deletion tells those already reminded of an upcoming occurrence what changed for it,
as a change of that one occurrence would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select, update

from service.context import Pufa
from service.models import Delivery, Schedule
from service.sms.planner import plan_deliveries
from tests.support.sms_world import World, change_notices, local, reminded_of_a_lecture
from tests.support.web import post_form, sign_in

API = "/api/v1"
NOW = local(2026, 12, 6, 22, 40)  # Sunday night; the lecture is Monday 16:00
NOTICE = (
    "【蟒河镇普法】变更通知：原定12月7日（周一）{old}的机关职工每周一讲改至12月7日（周一）{new}。"
)
MOVED = NOTICE.format(old="16:00", new="18:00")


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reminded(pufa_state: Pufa, frozen: None) -> dict[str, int]:
    """周伟 was reminded of Monday's lecture (sent); 郑洁's reminder is still pending."""
    with pufa_state.db.transaction() as session:
        return reminded_of_a_lecture(session, NOW)


def patch(client: FlaskClient, headers: dict[str, str], schedule_id: int, body: object) -> int:
    path = f"{API}/schedules/{schedule_id}"
    etag = client.get(path, headers=headers).headers["ETag"]
    answer = client.patch(path, json=body, headers={**headers, "If-Match": etag})
    assert answer.status_code == 200, answer.get_json()
    return answer.status_code


def test_moving_the_series_tells_each_person_reminded_of_the_next_lecture_its_new_time(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    patch(client, admin_headers, reminded["lecture"], {"start": "2026-11-02T18:00"})

    [notice] = change_notices(pufa_state)
    assert (notice.person_id, notice.status, notice.body) == (reminded["zhou"], "pending", MOVED)
    assert notice.due_at == NOW.astimezone(UTC)
    assert notice.useful_until == local(2026, 12, 7, 18).astimezone(UTC)


def test_after_a_series_move_the_outbox_is_as_after_moving_that_one_lecture(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    """The lecture's rows follow it to its new original start: 周伟 is not reminded a
    second time (he gets the notice), 郑洁's pending reminder is re-timed."""
    patch(client, admin_headers, reminded["lecture"], {"start": "2026-11-02T18:00"})

    with pufa_state.db.sessions() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.person_id, Delivery.id))
        outbox = [
            (d.person_id, d.rule_id is None, d.status, d.original_start_at, d.body.split("，")[0])
            for d in rows
        ]
    monday = local(2026, 12, 7, 18).astimezone(UTC)
    assert outbox == [
        (reminded["zhou"], False, "sent", monday, "【蟒河镇普法】12月7日（周一）16:00"),
        (reminded["zhou"], True, "pending", monday, MOVED),
        (reminded["zheng"], False, "pending", monday, "【蟒河镇普法】12月7日（周一）18:00"),
    ]


def test_the_same_patch_sent_twice_is_one_notice(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    for _ in range(2):
        patch(client, admin_headers, reminded["lecture"], {"start": "2026-11-02T18:00"})
    assert [n.body for n in change_notices(pufa_state)] == [MOVED]


def test_moving_it_back_is_news_again(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    patch(client, admin_headers, reminded["lecture"], {"start": "2026-11-02T18:00"})
    patch(client, admin_headers, reminded["lecture"], {"start": "2026-11-02T16:00"})
    bodies = [n.body for n in change_notices(pufa_state)]
    assert bodies == [MOVED, NOTICE.format(old="18:00", new="16:00")]


def test_an_exdate_on_the_reminded_lecture_cancels_it_and_one_far_ahead_tells_nobody(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    patch(client, admin_headers, reminded["lecture"], {"exdates": ["2027-03-01T16:00"]})
    assert change_notices(pufa_state) == []

    patch(client, admin_headers, reminded["lecture"], {"exdates": ["2026-12-07T16:00"]})
    [notice] = change_notices(pufa_state)
    assert notice.body.endswith("16:00的机关职工每周一讲取消。")


def test_a_new_default_speaker_is_news_to_those_reminded(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    patch(client, admin_headers, reminded["lecture"], {"speaker_id": reminded["zheng"]})
    [notice] = change_notices(pufa_state)
    assert notice.person_id == reminded["zhou"]
    assert "主讲人改为郑洁" in notice.body


def test_a_title_or_place_change_is_no_notice(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    patch(client, admin_headers, reminded["lecture"], {"title": "每周一讲", "location": "二楼"})
    assert change_notices(pufa_state) == []


def test_with_notices_switched_off_a_move_tells_nobody(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    body = {"start": "2026-11-02T18:00", "change_notices": False}
    patch(client, admin_headers, reminded["lecture"], body)
    assert change_notices(pufa_state) == []
    # Instead the plan reminds 周伟 again, with the new time.
    with pufa_state.db.sessions() as session:
        query = select(Delivery.body).where(
            Delivery.person_id == reminded["zhou"], Delivery.status == "pending"
        )
        assert [body.split("，")[0] for body in session.scalars(query)] == [
            "【蟒河镇普法】12月7日（周一）18:00"
        ]


def test_a_holiday_policy_that_now_skips_the_day_cancels_it(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    holiday = {"day": "2026-12-07", "is_workday": False, "name": "停工检修"}
    added = client.post(f"{API}/holiday-overrides", json=holiday, headers=admin_headers)
    assert added.status_code == 201
    patch(client, admin_headers, reminded["lecture"], {"holiday_policy": "next_workday"})
    [notice] = change_notices(pufa_state)
    assert "改至12月8日（周二）16:00" in notice.body


def test_deleting_the_schedule_cancels_the_reminded_lecture_and_the_notice_stays(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    path = f"{API}/schedules/{reminded['lecture']}"
    etag = client.get(path, headers=admin_headers).headers["ETag"]
    assert client.delete(path, headers={**admin_headers, "If-Match": etag}).status_code == 204

    [notice] = change_notices(pufa_state)
    assert (notice.person_id, notice.schedule_id, notice.status) == (
        reminded["zhou"],
        None,
        "pending",
    )
    assert notice.body.endswith("原定12月7日（周一）16:00的机关职工每周一讲取消。")
    listing = client.get(f"{API}/deliveries?person_id={reminded['zhou']}", headers=admin_headers)
    assert [d["schedule_id"] for d in listing.get_json()["items"]] == [None]


def test_moving_the_series_in_the_console_sends_the_same_notice(
    client: FlaskClient, pufa_state: Pufa, reminded: dict[str, int]
) -> None:
    sign_in(client, pufa_state)
    page = f"/admin/schedules/{reminded['lecture']}"
    with pufa_state.db.sessions() as session:
        version = session.get_one(Schedule, reminded["lecture"]).version
    form = {
        "version": str(version),
        "title": "机关职工每周一讲",
        "kind": "lecture",
        "start_date": "2026-11-02",
        "start_time": "18:00",
        "duration_minutes": "60",
        "duration_days": "1",
        "repeat": "weekly",
        "repeat_weekday": "MO",
        "repeat_interval": "1",
        "holiday_policy": "keep",
        "is_for_everyone": "1",
        "location": "镇政府三楼会议室",
        "topic": "宪法",
        "change_notices": "1",
    }
    answer = post_form(client, page, page, form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert [n.body for n in change_notices(pufa_state)] == [MOVED]
    answer = post_form(client, page, page, {**form, "version": str(version + 1)})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert len(change_notices(pufa_state)) == 1


def test_a_study_deadline_moved_tells_those_reminded_only_where_notices_are_switched_on(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, frozen: None
) -> None:
    with pufa_state.db.transaction() as session:
        world = World(session)
        zhou = world.person("周伟")
        item = world.study_item("民法典", date(2026, 12, 7))
        world.rule(item.schedule, 1440, "study_deadline", recipients="unconfirmed")
        plan_deliveries(session, NOW.astimezone(UTC))
        session.execute(update(Delivery).values(status="sent"))
        path = f"{API}/study-plans/{item.plan_id}/items/{item.id}"
        deadline = item.schedule_id

    def move_to(day: str) -> None:
        etag = client.get(path, headers=admin_headers).headers["ETag"]
        answer = client.patch(
            path, json={"due_on": day}, headers={**admin_headers, "If-Match": etag}
        )
        assert answer.status_code == 200, answer.get_json()

    move_to("2026-12-09")  # a deadline's notices are off by default
    assert change_notices(pufa_state) == []
    with pufa_state.db.transaction() as session:  # reminded afresh of the 9th
        session.execute(update(Delivery).values(status="sent"))
    patch(client, admin_headers, deadline, {"change_notices": True})
    move_to("2026-12-10")  # the item's edit keeps the switch

    [notice] = change_notices(pufa_state)
    assert notice.person_id == zhou.id
    assert notice.body.endswith("原定12月9日的学法截止：民法典（2026）改至12月10日。")
