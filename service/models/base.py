"""Declarative base, the UTC column type and the columns every mutable row shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Integer, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids are INTEGER columns, 32-bit on PostgreSQL: a larger number names no row.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """The one place the wall clock is read for stored instants."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware instants stored as UTC on every backend.

    SQLite has no timezone type, so values go in as UTC and come back tagged UTC; a naive
    value is a programming error and is refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        # This runs for every instant of every row read. Where the driver's values need
        # no converting first (psycopg: datetimes, aware), the function itself is the
        # processor, without the decorator's wrapper around it.
        parse = self.impl_instance.result_processor(dialect, coltype)
        if parse is None:
            return _as_utc
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def from_sqlite(value: str | None) -> datetime | None:
            # SQLite's text of a UTC instant (2025-01-06 01:00:00.000000, as stored
            # above) in one parse, where the driver's parser and then the tagging cost
            # three calls. A text of another form goes that way (a date alone comes out
            # of fromisoformat naive, its offset dropped).
            if value is None:
                return None
            try:
                instant = datetime.fromisoformat(value + "+00:00")
            except ValueError:
                return _as_utc(parse(value))
            return instant if instant.tzinfo is UTC else _as_utc(parse(value))

        return from_sqlite

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return _as_utc(value)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is UTC:  # psycopg's, on Pufa's connections (db.py)
        return value
    if value.tzinfo is None:
        # replace(tzinfo=UTC), minus its keyword handling.
        return datetime.combine(value.date(), value.time(), UTC)
    return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    """Creation and update instants, plus a version for optimistic concurrency (ETag)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # SQLAlchemy bumps the version on every UPDATE and refuses a stale one.
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
