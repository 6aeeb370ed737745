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


def test_the_editors_end_date_ends_the_series_on_that_day(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    data = _weekly(office, start_date="2026-12-02", repeat_until="2026-12-30")
    response = post_form(client, NEW, NEW, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        schedule = session.scalars(select(Schedule)).one()
        # The whole local day of 30 December, in UTC as RFC 5545 wants it.
        assert schedule.rrule == "FREQ=WEEKLY;BYDAY=WE;UNTIL=20261230T155959Z"
    listing = client.get("/admin/schedules/").get_data(as_text=True)
    assert "每周星期三，至 2026-12-30" in listing


def test_an_all_day_series_end_date_is_a_date(client: FlaskClient, pufa_state: Pufa) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    data = _weekly(
        office, start_date="2026-12-02", is_all_day="1", start_time="", repeat_until="2026-12-30"
    )
    response = post_form(client, NEW, NEW, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        rule = session.scalars(select(Schedule)).one().rrule
        assert rule == "FREQ=WEEKLY;BYDAY=WE;UNTIL=20261230"


def test_an_end_date_before_the_first_occurrence_is_said_next_to_the_end_date(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    # From Tuesday 1 December, every Wednesday, until 1 December: no occurrence at all.
    data = _weekly(office, start_date="2026-12-01", repeat_until="2026-12-01")
    response = post_form(client, NEW, NEW, data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<p class="error" id="repeat_until-error">结束日期早于第一次活动（2026-12-02）' in page


def test_a_refused_custom_rule_is_explained_in_chinese_next_to_it(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    office = _office(pufa_state)
    sign_in(client, pufa_state)
    data = _weekly(office, repeat="custom", rrule="FREQ=WEEKLY;BYWEEKNO=10")
    response = post_form(client, NEW, NEW, data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<p class="error" id="rrule-error">BYWEEKNO：只能用于 FREQ=YEARLY' in page
    assert "RRULE UNTIL values" not in page and "not enough values" not in page
