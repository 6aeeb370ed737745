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
    response = client.post(
        f"/admin/holidays/{override_id}/delete", data={"csrf_token": csrf_from(page)}
    )
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
