"""Swapping two weeks of the demo lecture rota, and what happens to the reminders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from service.context import Pufa
from service.models import AuditEntry, OccurrenceOverride, Person
from service.workflows import replan, rota
from tests.support.workflows import (
    lecture,
    local,
    pending_delivery,
    person,
    rule,
    seed_demo,
    statuses,
)

MAR_9 = local(2026, 3, 9, 16, 0)  # 胡晓燕, 农村常用法律知识
MAR_16 = local(2026, 3, 16, 16, 0)  # 冯强, 宪法


@pytest.fixture
def replans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def record(session: Session, schedule_id: int, now: datetime) -> bool:
        calls.append(schedule_id)
        return True

    monkeypatch.setattr(replan, "replan_schedule", record)
    return calls


@pytest.fixture
def demo(pufa_state: Pufa) -> Iterator[int]:
    seed_demo(pufa_state)
    with pufa_state.db.sessions() as session:
        schedule_id = lecture(session).id
    with time_machine.travel(local(2026, 3, 5, 9, 0), tick=False):
        yield schedule_id


def swap(
    client: FlaskClient, headers: dict[str, str], schedule_id: int, **body: object
) -> TestResponse:
    return client.post(f"/api/v1/schedules/{schedule_id}/rota/swap", json=body, headers=headers)


def week(session: Session, schedule_id: int, start: datetime) -> tuple[str | None, str]:
    session.expire_all()
    found = rota.find_occurrence(session, rota.lecture(session, schedule_id), start)
    assert found is not None
    speaker = session.get_one(Person, found.speaker_id).name
    return speaker, found.topic


def test_a_swap_exchanges_the_speakers_of_two_weeks(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: int,
    replans: list[int],
) -> None:  # fmt: skip
    response = swap(client, admin_headers, demo, first=MAR_9.isoformat(), second=MAR_16.isoformat())
    assert response.status_code == 200, response.get_json()
    with pufa_state.db.sessions() as session:
        assert week(session, demo, MAR_9) == ("冯强", "农村常用法律知识")
        assert week(session, demo, MAR_16) == ("胡晓燕", "宪法")
        entry = session.scalars(select(AuditEntry)).one()
        assert entry.action == "rota_swap" and entry.actor == "test admin"
        assert entry.before is not None and entry.after is not None
        assert entry.before[MAR_9.isoformat()]["speaker_id"] == person(session, "胡晓燕").id
        assert entry.after[MAR_9.isoformat()]["speaker_id"] == person(session, "冯强").id
    assert replans == [demo]


def test_a_swap_can_take_the_topics_along(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: int,
    replans: list[int],
) -> None:  # fmt: skip
    swap(client, admin_headers, demo, first=MAR_9.isoformat(), second=MAR_16.isoformat(),
         swap_topics=True)  # fmt: skip
    with pufa_state.db.sessions() as session:
        assert week(session, demo, MAR_9) == ("冯强", "宪法")
        assert week(session, demo, MAR_16) == ("胡晓燕", "农村常用法律知识")


def test_a_swap_withdraws_the_reminders_of_speakers_who_lost_their_week(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: int,
    replans: list[int],
) -> None:  # fmt: skip
    with pufa_state.db.transaction() as session:
        schedule = lecture(session)
        hu, feng, sun = person(session, "胡晓燕"), person(session, "冯强"), person(session, "孙丽")
        week_before, day_before = (
            rule(schedule, "speaker", 7 * 1440),
            rule(schedule, "speaker", 1440),
        )
        rows = [
            pending_delivery(session, schedule, day_before, hu, MAR_9),
            pending_delivery(session, schedule, week_before, feng, MAR_16),
            pending_delivery(session, schedule, rule(schedule, "audience"), sun, MAR_9),
            # Already claimed by the dispatcher: the swap must not pull it from under it.
            pending_delivery(session, schedule, week_before, hu, MAR_9, status="sending"),
        ]
    response = swap(client, admin_headers, demo, first=MAR_9.isoformat(), second=MAR_16.isoformat())
    assert response.status_code == 200
    with pufa_state.db.sessions() as session:
        assert statuses(session, rows) == ["retracted", "retracted", "pending", "sending"]
    # ...and the planner is asked to plan the new speakers' reminders at once.
    assert replans == [demo]


@pytest.mark.parametrize(
    ("second", "status", "error", "field"),
    [
        (local(2026, 3, 17, 16, 0), 404, "no_such_occurrence", "second"),  # a Tuesday
        (local(2026, 3, 9, 16, 0), 422, "invalid", "second"),  # the same week
        (datetime(1, 1, 1), 422, "invalid", "second"),  # no 500 at the calendar's edge
        (datetime(9999, 12, 31, 23), 422, "invalid", "second"),
    ],
)
def test_swapping_with_a_week_that_does_not_exist_changes_nothing(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: int,
    second: datetime, status: int, error: str, field: str,
) -> None:  # fmt: skip
    response = swap(client, admin_headers, demo, first=MAR_9.isoformat(), second=second.isoformat())
    assert response.status_code == status
    body = response.get_json()
    assert (body["error"], list(body["fields"])) == (error, [field])
    with pufa_state.db.sessions() as session:
        assert week(session, demo, MAR_9) == ("胡晓燕", "农村常用法律知识")
        assert session.scalars(select(AuditEntry)).first() is None


def test_swapping_with_a_cancelled_week_is_a_conflict_and_changes_nothing(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: int,
) -> None:  # fmt: skip
    with pufa_state.db.transaction() as session:
        override = session.scalars(
            select(OccurrenceOverride).where(OccurrenceOverride.original_start_at == MAR_16)
        ).one()
        override.is_cancelled = True
    response = swap(client, admin_headers, demo, first=MAR_9.isoformat(), second=MAR_16.isoformat())
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "occurrence_not_happening"
    assert body["fields"] == {"second": "cancelled"}
    with pufa_state.db.sessions() as session:
        assert week(session, demo, MAR_9) == ("胡晓燕", "农村常用法律知识")


def test_losing_a_race_with_another_admin_is_a_conflict_not_a_crash(pufa_state: Pufa) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    from service.domain.common import committed
    from service.errors import Conflict

    session = pufa_state.db.sessions()
    with pytest.raises(Conflict, match="at the same time"), committed(session):
        raise StaleDataError("UPDATE statement on table 'occurrence_overrides' expected 1 row")
