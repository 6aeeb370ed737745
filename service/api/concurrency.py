"""Two admins editing the same rows at once: the loser gets a 409, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..errors import Conflict


@contextmanager
def conflicts_as_409() -> Iterator[None]:
    """A unique key or a row version (``Timestamped.version``) lost to a concurrent
    request: the transaction is rolled back at teardown and the client may retry."""
    try:
        yield
    except (IntegrityError, StaleDataError):
        raise Conflict(
            "Someone else changed these rows at the same time; reload and try again.",
            code="concurrent_change",
        ) from None
