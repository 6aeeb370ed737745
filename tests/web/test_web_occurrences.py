"""One occurrence in the console: move, cancel with a reason, restore, speaker and
topic; and the month view that shows every occurrence with its status and reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import AuditEntry, Department, OccurrenceOverride, Person, Schedule, utcnow
from tests.support.web import post_form, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _weekly(state: Pufa) -> tuple[int, datetime, int]:
    """A weekly lecture starting next week at 16:00 Shanghai time, and one person."""
    with state.db.transaction() as session:
        office = Department(name="司法所")
        wang = Person(name="王芳", departments=[office])
        local = (utcnow().astimezone(SHANGHAI) + timedelta(days=7)).replace(
            hour=16, minute=0, second=0, microsecond=0
        )
        schedule = Schedule(
            kind="lecture",
            title="每周一讲",
            starts_at=local.astimezone(UTC),
            rrule="FREQ=WEEKLY",
            departments=[office],
            location="三楼会议室",
        )
        session.add_all([wang, schedule])
        session.flush()
        return schedule.id, local, wang.id


def _page(schedule_id: int, local: datetime) -> str:
    return f"/admin/occurrences/{schedule_id}/{local:%Y-%m-%dT%H:%M}"


def _override(state: Pufa, schedule_id: int) -> OccurrenceOverride | None:
    with state.db.sessions() as session:
        return session.scalar(
            select(OccurrenceOverride).where(OccurrenceOverride.schedule_id == schedule_id)
        )


def test_cancelling_a_week_needs_a_reason(client: FlaskClient, pufa_state: Pufa) -> None:
    schedule_id, local, _ = _weekly(pufa_state)
    sign_in(client, pufa_state)
    page = _page(schedule_id, local)
    response = post_form(client, page, page, {"action": "cancel", "note": ""})
    assert response.status_code == 400
    assert "取消时请写明原因" in response.get_data(as_text=True)
    assert _override(pufa_state, schedule_id) is None


def test_cancelled_week_shows_its_reason_and_can_be_restored(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id, local, _ = _weekly(pufa_state)
    sign_in(client, pufa_state)
    page = _page(schedule_id, local)
    response = post_form(client, page, page, {"action": "cancel", "note": "主讲人出差"})
    assert response.status_code == 302
    row = _override(pufa_state, schedule_id)
    assert row is not None and row.is_cancelled and row.note == "主讲人出差"
    month = client.get(f"/admin/calendar/?month={local:%Y-%m}").get_data(as_text=True)
    assert "已取消" in month and "主讲人出差" in month

    shown = client.get(page).get_data(as_text=True)
    assert "恢复为按日程举行" in shown
    restored = post_form(client, page, page + "/restore", {"version": str(row.version)})
    assert restored.status_code == 302
    assert _override(pufa_state, schedule_id) is None
    with pufa_state.db.sessions() as session:
        actions = [
            e.action
            for e in session.scalars(select(AuditEntry))
            if e.resource == "occurrence_override"
        ]
    assert actions == ["create", "delete"]


def test_moving_a_week_with_new_place_speaker_and_topic(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id, local, wang = _weekly(pufa_state)
    sign_in(client, pufa_state)
    page = _page(schedule_id, local)
    later = local + timedelta(days=2)
    response = post_form(
        client,
        page,
        page,
        {
            "action": "move",
            "moved_date": later.date().isoformat(),
            "moved_time": "09:30",
            "duration_minutes": "90",
            "location": "镇政府二楼",
            "speaker_id": str(wang),
            "topic": "民法典",
            "note": "会议室装修",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    row = _override(pufa_state, schedule_id)
    assert row is not None and row.moved_start_at is not None
    assert row.moved_start_at.astimezone(SHANGHAI).replace(tzinfo=None) == later.replace(
        hour=9, minute=30, tzinfo=None
    )
    assert (row.moved_duration_minutes, row.location, row.speaker_id, row.topic) == (
        90,
        "镇政府二楼",
        wang,
        "民法典",
    )
    shown = client.get(page).get_data(as_text=True)
    assert "已改期" in shown and "会议室装修" in shown


def test_moving_needs_a_date(client: FlaskClient, pufa_state: Pufa) -> None:
    schedule_id, local, _ = _weekly(pufa_state)
    sign_in(client, pufa_state)
    page = _page(schedule_id, local)
    response = post_form(client, page, page, {"action": "move", "moved_date": ""})
    assert response.status_code == 400
    assert "请填写此项" in response.get_data(as_text=True)


def test_an_address_that_is_no_occurrence_is_a_chinese_404(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id, local, _ = _weekly(pufa_state)
    sign_in(client, pufa_state)
    for address in (
        _page(schedule_id, local + timedelta(hours=1)),
        f"/admin/occurrences/{schedule_id}/nonsense",
        _page(schedule_id + 99, local),
    ):
        response = client.get(address)
        assert response.status_code == 404
        assert "Not Found" not in response.get_data(as_text=True)


def test_schedule_page_and_rota_link_to_each_occurrence(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id, local, _ = _weekly(pufa_state)
    sign_in(client, pufa_state)
    link = _page(schedule_id, local)
    assert link in client.get(f"/admin/schedules/{schedule_id}").get_data(as_text=True)
    assert link in client.get(f"/admin/rota/{schedule_id}").get_data(as_text=True)


def test_month_view_says_why_a_holiday_moved_a_week_in_chinese(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    with pufa_state.db.transaction() as session:
        schedule = Schedule(
            kind="lecture",
            title="国庆周讲座",
            # Thursdays: only 10-01 falls in the National Day holiday, and moves alone.
            starts_at=datetime(2026, 9, 17, 8, 0, tzinfo=UTC),
            rrule="FREQ=WEEKLY;COUNT=3",
            holiday_policy="next_workday",
        )
        session.add(schedule)
    sign_in(client, pufa_state)
    page = client.get("/admin/calendar/?month=2026-10").get_data(as_text=True)
    assert "2026-10-01 不是工作日，改到" in page
    assert "is not a working day" not in page


def test_month_view_with_a_bad_month_shows_this_month(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    response = client.get("/admin/calendar/?month=2026-13")
    assert response.status_code == 200
    today = utcnow().astimezone(SHANGHAI)
    assert f"{today.year} 年 {today.month} 月" in response.get_data(as_text=True)


def test_the_page_names_who_will_get_a_change_notice_before_saving(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    from service.models import Delivery, DeliveryStatus, ReminderRule

    schedule_id, local, wang_id = _weekly(pufa_state)
    with pufa_state.db.transaction() as session:
        lecture = session.get(Schedule, schedule_id)
        assert lecture is not None
        lecture.change_notices = True  # as a lecture made through the console or API is
    sign_in(client, pufa_state)
    page = _page(schedule_id, local)
    assert "还没有人收到这一次的提醒短信" in client.get(page).get_data(as_text=True)

    with pufa_state.db.transaction() as session:
        wang = session.get(Person, wang_id)
        assert wang is not None
        wang.mobile = "+8613900008000"
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        rule = ReminderRule(schedule=schedule, name="提前一天", lead_minutes=1440,
                            template="lecture_audience", recipients="audience")  # fmt: skip
        session.add(rule)
        session.flush()
        original = local.astimezone(UTC)
        session.add(
            Delivery(
                schedule_id=schedule_id,
                original_start_at=original,
                rule_id=rule.id,
                person_id=wang_id,
                to=wang.mobile,
                due_at=original - timedelta(days=1),
                useful_until=original,
                occurrence_start_at=original,
                body="提醒",
                segments=1,
                status=DeliveryStatus.DELIVERED,
            )
        )
    shown = client.get(page).get_data(as_text=True)
    assert "已收到这次提醒的 1 人会各收到一条变更通知短信" in shown and "王芳" in shown

    with pufa_state.db.transaction() as session:
        schedule = session.get(Schedule, schedule_id)
        assert schedule is not None
        schedule.change_notices = False
    assert "这个日程关闭了变更通知" in client.get(page).get_data(as_text=True)
