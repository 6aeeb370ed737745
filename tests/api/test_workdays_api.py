"""``GET /api/v1/workdays`` and the holiday-override CRUD (ETag, If-Match, audit)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import AuditEntry, HolidayOverride

URL = "/api/v1/holiday-overrides"


def _day(body: dict[str, Any], iso: str) -> dict[str, Any]:
    days: list[dict[str, Any]] = [d for d in body["days"] if d["date"] == iso]
    [day] = days
    return day


def test_2026_lists_holidays_weekends_and_make_up_days(
    client: FlaskClient, viewer_headers: dict[str, str]
) -> None:
    response = client.get("/api/v1/workdays", query_string={"year": 2026}, headers=viewer_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["year"], body["status"], body["overridden_days"]) == (2026, "official", 0)
    assert _day(body, "2026-10-05") == {
        "date": "2026-10-05",
        "is_workday": False,
        "kind": "holiday",
        "source": "official",
        "name": "国庆节",
    }
    assert _day(body, "2026-10-10")["kind"] == "makeup_workday"
    assert _day(body, "2026-10-10")["name"] == "国庆节（调休上班）"
    assert _day(body, "2026-03-07")["kind"] == "weekend"
    assert not [d for d in body["days"] if d["date"] == "2026-03-09"]  # an ordinary Monday


def test_2027_is_provisional_until_an_admin_overrides_a_day(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    created = client.post(
        URL,
        json={"day": "2027-09-26", "is_workday": True, "name": "国庆节（调休上班）"},
        headers=admin_headers,
    )
    assert created.status_code == 201
    body = client.get("/api/v1/workdays?year=2027", headers=admin_headers).get_json()
    assert body["status"] == "provisional" and body["overridden_days"] == 1
    assert _day(body, "2027-09-26")["source"] == "override"
    assert _day(body, "2027-10-01")["source"] == "provisional"
    health = client.get("/healthz").get_json()["holidays"]
    assert health["overridden_years"] == [2027]


def test_bad_years_are_422(client: FlaskClient, viewer_headers: dict[str, str]) -> None:
    for year in ("1999", "2101", "soon"):
        response = client.get(f"/api/v1/workdays?year={year}", headers=viewer_headers)
        assert response.status_code == 422
        assert "year" in response.get_json()["fields"]


def test_override_lifecycle_with_etags_and_audit(
    client: FlaskClient, admin_headers: dict[str, str], session: Session
) -> None:
    created = client.post(
        URL,
        json={"day": "2027-10-08", "is_workday": False, "name": "国庆节"},
        headers=admin_headers,
    )
    assert created.status_code == 201
    location, etag = created.headers["Location"], created.headers["ETag"]
    assert client.get(location, headers=admin_headers).headers["ETag"] == etag

    change = {"day": "2027-10-08", "is_workday": False, "name": "国庆节（延长）"}
    assert client.patch(location, json=change, headers=admin_headers).status_code == 428
    stale = {**admin_headers, "If-Match": '"999"'}
    assert client.patch(location, json=change, headers=stale).status_code == 412
    updated = client.patch(location, json=change, headers={**admin_headers, "If-Match": etag})
    assert updated.status_code == 200
    assert updated.get_json()["name"] == "国庆节（延长）"
    assert updated.headers["ETag"] != etag

    old = {**admin_headers, "If-Match": etag}
    assert client.delete(location, headers=old).status_code == 412
    fresh = {**admin_headers, "If-Match": updated.headers["ETag"]}
    assert client.delete(location, headers=fresh).status_code == 204
    assert client.get(location, headers=admin_headers).status_code == 404

    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["create", "update", "delete"]
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None and last.before is not None
    assert (last.resource, last.before["name"], last.after) == (
        "holiday_override",
        "国庆节（延长）",
        None,
    )
    assert last.actor == "test admin"


def test_a_day_can_have_only_one_override(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    body = {"day": "2027-02-20", "is_workday": True, "name": "春节（调休上班）"}
    assert client.post(URL, json=body, headers=admin_headers).status_code == 201
    again = client.post(URL, json=body, headers=admin_headers)
    assert again.status_code == 409
    assert again.get_json()["fields"] == {"day": "duplicate"}


def test_rejected_writes_write_nothing(
    client: FlaskClient,
    admin_headers: dict[str, str],
    viewer_headers: dict[str, str],
    session: Session,
) -> None:
    bad = [
        {"day": "2027-02-30", "is_workday": True},
        {"day": "1999-01-01", "is_workday": True},
        {"day": "2027-01-01"},
        {"day": "2027-01-01", "is_workday": True, "name": "x" * 101},
    ]
    for body in bad:
        response = client.post(URL, json=body, headers=admin_headers)
        assert response.status_code == 422, body
        assert response.get_json()["error"] == "invalid"
    ok = {"day": "2027-01-01", "is_workday": True}
    assert client.post(URL, json=ok, headers=viewer_headers).status_code == 403
    assert session.scalar(select(func.count()).select_from(HolidayOverride)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_overrides_are_listed_by_year(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    for day in ("2027-10-09", "2028-01-02"):
        client.post(URL, json={"day": day, "is_workday": True}, headers=admin_headers)
    listed = client.get(URL, query_string={"year": 2027}, headers=admin_headers).get_json()
    assert [item["day"] for item in listed["items"]] == ["2027-10-09"]
