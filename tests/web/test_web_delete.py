"""Deleting asks first: the question page changes nothing, the confirmation deletes
(audited) and a stale confirmation deletes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import AuditEntry, Schedule, StudyItem, StudyPlan
from tests.support.web import csrf_from, sign_in


def _schedule(state: Pufa) -> int:
    with state.db.transaction() as session:
        schedule = Schedule(
            kind="meeting", title="月度例会", starts_at=datetime(2031, 3, 2, 1, tzinfo=UTC)
        )
        session.add(schedule)
        session.flush()
        return schedule.id


def test_deleting_a_schedule_asks_first_then_deletes_and_audits(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    schedule_id = _schedule(pufa_state)
    sign_in(client, pufa_state)
    editor = client.get(f"/admin/schedules/{schedule_id}").get_data(as_text=True)
    confirm = f"/admin/delete/schedule/{schedule_id}"
    assert confirm in editor
    question = client.get(confirm).get_data(as_text=True)
    assert "删除日程“月度例会”" in question
    with pufa_state.db.sessions() as session:
        assert session.get(Schedule, schedule_id) is not None
    done = client.post(confirm, data={"csrf_token": csrf_from(question), "version": "1"})
    assert done.status_code == 302
    with pufa_state.db.sessions() as session:
        assert session.get(Schedule, schedule_id) is None
        entry = session.scalars(select(AuditEntry).where(AuditEntry.resource == "schedule")).one()
        assert entry.action == "delete"


def test_a_stale_confirmation_deletes_nothing(client: FlaskClient, pufa_state: Pufa) -> None:
    schedule_id = _schedule(pufa_state)
    sign_in(client, pufa_state)
    confirm = f"/admin/delete/schedule/{schedule_id}"
    question = client.get(confirm).get_data(as_text=True)
    with pufa_state.db.transaction() as session:
        row = session.get(Schedule, schedule_id)
        assert row is not None
        row.title = "月度例会（改）"
    response = client.post(confirm, data={"csrf_token": csrf_from(question), "version": "1"})
    assert response.status_code == 409
    assert "刚被别人修改过" in response.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        assert session.get(Schedule, schedule_id) is not None


def test_deleting_a_study_item_asks_first(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    with pufa_state.db.transaction() as session:
        plan = StudyPlan(year=2031, title="2031年度学法计划")
        session.add(plan)
        session.flush()
        plan_id = plan.id
    from tests.support.web import post_form

    created = post_form(
        client,
        f"/admin/study/{plan_id}",
        f"/admin/study/{plan_id}/items",
        {"title": "学习宪法", "due_on": date(2031, 5, 1).isoformat(), "is_for_everyone": "1"},
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        item_id = session.scalars(select(StudyItem.id)).one()
    page = client.get(f"/admin/study/{plan_id}").get_data(as_text=True)
    confirm = f"/admin/delete/study-item/{item_id}"
    assert confirm in page
    question = client.get(confirm).get_data(as_text=True)
    done = client.post(confirm, data={"csrf_token": csrf_from(question), "version": "1"})
    assert done.status_code == 302
    with pufa_state.db.sessions() as session:
        assert session.scalars(select(StudyItem)).all() == []


def test_asking_about_something_gone_is_a_404(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    for path in ("schedule", "study-item", "holiday"):
        assert client.get(f"/admin/delete/{path}/9999").status_code == 404
