"""Every schedule reminds someone: default rules per kind, and all-day times of day."""

from __future__ import annotations

import dataclasses
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import ReminderRule, Schedule
from service.settings import Settings, SettingsError
from service.sms.defaults import PACKAGED, DefaultRulesError, load
from service.sms.timing import alarm_offset, due_at
from tests.support.sms_world import local
from tests.support.web import post_form, sign_in

API = "/api/v1"


def rules_of(state: Pufa, schedule_id: int) -> list[tuple[str, int, str]]:
    with state.db.sessions() as session:
        query = select(ReminderRule).where(ReminderRule.schedule_id == schedule_id)
        return [(r.name, r.lead_minutes, r.recipients) for r in session.scalars(query)]


def test_a_lecture_created_through_the_api_gets_the_lecture_rules(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa
) -> None:
    body = {"kind": "lecture", "title": "机关职工每周一讲", "start": "2027-01-04T16:00"}
    created = client.post(f"{API}/schedules", json=body, headers=admin_headers).get_json()
    assert rules_of(pufa_state, created["id"]) == [
        ("讲座前一天提醒", 1440, "audience"),
        ("主讲人一周前提醒", 10080, "speaker"),
        ("主讲人前一天提醒", 1440, "speaker"),
    ]


def test_a_study_item_created_through_the_api_gets_the_deadline_rules(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa
) -> None:
    plan = client.post(
        f"{API}/study-plans", json={"year": 2027, "title": "2027年学法计划"}, headers=admin_headers
    ).get_json()
    item = client.post(
        f"{API}/study-plans/{plan['id']}/items",
        json={"title": "民法典", "due_on": "2027-03-31"},
        headers=admin_headers,
    )
    assert item.status_code == 201, item.get_json()
    with pufa_state.db.sessions() as session:
        deadline = session.scalars(select(Schedule).where(Schedule.kind == "deadline")).one()
        deadline_id = deadline.id
    assert [r[2] for r in rules_of(pufa_state, deadline_id)] == [
        "unconfirmed",
        "unconfirmed",
        "overdue_heads",
    ]


def test_a_meeting_created_in_the_console_gets_the_meeting_rule(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    form = {
        "title": "普法工作例会",
        "kind": "meeting",
        "start_date": "2027-01-06",
        "start_time": "09:00",
        "duration_minutes": "60",
        "duration_days": "1",
        "repeat": "once",
        "holiday_policy": "keep",
        "is_for_everyone": "1",
    }
    answer = post_form(client, "/admin/schedules/new", "/admin/schedules/new", form)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        meeting_id = session.scalars(select(Schedule.id)).one()
    assert rules_of(pufa_state, meeting_id) == [("会议前一天提醒", 1440, "audience")]


def test_the_operator_names_another_rules_file(
    client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa, tmp_path: Path
) -> None:
    own = tmp_path / "rules.yaml"
    own.write_text(
        "meeting:\n  - {name: 会前两小时提醒, lead: 2h, template: meeting_audience}\n",
        encoding="utf-8",
    )
    pufa_state.settings = dataclasses.replace(pufa_state.settings, default_rules_file=str(own))
    body = {"kind": "meeting", "title": "普法工作例会", "start": "2027-01-06T09:00"}
    created = client.post(f"{API}/schedules", json=body, headers=admin_headers).get_json()
    assert rules_of(pufa_state, created["id"]) == [("会前两小时提醒", 120, "audience")]


def test_the_setting_must_name_a_file() -> None:
    with pytest.raises(SettingsError, match="PUFA_DEFAULT_RULES"):
        Settings.from_env({"PUFA_DEFAULT_RULES": "/nonexistent/rules.yaml"})


def test_a_malformed_rules_file_names_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("lecture:\n  - {name: 提醒, lead: soon, template: lecture_audience}\n")
    with pytest.raises(DefaultRulesError, match=r"lecture\[0\] lead"):
        load(bad)


def test_the_packaged_file_has_rules_for_every_kind() -> None:
    assert set(load(PACKAGED)) == {"lecture", "meeting", "campaign", "deadline"}


def test_an_all_day_event_is_reminded_at_nine_the_day_before_and_its_alarm_agrees() -> None:
    rule = ReminderRule(lead_minutes=1440, options={})
    start = local(2026, 12, 4)
    due = due_at(rule, start, is_all_day=True)
    assert due == local(2026, 12, 3, 9)
    assert start + alarm_offset(rule, is_all_day=True) == due
    assert alarm_offset(rule, is_all_day=True) == timedelta(hours=-15)


def test_a_rules_time_of_day_wins_and_a_timed_event_counts_back_from_its_start() -> None:
    evening = ReminderRule(lead_minutes=1440, options={"at": "17:30"})
    assert due_at(evening, local(2026, 12, 4), is_all_day=True) == local(2026, 12, 3, 17, 30)
    timed = ReminderRule(lead_minutes=60, options={"at": "17:30"})
    start = local(2026, 12, 7, 16)
    assert due_at(timed, start, is_all_day=False).astimezone(UTC) == (start - timedelta(hours=1))
