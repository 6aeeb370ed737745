"""ETag and Last-Modified of a feed, computed from row versions, not from the feed.

One query of aggregates — (count, max id, sum of versions, max update time) — over the
rows a feed is made of: its owner, the schedules in their audience with those
schedules' overrides, reminder rules and study items, the audience links, the speakers'
names, the owner's study confirmations, and the admins' holiday overrides. Any change
to those rows changes an aggregate: an update bumps the version and the update time, an
insert or delete the count (and a delete-plus-insert the max update time). Rows that
are not part of the feed (other people's confirmations, SMS deliveries, schedules for
other departments) are left out, so their changes leave the ETag alone. Speakers count
with their whole row, so any edit of a speaker (not only of the name) costs one render.

The feed also depends on the day (it shows 12 months back from today) and on the code
that renders it (``FORMAT``), so both are part of the ETag.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any, TypeAlias

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Dialect,
    Integer,
    Select,
    bindparam,
    cast,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from ..db import Database
from ..models import (
    Department,
    HolidayOverride,
    OccurrenceOverride,
    Person,
    ReminderRule,
    Schedule,
    StudyConfirmation,
    StudyItem,
    person_departments,
    schedule_departments,
    schedule_people,
)
from .content import FeedOwner, OwnerKind

AnySelect: TypeAlias = Select[*tuple[Any, ...]]

# Bump when the rendering changes, so clients and the byte cache do not keep old output.
FORMAT = "pufa-feed-3"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Validator:
    etag: str  # strong, without quotes
    last_modified: datetime  # UTC, whole seconds (HTTP dates have no fractions)


CHANGE_MARK_SQL = "SELECT mark FROM feed_changes WHERE id = 1"


def change_mark(db: Database) -> int | None:
    """The feed tables' change mark (``models.changes``): any write to them changes it.
    Read on its own, before the transaction that uses it: a mark never comes back, so
    what is computed afterwards is at least as new as the mark it is remembered under."""
    mark: int | None = db.read_scalar(CHANGE_MARK_SQL)
    return mark


def feed_validator(session: Session, owner: FeedOwner, day_start: datetime) -> Validator:
    """The validator of ``owner``'s feed as rendered on the local day starting at
    ``day_start`` (aware)."""
    connection = session.connection()
    sql, names, defaults = _compiled(owner.kind, connection.dialect)
    # The driver runs the SQL compiled once: per request, SQLAlchemy's statement handling
    # cost more than SQLite's execution. Results come raw (SQLite: text instants).
    params = {**defaults, "owner_id": owner.id}
    arguments = tuple(params[n] for n in names) if names is not None else params
    values = tuple(connection.exec_driver_sql(sql, arguments).one())
    instants = [_instant(v) for v in values if isinstance(v, datetime | str)]
    # A new day's range changes the feed too: it is "modified" when the day starts.
    last = max([_EPOCH, day_start.astimezone(UTC), *instants])
    fingerprint = (FORMAT, owner.kind, owner.id, day_start.isoformat(), values)
    digest = hashlib.sha256(repr(fingerprint).encode())
    return Validator(etag=digest.hexdigest()[:32], last_modified=last.replace(microsecond=0))


@cache
def _statement(kind: OwnerKind) -> AnySelect:
    """One statement per kind of owner, built once: building it costs more than running it."""
    owner_id = bindparam("owner_id", type_=Integer)
    if kind == "person":
        departments = select(person_departments.c.department_id).where(
            person_departments.c.person_id == owner_id
        )
        named = select(schedule_people.c.schedule_id).where(schedule_people.c.person_id == owner_id)
    else:
        departments = select(Department.id).where(Department.id == owner_id)
        named = select(schedule_people.c.schedule_id).where(false())
    # The schedules in the owner's audience: the same test as audience.concerns.
    schedule_ids = select(Schedule.id).where(
        or_(
            Schedule.is_for_everyone.is_(True),
            Schedule.id.in_(named),
            Schedule.id.in_(
                select(schedule_departments.c.schedule_id).where(
                    schedule_departments.c.department_id.in_(departments)
                )
            ),
        )
    )
    parts: list[AnySelect] = [
        _versioned(Schedule, Schedule.id.in_(schedule_ids)),
        _versioned(OccurrenceOverride, OccurrenceOverride.schedule_id.in_(schedule_ids)),
        _versioned(ReminderRule, ReminderRule.schedule_id.in_(schedule_ids)),
        _versioned(StudyItem, StudyItem.schedule_id.in_(schedule_ids)),
        _versioned(HolidayOverride, true()),
        _versioned(Person, Person.id.in_(_speaker_ids(schedule_ids))),
        # Which schedules are in the audience: the links that can bring one in or out.
        _links(
            schedule_departments.c.schedule_id,
            schedule_departments.c.department_id,
            schedule_departments.c.department_id.in_(departments),
        ),
    ]
    if kind == "person":
        parts += [
            _versioned(Person, Person.id == owner_id),
            _links(
                schedule_people.c.schedule_id,
                schedule_people.c.person_id,
                schedule_people.c.person_id == owner_id,
            ),
            _links(
                person_departments.c.person_id,
                person_departments.c.department_id,
                person_departments.c.person_id == owner_id,
            ),
            select(
                func.count(),
                func.max(StudyConfirmation.id),
                func.max(StudyConfirmation.confirmed_at),
            ).where(StudyConfirmation.person_id == owner_id),
        ]
    else:
        parts.append(_versioned(Department, Department.id == owner_id))
    # Each part is one row of aggregates: cross-join them into one row, one round trip.
    subqueries = [part.subquery() for part in parts]
    joined: Any = subqueries[0]
    for subquery in subqueries[1:]:
        joined = joined.join(subquery, true())
    return select(*subqueries).select_from(joined)


def _speaker_ids(schedule_ids: Select[int]) -> Any:
    """Everyone named as a speaker in these schedules: their names are in the feed."""
    return (
        select(Schedule.speaker_id)
        .where(Schedule.id.in_(schedule_ids))
        .union(
            select(OccurrenceOverride.speaker_id).where(
                OccurrenceOverride.schedule_id.in_(schedule_ids)
            )
        )
    )


def _versioned(model: Any, where: ColumnElement[bool]) -> AnySelect:
    return select(
        func.count(),
        func.max(model.id),
        func.coalesce(func.sum(model.version), 0),
        func.max(model.updated_at),
    ).where(where)


def _links(left: Any, right: Any, where: ColumnElement[bool] | None = None) -> AnySelect:
    """Link rows have no version: count them and sum an id pair's fingerprint."""
    query = select(
        func.count(),
        func.coalesce(func.sum(cast(left, BigInteger) * 1_000_003 + right), 0),
    )
    return query.where(where) if where is not None else query


@lru_cache(maxsize=16)
def _compiled(
    kind: OwnerKind, dialect: Dialect
) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """The SQL text; for positional drivers (sqlite3) the order of its parameters; and
    the values of its constant parameters (the SQL's literals)."""
    compiled = _statement(kind).compile(dialect=dialect)
    names = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return compiled.string, names, dict(compiled.construct_params({"owner_id": 0}))


def _instant(value: datetime | str) -> datetime:
    # SQLite stores instants as naive UTC text; PostgreSQL hands back aware values.
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
