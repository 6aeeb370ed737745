"""A rota change re-plans the speakers' reminders, against the real SMS planner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import Delivery, ReminderRule
from service.sms import planner
from tests.support.workflows import lecture, local, person, seed_demo

NOW = local(2026, 3, 8, 10, 0)
MAR_9 = local(2026, 3, 9, 16, 0)  # 胡晓燕
MAR_16 = local(2026, 3, 16, 16, 0)  # 冯强


@pytest.fixture
def planned(pufa_state: Pufa) -> Iterator[int]:
    """The demo on Sunday 2026-03-08 with the next 48 hours planned: 胡晓燕's day-before
    reminder for Mar 9 and 冯强's week-before reminder for Mar 16 are pending."""
    seed_demo(pufa_state)
    with pufa_state.db.transaction() as session:
        planner.plan_deliveries(session, NOW)
        schedule_id = lecture(session).id
    with time_machine.travel(NOW, tick=False):
        yield schedule_id


def speaker_messages(pufa_state: Pufa) -> set[tuple[str, str, str, str]]:
    """(occurrence day, rule, person, status) of every speaker reminder in the outbox."""
    with pufa_state.db.sessions() as session:
        query = (
            select(Delivery)
            .join(ReminderRule, ReminderRule.id == Delivery.rule_id)
            .where(ReminderRule.recipients == "speaker")
        )
        return {
            (
                d.original_start_at.astimezone(MAR_9.tzinfo).date().isoformat(),
                d.rule.name if d.rule else "",
                d.person.name,
                d.status,
            )
            for d in session.scalars(query)
        }


def test_a_swap_replans_both_speakers_reminders(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], planned: int
) -> None:
    assert speaker_messages(pufa_state) == {
        ("2026-03-09", "主讲人前一天提醒", "胡晓燕", "pending"),
        ("2026-03-16", "主讲人一周前提醒", "冯强", "pending"),
    }
    response = client.post(
        f"/api/v1/schedules/{planned}/rota/swap",
        json={"first": MAR_9.isoformat(), "second": MAR_16.isoformat()},
        headers=admin_headers,
    )
    assert response.status_code == 200
    assert speaker_messages(pufa_state) == {
        ("2026-03-09", "主讲人前一天提醒", "胡晓燕", "retracted"),
        ("2026-03-09", "主讲人前一天提醒", "冯强", "pending"),
        ("2026-03-16", "主讲人一周前提醒", "冯强", "retracted"),
        ("2026-03-16", "主讲人一周前提醒", "胡晓燕", "pending"),
    }


def test_swapping_back_brings_the_original_reminders_back(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], planned: int
) -> None:
    body = {"first": MAR_9.isoformat(), "second": MAR_16.isoformat()}
    for _ in range(2):
        response = client.post(
            f"/api/v1/schedules/{planned}/rota/swap", json=body, headers=admin_headers
        )
        assert response.status_code == 200
    pending = {m for m in speaker_messages(pufa_state) if m[3] == "pending"}
    assert pending == {
        ("2026-03-09", "主讲人前一天提醒", "胡晓燕", "pending"),
        ("2026-03-16", "主讲人一周前提醒", "冯强", "pending"),
    }


def test_assigning_a_new_speaker_tells_them_with_the_new_topic(
    client: FlaskClient, pufa_state: Pufa, admin_headers: dict[str, str], planned: int
) -> None:
    with pufa_state.db.sessions() as session:
        wu = person(session, "吴敏").id
    response = client.put(
        f"/api/v1/schedules/{planned}/rota/weeks/{MAR_9.isoformat()}",
        json={"speaker_id": wu, "topic": "反电信网络诈骗法"},
        headers=admin_headers,
    )
    assert response.status_code == 200
    with pufa_state.db.sessions() as session:
        message = session.scalars(
            select(Delivery)
            .join(ReminderRule, ReminderRule.id == Delivery.rule_id)
            .where(
                Delivery.status == "pending",
                Delivery.person_id == wu,
                ReminderRule.recipients == "speaker",
            )
        ).one()
        assert "反电信网络诈骗法" in message.body
