"""The failed-authentication throttle, shared through the database.

Each key (``addr:<address>`` for the API and console sign-ins, ``account:<username>``
for sign-ins) may fail ``limit`` times per fixed window; beyond that it is answered 429
with Retry-After until the window ends. The count lives in the ``auth_failures`` table,
the one store every web process and every box shares, and it is raised with one atomic
upsert that returns the new count: two requests can never both see room for one.

Two ways to use it:
- ``attempt`` counts the attempt before the secret is checked and ``succeeded`` takes it
  back: exact under any concurrency, at the cost of two writes per success. Console
  sign-ins do this (a password check is slow, so a race would be wide).
- ``retry_after`` reads, and ``failed`` counts a failure and says whether it was over the
  limit: the API does this, so a request with a good token writes nothing. Racing bad
  tokens that all passed the read are then numbered by the atomic count, and those past
  the limit are answered 429 too. The API reads the count in the statement that looks
  its token up (``FAILURES``, with the parameters of ``FailedAuthThrottle.reading``): one round
  trip for both on every request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse
from sqlalchemy import ScalarSelect, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .db import Database
from .models import AuthFailure

FAILED_AUTH_LIMIT = "10/minute"
_KEY_LENGTH = 200
_TABLE: Table = AuthFailure.__table__  # type: ignore[assignment]

# One key's count in one window, as a column a caller adds to its own lookup; the
# parameters come from ``FailedAuthThrottle.reading``. Built once: building a
# statement costs more than running it.
FAILURES: ScalarSelect[int] = (
    select(AuthFailure.count)
    .where(
        AuthFailure.key == bindparam("failure_key"),
        AuthFailure.window_index == bindparam("failure_window"),
    )
    .scalar_subquery()
)


@dataclass(frozen=True)
class FailuresReading:
    """The parameters of ``FAILURES`` for one key and window, and what its count means."""

    params: dict[str, object]
    limit: int
    wait: int

    def retry_after(self, count: int | None) -> int | None:
        """As ``FailedAuthThrottle.retry_after``, for the count read (None: no failures)."""
        return self.wait if count is not None and count >= self.limit else None


class FailedAuthThrottle:
    """One per app; the counts themselves are in the database."""

    def __init__(
        self,
        limit: str = FAILED_AUTH_LIMIT,
        *,
        db: Database | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        item: RateLimitItem = parse(limit)
        self.limit = item.amount
        self.window_seconds = item.get_expiry()
        self._db = db
        self._clock = clock

    @property
    def db(self) -> Database:
        if self._db is not None:
            return self._db
        database: Database = current_app.extensions["pufa"].db
        return database

    def retry_after(self, *keys: str) -> int | None:
        """Seconds until every key may try again, or None when all may now."""
        window, wait = self._window()
        with self.db.read_sessions() as session:
            counts = session.scalars(
                select(AuthFailure.count).where(
                    AuthFailure.key.in_([_key(k) for k in keys]),
                    AuthFailure.window_index == window,
                )
            ).all()
        return wait if any(count >= self.limit for count in counts) else None

    def reading(self, key: str) -> FailuresReading:
        """How to read ``key``'s count through ``FAILURES`` in the current window."""
        window, wait = self._window()
        return FailuresReading(
            params={"failure_key": _key(key), "failure_window": window},
            limit=self.limit,
            wait=wait,
        )

    def failed(self, *keys: str) -> int | None:
        """Count one failure for each key; the wait if any key is now past the limit."""
        return self._count(keys, +1)

    def attempt(self, *keys: str) -> int | None:
        """Count an attempt before checking it: the wait (and the attempt stays counted)
        if any key is past the limit, else None and ``succeeded`` may take it back."""
        return self._count(keys, +1)

    def succeeded(self, *keys: str) -> None:
        """Take back an ``attempt`` that turned out right."""
        window, _wait = self._window()
        with self.db.transaction() as session:
            session.execute(
                update(AuthFailure)
                .where(
                    AuthFailure.key.in_([_key(k) for k in keys]),
                    AuthFailure.window_index == window,
                    AuthFailure.count > 0,
                )
                .values(count=AuthFailure.count - 1)
            )

    def _count(self, keys: Iterable[str], step: int) -> int | None:
        window, wait = self._window()
        over = False
        with self.db.transaction() as session:
            for key in sorted({_key(k) for k in keys}):  # one order: no deadlock between two
                over = _add(session, key, window, step) > self.limit or over
            # Windows before the last are never read again.
            session.execute(delete(AuthFailure).where(AuthFailure.window_index < window - 1))
        return wait if over else None

    def _window(self) -> tuple[int, int]:
        now = self._clock()
        window = math.floor(now / self.window_seconds)
        wait = max(1, math.ceil((window + 1) * self.window_seconds - now))
        return window, wait


def _add(session: Session, key: str, window: int, step: int) -> int:
    """Add ``step`` to the key's count in one statement; the count after it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        insert(_TABLE)
        .values(key=key, window_index=window, count=step)
        .on_conflict_do_update(
            index_elements=["key", "window_index"], set_={"count": _TABLE.c.count + step}
        )
        .returning(_TABLE.c.count)
    )
    count: int = session.execute(upsert).scalar_one()
    return count


def _key(key: str) -> str:
    return key[:_KEY_LENGTH]


def count_of(session: Session, key: str) -> int:
    """All failures counted for ``key`` in the windows kept (for tests and the CLI)."""
    total: int | None = session.scalar(
        select(func.sum(AuthFailure.count)).where(AuthFailure.key == _key(key))
    )
    return total or 0
