"""A county-scale data set for benchmarks (``pufa seed --scale county``).

A county's 依法治县办 running Pufa for all its townships: 40 站所, 2,000 staff, 300
schedules (a weekly lecture per 站所, monthly meetings, each township's campaign days,
three years of study deadlines, one-off trainings), three years of overrides (the
lecture rota, moves, cancellations, new places), attendance at past lectures, study
confirmations and 1,000,000 past deliveries. Every name and number is made up (mobiles
in the demo's +86 139 0000 xxxx block). The same spec, seed and ``now`` give the same
rows. It goes into an empty database only, in one transaction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ..models import (
    Base,
    Department,
    OccurrenceOverride,
    Person,
    ReminderRule,
    Schedule,
    StudyItem,
    StudyPlan,
)
from . import history, words
from .bulk import reset_sequences, table_of
from .structure import Writer, build_directory, build_schedules

# Tables an API token, a console account or the audit trail live in stay as they are.
KEPT_BY_FORCE = {"api_tokens", "admin_accounts", "console_sessions", "auth_failures", "audit_log"}


class CountyError(Exception):
    """The county data cannot be written (a non-empty database, an impossible size)."""


@dataclass(frozen=True)
class CountySpec:
    departments: int = 40
    people: int = 2000
    schedules: int = 300
    deliveries: int = 1_000_000
    years: int = 3
    seed: int = 2026

    def check(self) -> None:
        most = len(words.TOWNSHIPS) * len(words.OFFICES)
        if not 1 <= self.departments <= most:
            raise CountyError(f"departments must be 1 to {most}")
        if not self.departments <= self.people <= 9999:
            raise CountyError("people must be at least one per department and at most 9999")
        if not 1 <= self.years <= 5 or self.deliveries < 0:
            raise CountyError("years must be 1 to 5, and deliveries not negative")


COUNTY = CountySpec()


def seed_county(
    session: Session, spec: CountySpec, now: datetime, zone: ZoneInfo, *, force: bool = False
) -> dict[str, int]:
    """Write the data set for the ``spec.years`` before ``now``; return the row counts.
    Flushes but does not commit: the caller owns the transaction."""
    spec.check()
    _make_room(session, force)
    rng = random.Random(spec.seed)  # noqa: S311 - made-up data, repeatable
    until = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    since = until - timedelta(days=365 * spec.years)
    writer = Writer(rng, zone, since, until)
    conn = session.connection()
    built = build_directory(conn, writer, spec.departments, spec.people)
    try:
        build_schedules(conn, writer, built, spec.schedules, spec.years)
    except ValueError as error:
        raise CountyError(str(error)) from None
    counts = dict(built.counts)
    counts["study_confirmations"] = history.confirmations(session, rng, built, until)
    counts["attendance"] = history.attendance(session, rng, built, since, until)
    counts["deliveries"] = history.deliveries(session, rng, spec.deliveries, since, until)
    reset_sequences(
        conn,
        [table_of(t) for t in (Department, Person, Schedule, ReminderRule, StudyPlan, StudyItem)],
    )
    return counts


def _make_room(session: Session, force: bool) -> None:
    held = {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Department, Person, Schedule, StudyPlan, OccurrenceOverride)
    }
    if not any(held.values()):
        return
    if not force:
        what = ", ".join(f"{n} {table}" for table, n in held.items() if n)
        raise CountyError(
            f"the database already holds {what}; the county data go into an empty database "
            "(--force empties it first)"
        )
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_BY_FORCE]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - our table names


__all__ = ["COUNTY", "CountyError", "CountySpec", "seed_county"]
