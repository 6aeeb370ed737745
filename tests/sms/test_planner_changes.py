"""Edits to schedules re-plan or retract PENDING messages and never touch claimed ones."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Delivery, Schedule
from service.sms.planner import plan_deliveries, replan_schedule
from tests.support.sms_world import World, local

SUNDAY_MORNING = local(2026, 12, 6, 10)
MONDAY_LECTURE = local(2026, 12, 7, 16)


def rows(session: Session) -> list[Delivery]:
    session.expire_all()
    return list(session.scalars(select(Delivery).order_by(Delivery.person_id)))


def planned_lecture(session: Session) -> tuple[World, int]:
    world = World(session)
    speaker = world.person("孙丽")
    world.person("周伟")
    world.person("郑洁")
    lecture = world.lecture(speaker=speaker, topic="宪法")
    world.rule(lecture, 1440, "lecture_audience")
    world.rule(lecture, 1440, "lecture_speaker", recipients="speaker")
    plan_deliveries(session, SUNDAY_MORNING)
    # The speaker's audience reminder falls with their own: one text each, three in all.
    assert len(rows(session)) == 3
    return world, lecture.id


def test_cancelling_an_occurrence_retracts_its_pending_messages(session: Session) -> None:
    world, lecture_id = planned_lecture(session)
    world.override(
        session.get_one(Schedule, lecture_id),
        MONDAY_LECTURE,
        is_cancelled=True,
        note="停电",
    )

    result = replan_schedule(session, lecture_id, SUNDAY_MORNING)

    assert result.retracted == 3
    assert {(r.status, r.reason) for r in rows(session)} == {
        ("retracted", "occurrence cancelled: 停电")
    }


def test_moving_an_occurrence_retimes_and_rewords_pending_messages(session: Session) -> None:
    world, lecture_id = planned_lecture(session)
    lecture = session.get_one(Schedule, lecture_id)
    world.override(lecture, MONDAY_LECTURE, moved_start_at=local(2026, 12, 8, 9).astimezone(UTC))

    result = replan_schedule(session, lecture_id, SUNDAY_MORNING)

    assert result.updated == 3
    for row in rows(session):
        assert row.status == "pending"
        assert row.due_at == local(2026, 12, 7, 9)
        assert row.useful_until == local(2026, 12, 8, 9)
        assert "12月8日（周二）09:00" in row.body


def test_a_new_topic_rewrites_pending_bodies(session: Session) -> None:
    world, lecture_id = planned_lecture(session)
    world.override(session.get_one(Schedule, lecture_id), MONDAY_LECTURE, topic="禁毒法")

    plan_deliveries(session, SUNDAY_MORNING)

    assert all("主题：禁毒法" in r.body for r in rows(session))


def test_swapping_the_speaker_moves_the_speaker_reminder(session: Session) -> None:
    world, lecture_id = planned_lecture(session)
    newcomer = world.person("何芳")
    world.override(session.get_one(Schedule, lecture_id), MONDAY_LECTURE, speaker_id=newcomer.id)

    replan_schedule(session, lecture_id, SUNDAY_MORNING)

    speaker_rows = [
        r for r in rows(session) if r.rule is not None and r.rule.recipients == "speaker"
    ]
    by_status = {r.status: r for r in speaker_rows}
    assert by_status["retracted"].reason == "recipient is no longer the speaker"
    assert by_status["pending"].person_id == newcomer.id
    assert by_status["pending"].body.startswith("【蟒河镇普法】何芳您好")


def test_claimed_and_sent_messages_are_never_touched(session: Session) -> None:
    world, lecture_id = planned_lecture(session)
    first, second, _third = rows(session)
    first.status, second.status = "sending", "sent"
    session.flush()
    world.override(session.get_one(Schedule, lecture_id), MONDAY_LECTURE, is_cancelled=True)

    replan_schedule(session, lecture_id, SUNDAY_MORNING)

    assert [r.status for r in rows(session)] == ["sending", "sent", "retracted"]


def test_disabling_a_rule_retracts_its_pending_messages(session: Session) -> None:
    _world, _lecture_id = planned_lecture(session)
    speaker_rule = next(
        r.rule for r in rows(session) if r.rule is not None and r.rule.recipients == "speaker"
    )
    speaker_rule.is_enabled = False
    session.flush()

    plan_deliveries(session, SUNDAY_MORNING)

    retracted = [r for r in rows(session) if r.status == "retracted"]
    assert [r.reason for r in retracted] == ["reminder rule was disabled or deleted"]


def test_a_broken_schedule_is_skipped_and_its_messages_are_kept(session: Session) -> None:
    world, lecture_id = planned_lecture(session)
    other = world.lecture(topic="禁毒法", start=local(2026, 11, 3, 16))  # Tuesdays
    world.rule(other, 1440, "lecture_audience")
    speaker_rule = next(
        r.rule for r in rows(session) if r.rule is not None and r.rule.recipients == "speaker"
    )
    speaker_rule.template = "no_such_template"
    session.flush()

    result = plan_deliveries(session, SUNDAY_MORNING)

    assert result.retracted == 0  # the lecture's planned messages stay as they were
    statuses = {(r.schedule_id, r.status) for r in rows(session)}
    assert statuses == {(lecture_id, "pending"), (other.id, "pending")}
