"""Loading what ``expand`` needs from the database, for the API, feeds and planner."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from .. import budget
from ..models import HolidayOverride, Schedule
from .expand import Occurrence, Window, expand
from .specs import schedule_spec
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
