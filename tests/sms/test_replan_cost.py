"""A single edit's re-plan costs what its own schedule holds, not what the office holds.

A request re-plans the schedule it changed before it commits (``sms.affected``), so the
re-plan of a 60-person lecture must not read the whole staff, every pending message or
one row at a time. The timings are in ``docs/performance.md`` (``sms_bench planning``);
these tests pin the shape that makes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from service.models import Person, Schedule
from service.sms.desired import PlanRun
from service.sms.planner import plan_deliveries
from tests.support.sms_world import World, local

SUNDAY_MORNING = local(2026, 12, 6, 10)  # the lectures are on Monday 12-07 16:00


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL statements the session's connection runs inside the block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def small_lecture(world: World, audience: list[Person]) -> Schedule:
    """A lecture for named people (not everyone), with audience and speaker reminders."""
    lecture = Schedule(
        kind="lecture",
        title="专题讲座",
        location="镇政府三楼会议室",
        starts_at=local(2026, 12, 7, 16).astimezone(UTC),
        duration_minutes=60,
        people=audience,
        speaker=audience[0],
        topic="宪法",
    )
    world.session.add(lecture)
    world.session.flush()
    world.rule(lecture, 1440, "lecture_audience")
    world.rule(lecture, 1440, "lecture_speaker", recipients="speaker")
    return lecture


def grow_the_office(world: World, people: int) -> None:
    """More staff, and a weekly lecture for everyone with a pending reminder to each."""
    staff = world.department("综治办")
    for i in range(people):
        world.person(f"职工{i:03d}", staff)
    everyone = world.lecture(topic="民法典")
    world.rule(everyone, 1440, "lecture_audience")
    plan_deliveries(world.session, SUNDAY_MORNING)


def test_a_lectures_replan_loads_its_audience_not_the_whole_office(session: Session) -> None:
    world = World(session)
    audience = [world.person(name) for name in ("孙丽", "周伟", "郑洁")]
    lecture = small_lecture(world, audience)
    grow_the_office(world, 20)

    run = PlanRun(session, [lecture.id], strict=True)

    assert set(run.directory.people) == {p.id for p in audience}


def test_a_lectures_replan_runs_as_many_statements_in_a_big_office_as_in_a_small_one(
    session: Session,
) -> None:
    world = World(session)
    audience = [world.person(name) for name in ("孙丽", "周伟", "郑洁")]
    lecture_id = small_lecture(world, audience).id
    plan_deliveries(session, SUNDAY_MORNING)
    session.expire_all()
    with statements(session) as small:
        assert plan_deliveries(session, SUNDAY_MORNING, schedule_ids=[lecture_id]).writes == 0

    grow_the_office(world, 30)
    session.expire_all()
    with statements(session) as big:
        assert plan_deliveries(session, SUNDAY_MORNING, schedule_ids=[lecture_id]).writes == 0

    assert len(big) == len(small)
    # Its pending rows; the schedule, its overrides, rules, departments and people; the
    # holiday overrides; the people it concerns; its study item; the rows it keys to.
    # No statement for the confirmations or department heads a lecture has no rule for.
    assert len(big) <= 10


def test_the_outbox_is_indexed_by_schedule_and_status(session: Session) -> None:
    """What lets a re-plan read one schedule's pending rows without the office's."""
    indexes = inspect(session.get_bind()).get_indexes("deliveries")

    assert ["schedule_id", "status"] in [index["column_names"] for index in indexes]
