"""Loading what ``expand`` needs from the database, for the API, feeds and planner."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from .. import budget
from ..models import HolidayOverride, OccurrenceOverride, Schedule
from .expand import Occurrence, OverrideSpec, ScheduleSpec, Window, expand
from .specs import override_spec, schedule_spec
from .workdays import WorkdayCalendar


def workday_calendar(session: Session) -> WorkdayCalendar:
    """Official data and the rule-based fallback, under the admins' holiday overrides."""
    rows = list(session.scalars(select(HolidayOverride)))
    return WorkdayCalendar(
        overrides={row.day: row.is_workday for row in rows},
        names={row.day: row.name for row in rows if row.name},
    )


# Built once: for one schedule (a request's re-plan), building the statement and its
# cache key again cost about as much as running it.
_SCHEDULES = (
    select(Schedule)
    .options(
        selectinload(Schedule.overrides),
        selectinload(Schedule.rules),
        selectinload(Schedule.departments),
        selectinload(Schedule.people),
    )
    .order_by(Schedule.id)
)
_SCHEDULES_BY_ID = _SCHEDULES.where(Schedule.id.in_(bindparam("ids", expanding=True)))


def load_schedules(session: Session, ids: Iterable[int] | None = None) -> list[Schedule]:
    if ids is None:
        return list(session.scalars(_SCHEDULES))
    return list(session.scalars(_SCHEDULES_BY_ID, {"ids": list(ids)}))


def expand_all(
    schedules: Iterable[Schedule], window: Window, workdays: WorkdayCalendar
) -> list[Occurrence]:
    """Every occurrence of these schedules in the window, sorted by start. Stops with
    ``BudgetExceeded`` when the request's time budget runs out."""
    occurrences: list[Occurrence] = []
    for schedule in schedules:
        budget.check()
        occurrences += expand(schedule_spec(schedule), window, workdays)
    occurrences.sort(key=lambda o: (o.start, o.schedule_id))
    return occurrences


def schedule_specs(session: Session, schedules: Sequence[Schedule]) -> list[ScheduleSpec]:
    """The specs of these schedules (loaded without their overrides), the overrides read
    as plain rows in one query: ORM objects for every override of every schedule cost
    several times what the expansion of a page does."""
    o = OccurrenceOverride
    columns = (
        o.schedule_id, o.original_start_at, o.is_cancelled, o.moved_start_at,
        o.moved_duration_minutes, o.speaker_id, o.topic, o.location, o.note, o.version,
    )  # fmt: skip
    query = select(*columns).where(o.schedule_id.in_([s.id for s in schedules]))
    overrides: defaultdict[int, list[OverrideSpec]] = defaultdict(list)
    for row in session.execute(query):
        overrides[row.schedule_id].append(override_spec(row))
    return [schedule_spec(s, overrides[s.id]) for s in schedules]
