"""The lecture rota (每周一讲): listing, generating, assigning and its bad input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.context import Pufa
from service.models import AuditEntry, OccurrenceOverride, Person, Schedule
from service.workflows import replan, rota
from tests.support.workflows import local, seed_demo


@pytest.fixture
def replans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Schedule ids the workflows asked the planner to re-plan, in order."""
    calls: list[int] = []

    def record(session: Session, schedule_id: int, now: datetime) -> bool:
        calls.append(schedule_id)
        return True

    monkeypatch.setattr(replan, "replan_schedule", record)
    return calls


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(local(2026, 3, 1, 9, 0), tick=False):
        yield


@pytest.fixture
def fresh(pufa_state: Pufa) -> dict[str, int]:
    """A Monday lecture from 2026-03-02 with no rota yet, and five staff (戊 inactive).
    甲 spoke on the first Monday."""
    with pufa_state.db.transaction() as session:
        staff = {n: Person(name=n, is_active=n != "戊") for n in ("甲", "乙", "丙", "丁", "戊")}
        session.add_all(staff.values())
        schedule = Schedule(
            kind="lecture",
            title="每周一讲（测试）",
            starts_at=local(2026, 3, 2, 16, 0),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            holiday_policy="skip",
            is_for_everyone=True,
        )
        session.add(schedule)
        session.flush()
        schedule.overrides.append(
            OccurrenceOverride(
                original_start_at=local(2026, 3, 2, 16, 0), speaker_id=staff["甲"].id
            )
        )
        session.flush()
        return {"schedule": schedule.id} | {n: p.id for n, p in staff.items()}


def speakers(session: Session, schedule_id: int, now: datetime, weeks: int) -> list[Any]:
    session.expire_all()
    schedule = rota.lecture(session, schedule_id)
    return [(w.original_start.date().isoformat(), w.speaker_id, w.status) for w in
            rota.coming_weeks(session, schedule, now, weeks)]  # fmt: skip


def audit_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_rota_lists_coming_weeks_with_actual_start_status_speaker_and_topic(
    client: FlaskClient, pufa_state: Pufa, viewer_headers: dict[str, str], frozen: None
) -> None:
    seed_demo(pufa_state)
    with pufa_state.db.sessions() as session:
        schedule_id = session.scalars(select(Schedule.id).where(Schedule.kind == "lecture")).one()
    with time_machine.travel(local(2026, 2, 10, 9, 0), tick=False):
        response = client.get(
            f"/api/v1/schedules/{schedule_id}/rota?weeks=3", headers=viewer_headers
        )
    assert response.status_code == 200
    weeks = response.get_json()["weeks"]
    # Spring Festival: the Feb 23 lecture moves to the first working day after it, and
    # the Feb 16 one, which would land on the same day, is skipped.
    assert weeks[1]["start"] == "2026-02-24T16:00:00+08:00"
    assert weeks[1]["status"] == "holiday_moved"
    assert weeks[0] == {
        "original_start": "2026-02-16T16:00:00+08:00",
        "start": "2026-02-16T16:00:00+08:00",
        "status": "holiday_skipped",
        "is_happening": False,
        "speaker_id": weeks[0]["speaker_id"],
        "speaker_name": "周伟",
        "topic": "行政处罚法",
    }
    assert [w["original_start"][:10] for w in weeks] == ["2026-02-16", "2026-02-23", "2026-03-02"]


def test_generate_continues_after_who_spoke_last_and_skips_inactive_people(
    pufa_state: Pufa, fresh: dict[str, int], replans: list[int]
) -> None:
    now = local(2026, 3, 3, 9, 0)
    pool = [fresh[n] for n in ("甲", "乙", "丙", "丁", "戊")]
    with pufa_state.db.transaction() as session:
        changed = rota.generate(session, fresh["schedule"], pool=pool, weeks=6, now=now, actor="t")
    # Apr 6 is 清明节 and the policy skips it.
    assert [(w.original_start.date().isoformat(), w.speaker_name) for w in changed] == [
        ("2026-03-09", "乙"),
        ("2026-03-16", "丙"),
        ("2026-03-23", "丁"),
        ("2026-03-30", "甲"),
        ("2026-04-13", "乙"),
    ]
    assert replans == [fresh["schedule"]]


