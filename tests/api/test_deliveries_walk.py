"""Walking the outbox with ``after``: every row once, newest first, however many share a
``due_at``; the count is exact when cheap or asked for, and a bad cursor is a 422."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.domain import deliveries
from service.models import Delivery
from tests.support.sms_world import World, local, outbox

LECTURE = local(2026, 12, 7, 16)
# Three instants shared by many rows, one with microseconds (the cursor keeps them).
DUE = [
    local(2026, 12, 6, 15),
    local(2026, 12, 6, 9, 30) + timedelta(microseconds=250),
    local(2026, 12, 5, 15),
]
STATUSES = ["delivered", "failed", "sent"]


def _rows(session: Session, count: int = 23) -> list[Delivery]:
    rows = outbox(World(session), count, DUE[0], LECTURE)
    for i, row in enumerate(rows):
        row.due_at = DUE[(i * 7) % 3]  # each instant's rows interleaved by id
        row.status = STATUSES[i % 3]
    session.commit()
    return rows


def _newest_first(rows: list[Delivery], status: str | None = None) -> list[int]:
    chosen = [r for r in rows if status is None or r.status == status]
    return [r.id for r in sorted(chosen, key=lambda r: (r.due_at, r.id), reverse=True)]


def _walk(client: FlaskClient, headers: dict[str, str], query: dict[str, str]) -> list[list[int]]:
    pages, after = [], None
    for _ in range(50):
        params = {**query, "after": after} if after else query
        response = client.get("/api/v1/deliveries", query_string=params, headers=headers)
        assert response.status_code == 200, response.data
        body = response.get_json()
        assert body is not None
        pages.append([item["id"] for item in body["items"]])
        after = body["next"]
        if after is None:
            return pages
    raise AssertionError("the walk did not end")


@pytest.mark.parametrize("per_page", [1, 4, 5, 23])
def test_a_cursor_walk_sees_every_row_once_in_order(
    client: FlaskClient, session: Session, viewer_headers: dict[str, str], per_page: int
) -> None:
    rows = _rows(session)

    pages = _walk(client, viewer_headers, {"per_page": str(per_page)})

    walked = [i for page in pages for i in page]
    assert walked == _newest_first(rows)
    assert all(len(page) == per_page for page in pages[:-1]) and pages[-1]


def test_a_filtered_walk_keeps_its_filter(
    client: FlaskClient, session: Session, viewer_headers: dict[str, str]
) -> None:
    rows = _rows(session)

    pages = _walk(client, viewer_headers, {"per_page": "2", "status": "failed"})

    assert [i for page in pages for i in page] == _newest_first(rows, "failed")


def test_the_cursor_is_the_last_rows_due_at_in_utc_and_id(
    client: FlaskClient, session: Session, viewer_headers: dict[str, str]
) -> None:
    rows = _rows(session, 3)
    first = _newest_first(rows)

    body = client.get("/api/v1/deliveries?per_page=2", headers=viewer_headers).get_json()

    assert body is not None
    last = next(r for r in rows if r.id == first[1])
    assert last.due_at == DUE[1]
    assert body["next"] == f"2026-12-06T01:30:00.000250Z|{last.id}"
    assert (body["total"], body["total_over"]) == (3, None)


def test_the_count_stops_past_the_cap_unless_asked_for(
    client: FlaskClient,
    session: Session,
    viewer_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _rows(session, 7)
    monkeypatch.setattr(deliveries, "MAX_COUNTED", 5)

    capped = client.get("/api/v1/deliveries?per_page=2", headers=viewer_headers).get_json()
    exact = client.get("/api/v1/deliveries?per_page=2&count=true", headers=viewer_headers)
    few = client.get("/api/v1/deliveries?per_page=1&status=failed", headers=viewer_headers)

    assert capped is not None and (capped["total"], capped["total_over"]) == (None, 5)
    assert exact.json is not None and (exact.json["total"], exact.json["total_over"]) == (7, None)
    assert few.json is not None and few.json["total"] == 2  # rows 1 and 4


@pytest.mark.parametrize(
    "query",
    [
        "after=abc",
        "after=2026-12-06T01:30:00Z",
        "after=2026-12-06T01:30:00|12",  # naive: which timezone?
        "after=2026-12-06T01:30:00Z|0",
        "after=2026-12-06T01:30:00Z|-3",
        "after=9999-12-31T23:59:59Z|1",
        "after=2026-12-06T01:30:00Z|1&page=2",
        "after=" + "9" * 101,
    ],
)
def test_a_bad_cursor_is_a_422_naming_after(
    client: FlaskClient, viewer_headers: dict[str, str], query: str
) -> None:
    response = client.get(f"/api/v1/deliveries?{query}", headers=viewer_headers)

    assert response.status_code == 422
    body = response.get_json()
    assert body is not None and body["error"] == "invalid" and "after" in body["fields"]
