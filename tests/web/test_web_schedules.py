"""Schedules in the console: the recurrence editor writes the RRULE, the schedule
service checks it, and the page shows the occurrences the engine expands."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import Department, Schedule
from tests.support.web import post_form, sign_in

NEW = "/admin/schedules/new"


def _weekly(office: int, **extra: str) -> dict[str, object]:
    start = date.today() + timedelta(days=1)
    return {
        "title": "机关职工每周一讲",
        "kind": "lecture",
        "start_date": start.isoformat(),
        "start_time": "16:00",
        "duration_minutes": "60",
        "duration_days": "1",
        "repeat": "weekly",
        "repeat_weekday": "WE",
        "repeat_interval": "1",
        "holiday_policy": "next_workday",
        "department_ids": [str(office)],
        "location": "三楼会议室",
        **extra,
    }


def _office(state: Pufa) -> int:
    with state.db.transaction() as session:
        office = Department(name="司法所")
        session.add(office)
        session.flush()
        return office.id


def test_a_weekly_schedule_from_the_editor_and_its_occurrences(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    response = post_form(client, NEW, NEW, _weekly(office))
    assert response.status_code == 302, response.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        schedule = session.scalars(select(Schedule)).one()
        assert schedule.rrule == "FREQ=WEEKLY;BYDAY=WE"
        assert schedule.holiday_policy == "next_workday"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "接下来的安排" in page
    assert page.count("（周三）") >= 10
    listing = client.get("/admin/schedules/").get_data(as_text=True)
    assert "每周星期三" in listing


def test_the_editors_start_date_means_from_that_day_on(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    # Tuesday 1 December 2026, "every week on Wednesday": the first is 2 December.
    data = _weekly(office, start_date="2026-12-01", repeat_weekday="WE")
    response = post_form(client, NEW, NEW, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        schedule = session.scalars(select(Schedule)).one()
        local = schedule.starts_at.astimezone(pufa_state.settings.zone)
        assert local.replace(tzinfo=None) == datetime(2026, 12, 2, 16, 0)


def test_editing_a_schedule_whose_start_is_off_its_rule_keeps_the_start(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    with pufa_state.db.transaction() as session:
        # Saved before a start had to be an occurrence: a Tuesday, weekly on Wednesdays.
        legacy = Schedule(
            kind="lecture",
            title="旧日程",
            timezone="Asia/Shanghai",
            starts_at=datetime(2026, 12, 1, 8, tzinfo=UTC),
            rrule="FREQ=WEEKLY;BYDAY=WE",
            is_for_everyone=True,
        )
        session.add(legacy)
        session.flush()
        page = f"/admin/schedules/{legacy.id}"
    data = _weekly(office, start_date="2026-12-01", title="改名", version="1")
    response = post_form(client, page, page, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        schedule = session.scalars(select(Schedule)).one()
        assert schedule.title == "改名"
        assert schedule.starts_at.replace(tzinfo=UTC) == datetime(2026, 12, 1, 8, tzinfo=UTC)


def test_a_yearly_campaign_day(client: FlaskClient, pufa_state: Pufa) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    data = _weekly(
        office,
        title="4·15 全民国家安全教育日",
        kind="campaign",
        is_all_day="1",
        start_date="2027-04-15",
        repeat="yearly",
        repeat_month="4",
        repeat_day="15",
        holiday_policy="keep",
    )
    assert post_form(client, NEW, NEW, data).status_code == 302
    with pufa_state.db.sessions() as session:
        schedule = session.scalars(select(Schedule)).one()
        assert schedule.rrule == "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=15"
        assert schedule.is_all_day


def test_editing_keeps_the_rule_the_editor_cannot_show(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    data = _weekly(office, repeat="custom", rrule="FREQ=WEEKLY;BYDAY=MO,WE")
    response = post_form(client, NEW, NEW, data)
    assert response.status_code == 302
    page = response.headers["Location"]
    form = client.get(page).get_data(as_text=True)
    assert 'value="FREQ=WEEKLY;BYDAY=MO,WE"' in form
    with pufa_state.db.sessions() as session:
        schedule = session.scalars(select(Schedule)).one()
        version = schedule.version
    changed = post_form(
        client,
        page,
        page,
        {**data, "title": "每周一讲（周一、周三）", "version": str(version)},
    )
    assert changed.status_code == 302
    with pufa_state.db.sessions() as session:
        schedule = session.scalars(select(Schedule)).one()
        assert schedule.rrule == "FREQ=WEEKLY;BYDAY=MO,WE"
        assert schedule.title == "每周一讲（周一、周三）"


def test_bad_input_is_shown_next_to_each_field_and_kept(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    data = _weekly(office, title="", start_date="", repeat="yearly", repeat_month="2")
    data["repeat_day"] = "30"
    response = post_form(client, NEW, NEW, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="repeat_day-error"' in html and "这个月没有这一天" in html
    assert 'value="三楼会议室"' in html
    assert 'value="30"' in html
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(Schedule)).all() == []


def test_the_schedule_service_refuses_a_bad_custom_rule_on_its_field(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    response = post_form(client, NEW, NEW, _weekly(office, repeat="custom", rrule="FREQ=SOMETIMES"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="rrule-error"' in html
    assert 'value="FREQ=SOMETIMES"' in html


def test_missing_title_and_start_are_flagged(client: FlaskClient, pufa_state: Pufa) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    response = post_form(client, NEW, NEW, _weekly(office, title="", start_date=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="title-error"' in html and 'id="start_date-error"' in html