def test_generate_skips_weeks_that_do_not_take_place_and_keeps_assigned_ones(
    pufa_state: Pufa, fresh: dict[str, int], replans: list[int]
) -> None:
    now = local(2026, 9, 20, 9, 0)
    with pufa_state.db.transaction() as session:
        schedule = session.get_one(Schedule, fresh["schedule"])
        schedule.overrides += [
            OccurrenceOverride(original_start_at=local(2026, 9, 21, 16, 0), is_cancelled=True),
            OccurrenceOverride(original_start_at=local(2026, 9, 28, 16, 0), speaker_id=fresh["丁"]),
        ]
    pool = [fresh[n] for n in ("甲", "乙", "丙", "丁")]
    with pufa_state.db.transaction() as session:
        rota.generate(session, fresh["schedule"], pool=pool, weeks=4, now=now, actor="t")
    with pufa_state.db.sessions() as session:
        assert speakers(session, fresh["schedule"], now, 4) == [
            ("2026-09-21", None, "cancelled"),
            ("2026-09-28", fresh["丁"], "scheduled"),  # kept; the rotation carries on after 丁
            ("2026-10-05", None, "holiday_skipped"),  # 国庆节
            ("2026-10-12", fresh["甲"], "scheduled"),
        ]


def test_generate_overwrites_assigned_weeks_only_when_asked(
    pufa_state: Pufa, fresh: dict[str, int], replans: list[int]
) -> None:
    now = local(2026, 3, 1, 9, 0)
    with pufa_state.db.transaction() as session:
        kept = rota.generate(session, fresh["schedule"], pool=[fresh["乙"]], weeks=1, now=now,
                             actor="t")  # fmt: skip
        replaced = rota.generate(session, fresh["schedule"], pool=[fresh["乙"]], weeks=1, now=now,
                                 actor="t", overwrite=True, topics=["宪法"])  # fmt: skip
    assert kept == []
    assert [(w.speaker_name, w.topic) for w in replaced] == [("乙", "宪法")]


def test_generate_through_the_api_writes_one_audit_entry(
    client: FlaskClient, pufa_state: Pufa, fresh: dict[str, int], admin_headers: dict[str, str],
    frozen: None, replans: list[int],
) -> None:  # fmt: skip
    # 甲 (Mar 2) is not in this pool, so the rotation starts at its head.
    body = {"pool": [fresh["乙"], fresh["丙"]], "weeks": 3, "topics": ["民法典"]}
    response = client.post(
        f"/api/v1/schedules/{fresh['schedule']}/rota", json=body, headers=admin_headers
    )
    assert response.status_code == 200, response.get_json()
    assert [w["speaker_name"] for w in response.get_json()["weeks"]] == ["乙", "丙"]
    with pufa_state.db.sessions() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.actor, entry.action, entry.resource) == (
            "test admin",
            "rota_generate",
            "schedule",
        )
        empty = {"speaker_id": None, "topic": ""}
        assert entry.before == {
            "2026-03-09T16:00:00+08:00": empty,
            "2026-03-16T16:00:00+08:00": empty,
        }
        assert entry.after is not None
        assert entry.after["2026-03-09T16:00:00+08:00"] == {
            "speaker_id": fresh["乙"],
            "topic": "民法典",
        }


def test_generate_with_only_inactive_people_is_refused(
    client: FlaskClient, fresh: dict[str, int], admin_headers: dict[str, str], frozen: None
) -> None:
    response = client.post(
        f"/api/v1/schedules/{fresh['schedule']}/rota",
        json={"pool": [fresh["戊"]], "weeks": 4},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"pool": "no active person"}


