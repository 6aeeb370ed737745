"""Read side: filtered, paginated lists of the office's data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    ColumnClause,
    Result,
    Row,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session, selectinload

from ..models import (
    ApiToken,
    Department,
    HolidayOverride,
    Person,
    Schedule,
    StudyPlan,
    has_reminders,
    person_departments,
    schedule_departments,
    schedule_people,
)
from ..occurrences.rules import next_after
from .schedules import local_start

_EARLIEST, _LATEST = date(1900, 1, 1), date(2300, 12, 31)


@dataclass(frozen=True)
class Window:
    offset: int
    limit: int


def paginate(session: Session, query: Select[Any], window: Window) -> tuple[list[Any], int]:
    """One page of ``query``'s entities (its first column) and the count of all of them."""
    rows, total = _page(session.execute, query, window)
    return [row[0] for row in rows], total


def paginate_rows(
    session: Session, query: Select[Any], window: Window
) -> tuple[list[Row[Any]], int]:
    """``paginate`` for a query of plain columns: whole rows, run on the session's
    connection (the ORM's statement handling would cost more than the query)."""
    return _page(session.connection().execute, query, window)


def _page(
    execute: Callable[..., Result[Any]], query: Select[Any], window: Window
) -> tuple[list[Row[Any]], int]:
    """One page of rows and the count of all of them, in one round trip: the count rides
    along as a window function (the rows' last column). A page past the end has no row
    to carry it, so only then is it counted on its own."""
    rows = list(execute(_counted(query), {"offset": window.offset, "limit": window.limit}).all())
    if rows:
        return rows, rows[0][-1]
    if window.offset == 0:
        return [], 0
    total = execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar()
    return [], total or 0


@lru_cache(maxsize=32)
def _counted(query: Select[Any]) -> Select[Any]:
    """``query`` with the count, offset and limit as parameters. Kept per query object:
    a plain list's query is built once, and a statement made anew on every request would
    have its cache key (a walk of the whole statement) computed anew too."""
    count = func.count().over()
    return query.add_columns(count).offset(bindparam("offset")).limit(bindparam("limit"))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_people(
    session: Session,
    window: Window,
    *,
    q: str | None = None,
    department_id: int | None = None,
    is_active: bool | None = None,
    match_mobile: bool = True,
) -> tuple[list[Person], int]:
    query = select(Person).options(selectinload(Person.departments)).order_by(Person.id)
    if q:
        pattern = _like(q)
        by_name = Person.name.ilike(pattern, escape="\\")
        query = query.where(
            or_(by_name, Person.mobile.ilike(pattern, escape="\\")) if match_mobile else by_name
        )
    if department_id is not None:
        members = select(person_departments.c.person_id).where(
            person_departments.c.department_id == department_id
        )
        query = query.where(Person.id.in_(members))
    if is_active is not None:
        query = query.where(Person.is_active == is_active)
    return paginate(session, query, window)


def find_departments(
    session: Session, window: Window, *, q: str | None = None
) -> tuple[list[Department], int]:
    query = select(Department).order_by(Department.id)
    if q:
        query = query.where(Department.name.ilike(_like(q), escape="\\"))
    return paginate(session, query, window)


@dataclass(frozen=True)
class ScheduleFilter:
    kind: str | None = None
    department_id: int | None = None
    person_id: int | None = None
    q: str | None = None
    from_date: date | None = None
    to_date: date | None = None


def _linked_ids(link: Column[int], schedule_id: Column[int]) -> Any:
    """The ids a link table ties to each schedule, as text ("3,1"): a correlated
    subquery, so a page of schedules comes with its audience in the same round trip."""
    # The separator written into the SQL: given as a str (aggregate_strings' typed form)
    # it becomes a literal parameter, rendered into the statement's text anew on every
    # execution. A function takes any SQL expression as an argument at run time.
    separator: ColumnClause[str] = literal_column("','", String)
    ids = func.aggregate_strings(cast(link, String), separator)  # type: ignore[arg-type]
    return select(ids).where(schedule_id == Schedule.id).scalar_subquery()


# Built once: for a plain list, building the statement costs more than running it. Plain
# rows, not entities: for a page of schedules the ORM's loading costs more than the query.
_SCHEDULES: Select[Any] = select(
    *Schedule.__table__.columns,
    _linked_ids(schedule_departments.c.department_id, schedule_departments.c.schedule_id).label(
        "linked_department_ids"
    ),
    _linked_ids(schedule_people.c.person_id, schedule_people.c.schedule_id).label(
        "linked_person_ids"
    ),
    has_reminders().label("has_reminders"),
).order_by(Schedule.starts_at, Schedule.id)


