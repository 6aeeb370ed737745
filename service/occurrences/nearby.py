"""Schedules loaded for one window: with only the overrides that can touch it.

Every schedule keeps all its overrides for good (a county's three years hold thousands),
while a short window, such as the dashboard's next 14 days, needs few of them:
``expand`` looks up overrides of the originals within ``duration + SHIFT_REACH`` of the
window, and those that move an occurrence into it from any distance. Loading just
those into the schedules' specs (the ORM collections are left alone) makes the
expansion cost what the window holds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..models import OccurrenceOverride, Schedule
from .expand import SHIFT_REACH, OverrideSpec, ScheduleSpec, Window
from .specs import override_spec, schedule_spec

# Slack for the local wall-clock arithmetic of ``expand`` and an all-day end rounded up.
SLACK = timedelta(days=1)


def schedules_for(session: Session, window: Window) -> tuple[list[Schedule], list[ScheduleSpec]]:
    """Every schedule (by id), and its spec holding just the overrides that can change
    what ``expand`` gives for ``window``."""
    schedules = list(session.scalars(select(Schedule).order_by(Schedule.id)))
    if not schedules:
        return [], []
    longest = max(_duration(s) for s in schedules)
    reach = longest + SHIFT_REACH + SLACK
    o = OccurrenceOverride
    moved_minutes = session.scalar(select(func.max(o.moved_duration_minutes))) or 0
    moved_reach = max(longest, timedelta(minutes=moved_minutes)) + SLACK * 2
    rows = session.scalars(
        select(o).where(
            or_(
                and_(
                    o.original_start_at >= window.start - reach,
                    o.original_start_at <= window.end + reach,
                ),
                and_(o.moved_start_at < window.end, o.moved_start_at > window.start - moved_reach),
            )
        )
    )
    by_schedule: defaultdict[int, list[OverrideSpec]] = defaultdict(list)
    for row in rows:
        by_schedule[row.schedule_id].append(override_spec(row))
    return schedules, [schedule_spec(s, by_schedule[s.id]) for s in schedules]


def _duration(schedule: Schedule) -> timedelta:
    if schedule.is_all_day:
        return timedelta(days=schedule.duration_days)
    return timedelta(minutes=schedule.duration_minutes)
