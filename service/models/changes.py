"""A change mark for the rows calendar feeds are made of, kept by database triggers.

Every insert, update or delete (and, on PostgreSQL, truncate) of those tables sets the
single row of ``feed_changes`` to a new random mark, in the writer's transaction. A web
process that remembers what it computed under one mark (see ``feeds.validators``) may
reuse it for as long as it reads that same mark: one primary-key read instead of the
aggregate query over a feed's rows. The triggers are in the database, not in Python,
so no writer (the ORM, a bulk statement, a console session) can forget them.

The mark is random rather than a counter so that it never comes back to an earlier
value, even after the table was emptied.
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

# The tables a feed reads (``feeds.content``) and its validator aggregates over.
FEED_TABLES = (
    "schedules",
    "occurrence_overrides",
    "reminder_rules",
    "study_items",
    "study_confirmations",
    "holiday_overrides",
    "people",
    "departments",
    "person_departments",
    "schedule_departments",
    "schedule_people",
)


class FeedChange(Base):
    __tablename__ = "feed_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    mark: Mapped[int] = mapped_column(BigInteger)


_SQLITE_SET_MARK = (
    "INSERT INTO feed_changes (id, mark) VALUES (1, random()) "
    "ON CONFLICT (id) DO UPDATE SET mark = excluded.mark;"
)
_PG_FUNCTION = """
CREATE FUNCTION feed_changes_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feed_changes (id, mark)
    VALUES (1, floor((random() - 0.5) * 1.8e19)::bigint)
    ON CONFLICT (id) DO UPDATE SET mark = excluded.mark;
    RETURN NULL;
END
$$
"""


def create_triggers_sql(dialect: str) -> list[str]:
    """The DDL that keeps the mark, for ``dialect`` (``sqlite`` or ``postgresql``)."""
    if dialect == "postgresql":
        return [_PG_FUNCTION] + [
            f"CREATE TRIGGER feed_changes_{table} AFTER INSERT OR UPDATE OR DELETE OR "
            f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION feed_changes_mark()"
            for table in FEED_TABLES
        ]
    return [
        f"CREATE TRIGGER feed_changes_{table}_{event.lower()} AFTER {event} ON {table} "
        f"BEGIN {_SQLITE_SET_MARK} END"
        for table in FEED_TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def drop_triggers_sql(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER feed_changes_{table} ON {table}" for table in FEED_TABLES] + [
            "DROP FUNCTION feed_changes_mark()"
        ]
    return [
        f"DROP TRIGGER feed_changes_{table}_{event}"
        for table in FEED_TABLES
        for event in ("insert", "update", "delete")
    ]
