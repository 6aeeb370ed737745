"""Occurrences for the API: which schedules, which window, which page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..audience import concerns
from ..errors import NotFound
from ..models import Department, Person, Schedule
from .cursor import Cursor
from .expand import Occurrence, Window, expand
from .merge import merged
from .query import schedule_specs, workday_calendar
from .validate import validate_window

DEFAULT_DAYS = 31


@dataclass(frozen=True)
class Filters:
    schedule_id: int | None = None
    person_id: int | None = None
    department_id: int | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Page:
    """Which page: the one after a cursor, or the ``number``-th of ``size``. ``count``
    asks for the window's exact total, which costs the whole window."""

    size: int
    number: int = 1
    after: Cursor | None = None
    count: bool = False


@dataclass(frozen=True)
class Listing:
    window: Window
    total: int | None  # None when it was neither asked for nor known for free
    occurrences: list[Occurrence]
    next: Cursor | None  # where the following page begins; None on the last page
    schedules: dict[int, Schedule]
    speakers: dict[int, Person]


def window_for(
    start: date | datetime | None, end: date | datetime | None, zone: ZoneInfo, today: date
) -> Window:
    """The query window. A date means local midnight in ``zone``; a date as ``to`` is
    inclusive (the whole day); a naive date-time is local. Defaults: today, 31 days."""
    low = _instant(start, zone) if start is not None else _midnight(today, zone)
    if end is None:
        high = low + timedelta(days=DEFAULT_DAYS)
    elif isinstance(end, datetime):
        high = _instant(end, zone)
    else:
        high = _midnight(end + timedelta(days=1), zone)
    return validate_window(low, high)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        return _midnight(value, zone)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def list_occurrences(
    session: Session,
    window: Window,
    filters: Filters,
    page: Page,
) -> Listing:
    """One page of the window's occurrences, costing what the page holds: the matching
    schedules are expanded lazily and merged, and reading stops one past the page."""
    schedules = _schedules(session, filters)
    workdays = workday_calendar(session)
    specs = schedule_specs(session, schedules)
    after = page.after.key if page.after is not None else None
    occurrences = merged(specs, window, workdays, after)
    first = (page.number - 1) * page.size
    read = list(islice(occurrences, first, first + page.size + 1))
    shown, has_more = read[: page.size], len(read) > page.size
    total: int | None = None
    if page.count:
        total = sum(len(expand(spec, window, workdays)) for spec in specs)
    elif not has_more and page.after is None and (shown or page.number == 1):
        total = first + len(shown)  # the page reached the window's end
    speaker_ids = {o.speaker_id for o in shown if o.speaker_id is not None}
    speakers = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(speaker_ids)))}
    return Listing(
        window=window,
        total=total,
        occurrences=shown,
        next=Cursor.of(shown[-1]) if has_more else None,
        schedules={s.id: s for s in schedules},
        speakers=speakers,
    )


def _schedules(session: Session, filters: Filters) -> list[Schedule]:
    """The schedules the filters let through, without their overrides (``schedule_specs``
    reads those) and with their audience only when a filter needs it."""
    query = select(Schedule).order_by(Schedule.id)
    if filters.schedule_id is not None:
        query = query.where(Schedule.id == filters.schedule_id)
    if filters.kind is not None:
        query = query.where(Schedule.kind == filters.kind)
    if filters.person_id is not None or filters.department_id is not None:
        query = query.options(selectinload(Schedule.departments), selectinload(Schedule.people))
    schedules = list(session.scalars(query))
    if (
        filters.schedule_id is not None
        and not schedules
        and session.get(Schedule, filters.schedule_id) is None
    ):
        raise _not_found("schedule_id", "schedule", filters.schedule_id)
    if filters.person_id is not None:
        person = session.scalars(
            select(Person)
            .where(Person.id == filters.person_id)
            .options(selectinload(Person.departments))
        ).one_or_none()
        if person is None:
            raise _not_found("person_id", "person", filters.person_id)
        schedules = [s for s in schedules if concerns(s, person)]
    if filters.department_id is not None:
        department = session.get(Department, filters.department_id)
        if department is None:
            raise _not_found("department_id", "department", filters.department_id)
        schedules = [s for s in schedules if s.is_for_everyone or department in s.departments]
    return schedules


def _not_found(field: str, what: str, value: int) -> NotFound:
    return NotFound(f"There is no {what} with id {value}.", fields={field: "not found"})
