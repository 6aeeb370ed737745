"""``GET /api/v1/occurrences`` over the 蟒河镇 demo data."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Department, Person, Schedule
from service.seed import load_demo_file, seed

URL = "/api/v1/occurrences"


@pytest.fixture
def demo(session: Session) -> dict[str, int]:
    """The demo data, and the ids the tests use. The session's transaction is ended
    (SQLite allows one writer, and a read here begins an IMMEDIATE transaction)."""
    seed(session, load_demo_file())
    ids = {
        "lecture": session.scalars(select(Schedule.id).where(Schedule.kind == "lecture")).one(),
        "妇联": session.scalars(select(Department.id).where(Department.name == "妇联")).one(),
        "黄磊": session.scalars(select(Person.id).where(Person.name == "黄磊")).one(),
    }
    session.commit()
    return ids


def _get(client: FlaskClient, headers: dict[str, str], **params: Any) -> Any:
    response = client.get(URL, query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_national_day_lecture_is_moved_to_thursday_and_says_why(
    client: FlaskClient, demo: dict[str, int], viewer_headers: dict[str, str]
) -> None:
    body = _get(
        client,
        viewer_headers,
        **{"from": "2026-10-01", "to": "2026-10-12", "schedule_id": demo["lecture"]},
    )
    [moved, following] = body["items"]
    assert moved["original_start"] == "2026-10-05T16:00:00+08:00"
    assert moved["start"] == "2026-10-08T16:00:00+08:00"
    assert moved["end"] == "2026-10-08T17:00:00+08:00"
    assert (moved["status"], moved["is_happening"]) == ("holiday_moved", True)
    assert "2026-10-05" in moved["reason"]
    assert moved["schedule"]["title"] == "机关职工每周一讲"
    assert moved["speaker"]["name"] and moved["topic"]
    assert following["start"] == "2026-10-12T16:00:00+08:00"


def test_occurrences_are_sorted_and_paginated(
    client: FlaskClient, demo: dict[str, int], viewer_headers: dict[str, str]
) -> None:
    window = {"from": "2026-01-01", "to": "2026-12-31"}
    whole = _get(client, viewer_headers, **window, per_page=500)
    starts = [item["start"] for item in whole["items"]]
    assert whole["total"] == len(starts) > 52
    assert starts == sorted(starts, key=lambda s: s.replace("+08:00", ""))
    page_two = _get(client, viewer_headers, **window, page=2, per_page=10)
    assert (page_two["page"], page_two["per_page"], page_two["total"]) == (2, 10, whole["total"])
    assert page_two["items"] == whole["items"][10:20]


def test_filters_by_kind_department_and_person_audience(
    client: FlaskClient, demo: dict[str, int], viewer_headers: dict[str, str]
) -> None:
    year = {"from": "2026-01-01", "to": "2026-12-31", "per_page": 500}
    campaigns = _get(client, viewer_headers, **year, kind="campaign")["items"]
    assert {item["schedule"]["kind"] for item in campaigns} == {"campaign"}
    assert len(campaigns) == 5  # 3·8, 4·15, 6·26, 12·4 and the 宪法宣传周

    titles = {
        item["schedule"]["title"]
        for item in _get(client, viewer_headers, **year, department_id=demo["妇联"])["items"]
    }
    assert "3·8 妇女节普法宣传" in titles and "机关职工每周一讲" in titles
    assert "6·26 国际禁毒日宣传" not in titles

    mine = {
        item["schedule"]["title"]
        for item in _get(client, viewer_headers, **year, person_id=demo["黄磊"])["items"]
    }
    assert "6·26 国际禁毒日宣传" in mine and "宪法宣传周" not in mine


def test_a_skipped_occurrence_stays_visible_as_skipped(
    client: FlaskClient, demo: dict[str, int], session: Session, viewer_headers: dict[str, str]
) -> None:
    lecture = session.get(Schedule, demo["lecture"])
    assert lecture is not None
    lecture.holiday_policy = "skip"
    session.commit()
    body = _get(client, viewer_headers, **{"from": "2026-10-01", "to": "2026-10-06"})
    [skipped] = [i for i in body["items"] if i["schedule"]["id"] == demo["lecture"]]
    assert (skipped["start"], skipped["status"]) == ("2026-10-05T16:00:00+08:00", "holiday_skipped")
    assert skipped["is_happening"] is False


def test_without_a_window_the_next_31_days_from_today_are_shown(
    client: FlaskClient, demo: dict[str, int], viewer_headers: dict[str, str]
) -> None:
    with time_machine.travel("2026-10-01T10:00:00+08:00", tick=False):
        body = _get(client, viewer_headers)
    assert (body["start"], body["end"]) == (
        "2026-10-01T00:00:00+08:00",
        "2026-11-01T00:00:00+08:00",
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-01-01", "to": "2037-01-01"}, "to"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
        ({"from": "not-a-date"}, "from"),
        # Beyond what dates can hold once the window is widened: refused, not a 500.
        ({"from": "0001-01-01", "to": "0001-03-01"}, "from"),
        ({"from": "9999-01-01", "to": "9999-12-31"}, "from"),
        ({"from": "2026-01-01", "to": "9999-12-31T23:59:59+00:00"}, "to"),
        ({"kind": "party"}, "kind"),
        ({"per_page": 0}, "per_page"),
        ({"page": "x"}, "page"),
    ],
)
def test_bad_queries_are_422_naming_the_field(
    client: FlaskClient, viewer_headers: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = client.get(URL, query_string=params, headers=viewer_headers)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid"
    assert any(key.split(".")[-1] == field or key == field for key in body["fields"]), body


@pytest.mark.parametrize("field", ["schedule_id", "person_id", "department_id"])
def test_unknown_ids_in_filters_are_404_naming_the_field(
    client: FlaskClient, viewer_headers: dict[str, str], field: str
) -> None:
    response = client.get(URL, query_string={field: 999}, headers=viewer_headers)
    assert response.status_code == 404
    assert response.get_json()["fields"] == {field: "not found"}


def test_occurrences_need_a_token(client: FlaskClient) -> None:
    assert client.get(URL).status_code == 401
