"""People and departments through the API: validation, conflicts, lists, audit."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

API = "/api/v1"


def _create(
    client: FlaskClient, headers: dict[str, str], path: str, body: object
) -> dict[str, Any]:
    response = client.post(f"{API}/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def test_creating_a_person_stores_the_mobile_in_e164(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    office = _create(client, admin_headers, "departments", {"name": "党政办"})
    person = _create(
        client,
        admin_headers,
        "people",
        {"name": "孙丽", "mobile": "139 0000 0002", "department_ids": [office["id"]]},
    )
    assert person["mobile"] == "+8613900000002"
    assert person["department_ids"] == [office["id"]]
    assert person["version"] == 1


def test_a_bad_mobile_number_is_a_422_naming_the_field(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    for bad in ("12345", "010 6552 9988", "not a number"):
        response = client.post(
            f"{API}/people", json={"name": "冯强", "mobile": bad}, headers=admin_headers
        )
        assert response.status_code == 422, bad
        body = response.get_json()
        assert body["error"] == "invalid"
        assert "mobile" in body["fields"]


def test_a_mobile_number_belongs_to_one_person(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    _create(client, admin_headers, "people", {"name": "孙丽", "mobile": "+8613900000002"})
    response = client.post(
        f"{API}/people", json={"name": "周伟", "mobile": "13900000002"}, headers=admin_headers
    )
    assert response.status_code == 409
    assert response.get_json()["fields"] == {"mobile": "already in use"}


def test_an_unknown_department_is_a_422_naming_the_field(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        f"{API}/people", json={"name": "周伟", "department_ids": [404]}, headers=admin_headers
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"department_ids": "unknown id 404"}


def test_unknown_fields_are_refused(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        f"{API}/departments", json={"name": "妇联", "colour": "red"}, headers=admin_headers
    )
    assert response.status_code == 422
    assert "colour" in response.get_json()["fields"]


def test_a_duplicate_department_name_is_a_409(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    _create(client, admin_headers, "departments", {"name": "妇联"})
    response = client.post(f"{API}/departments", json={"name": "妇联"}, headers=admin_headers)
    assert response.status_code == 409
    assert response.get_json()["fields"] == {"name": "duplicate"}


def test_a_department_has_a_head_who_must_exist(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    head = _create(client, admin_headers, "people", {"name": "李法明", "role": "head"})
    office = _create(
        client, admin_headers, "departments", {"name": "司法所", "head_id": head["id"]}
    )
    assert office["head_id"] == head["id"]
    response = client.post(
        f"{API}/departments", json={"name": "综治办", "head_id": 999}, headers=admin_headers
    )
    assert response.status_code == 422
    assert "head_id" in response.get_json()["fields"]


def test_a_department_still_in_use_cannot_be_deleted(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    office = _create(client, admin_headers, "departments", {"name": "派出所"})
    person = _create(
        client, admin_headers, "people", {"name": "黄磊", "department_ids": [office["id"]]}
    )
    with_version = {**admin_headers, "If-Match": '"1"'}
    response = client.delete(f"{API}/departments/{office['id']}", headers=with_version)
    assert response.status_code == 409
    assert response.get_json()["error"] == "in_use"
    assert client.get(f"{API}/people/{person['id']}", headers=admin_headers).get_json()[
        "department_ids"
    ] == [office["id"]]

    moved = client.patch(
        f"{API}/people/{person['id']}",
        json={"department_ids": []},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert moved.status_code == 200
    response = client.delete(f"{API}/departments/{office['id']}", headers=with_version)
    assert response.status_code == 204
    assert client.get(f"{API}/departments/{office['id']}", headers=admin_headers).status_code == 404


def test_people_are_paginated_and_filtered(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    office = _create(client, admin_headers, "departments", {"name": "综治办"})
    for index in range(7):
        departments = [office["id"]] if index % 2 else []
        body = {"name": f"干部{index}", "mobile": f"1390000010{index}"}
        _create(client, admin_headers, "people", {**body, "department_ids": departments})

    page = client.get(f"{API}/people?per_page=3&page=3", headers=admin_headers).get_json()
    assert (page["total"], page["page"], page["per_page"]) == (7, 3, 3)
    assert [p["name"] for p in page["items"]] == ["干部6"]

    members = client.get(f"{API}/people?department_id={office['id']}", headers=admin_headers)
    assert [p["name"] for p in members.get_json()["items"]] == ["干部1", "干部3", "干部5"]
    by_number = client.get(f"{API}/people?q=00000104", headers=admin_headers).get_json()
    assert [p["name"] for p in by_number["items"]] == ["干部4"]

    too_many = client.get(f"{API}/people?per_page=1000", headers=admin_headers)
    assert too_many.status_code == 422
    assert "per_page" in too_many.get_json()["fields"]


def test_changing_a_person_is_audited_with_before_and_after(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    person = _create(client, admin_headers, "people", {"name": "何芳"})
    client.patch(
        f"{API}/people/{person['id']}",
        json={"is_sms_enabled": False},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    entries = client.get(f"{API}/audit?resource=person", headers=admin_headers).get_json()
    assert [e["action"] for e in entries["items"]] == ["update", "create"]
    update = entries["items"][0]
    assert update["actor"] == "test admin"
    assert update["resource_id"] == str(person["id"])
    assert update["before"]["is_sms_enabled"] is True
    assert update["after"]["is_sms_enabled"] is False
    assert "feed_token_hash" not in update["after"]
