"""A time budget per web request, so that one heavy request cannot hold a worker thread
(and, on PostgreSQL, a database connection) for as long as it likes.

Each request gets a deadline (``PUFA_REQUEST_BUDGET_SECONDS`` from its start) in a
context variable. The loops whose cost grows with what the database holds (expanding
schedules over a window, gathering the ledger's rows, building reports) call ``check()``
as they go: a clock read and a comparison, cheap enough for every row. Past the
deadline it raises ``BudgetExceeded`` (503 with ``Retry-After``), which rolls back
whatever the request had begun, as any error does. No thread is interrupted: the work
stops at its next check. On PostgreSQL each statement is also bounded by the time left
(``statement_timeout``, see ``install``), so one slow query cannot outlast the budget.

A streamed download is bounded until its first byte; then ``lift()`` lets it finish.
Code outside a request (the clock's ticks, the CLI) has no budget: ``check()`` passes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import Connection, event
from sqlalchemy.engine import ExceptionContext

from .context import pufa
from .db import Database
from .errors import PufaError

Clock = Callable[[], float]
# How long a client is told to wait before asking again.
RETRY_AFTER_SECONDS = 30
# The connection's remembered statement_timeout (ms), to set it only when it changes.
_TIMEOUT_KEY = "pufa_statement_timeout_ms"
# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout.
_QUERY_CANCELED = "57014"


class BudgetExceeded(PufaError):
    status, code = 503, "request_too_slow"

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"The request was stopped after its time budget of {seconds:g} s; nothing was "
            "changed. Ask for less (a shorter date range) or try again later.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


@dataclass(frozen=True)
class Budget:
    seconds: float
    deadline: float
    clock: Clock

    def remaining(self) -> float:
        return self.deadline - self.clock()


_current: ContextVar[Budget | None] = ContextVar("pufa_request_budget", default=None)


def start(seconds: float, clock: Clock = time.monotonic) -> Budget:
    """Give the work that follows (in this context) ``seconds`` from now."""
    budget = Budget(seconds, clock() + seconds, clock)
    _current.set(budget)
    return budget


def lift() -> None:
    """No budget from here on: a download that has begun is allowed to finish."""
    _current.set(None)


def current() -> Budget | None:
    return _current.get()


def check() -> None:
    """Raise ``BudgetExceeded`` if the current budget is spent; otherwise nothing."""
    budget = _current.get()
    if budget is not None and budget.clock() > budget.deadline:
        raise BudgetExceeded(budget.seconds)


def install(app: Flask) -> None:
    """Start a budget for every request of ``app`` (``pufa().monotonic`` is its clock,
    which tests replace), and bound its SQL on PostgreSQL."""

    @app.before_request
    def _start_budget() -> None:
        state = pufa()
        start(state.settings.request_budget_seconds, state.monotonic)

    @app.teardown_request
    def _end_budget(_exc: BaseException | None) -> None:
        lift()

    db: Database = app.extensions["pufa"].db
    if db.is_postgresql:
        event.listen(db.engine, "begin", _bound_transaction)
        event.listen(db.engine, "handle_error", _cancelled_is_budget)


# On PostgreSQL each statement of a budgeted request is bounded by the time it has left
# (whole seconds, rounded up: the budget's own checks are finer), and a statement
# cancelled for that is the budget's 503. A transaction gets SET LOCAL, gone at its end.
# A reader in autocommit keeps the setting on its connection, which remembers it, so the
# usual request, whose whole budget is left when it begins, sends nothing extra.


def _bound_transaction(conn: Connection) -> None:
    budget = _current.get()
    wanted = 0 if budget is None else max(1, math.ceil(budget.remaining())) * 1000
    info: dict[str, Any] = conn.connection.info
    if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        # Also without a budget, over what a reader may have left on the connection.
        if wanted or info.get(_TIMEOUT_KEY, 0):
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {wanted}")
        return
    if info.get(_TIMEOUT_KEY, 0) != wanted:
        conn.exec_driver_sql(f"SET statement_timeout = {wanted}")
        info[_TIMEOUT_KEY] = wanted


def _cancelled_is_budget(context: ExceptionContext) -> BaseException | None:
    budget = _current.get()
    original = context.original_exception
    if budget is not None and getattr(original, "sqlstate", None) == _QUERY_CANCELED:
        return BudgetExceeded(budget.seconds)
    return None
