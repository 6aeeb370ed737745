"""Input at the edges (control characters, the calendar's limits, ids past 32 bits,
odd digits, deep JSON) is a 4xx naming the problem, never a 500, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.context import Pufa
from service.models import Person, Schedule, StudyConfirmation, StudyItem
from tests.support.feeds import seed_demo
from tests.support.web import csrf_from, sign_in

TOO_BIG = 2**31  # one past the largest INTEGER id


@pytest.fixture
def demo(pufa_state: Pufa) -> Pufa:
    seed_demo(pufa_state)
    return pufa_state


def first_id(state: Pufa, model: Any) -> int:
    with state.db.sessions() as session:
        value = session.scalars(select(model.id).order_by(model.id)).first()
        assert value is not None
        return int(value)


def lecture_id(state: Pufa) -> int:
    with state.db.sessions() as session:
        query = select(Schedule.id).where(Schedule.kind == "lecture").order_by(Schedule.id)
        value = session.scalars(query).first()
        assert value is not None
        return value


@pytest.mark.parametrize("title", ["每周一讲\x0b第二行", "报警\x07", "删除\x7f"])
def test_control_characters_in_text_are_refused_naming_the_field(
    client: FlaskClient, demo: Pufa, admin_headers: dict[str, str], title: str
) -> None:
    schedule_id = lecture_id(demo)
    with demo.db.sessions() as session:
        before = session.get_one(Schedule, schedule_id).title
    response = client.patch(
        f"/api/v1/schedules/{schedule_id}",
        json={"title": title},
        headers={**admin_headers, "If-Match": "*"},
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {
        "title": "Value error, must not contain control characters"
    }
    with demo.db.sessions() as session:
        assert session.get_one(Schedule, schedule_id).title == before


def test_tabs_and_line_breaks_in_a_description_are_kept(
    client: FlaskClient, demo: Pufa, admin_headers: dict[str, str]
) -> None:
    response = client.patch(
        f"/api/v1/schedules/{lecture_id(demo)}",
        json={"description": "第一行\r\n第二行\t备注"},
        headers={**admin_headers, "If-Match": "*"},
    )
    assert response.status_code == 200


def test_the_xlsx_ledger_is_written_even_with_control_characters_already_stored(
    client: FlaskClient, demo: Pufa, admin_headers: dict[str, str]
) -> None:
    with demo.db.transaction() as session:  # saved before input refused them
        schedule = session.get(Schedule, lecture_id(demo))
        assert schedule is not None
        schedule.title = "每周一讲\x0b第二行"
    response = client.get(
        "/api/v1/ledger.xlsx", query_string={"from": "2026-01-01", "to": "2026-12-31"},
        headers=admin_headers,
    )  # fmt: skip
    assert response.status_code == 200
    assert response.data.startswith(b"PK")  # a zip: the workbook


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/ledger.csv", {"from": "9999-12-31", "to": "9999-12-31"}, "from"),
        ("/api/v1/ledger.xlsx", {"from": "0001-01-01", "to": "0001-01-01"}, "from"),
        ("/api/v1/deliveries", {"from": "0001-01-01T00:00+14:00"}, "from"),
        ("/api/v1/deliveries", {"to": "9999-12-31T23:59-12:00"}, "to"),
        ("/api/v1/occurrences", {"schedule_id": TOO_BIG}, "schedule_id"),
        ("/api/v1/occurrences", {"person_id": TOO_BIG}, "person_id"),
    ],
)
def test_queries_past_the_calendar_or_the_id_range_are_422_naming_the_field(
    client: FlaskClient, demo: Pufa, admin_headers: dict[str, str],
    path: str, query: dict[str, Any], field: str,
) -> None:  # fmt: skip
    response = client.get(path, query_string=query, headers=admin_headers)
    assert response.status_code == 422, response.json
    assert field in response.get_json()["fields"], response.json


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/schedules/{big}/rota"),
        ("DELETE", "/api/v1/departments/{big}"),
        ("GET", "/api/v1/study-plans/{big}/progress"),
        ("POST", "/api/v1/people/{big}/test-sms"),
        ("GET", "/api/v1/people/{huge}"),
    ],
)
def test_a_path_id_past_the_id_range_is_404_like_any_unknown_id(
    client: FlaskClient, demo: Pufa, admin_headers: dict[str, str], method: str, path: str
) -> None:
    url = path.format(big=TOO_BIG, huge="9" * 5000)
    headers = {**admin_headers, "If-Match": "*"}
    response = client.open(
        url, method=method, headers=headers, json={} if method == "POST" else None
    )
    assert response.status_code == 404, response.json


def test_web_pages_with_an_id_past_the_range_are_404(client: FlaskClient, demo: Pufa) -> None:
    sign_in(client, demo)
    for path in (
        f"/admin/people/{TOO_BIG}",
        f"/admin/schedules/{TOO_BIG}",
        f"/admin/rota/{TOO_BIG}",
    ):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/rota/weeks/2026-12-07T16:00:00", {"speaker_id": None, "topic": "民法\x00典"}, "topic"),
        ("/rota/weeks/2026-12-07T16:00:00", {"speaker_id": None, "topic": "法" * 201}, "topic"),
        ("/rota/weeks/2026-12-07T16:00:00", {"speaker_id": TOO_BIG}, "speaker_id"),
    ],
)
def test_rota_topics_and_speakers_are_checked_like_any_other_text_and_id(
    client: FlaskClient, demo: Pufa, admin_headers: dict[str, str],
    path: str, body: dict[str, Any], field: str,
) -> None:  # fmt: skip
    url = f"/api/v1/schedules/{lecture_id(demo)}{path}"
    response = client.put(url, json=body, headers=admin_headers)
    assert response.status_code == 422, response.json
    assert field in response.get_json()["fields"]
    generate = client.post(
        f"/api/v1/schedules/{lecture_id(demo)}/rota",
        json={"pool": [first_id(demo, Person)], "weeks": 4, "topics": ["\x00"], "overwrite": True},
        headers=admin_headers,
    )
    assert generate.status_code == 422
    assert "topics.0" in generate.get_json()["fields"]


def test_a_study_note_with_nul_is_refused_and_nothing_is_confirmed(
    client: FlaskClient, demo: Pufa, admin_headers: dict[str, str]
) -> None:
    item_id = first_id(demo, StudyItem)
    for body, field in (
        ({"person_id": first_id(demo, Person), "note": "学习\x00笔记"}, "note"),
        ({"person_id": TOO_BIG, "note": ""}, "person_id"),
    ):
        response = client.post(
            f"/api/v1/study-items/{item_id}/confirmations", json=body, headers=admin_headers
        )
        assert response.status_code == 422, response.json
        assert field in response.get_json()["fields"]
    with demo.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StudyConfirmation)) == 0


@pytest.mark.parametrize("if_match", ['"²"', '"١٢"', '"' + "9" * 5000 + '"'])
def test_if_match_with_digits_that_are_not_ascii_names_no_version(
    client: FlaskClient, demo: Pufa, admin_headers: dict[str, str], if_match: str
) -> None:
    response = client.patch(
        f"/api/v1/schedules/{lecture_id(demo)}",
        json={"title": "新名字"},
        headers={**admin_headers, "If-Match": if_match.encode().decode("latin-1")},
    )
    assert response.status_code == 412
    assert response.get_json()["fields"] == {"If-Match": "no such version"}


def test_a_web_form_with_an_odd_version_is_no_500(client: FlaskClient, demo: Pufa) -> None:
    sign_in(client, demo)
    person_id = first_id(demo, Person)
    page = client.get(f"/admin/people/{person_id}").get_data(as_text=True)
    for version in ("²", "9" * 5000):
        response = client.post(
            f"/admin/people/{person_id}",
            data={"name": "新名字", "version": version, "csrf_token": csrf_from(page)},
        )
        assert response.status_code in (302, 400), version


def test_json_nested_too_deeply_is_a_400(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/departments",
        data="[" * 100_000 + "]" * 100_000,
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "malformed_json"
