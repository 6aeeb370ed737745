"""Schedules loaded for a window carry only the overrides that can touch it, and expand
to exactly what the schedules with every override give."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from service.context import Pufa
from service.models import OccurrenceOverride, Schedule
from service.occurrences.expand import Window
from service.occurrences.merge import merged
from service.occurrences.nearby import schedules_for
from service.occurrences.query import expand_all, load_schedules, workday_calendar

ZONE = ZoneInfo("Asia/Shanghai")
WINDOW = Window(datetime(2026, 12, 1, tzinfo=ZONE), datetime(2026, 12, 15, tzinfo=ZONE))


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE)


def _county(session: Session) -> None:
    lecture = Schedule(
        kind="lecture", title="每周一讲", starts_at=at(2024, 1, 1, 9), rrule="FREQ=WEEKLY"
    )
    # A topic for every week of three years: the ones far from the window are not needed.
    week = timedelta(days=7)
    lecture.overrides = [
        OccurrenceOverride(original_start_at=at(2024, 1, 1, 9) + n * week, topic=f"第{n}讲")
        for n in range(1, 150)
        if n != 10
    ]
    lecture.overrides += [
        # From 2024 into the window, from the window far away, and one cancelled in it.
        OccurrenceOverride(
            original_start_at=at(2024, 1, 1, 9) + 10 * week, moved_start_at=at(2026, 12, 9, 14)
        ),
        OccurrenceOverride(original_start_at=at(2026, 12, 7, 9), moved_start_at=at(2028, 1, 3)),
        OccurrenceOverride(original_start_at=at(2026, 12, 14, 9), is_cancelled=True),
    ]
    campaign = Schedule(
        kind="campaign", title="宪法宣传周", starts_at=at(2023, 11, 27), is_all_day=True,
        duration_days=7, rrule="FREQ=YEARLY",
    )  # fmt: skip
    # The week from 11-27 reaches into the window: its override counts.
    campaign.overrides = [
        OccurrenceOverride(original_start_at=at(year, 11, 27), location=f"{year} 广场")
        for year in (2023, 2024, 2025, 2026)
    ]
    meeting = Schedule(
        kind="meeting", title="月度例会", starts_at=at(2024, 1, 1, 15),
        rrule="FREQ=MONTHLY;BYMONTHDAY=1", holiday_policy="next_workday",
    )  # fmt: skip
    meeting.overrides = [
        OccurrenceOverride(original_start_at=at(2026, month, 1, 15), note="带材料")
        for month in range(1, 13)
    ]
    one_off = Schedule(kind="meeting", title="培训", starts_at=at(2025, 6, 1, 9))
    one_off.overrides = [
        OccurrenceOverride(
            original_start_at=at(2025, 6, 1, 9),
            moved_start_at=at(2026, 11, 15, 9),
            moved_duration_minutes=20 * 24 * 60,  # longer than any schedule, begun before
        )
    ]
    session.add_all([lecture, campaign, meeting, one_off])
    session.commit()


def test_the_window_expands_as_with_every_override(pufa_state: Pufa) -> None:
    with pufa_state.db.sessions() as session:
        _county(session)
    with pufa_state.db.sessions() as session:
        workdays = workday_calendar(session)
        full = expand_all(load_schedules(session), WINDOW, workdays)
    with pufa_state.db.sessions() as session:
        _schedules, specs = schedules_for(session, WINDOW)
        loaded = sum(len(spec.overrides) for spec in specs)
        near = list(merged(specs, WINDOW, workdays))

    assert near == full
    assert any(o.original_start == at(2024, 3, 11, 9) for o in full)  # moved in
    assert any(o.schedule_id == 4 for o in full)  # the long one-off
    assert loaded < 12  # of 173


def test_no_schedules_no_overrides(pufa_state: Pufa) -> None:
    with pufa_state.db.sessions() as session:
        assert schedules_for(session, WINDOW) == ([], [])
