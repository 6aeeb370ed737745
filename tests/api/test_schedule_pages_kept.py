"""A page of the schedule list asked for again with nothing changed is sent as it was
kept; any write to what the page is made of, by this process or any other, is in the
next answer."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from service.context import Pufa
from service.models import ReminderRule, Schedule
from service.seed import load_demo_file, seed

LIST = "/api/v1/schedules?kind=lecture"


@pytest.fixture
def demo(session: Session) -> None:
    seed(session, load_demo_file())
    session.commit()


def lecture(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(LIST, headers=headers)
    assert response.status_code == 200
    item: dict[str, Any] = response.get_json()["items"][0]
    return item


def kept(app: Flask) -> int:
    return len(app.extensions.get("pufa_schedule_pages", ()))


def test_the_same_page_is_kept_once_and_sent_alike_to_every_caller(
    app: Flask,
    client: FlaskClient,
    admin_headers: dict[str, str],
    viewer_headers: dict[str, str],
    demo: None,
) -> None:
    first = client.get(LIST, headers=admin_headers)
    again = client.get(LIST, headers=viewer_headers)
    assert again.data == first.data and again.mimetype == "application/json"
    assert kept(app) == 1
    client.get(LIST + "&per_page=1", headers=admin_headers)
    assert kept(app) == 2  # another query, another page


def test_an_edit_through_the_api_is_in_the_next_page(
    client: FlaskClient, admin_headers: dict[str, str], demo: None
) -> None:
    before = lecture(client, admin_headers)
    response = client.patch(
        f"/api/v1/schedules/{before['id']}",
        json={"topic": "民法典"},
        headers={**admin_headers, "If-Match": "*"},
    )
    assert response.status_code == 200
    assert lecture(client, admin_headers)["topic"] == "民法典"


def test_writes_of_another_process_to_the_schedule_its_audience_or_rules_are_seen(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: None
) -> None:
    """Written beside the app (as the console, the clock or another box would): the
    database's triggers change the mark, so the kept page is not sent again."""
    item = lecture(client, admin_headers)
    with pufa_state.db.transaction() as session:
        session.execute(update(Schedule).where(Schedule.id == item["id"]).values(location="二楼"))
    assert lecture(client, admin_headers)["location"] == "二楼"
    with pufa_state.db.transaction() as session:
        session.execute(update(ReminderRule).where(ReminderRule.schedule_id == item["id"])
                        .values(is_enabled=False))  # fmt: skip
    assert lecture(client, admin_headers)["has_reminders"] is False
    with pufa_state.db.engine.begin() as connection:  # plain SQL, no ORM at all
        connection.execute(
            text("DELETE FROM schedule_departments WHERE schedule_id = :id"), {"id": item["id"]}
        )
        connection.execute(
            text("UPDATE schedules SET is_for_everyone = false WHERE id = :id"), {"id": item["id"]}
        )
    fresh = lecture(client, admin_headers)
    assert fresh["department_ids"] == [] and fresh["is_for_everyone"] is False
