"""Study reminders against the real SMS planner: only the unconfirmed are reminded, a
confirmation withdraws its person's reminders, and each head hears once per item."""

from __future__ import annotations

from datetime import datetime

import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import Delivery, ReminderRule
from service.sms import planner
from service.workflows import study
from tests.support.workflows import item, local, person, seed_demo


def messages(pufa_state: Pufa, recipients: str) -> dict[str, tuple[str, str]]:
    """Person name -> (status, body) of the 2026 宪法 item's messages of one rule kind."""
    with pufa_state.db.sessions() as session:
        constitution = item(session, 2026, "宪法")
        query = (
            select(Delivery)
            .join(ReminderRule, ReminderRule.id == Delivery.rule_id)
            .where(
                Delivery.schedule_id == constitution.schedule_id,
                ReminderRule.recipients == recipients,
            )
        )
        return {d.person.name: (d.status, d.body) for d in session.scalars(query)}


def plan(pufa_state: Pufa, now: datetime) -> None:
    with pufa_state.db.transaction() as session:
        planner.plan_deliveries(session, now)


def confirm(pufa_state: Pufa, name: str, now: datetime) -> None:
    with pufa_state.db.transaction() as session:
        study.confirm(session, item(session, 2026, "宪法").id,
                      person_id=person(session, name).id, note="", now=now, actor="t")  # fmt: skip


def test_deadline_reminders_go_only_to_people_who_have_not_confirmed(pufa_state: Pufa) -> None:
    seed_demo(pufa_state)
    confirm(pufa_state, "周伟", local(2026, 3, 1))
    plan(pufa_state, local(2026, 3, 24, 8, 0))  # the week-before reminder is due
    reminded = messages(pufa_state, "unconfirmed")
    assert "周伟" not in reminded
    assert "宋涛" not in reminded  # turned SMS off
    assert len(reminded) == 18 and {s for s, _ in reminded.values()} == {"pending"}


def test_a_confirmation_withdraws_that_persons_pending_deadline_reminders(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str]
) -> None:
    seed_demo(pufa_state)
    now = local(2026, 3, 30, 10, 0)  # the day-before reminder is due
    plan(pufa_state, now)
    assert messages(pufa_state, "unconfirmed")["孙丽"][0] == "pending"
    with pufa_state.db.sessions() as session:
        item_id, sun = item(session, 2026, "宪法").id, person(session, "孙丽").id
    with time_machine.travel(now, tick=False):
        response = client.post(
            f"/api/v1/study-items/{item_id}/confirmations",
            json={"person_id": sun, "note": "已学习宪法全文"},
            headers=admin_headers,
        )
    assert response.status_code == 201
    after = messages(pufa_state, "unconfirmed")
    assert after.pop("孙丽")[0] == "retracted"
    assert {s for s, _ in after.values()} == {"pending"}
    plan(pufa_state, now)  # the next tick does not bring it back
    assert messages(pufa_state, "unconfirmed")["孙丽"][0] == "retracted"


def test_escalation_goes_once_per_head_per_item(pufa_state: Pufa) -> None:
    seed_demo(pufa_state)
    for name in ("吴敏", "郑洁", "冯强", "宋涛"):
        confirm(pufa_state, name, local(2026, 3, 1))
    day_after = local(2026, 4, 1, 9, 0)
    plan(pufa_state, day_after)
    plan(pufa_state, day_after)  # a second clock tick, or a second clock
    heads = messages(pufa_state, "overdue_heads")
    assert sorted(heads) == sorted(["王建国", "李法明", "张秀兰", "赵安平", "刘卫东", "陈律"])
    status, body = heads["李法明"]
    assert status == "pending"
    assert "李法明" in body and "郑洁" not in body and "冯强" not in body
    assert "胡晓燕" in heads["王建国"][1] and "胡晓燕" in heads["张秀兰"][1]
    assert "吴敏" not in heads["王建国"][1]


def test_a_heads_summary_is_due_after_the_deadline_and_follows_last_minute_confirmations(
    pufa_state: Pufa,
) -> None:
    seed_demo(pufa_state)
    now = local(2026, 3, 30, 9, 0)
    plan(pufa_state, now)  # the summary is already within the planning horizon
    with pufa_state.db.sessions() as session:
        due = set(session.scalars(
            select(Delivery.due_at)
            .join(ReminderRule, ReminderRule.id == Delivery.rule_id)
            .where(ReminderRule.recipients == "overdue_heads")
        ))  # fmt: skip
    assert due == {local(2026, 4, 1, 9, 0)}  # 09:00 the day after 3月31日, not before
    assert "黄磊" in messages(pufa_state, "overdue_heads")["刘卫东"][1]
    confirm(pufa_state, "黄磊", local(2026, 3, 31, 17, 0))
    assert "黄磊" not in messages(pufa_state, "overdue_heads")["刘卫东"][1]
