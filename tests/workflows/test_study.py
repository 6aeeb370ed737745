"""The study plan (学法计划): confirmations, withdrawn reminders, progress, escalation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from service.context import Pufa
from service.models import AuditEntry, Department, Person, Schedule, StudyConfirmation, StudyItem
from service.workflows import replan, study
from tests.support.workflows import item, local, pending_delivery, person, rule, seed_demo, statuses

BEFORE_DEADLINE = local(2026, 3, 20, 10, 0)  # 宪法 is due 2026-03-31


@pytest.fixture
def replans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def record(session: Session, schedule_id: int, now: datetime) -> bool:
        calls.append(schedule_id)
        return True

    monkeypatch.setattr(replan, "replan_schedule", record)
    return calls


@pytest.fixture
def demo(pufa_state: Pufa) -> Iterator[None]:
    seed_demo(pufa_state)
    with time_machine.travel(BEFORE_DEADLINE, tick=False):
        yield


def confirm(
    client: FlaskClient, headers: dict[str, str], item_id: int, **body: object
) -> TestResponse:
    return client.post(f"/api/v1/study-items/{item_id}/confirmations", json=body, headers=headers)


def ids(pufa_state: Pufa, *names: str, year: int = 2026, title: str = "宪法") -> list[int]:
    with pufa_state.db.sessions() as session:
        return [item(session, year, title).id] + [person(session, n).id for n in names]


def confirmations(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(StudyConfirmation)) or 0


def test_a_person_confirms_an_item_with_study_notes(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: None,
    replans: list[int],
) -> None:  # fmt: skip
    item_id, sun = ids(pufa_state, "孙丽")
    response = confirm(client, admin_headers, item_id, person_id=sun, note="学习了宪法第二章")
    assert response.status_code == 201
    assert response.get_json() == {
        "id": 1,
        "item_id": item_id,
        "person_id": sun,
        "confirmed_at": "2026-03-20T02:00:00Z",
        "note": "学习了宪法第二章",
    }
    with pufa_state.db.sessions() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.resource, entry.resource_id) == (
            "confirm",
            "study_item",
            str(item_id),
        )


def test_a_confirmation_withdraws_that_persons_pending_deadline_reminders(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: None,
    replans: list[int],
) -> None:  # fmt: skip
    deadline = local(2026, 3, 31)
    with pufa_state.db.transaction() as session:
        constitution, civil_code = item(session, 2026, "宪法"), item(session, 2026, "民法典")
        sun, zhou = person(session, "孙丽"), person(session, "周伟")
        week = rule(constitution.schedule, "unconfirmed", 7 * 1440)
        day = rule(constitution.schedule, "unconfirmed", 1440)
        other = rule(civil_code.schedule, "unconfirmed", 1440)
        rows = [
            pending_delivery(session, constitution.schedule, week, sun, deadline),
            pending_delivery(session, constitution.schedule, day, sun, deadline),
            pending_delivery(session, constitution.schedule, day, zhou, deadline),
            pending_delivery(session, civil_code.schedule, other, sun, local(2026, 6, 30)),
        ]
        schedule_id, item_id, sun_id = constitution.schedule_id, constitution.id, sun.id
    response = confirm(client, admin_headers, item_id, person_id=sun_id)
    assert response.status_code == 201
    with pufa_state.db.sessions() as session:
        # Only 孙丽's reminders for 宪法: 周伟 has not confirmed; 民法典 is another item.
        assert statuses(session, rows) == ["retracted", "retracted", "pending", "pending"]
    assert replans == [schedule_id]


def test_confirming_twice_is_a_conflict_and_keeps_the_first_note(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: None,
    replans: list[int],
) -> None:  # fmt: skip
    item_id, sun = ids(pufa_state, "孙丽")
    confirm(client, admin_headers, item_id, person_id=sun, note="第一次")
    response = confirm(client, admin_headers, item_id, person_id=sun, note="第二次")
    assert response.status_code == 409
    assert response.get_json()["error"] == "already_confirmed"
    with pufa_state.db.sessions() as session:
        assert [c.note for c in session.scalars(select(StudyConfirmation))] == ["第一次"]


def test_confirming_after_the_plan_is_closed_is_a_conflict(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: None
) -> None:
    item_id, sun = ids(pufa_state, "孙丽")
    with pufa_state.db.transaction() as session:
        item(session, 2026, "宪法").plan.is_closed = True
    response = confirm(client, admin_headers, item_id, person_id=sun)
    assert response.status_code == 409
    assert response.get_json()["error"] == "plan_closed"
    with pufa_state.db.sessions() as session:
        assert confirmations(session) == 0


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"person_id": 9999}, 422, "invalid"),
        ({"person_id": "孙丽"}, 422, "invalid"),
        ({"person_id": 1, "note": "x" * 10_001}, 422, "invalid"),
        ({"person_id": 1, "unknown": True}, 422, "invalid"),
    ],
)
def test_bad_confirmations_are_refused(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: None,
    body: dict[str, object], status: int, error: str,
) -> None:  # fmt: skip
    (item_id,) = ids(pufa_state)
    response = confirm(client, admin_headers, item_id, **body)
    assert response.status_code == status
    assert response.get_json()["error"] == error
    with pufa_state.db.sessions() as session:
        assert confirmations(session) == 0


def test_an_inactive_person_or_a_missing_item_cannot_be_confirmed(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: None
) -> None:
    item_id, sun = ids(pufa_state, "孙丽")
    with pufa_state.db.transaction() as session:
        person(session, "孙丽").is_active = False
    response = confirm(client, admin_headers, item_id, person_id=sun)
    assert response.get_json()["error"] == "person_inactive"
    assert confirm(client, admin_headers, 9999, person_id=sun).status_code == 404


def test_progress_per_item_person_and_department_after_the_deadline(
    client: FlaskClient, pufa_state: Pufa, viewer_headers: dict[str, str], demo: None,
    replans: list[int],
) -> None:  # fmt: skip
    with pufa_state.db.transaction() as session:
        for someone in session.scalars(select(Person)):
            someone.created_at = local(2026, 1, 1, 0, 0)  # everyone was there all year
        constitution = item(session, 2026, "宪法")
        for name in ("孙丽", "周伟"):
            study.confirm(session, constitution.id, person_id=person(session, name).id, note="",
                          now=BEFORE_DEADLINE, actor="t")  # fmt: skip
        plan_id = constitution.plan_id
    with time_machine.travel(local(2026, 4, 1, 0, 0), tick=False):
        response = client.get(f"/api/v1/study-plans/{plan_id}/progress", headers=viewer_headers)
    assert response.status_code == 200
    body = response.get_json()
    first, second = body["items"][:2]
    assert (first["title"], first["audience"], first["confirmed"], first["is_past_deadline"]) == (
        "宪法", 20, 2, True
    )  # fmt: skip
    assert first["rate"] == 0.1 and len(first["overdue"]) == 18 and "吴敏" in first["overdue"]
    assert (second["title"], second["is_past_deadline"], second["overdue"]) == ("民法典", False, [])
    people = {p["name"]: p for p in body["people"]}
    assert (people["孙丽"]["assigned"], people["孙丽"]["confirmed"], people["孙丽"]["overdue"]) == (
        4,
        1,
        [],
    )
    assert people["吴敏"]["overdue"] == ["宪法"]
    office = next(d for d in body["departments"] if d["name"] == "党政办")
    assert (office["assigned"], office["confirmed"]) == (5 * 4, 2)
    assert office["overdue"] == ["王建国：宪法", "吴敏：宪法", "胡晓燕：宪法"]


def test_progress_of_an_unknown_plan_is_404(
    client: FlaskClient, viewer_headers: dict[str, str]
) -> None:
    response = client.get("/api/v1/study-plans/999/progress", headers=viewer_headers)
    assert response.status_code == 404


def test_each_department_head_hears_once_who_in_their_department_is_overdue(
    pufa_state: Pufa, demo: None, replans: list[int]
) -> None:
    with pufa_state.db.transaction() as session:
        constitution = item(session, 2026, "宪法")
        for name in ("吴敏", "郑洁", "冯强"):
            study.confirm(session, constitution.id, person_id=person(session, name).id, note="",
                          now=BEFORE_DEADLINE, actor="t")  # fmt: skip
    with pufa_state.db.sessions() as session:
        constitution = item(session, 2026, "宪法")
        assert study.overdue_by_head(session, constitution, local(2026, 3, 31, 23, 59)) == {}
        heads = study.overdue_by_head(session, constitution, local(2026, 4, 1, 10, 0))
        by_name = {session.get_one(Person, h).name: n for h, n in heads.items()}
    assert by_name["王建国"] == ["周伟", "孙丽", "王建国", "胡晓燕"]  # 吴敏 has confirmed
    assert by_name["张秀兰"] == ["何芳", "张秀兰", "胡晓燕"]  # 胡晓燕 is in 党政办 and 妇联
    assert by_name["李法明"] == ["宋涛", "李法明"]  # 郑洁 and 冯强 confirmed
    assert len(heads) == 6  # one summary per head


def test_someone_outside_the_items_audience_cannot_confirm_it(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], demo: None
) -> None:
    with pufa_state.db.transaction() as session:
        justice = session.scalars(select(Department).where(Department.name == "司法所")).one()
        deadline = Schedule(kind="deadline", title="学法截止：人民调解法", is_all_day=True,
                            starts_at=local(2026, 5, 31), departments=[justice])  # fmt: skip
        plan = item(session, 2026, "宪法").plan
        plan.items.append(
            StudyItem(title="人民调解法", due_on=date(2026, 5, 31), schedule=deadline)
        )
        session.flush()
        item_id, sun, zheng = (
            plan.items[-1].id,
            person(session, "孙丽").id,
            person(session, "郑洁").id,
        )
    response = confirm(client, admin_headers, item_id, person_id=sun)
    assert response.status_code == 422
    assert response.get_json()["error"] == "not_in_audience"
    assert confirm(client, admin_headers, item_id, person_id=zheng).status_code == 201


def test_progress_counts_a_person_only_for_items_due_after_they_joined(
    client: FlaskClient, pufa_state: Pufa, viewer_headers: dict[str, str], demo: None
) -> None:
    with pufa_state.db.transaction() as session:
        for someone in session.scalars(select(Person)):
            someone.created_at = local(2026, 1, 1, 0, 0)
        newcomer = Person(name="新来的")
        session.add(newcomer)
        session.flush()
        newcomer.created_at = local(2026, 4, 1, 0, 0)  # the day after 宪法 was due (03-31)
        plan_id = item(session, 2026, "宪法").plan_id
    with time_machine.travel(local(2026, 4, 1, 0, 0), tick=False):
        body = client.get(
            f"/api/v1/study-plans/{plan_id}/progress", headers=viewer_headers
        ).get_json()
    first = body["items"][0]
    assert first["title"] == "宪法" and first["audience"] == 20
    assert "新来的" not in first["overdue"]