def test_a_viewer_cannot_change_the_rota(
    client: FlaskClient, fresh: dict[str, int], viewer_headers: dict[str, str]
) -> None:
    response = client.post(
        f"/api/v1/schedules/{fresh['schedule']}/rota",
        json={"pool": [fresh["乙"]], "weeks": 4},
        headers=viewer_headers,
    )
    assert response.status_code == 403


def test_only_lectures_have_a_rota(
    client: FlaskClient, pufa_state: Pufa, viewer_headers: dict[str, str]
) -> None:
    seed_demo(pufa_state)
    with pufa_state.db.sessions() as session:
        campaign = session.scalars(select(Schedule.id).where(Schedule.kind == "campaign")).first()
    response = client.get(f"/api/v1/schedules/{campaign}/rota", headers=viewer_headers)
    assert response.status_code == 422
    assert response.get_json()["error"] == "not_a_lecture"
    assert client.get("/api/v1/schedules/999/rota", headers=viewer_headers).status_code == 404


def test_assigning_a_week_sets_its_speaker_and_topic(
    client: FlaskClient, pufa_state: Pufa, fresh: dict[str, int], admin_headers: dict[str, str],
    frozen: None, replans: list[int],
) -> None:  # fmt: skip
    response = client.put(
        f"/api/v1/schedules/{fresh['schedule']}/rota/weeks/2026-03-09T16:00:00+08:00",
        json={"speaker_id": fresh["丙"], "topic": "禁毒法"},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["speaker_name"] == "丙"
    with pufa_state.db.sessions() as session:
        row = session.scalars(
            select(OccurrenceOverride).where(
                OccurrenceOverride.original_start_at == local(2026, 3, 9, 16, 0).astimezone(UTC)
            )
        ).one()
        assert (row.speaker_id, row.topic) == (fresh["丙"], "禁毒法")
        assert audit_count(session) == 1
    assert replans == [fresh["schedule"]]


def test_a_week_may_be_named_in_local_time_without_an_offset(
    client: FlaskClient, fresh: dict[str, int], admin_headers: dict[str, str], frozen: None,
    replans: list[int],
) -> None:  # fmt: skip
    response = client.put(
        f"/api/v1/schedules/{fresh['schedule']}/rota/weeks/2026-03-09T16:00",
        json={"speaker_id": fresh["丙"]},
        headers=admin_headers,
    )
    assert response.status_code == 200
    assert response.get_json()["original_start"] == "2026-03-09T16:00:00+08:00"


@pytest.mark.parametrize(
    ("week", "speaker", "status", "error"),
    [
        ("2026-03-09T16:00:00+08:00", "戊", 422, "person_inactive"),
        ("2026-03-10T16:00:00+08:00", "乙", 404, "no_such_occurrence"),  # a Tuesday
        ("2026-10-05T16:00:00+08:00", "乙", 409, "occurrence_not_happening"),  # 国庆节, skipped
        ("next-monday", "乙", 422, "invalid"),
        ("0001-01-01T00:00", "乙", 422, "invalid"),  # no 500 at the calendar's edge
        ("9999-12-31T23:00:00-05:00", "乙", 422, "invalid"),
    ],
)
def test_bad_assignments_are_refused_and_change_nothing(
    client: FlaskClient, pufa_state: Pufa, fresh: dict[str, int], admin_headers: dict[str, str],
    frozen: None, week: str, speaker: str, status: int, error: str,
) -> None:  # fmt: skip
    response = client.put(
        f"/api/v1/schedules/{fresh['schedule']}/rota/weeks/{week}",
        json={"speaker_id": fresh[speaker]},
        headers=admin_headers,
    )
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert response.get_json()["message"]
    with pufa_state.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OccurrenceOverride)) == 1
        assert audit_count(session) == 0


def test_assigning_someone_unknown_names_the_field(
    client: FlaskClient, fresh: dict[str, int], admin_headers: dict[str, str], frozen: None
) -> None:
    response = client.put(
        f"/api/v1/schedules/{fresh['schedule']}/rota/weeks/2026-03-09T16:00:00+08:00",
        json={"speaker_id": 9999},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"speaker_id": "unknown person"}
