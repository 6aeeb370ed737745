"""The planner turns occurrences × rules × recipients into outbox rows, exactly once."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Delivery
from service.sms.planner import plan_deliveries, replan_schedule, retract_for_person
from tests.support.sms_world import World, local

SUNDAY_MORNING = local(2026, 12, 6, 10)  # the lecture is Monday 12-07 16:00


def rows(session: Session) -> list[Delivery]:
    session.expire_all()
    return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_audience_gets_lecture_reminder_a_day_before(session: Session) -> None:
    world = World(session)
    speaker = world.person("孙丽")
    listener = world.person("周伟")
    lecture = world.lecture(speaker=speaker, topic="民法典")
    world.rule(lecture, 1440, "lecture_audience")

    result = plan_deliveries(session, SUNDAY_MORNING)

    assert result.inserted == 2
    [first, second] = rows(session)
    assert {first.person_id, second.person_id} == {speaker.id, listener.id}
    assert first.due_at == local(2026, 12, 6, 16).astimezone(UTC)
    assert first.useful_until == local(2026, 12, 7, 16).astimezone(UTC)
    assert first.status == "pending"
    assert "12月7日（周一）16:00" in first.body
    assert "主讲人：孙丽" in first.body and "主题：民法典" in first.body
    assert len(first.body) <= 70 and first.segments == 1  # one UCS-2 part
    assert first.to == speaker.mobile or first.to == listener.mobile


def test_speaker_gets_reminder_a_week_before(session: Session) -> None:
    world = World(session)
    speaker = world.person("孙丽")
    world.person("周伟")
    lecture = world.lecture(speaker=speaker)
    world.rule(lecture, 7 * 1440, "lecture_speaker", recipients="speaker")

    plan_deliveries(session, local(2026, 11, 30, 10))

    [row] = [r for r in rows(session) if r.original_start_at == local(2026, 12, 7, 16)]
    assert row.person_id == speaker.id
    assert row.due_at == local(2026, 11, 30, 16)
    assert row.body.startswith(
        "【蟒河镇普法】孙丽您好，12月7日（周一）16:00机关职工每周一讲由您主讲"
    )


def test_planning_again_with_nothing_changed_writes_nothing(session: Session) -> None:
    world = World(session)
    world.person("周伟")
    world.rule(world.lecture(), 1440, "lecture_audience")
    assert plan_deliveries(session, SUNDAY_MORNING).writes == 1
    before = [(r.id, r.updated_at) for r in rows(session)]

    assert plan_deliveries(session, SUNDAY_MORNING + timedelta(minutes=5)).writes == 0
    assert [(r.id, r.updated_at) for r in rows(session)] == before


def test_only_people_who_can_receive_sms_are_planned(session: Session) -> None:
    world = World(session)
    reachable = world.person("周伟")
    world.person("宋涛", is_sms_enabled=False)
    world.person("马超", is_sms_opted_out=True)
    world.person("钱勇", is_active=False)
    world.person("吴敏", mobile=None)
    world.rule(world.lecture(), 1440, "lecture_audience")

    plan_deliveries(session, SUNDAY_MORNING)

    assert [r.person_id for r in rows(session)] == [reachable.id]


def test_disabled_rules_and_far_occurrences_are_not_planned(session: Session) -> None:
    world = World(session)
    world.person("周伟")
    lecture = world.lecture()
    world.rule(lecture, 1440, "lecture_audience", is_enabled=False)
    world.rule(lecture, 60, "lecture_audience")  # due Monday 15:00, beyond a 12 h horizon

    plan_deliveries(session, SUNDAY_MORNING, horizon=timedelta(hours=12))

    assert rows(session) == []


def test_all_day_campaign_names_the_day_and_departments(session: Session) -> None:
    world = World(session)
    justice = world.department("司法所")
    women = world.department("妇联")
    world.person("郑洁", justice)
    campaign = world.campaign(justice, women)
    world.rule(campaign, 1440, "campaign_day_before")

    plan_deliveries(session, local(2026, 12, 2, 12))

    [row] = rows(session)
    # At 09:00 the day before (the default time of day), never at midnight.
    assert row.due_at == local(2026, 12, 3, 9)
    assert row.body == (
        "【蟒河镇普法】明天（12月4日）12·4 国家宪法日宣传在蟒河镇集市广场开展，"
        "请司法所、妇联准时参加。"
    )


def test_a_reminder_missed_while_the_clock_was_down_is_recorded_as_expired(
    session: Session,
) -> None:
    world = World(session)
    world.person("周伟")
    world.rule(world.lecture(), 60, "lecture_audience")  # due Monday 15:00

    plan_deliveries(session, local(2026, 12, 7, 17))  # the lecture has started

    [row] = rows(session)
    assert row.status == "expired"
    assert "no longer useful" in row.reason or "stopped being useful" in row.reason


def test_a_reminder_after_the_start_stays_useful_for_a_day(session: Session) -> None:
    world = World(session)
    item = world.study_item("宪法", date(2026, 12, 15))
    head = world.person("李法明")
    justice = world.department("司法所", head=head)
    late = world.person("冯强", justice)
    done = world.person("郑洁", justice)
    head.departments.append(justice)
    world.confirm(item, done)
    world.confirm(item, head)
    world.rule(item.schedule, -1440, "study_overdue", recipients="overdue_heads")

    plan_deliveries(session, local(2026, 12, 16, 8))

    [row] = rows(session)
    assert row.person_id == head.id
    assert row.due_at == local(2026, 12, 16, 9)
    assert row.useful_until == local(2026, 12, 17, 9)
    assert "本部门尚未完成的有：冯强。" in row.body
    assert late.name in row.body and done.name not in row.body


def test_only_people_who_have_not_confirmed_get_the_study_reminder(session: Session) -> None:
    world = World(session)
    item = world.study_item("民法典", date(2026, 12, 8))
    done = world.person("郑洁")
    pending = world.person("冯强")
    world.confirm(item, done)
    world.rule(item.schedule, 1440, "study_deadline", recipients="unconfirmed")

    plan_deliveries(session, SUNDAY_MORNING)

    [row] = rows(session)
    assert row.person_id == pending.id
    assert "学法计划“民法典”将于12月8日截止" in row.body


def test_confirming_retracts_the_pending_study_reminder(session: Session) -> None:
    world = World(session)
    item = world.study_item("民法典", date(2026, 12, 8))
    person = world.person("冯强")
    world.rule(item.schedule, 1440, "study_deadline", recipients="unconfirmed")
    plan_deliveries(session, SUNDAY_MORNING)

    world.confirm(item, person)
    result = replan_schedule(session, item.schedule_id, SUNDAY_MORNING)

    assert result.retracted == 1
    [row] = rows(session)
    assert (row.status, row.reason) == ("retracted", "recipient confirmed the study item")


def test_retracting_a_person_and_bringing_them_back(session: Session) -> None:
    world = World(session)
    person = world.person("周伟")
    world.rule(world.lecture(), 1440, "lecture_audience")
    plan_deliveries(session, SUNDAY_MORNING)

    person.is_sms_enabled = False
    assert retract_for_person(
        session, person.id, "SMS turned off on the staff page", SUNDAY_MORNING
    )
    assert plan_deliveries(session, SUNDAY_MORNING).writes == 0
    [row] = rows(session)
    assert (row.status, row.reason) == ("retracted", "SMS turned off on the staff page")

    row.person.is_sms_enabled = True
    session.flush()
    assert plan_deliveries(session, SUNDAY_MORNING).reactivated == 1
    assert rows(session)[0].status == "pending"


def test_a_speaker_whose_two_reminders_fall_together_gets_one_text_saying_you_speak(
    session: Session,
) -> None:
    world = World(session)
    speaker = world.person("孙丽")
    listener = world.person("周伟")
    lecture = world.lecture(speaker=speaker)
    world.rule(lecture, 1440, "lecture_audience")
    world.rule(lecture, 1440, "lecture_speaker", recipients="speaker")

    plan_deliveries(session, local(2026, 12, 6, 10))

    week = [r for r in rows(session) if r.original_start_at == local(2026, 12, 7, 16)]
    by_person = {(r.person_id, r.status): r.body for r in week}
    assert set(by_person) == {(speaker.id, "pending"), (listener.id, "pending")}
    assert "由您主讲" in by_person[(speaker.id, "pending")]
    assert "由您主讲" not in by_person[(listener.id, "pending")]


def test_a_new_speaker_gets_one_text_and_their_audience_reminder_is_retracted_with_why(
    session: Session,
) -> None:
    world = World(session)
    first, second = world.person("孙丽"), world.person("周伟")
    lecture = world.lecture(speaker=first)
    world.rule(lecture, 1440, "lecture_audience")
    world.rule(lecture, 1440, "lecture_speaker", recipients="speaker")
    plan_deliveries(session, local(2026, 12, 6, 10))

    world.override(lecture, local(2026, 12, 7, 16), speaker_id=second.id)
    session.expire_all()
    plan_deliveries(session, local(2026, 12, 6, 10, 5))

    mine = [r for r in rows(session) if r.person_id == second.id]
    assert sorted((r.status, "由您主讲" in r.body) for r in mine) == [
        ("pending", True),
        ("retracted", False),
    ]
    [merged] = [r for r in mine if r.status == "retracted"]
    assert merged.reason.startswith("与同一时间发给此人的另一条提醒合并")
