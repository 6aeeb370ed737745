"""The SMS preview grouped by occurrence and distinct text, for 本周 / 下周 / chosen days,
with the real send time after quiet hours; the dashboard's links to what needs a look."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask.testing import FlaskClient

from service.context import Pufa
from service.models import (
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    Delivery,
    Department,
    Person,
    ReminderRule,
    Schedule,
)
from service.settings import QuietHours
from service.sms.desired import Planned
from service.web.admin.sms_groups import group, send_time
from tests.support.web import sign_in
from tests.support.workflows import local

NAMES = ("王芳", "李明", "赵强")


@pytest.fixture
def monday_morning() -> Iterator[None]:
    with time_machine.travel(local(2026, 3, 2, 10, 0), tick=False):  # a Monday
        yield


def _lecture(state: Pufa) -> int:
    """A weekly lecture on Thursdays at 08:00 for three people, reminded a day before
    (Wednesday 08:00) and ten hours before (Wednesday 22:00, inside quiet hours)."""
    with state.db.transaction() as session:
        office = Department(name="司法所")
        people = [
            Person(name=name, mobile=f"+86139000080{i:02d}", departments=[office])
            for i, name in enumerate(NAMES)
        ]
        schedule = Schedule(
            kind="lecture",
            title="机关职工每周一讲",
            starts_at=local(2026, 3, 5, 8, 0).astimezone(UTC),
            rrule="FREQ=WEEKLY",
            departments=[office],
            topic="宪法",
            location="三楼会议室",
            rules=[
                ReminderRule(name="提前一天", lead_minutes=1440, template="lecture_audience"),
                ReminderRule(name="前一晚", lead_minutes=600, template="lecture_audience"),
            ],
        )
        session.add_all([*people, schedule])
        session.flush()
        return schedule.id


def _sections(html: str) -> list[str]:
    return re.findall(r"<section class=\"card\" aria-labelledby=\"occ-.*?</section>", html, re.S)


def test_this_week_groups_identical_texts_with_recipients_and_real_send_times(
    client: FlaskClient, pufa_state: Pufa, monday_morning: None
) -> None:
    _lecture(pufa_state)
    sign_in(client, pufa_state)
    html = client.get("/admin/sms/preview").get_data(as_text=True)
    assert "短信预览：本周" in html
    assert "6 条短信，计费 6 条" in html and "发给 3 人" in html
    sections = _sections(html)
    assert len(sections) == 1  # one occurrence this week (Thursday the 5th)
    section = sections[0]
    assert "机关职工每周一讲 · 2026-03-05（周四） 08:00" in section
    # Two distinct texts (two rules), each listed once with its three recipients.
    assert section.count("<details>") == 2
    assert section.count("3 人") >= 2
    for name in NAMES:
        assert section.count(name) == 2
    assert "2026-03-04（周三） 08:00 发出" in section
    # 22:00 falls in quiet hours (21:30–07:30): it really goes out at 07:30 next day.
    assert "2026-03-05（周四） 07:30 发出" in section
    assert "推迟到 07:30 发出" in section
    assert "讲座通知（发给参加人员）" in section and "lecture_audience" not in html
    assert "+86139000080" not in html  # numbers are masked


def test_next_week_and_a_chosen_range(
    client: FlaskClient, pufa_state: Pufa, monday_morning: None
) -> None:
    _lecture(pufa_state)
    sign_in(client, pufa_state)
    html = client.get("/admin/sms/preview?period=next_week").get_data(as_text=True)
    assert "短信预览：下周（2026-03-09（周一） 至 2026-03-15（周日））" in html
    assert "2026-03-12（周四） 08:00" in html and "2026-03-05（周四）" not in html
    html = client.get("/admin/sms/preview?period=range&start=2026-03-02&end=2026-03-18").get_data(
        as_text=True
    )
    assert len(_sections(html)) == 3  # the 5th, 12th and 19th (its reminders fall on the 18th)
    assert "18 条短信" in html


def test_a_bad_range_is_flagged_in_chinese_not_a_500(
    client: FlaskClient, pufa_state: Pufa, monday_morning: None
) -> None:
    sign_in(client, pufa_state)
    for query, message in (
        ("start=2026-03-10&end=2026-03-09", "结束日期不能早于开始日期。"),
        ("start=2026-03-01&end=2026-05-01", "一次最多预览 31 天。"),
        ("start=soon&end=2026-03-09", "请输入有效日期"),
        ("start=&end=2026-03-09", "请填写此项。"),
    ):
        response = client.get(f"/admin/sms/preview?period=range&{query}")
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    response = client.get("/admin/sms/preview?period=range&start=2026-02-01&end=2026-02-10")
    assert "这段时间已经过去" in response.get_data(as_text=True)


def test_send_time_is_the_outboxs_quiet_hours_hold() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    quiet = QuietHours(time(21, 30), time(7, 30))
    now = local(2026, 3, 2, 10, 0).astimezone(UTC)

    def planned(due_hour: int, *, routine: bool = True, useful_hours: int = 12) -> Planned:
        due = local(2026, 3, 3, due_hour, 0).astimezone(UTC)
        return Planned(
            schedule_id=1, original_start_at=due, rule_id=1, person_id=1, person_name="王芳",
            to="+8613900008000", due_at=due, useful_until=due + timedelta(hours=useful_hours),
            occurrence_start_at=due, body="x", segments=1, template="lecture_audience",
            is_routine=routine,
        )  # fmt: skip

    assert send_time(planned(12), now, quiet, zone) == local(2026, 3, 3, 12, 0)
    assert send_time(planned(23), now, quiet, zone) == local(2026, 3, 4, 7, 30)
    assert send_time(planned(23, routine=False), now, quiet, zone) == local(2026, 3, 3, 23, 0)
    assert send_time(planned(23, useful_hours=2), now, quiet, zone) is None


def test_the_dashboard_links_each_count_to_the_filtered_records(
    client: FlaskClient, pufa_state: Pufa, monday_morning: None
) -> None:
    schedule_id = _lecture(pufa_state)
    with pufa_state.db.transaction() as session:
        schedule = session.get_one(Schedule, schedule_id)
        start = schedule.starts_at
        person = session.query(Person).filter_by(name="王芳").one()
        for rule, status in zip(schedule.rules, ("failed", "unknown"), strict=True):
            session.add(
                Delivery(
                    schedule_id=schedule_id, original_start_at=start, rule_id=rule.id,
                    person_id=person.id, status=status, due_at=start - timedelta(days=1),
                    useful_until=start, occurrence_start_at=start, to="+8613900008000",
                    body="明天每周一讲", segments=1,
                )
            )  # fmt: skip
    sign_in(client, pufa_state)
    html = client.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/sms/deliveries?status=failed">发送失败：1 条</a>' in html
    assert '<a href="/admin/sms/deliveries?status=unknown">状态不明：1 条</a>' in html
    assert '<a href="/admin/sms/deliveries?status=undelivered">未送达：0 条</a>' in html
    assert client.get("/admin/sms/deliveries?status=failed").status_code == 200


def test_the_dashboard_links_each_leave_request_to_its_occurrences_records(
    client: FlaskClient, pufa_state: Pufa, monday_morning: None
) -> None:
    schedule_id = _lecture(pufa_state)
    with pufa_state.db.transaction() as session:
        person = session.query(Person).filter_by(name="李明").one()
        session.add(
            Attendance(
                schedule_id=schedule_id,
                original_start_at=local(2026, 3, 5, 8, 0).astimezone(UTC),
                person_id=person.id,
                status=AttendanceStatus.LEAVE,
                source=AttendanceSource.LEAVE_REQUEST,
                note="出差",
            )
        )
    sign_in(client, pufa_state)
    html = client.get("/admin/").get_data(as_text=True)
    link = f"/admin/records/{schedule_id}/2026-03-05T08:00"
    assert f'<a href="{link}">机关职工每周一讲</a>' in html
    assert "李明：出差" in html
    assert client.get(link).status_code == 200


def test_a_message_overdue_outside_quiet_hours_is_not_called_held() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    quiet = QuietHours(time(21, 30), time(7, 30))
    now = local(2026, 3, 2, 10, 0).astimezone(UTC)
    due = now - timedelta(minutes=5)  # the clock is a little late: it goes out now
    planned = Planned(
        schedule_id=1, original_start_at=due, rule_id=1, person_id=1, person_name="王芳",
        to="+8613900008000", due_at=due, useful_until=due + timedelta(hours=2),
        occurrence_start_at=due, body="x", segments=1, template="study_deadline",
        is_routine=True,
    )  # fmt: skip
    [occurrence] = group([planned], {1: "学法"}, {}, now=now, quiet=quiet, zone=zone)
    [text] = occurrence.texts
    assert text.send_at == now and not text.is_held
    assert text.template_name == "学法截止提醒"
