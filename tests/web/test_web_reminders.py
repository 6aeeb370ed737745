"""The reminders panel: each rule with the text it sends and its segment count; add
from a preset, edit, switch off, all audited like the API's rule routes."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import AuditEntry, ReminderRule, Schedule, utcnow
from tests.support.web import post_form, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _lecture(state: Pufa, *, all_day: bool = False) -> int:
    local = (utcnow().astimezone(SHANGHAI) + timedelta(days=3)).replace(
        hour=0 if all_day else 16, minute=0, second=0, microsecond=0
    )
    with state.db.transaction() as session:
        schedule = Schedule(
            kind="campaign" if all_day else "lecture",
            title="宪法宣传日" if all_day else "每周一讲",
            starts_at=local.astimezone(UTC),
            is_all_day=all_day,
            rrule=None if all_day else "FREQ=WEEKLY",
            location="三楼会议室",
            is_for_everyone=True,
        )
        session.add(schedule)
        session.flush()
        return schedule.id


def _rules(state: Pufa, schedule_id: int) -> list[ReminderRule]:
    with state.db.sessions() as session:
        query = select(ReminderRule).where(ReminderRule.schedule_id == schedule_id)
        return list(session.scalars(query.order_by(ReminderRule.id)))


def test_adding_the_day_before_preset_sends_at_the_lectures_own_time(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id = _lecture(pufa_state)
    sign_in(client, pufa_state)
    page = f"/admin/reminders/{schedule_id}"
    response = post_form(
        client,
        page,
        page + "/add",
        {
            "preset": "day_before",
            "name": "",
            "template": "lecture_audience",
            "recipients": "audience",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    (rule,) = _rules(pufa_state, schedule_id)
    assert (rule.name, rule.lead_minutes, rule.template) == (
        "提前一天",
        24 * 60,
        "lecture_audience",
    )
    shown = client.get(page).get_data(as_text=True)
    assert "提前 1 天，16:00 发送" in shown
    assert "【蟒河镇普法】" in shown and "每周一讲" in shown and "三楼会议室" in shown
    assert "按 1 条短信计费" in shown or "按 2 条短信计费" in shown


def test_an_all_day_event_takes_a_time_of_day(client: FlaskClient, pufa_state: Pufa) -> None:
    schedule_id = _lecture(pufa_state, all_day=True)
    sign_in(client, pufa_state)
    page = f"/admin/reminders/{schedule_id}"
    data = {
        "name": "前一天下午",
        "days_before": "1",
        "send_time": "15:00",
        "template": "campaign_day_before",
        "recipients": "audience",
    }
    assert post_form(client, page, page + "/add", data).status_code == 302
    (rule,) = _rules(pufa_state, schedule_id)
    assert rule.lead_minutes == 9 * 60  # 15:00 the day before an all-day event
    assert "提前 1 天，15:00 发送" in client.get(page).get_data(as_text=True)


def test_editing_and_disabling_a_rule(client: FlaskClient, pufa_state: Pufa) -> None:
    schedule_id = _lecture(pufa_state)
    with pufa_state.db.transaction() as session:
        session.add(
            ReminderRule(
                schedule_id=schedule_id,
                name="提前一周",
                lead_minutes=7 * 24 * 60,
                template="lecture_speaker",
                recipients="speaker",
            )
        )
    sign_in(client, pufa_state)
    page = f"/admin/reminders/{schedule_id}"
    (rule,) = _rules(pufa_state, schedule_id)
    edited = post_form(
        client,
        page,
        f"{page}/{rule.id}",
        {
            "version": str(rule.version),
            "name": "提前三天",
            "days_before": "3",
            "send_time": "09:00",
            "template": "lecture_speaker",
            "recipients": "speaker",
        },
    )
    assert edited.status_code == 302, edited.get_data(as_text=True)
    (rule,) = _rules(pufa_state, schedule_id)
    assert (rule.name, rule.lead_minutes) == ("提前三天", 3 * 24 * 60 + 7 * 60)
    switched = post_form(client, page, f"{page}/{rule.id}/switch", {"version": str(rule.version)})
    assert switched.status_code == 302
    (rule,) = _rules(pufa_state, schedule_id)
    assert not rule.is_enabled
    assert "已停用" in client.get(page).get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        entries = [
            e.action for e in session.scalars(select(AuditEntry)) if e.resource == "reminder_rule"
        ]
    assert entries == ["update", "update"]


def test_a_bad_rule_is_refused_in_chinese_and_nothing_is_written(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id = _lecture(pufa_state)
    sign_in(client, pufa_state)
    page = f"/admin/reminders/{schedule_id}"
    response = post_form(
        client,
        page,
        page + "/add",
        {"name": "", "days_before": "999", "send_time": "25:00", "template": "lecture_audience"},
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "请填写 0 到 365 之间的天数" in text and "请输入有效时间" in text
    assert _rules(pufa_state, schedule_id) == []


def test_another_schedules_rule_is_not_found(client: FlaskClient, pufa_state: Pufa) -> None:
    first, second = _lecture(pufa_state), _lecture(pufa_state)
    with pufa_state.db.transaction() as session:
        rule = ReminderRule(
            schedule_id=first, name="x", lead_minutes=60, template="lecture_audience"
        )
        session.add(rule)
        session.flush()
        rule_id = rule.id
    sign_in(client, pufa_state)
    page = f"/admin/reminders/{second}"
    response = post_form(client, page, f"{page}/{rule_id}/switch", {})
    assert response.status_code == 404
    assert client.get("/admin/reminders/99999").status_code == 404
