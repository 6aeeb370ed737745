"""Loading what ``expand`` needs from the database, for the API, feeds and planner."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
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


def load_schedules(session: Session, ids: Iterable[int] | None = None) -> list[Schedule]:
    query = select(Schedule).options(
        selectinload(Schedule.overrides),
        selectinload(Schedule.rules),
        selectinload(Schedule.departments),
        selectinload(Schedule.people),
    )
    if ids is not None:
        query = query.where(Schedule.id.in_(list(ids)))
    return list(session.scalars(query.order_by(Schedule.id)))


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
