"""Holiday overrides in the console: the provisional year's days off and make-up days."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import HolidayOverride
from service.occurrences.query import workday_calendar
from tests.support.web import csrf_from, post_form, sign_in


def test_a_holiday_override_changes_the_workday_calendar(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    day = date(2031, 2, 3)  # a Monday in a year without official data
    response = post_form(
        client,
        "/admin/holidays/",
        "/admin/holidays/",
        {"day": day.isoformat(), "is_workday": "0", "name": "春节"},
    )
    assert response.status_code == 302
    with pufa_state.db.sessions() as session:
        assert workday_calendar(session).is_workday(day) is False
    page = client.get("/admin/holidays/").get_data(as_text=True)
    assert "春节" in page
    with pufa_state.db.sessions() as session:
        override_id = session.scalars(select(HolidayOverride.id)).one()
    confirm = f"/admin/delete/holiday/{override_id}"
    assert f'href="{confirm}"' in page
    question = client.get(confirm).get_data(as_text=True)
    assert "确认删除" in question
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(HolidayOverride)).all() != []  # asking deletes nothing
    response = client.post(confirm, data={"csrf_token": csrf_from(question), "version": "1"})
    assert response.status_code == 302
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(HolidayOverride)).all() == []


def test_a_second_override_for_the_same_day_is_refused(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    data = {"day": "2031-02-08", "is_workday": "1", "name": "调休"}
    assert post_form(client, "/admin/holidays/", "/admin/holidays/", data).status_code == 302
    again = post_form(client, "/admin/holidays/", "/admin/holidays/", data)
    assert again.status_code == 400
    assert 'id="day-error"' in again.get_data(as_text=True)


def test_a_bad_day_is_flagged(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    response = post_form(
        client, "/admin/holidays/", "/admin/holidays/", {"day": "2031-02-30", "is_workday": "0"}
    )
    assert response.status_code == 400
    assert 'id="day-error"' in response.get_data(as_text=True)


def test_a_holiday_range_with_its_makeup_days_is_one_form(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    response = post_form(
        client,
        "/admin/holidays/",
        "/admin/holidays/",
        {
            "name": "国庆节",
            "day": "2031-10-01",
            "last_day": "2031-10-08",
            "is_workday": "0",
            "makeup_day": ["2031-09-28", "2031-10-11", ""],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        calendar = workday_calendar(session)
        assert not any(calendar.is_workday(date(2031, 10, d)) for d in range(1, 9))
        assert calendar.is_workday(date(2031, 9, 28)) and calendar.is_workday(date(2031, 10, 11))
        rows = session.scalars(select(HolidayOverride)).all()
    assert len(rows) == 10
    assert "已保存 10 天" in client.get("/admin/holidays/").get_data(as_text=True)


def test_a_range_that_clashes_saves_nothing(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    single = {"day": "2031-10-05", "is_workday": "0", "name": "国庆节"}
    assert post_form(client, "/admin/holidays/", "/admin/holidays/", single).status_code == 302
    response = post_form(
        client,
        "/admin/holidays/",
        "/admin/holidays/",
        {"day": "2031-10-01", "last_day": "2031-10-07", "is_workday": "0", "name": "国庆节"},
    )
    assert response.status_code == 400
    assert "2031-10-05 已经补录过" in response.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        assert len(session.scalars(select(HolidayOverride)).all()) == 1


def test_a_backwards_or_too_long_range_is_refused(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    for last in ("2031-09-30", "2031-12-31"):
        response = post_form(
            client,
            "/admin/holidays/",
            "/admin/holidays/",
            {"day": "2031-10-01", "last_day": last, "is_workday": "0"},
        )
        assert response.status_code == 400
        assert 'id="last_day-error"' in response.get_data(as_text=True)
