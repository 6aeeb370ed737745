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
    page_two = _get(client, viewer_headers, **window, page=2, per_page=10, count="true")
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


def test_total_is_given_when_asked_for_or_when_the_page_reaches_the_end(
    client: FlaskClient, demo: dict[str, int], viewer_headers: dict[str, str]
) -> None:
    window = {"from": "2026-01-01", "to": "2026-12-31"}
    whole = _get(client, viewer_headers, **window, per_page=500)
    assert (whole["total"], whole["next"]) == (len(whole["items"]), None)

    first = _get(client, viewer_headers, **window, per_page=10)
    assert first["total"] is None and first["next"]
    assert (
        _get(client, viewer_headers, **window, per_page=10, count="true")["total"]
        == (whole["total"])
    )
    last_page = -(-whole["total"] // 10)
    last = _get(client, viewer_headers, **window, per_page=10, page=last_page)
    assert (last["total"], last["next"]) == (whole["total"], None)


def test_walking_two_years_with_the_cursor_gives_the_whole_listing_once(
    client: FlaskClient,
    demo: dict[str, int],
    admin_headers: dict[str, str],
    viewer_headers: dict[str, str],
) -> None:
    lecture = f"/api/v1/schedules/{demo['lecture']}/occurrences"
    overwrite = {**admin_headers, "If-Match": "*"}  # the demo rota has set speakers
    for original, change in [
        ("2026-03-09T16:00", {"moved_start": "2026-03-11T09:00", "note": "改到周三上午"}),
        ("2027-03-08T16:00", {"is_cancelled": True}),
    ]:
        response = client.put(f"{lecture}/{original}", json=change, headers=overwrite)
        assert response.status_code in (200, 201), response.get_json()
    # Another series at the lecture's hour: occurrences with the same start.
    same_hour = {
        "kind": "meeting",
        "title": "周一例会",
        "start": "2026-01-05T16:00",
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "holiday_policy": "next_workday",
        "is_for_everyone": True,
    }
    assert (
        client.post("/api/v1/schedules", json=same_hour, headers=admin_headers).status_code == 201
    )
    window = {"from": "2026-01-01", "to": "2027-12-31"}

    whole = _get(client, viewer_headers, **window, per_page=500)
    walked, after, pages = [], None, 0
    while True:
        page = _get(
            client, viewer_headers, **window, per_page=7, **({"after": after} if after else {})
        )
        walked += page["items"]
        pages, after = pages + 1, page["next"]
        if after is None:
            break

    assert whole["next"] is None and 150 < len(whole["items"]) < 500
    assert walked == whole["items"] and pages == -(-len(walked) // 7)
    statuses = {item["status"] for item in walked}
    assert {"scheduled", "moved", "cancelled", "holiday_moved"} <= statuses
    starts = [item["start"] for item in walked]
    assert len(starts) > len(set(starts))  # same-start occurrences of the two series


@pytest.mark.parametrize(
    ("after", "problem"),
    [
        ("2026-03-02T08:00:00Z|1", "three parts"),
        ("2026-03-02T08:00:00Z|x|2026-03-02T08:00:00Z", "not a number"),
        ("2026-03-02T08:00:00Z|0|2026-03-02T08:00:00Z", "out of range"),
        ("2026-03-02T08:00:00Z|4294967296|2026-03-02T08:00:00Z", "out of range"),
        ("yesterday|1|2026-03-02T08:00:00Z", "not an ISO 8601 date-time"),
        ("2026-03-02T08:00:00|1|2026-03-02T08:00:00Z", "needs a timezone"),
        ("2026-03-02T08:00:00Z|1|9999-12-31T23:00:00-05:00", "beyond the dates"),
    ],
)
def test_a_bad_cursor_is_422_naming_after_and_the_problem(
    client: FlaskClient, viewer_headers: dict[str, str], after: str, problem: str
) -> None:
    response = client.get(URL, query_string={"after": after}, headers=viewer_headers)
    assert response.status_code == 422
    assert problem in response.get_json()["fields"]["after"]


def test_a_cursor_and_a_page_number_together_are_refused(
    client: FlaskClient, viewer_headers: dict[str, str]
) -> None:
    after = "2026-03-02T08:00:00Z|1|2026-03-02T08:00:00Z"
    response = client.get(URL, query_string={"after": after, "page": 2}, headers=viewer_headers)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"after", "page"}
