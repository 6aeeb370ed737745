"""搜索 finds schedules, changed weeks and people from one box."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient

from service.context import Pufa
from service.models import Department, OccurrenceOverride, Person, Schedule
from tests.support.web import sign_in


def _world(state: Pufa) -> None:
    start = datetime(2031, 3, 3, 8, tzinfo=UTC)
    with state.db.transaction() as session:
        office = Department(name="司法所")
        schedule = Schedule(
            kind="lecture",
            title="机关职工每周一讲",
            starts_at=start,
            rrule="FREQ=WEEKLY",
            location="三楼会议室",
        )
        session.add_all(
            [
                Person(name="王芳", mobile="+8613900008000", departments=[office]),
                Person(name="赵敏"),
                schedule,
            ]
        )
        session.flush()
        session.add(
            OccurrenceOverride(
                schedule_id=schedule.id,
                original_start_at=start,
                topic="民法典合同编",
                note="改在礼堂",
            )
        )


def test_search_finds_schedules_weeks_and_people(client: FlaskClient, pufa_state: Pufa) -> None:
    _world(pufa_state)
    sign_in(client, pufa_state)
    page = client.get("/admin/search/?q=会议室").get_data(as_text=True)
    assert "机关职工每周一讲" in page and "日程（1）" in page
    page = client.get("/admin/search/?q=民法典").get_data(as_text=True)
    assert "/admin/occurrences/" in page and "改在礼堂" in page
    page = client.get("/admin/search/?q=司法所").get_data(as_text=True)
    assert "王芳" in page and "赵敏" not in page
    page = client.get("/admin/search/?q=8000").get_data(as_text=True)
    assert "王芳" in page
    page = client.get("/admin/search/?q=赵").get_data(as_text=True)
    assert "未分配站所" in page


def test_search_treats_wildcards_as_text(client: FlaskClient, pufa_state: Pufa) -> None:
    _world(pufa_state)
    sign_in(client, pufa_state)
    page = client.get("/admin/search/?q=%25").get_data(as_text=True)
    assert "日程（0）" in page and "人员（0）" in page
