"""Loading what ``expand`` needs: the listing's plain-row overrides equal the ORM ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from service.models import OccurrenceOverride, Schedule
from service.occurrences.query import load_schedules, schedule_specs
from service.occurrences.specs import schedule_spec
from service.seed import load_demo_file, seed


def test_specs_read_from_plain_rows_are_those_read_from_orm_objects(session: Session) -> None:
    seed(session, load_demo_file())
    lecture = session.query(Schedule).filter_by(kind="lecture").one()
    taken = {o.original_start_at for o in lecture.overrides}  # the demo rota's weeks
    original = next(
        lecture.starts_at + timedelta(weeks=n)
        for n in range(200)
        if lecture.starts_at + timedelta(weeks=n) not in taken
    )
    session.add(
        OccurrenceOverride(
            schedule=lecture,
            original_start_at=original,
            moved_start_at=datetime(2026, 3, 1, 2, tzinfo=UTC),
            moved_duration_minutes=90,
            topic="民法典",
            location="二楼会议室",
            note="改期",
        )
    )
    session.commit()
    schedules = load_schedules(session)

    assert sum(len(s.overrides) for s in schedules) > 1
    assert schedule_specs(session, schedules) == [schedule_spec(s) for s in schedules]
