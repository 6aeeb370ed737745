"""Rolling a study plan over to the next year."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from service.context import Pufa
from service.models import Department, Schedule, StudyItem, StudyPlan
from service.seed import parse_lead
from tests.support.workflows import local, person, seed_demo


def plan_id(pufa_state: Pufa, year: int) -> int:
    with pufa_state.db.sessions() as session:
        return session.scalars(select(StudyPlan.id).where(StudyPlan.year == year)).one()


def rollover(client: FlaskClient, headers: dict[str, str], plan: int) -> TestResponse:
    return client.post(f"/api/v1/study-plans/{plan}/rollover", headers=headers)


def test_rollover_copies_the_plan_to_next_year_with_deadlines_audience_and_rules(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    seed_demo(pufa_state)
    response = rollover(client, admin_headers, plan_id(pufa_state, 2027))
    assert response.status_code == 201
    body = response.get_json()
    assert (body["year"], body["title"], body["is_closed"]) == (
        2028,
        "蟒河镇 2028 年度学法计划",
        False,
    )
    assert [(i["title"], i["due_on"]) for i in body["items"]] == [
        ("宪法", "2028-03-31"),
        ("民法典", "2028-06-30"),
        ("宗教事务条例", "2028-09-30"),
        ("反电信网络诈骗法", "2028-11-30"),
    ]
    with pufa_state.db.sessions() as session:
        new = session.get_one(StudyItem, body["items"][0]["id"])
        old = session.scalars(
            select(StudyItem)
            .join(StudyPlan)
            .where(StudyPlan.year == 2027, StudyItem.title == "宪法")
        ).one()
        assert new.schedule_id != old.schedule_id
        assert new.schedule.title == "学法截止：宪法（2028）"
        assert new.schedule.starts_at == local(2028, 3, 31)
        assert new.schedule.is_all_day and new.schedule.is_for_everyone
        assert [(r.name, r.lead_minutes, r.template, r.recipients) for r in new.schedule.rules] == [
            (r.name, r.lead_minutes, r.template, r.recipients) for r in old.schedule.rules
        ]
        assert {r.lead_minutes for r in new.schedule.rules} == {
            parse_lead("7d"), parse_lead("1d"), parse_lead("-1d")
        }  # fmt: skip
        assert new.confirmations == []


def test_a_leap_day_deadline_moves_to_february_28(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    seed_demo(pufa_state)
    with pufa_state.db.transaction() as session:
        justice = session.scalars(select(Department).where(Department.name == "司法所")).one()
        deadline = Schedule(
            kind="deadline", title="学法截止：民法典（2028）", starts_at=local(2028, 2, 29),
            is_all_day=True, departments=[justice], people=[person(session, "孙丽")],
        )  # fmt: skip
        plan = StudyPlan(year=2028, title="2028 年度学法计划")
        plan.items.append(StudyItem(title="民法典", due_on=date(2028, 2, 29), schedule=deadline))
        session.add(plan)
    response = rollover(client, admin_headers, plan_id(pufa_state, 2028))
    assert response.status_code == 201
    (new_item,) = response.get_json()["items"]
    assert new_item["due_on"] == "2029-02-28"
    with pufa_state.db.sessions() as session:
        schedule = session.get_one(Schedule, new_item["schedule_id"])
        assert schedule.starts_at == local(2029, 2, 28)
        assert [d.name for d in schedule.departments] == ["司法所"]
        assert [p.name for p in schedule.people] == ["孙丽"]


def test_a_repeating_study_session_starts_on_its_first_occurrence_a_year_on(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    seed_demo(pufa_state)
    with pufa_state.db.transaction() as session:
        sessions = Schedule(
            kind="deadline", title="每周学法（2028）", starts_at=local(2028, 3, 6, 16),
            rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=4", is_for_everyone=True,
        )  # fmt: skip
        plan = StudyPlan(year=2028, title="2028 年度学法计划")
        plan.items.append(StudyItem(title="民法典", due_on=date(2028, 3, 27), schedule=sessions))
        session.add(plan)
    response = rollover(client, admin_headers, plan_id(pufa_state, 2028))
    assert response.status_code == 201
    (new_item,) = response.get_json()["items"]
    with pufa_state.db.sessions() as session:
        schedule = session.get_one(Schedule, new_item["schedule_id"])
        # Monday 6 March 2028 plus a year is a Tuesday: the series starts the Monday after.
        assert schedule.starts_at == local(2029, 3, 12, 16)
        assert schedule.rrule == "FREQ=WEEKLY;BYDAY=MO;COUNT=4"


def test_rollover_is_refused_when_next_years_plan_exists(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    seed_demo(pufa_state)
    with pufa_state.db.sessions() as session:
        schedules = session.scalar(select(func.count()).select_from(Schedule))
    response = rollover(client, admin_headers, plan_id(pufa_state, 2026))
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "plan_exists" and "2027" in body["message"]
    with pufa_state.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Schedule)) == schedules


def test_rolling_over_an_unknown_plan_is_404(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    assert rollover(client, admin_headers, 999).status_code == 404
