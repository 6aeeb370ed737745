"""The clock's memory in the database (``clock_state``): marks and running totals.

Shared by every clock process, so each write is one upsert that only moves forward:
two clocks planning or reconciling at once cannot lose each other's progress.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import ClockState

PLANNED_THROUGH = "planner.planned_through"
_TABLE: Table = ClockState.__table__  # type: ignore[assignment]


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_TABLE)


def mark(session: Session, name: str) -> datetime | None:
    return session.scalar(select(ClockState.at).where(ClockState.name == name))


def advance_mark(session: Session, name: str, at: datetime, now: datetime) -> None:
    """Set the mark to ``at`` unless it is already later."""
    statement = _insert(session).values(name=name, at=at, count=0, updated_at=now)
    excluded = statement.excluded
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"at": excluded.at, "updated_at": excluded.updated_at},
            where=(_TABLE.c.at.is_(None)) | (_TABLE.c.at < excluded.at),
        )
    )


def add_count(session: Session, name: str, amount: int, now: datetime) -> None:
    if amount <= 0:
        return
    statement = _insert(session).values(name=name, count=amount, updated_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"count": _TABLE.c.count + amount, "updated_at": now},
        )
    )


def counts(session: Session, prefix: str) -> dict[str, int]:
    """Running totals whose name starts with ``prefix``, keyed by the rest of the name."""
    rows = session.execute(
        select(ClockState.name, ClockState.count).where(ClockState.name.startswith(prefix))
    )
    return {name[len(prefix) :]: count for name, count in rows}