def find_schedules(
    session: Session, window: Window, where: ScheduleFilter
) -> tuple[list[Row[Any]], int]:
    """A page of schedules as rows of their columns, each with its audience
    (``schedule_values``)."""
    query = _SCHEDULES
    if where.kind:
        query = query.where(Schedule.kind == where.kind)
    if where.department_id is not None:
        query = query.where(
            Schedule.id.in_(
                select(schedule_departments.c.schedule_id).where(
                    schedule_departments.c.department_id == where.department_id
                )
            )
        )
    if where.person_id is not None:
        query = query.where(_addresses(where.person_id))
    if where.q:
        pattern = _like(where.q)
        query = query.where(
            or_(
                Schedule.title.ilike(pattern, escape="\\"),
                Schedule.description.ilike(pattern, escape="\\"),
                Schedule.location.ilike(pattern, escape="\\"),
                Schedule.topic.ilike(pattern, escape="\\"),
            )
        )
    if where.from_date is None and where.to_date is None:
        return paginate_rows(session, query, window)
    # Whether a series meets the range takes its RRULE: filtered here, in Python.
    matching = [s for s in session.execute(query) if _meets(s, where.from_date, where.to_date)]
    return matching[window.offset : window.offset + window.limit], len(matching)


def schedule_values(rows: list[Row[Any]]) -> list[dict[str, Any]]:
    """Rows of ``find_schedules`` as dicts of their columns, each with its audience as
    ``department_ids`` and ``person_ids`` (sorted lists). By position, with the names
    taken once a page: looking each column up by name on each row cost more than
    validating and serialising the page (docs/performance.md)."""
    if not rows:
        return []
    names = rows[0]._fields
    values = []
    for row in rows:
        columns = dict(zip(names, row, strict=True))
        columns["department_ids"] = _ids(columns.pop("linked_department_ids"))
        columns["person_ids"] = _ids(columns.pop("linked_person_ids"))
        values.append(columns)
    return values


def _ids(text: str | None) -> list[int]:
    return sorted(int(part) for part in text.split(",")) if text else []


def _addresses(person_id: int) -> Any:
    """The schedule's audience or speaker includes the person."""
    departments = select(person_departments.c.department_id).where(
        person_departments.c.person_id == person_id
    )
    return or_(
        Schedule.is_for_everyone,
        Schedule.speaker_id == person_id,
        Schedule.id.in_(
            select(schedule_people.c.schedule_id).where(schedule_people.c.person_id == person_id)
        ),
        Schedule.id.in_(
            select(schedule_departments.c.schedule_id).where(
                schedule_departments.c.department_id.in_(departments)
            )
        ),
    )


def _meets(schedule: Any, first_day: date | None, last_day: date | None) -> bool:
    """Whether an occurrence of the series (by its original start) touches the range.
    ``schedule``: a Schedule, or a row of its columns."""
    start = local_start(schedule)
    length = (
        timedelta(days=schedule.duration_days)
        if schedule.is_all_day
        else timedelta(minutes=schedule.duration_minutes)
    )
    # Naive on purpose: recurrence is evaluated in the schedule's wall-clock time.
    low = datetime.combine(first_day or _EARLIEST, time(0)) - length
    high = datetime.combine(last_day or _LATEST, time(0)) + timedelta(days=1)
    if not schedule.rrule:
        return low < start < high
    following = next_after(schedule.rrule, start, schedule.timezone, low)
    return following is not None and following < high


def find_plans(session: Session, window: Window) -> tuple[list[StudyPlan], int]:
    query = select(StudyPlan).options(selectinload(StudyPlan.items)).order_by(StudyPlan.year.desc())
    return paginate(session, query, window)


def find_holiday_overrides(
    session: Session, window: Window, *, from_date: date | None, to_date: date | None
) -> tuple[list[HolidayOverride], int]:
    query = select(HolidayOverride).order_by(HolidayOverride.day)
    if from_date:
        query = query.where(HolidayOverride.day >= from_date)
    if to_date:
        query = query.where(HolidayOverride.day <= to_date)
    return paginate(session, query, window)


def find_tokens(
    session: Session, window: Window, *, include_revoked: bool
) -> tuple[list[ApiToken], int]:
    query = select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return paginate(session, query, window)
