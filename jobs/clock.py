"""The clock process: one APScheduler ``BlockingScheduler`` that only ticks.

The database is the source of truth; every tick asks it what is due. The job store is
in memory and never shared (APScheduler 3 FAQ: a shared store runs jobs twice), so two
clock processes are safe: the work itself is claimed atomically in the database.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from service.app import Pufa, create_app
from service.models import ClockHeartbeat, utcnow

log = logging.getLogger("pufa.clock")


@dataclass(frozen=True)
class Tick:
    name: str
    seconds: int
    run: Callable[[Pufa], None]


def heartbeat(state: Pufa, job: str, error: str = "") -> None:
    with state.db.transaction() as session:
        row = session.get(ClockHeartbeat, job)
        if row is None:
            row = ClockHeartbeat(job=job, ticked_at=utcnow(), ticks=0)
            session.add(row)
        row.ticked_at = utcnow()
        row.ticks += 1
        row.last_error = error[:500]


def _noop(_state: Pufa) -> None:
    """The liveness tick: records that the clock is alive even when nothing is due."""


TICKS: list[Tick] = [Tick("alive", 30, _noop)]


def guarded(app: Flask, tick: Tick) -> Callable[[], None]:
    """Run one tick; a failure is logged and recorded, never allowed to kill the clock."""
    state: Pufa = app.extensions["pufa"]

    def run() -> None:
        error = ""
        try:
            with app.app_context():
                tick.run(state)
        except Exception as exc:  # one bad tick must not stop the loop
            error = f"{type(exc).__name__}: {exc}"
            log.exception("tick failed", extra={"job": tick.name})
        try:
            heartbeat(state, tick.name, error)
        except SQLAlchemyError:
            log.exception("heartbeat failed", extra={"job": tick.name})

    return run


def build_scheduler(app: Flask, ticks: list[Tick] | None = None) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    for tick in ticks or TICKS:
        scheduler.add_job(
            guarded(app, tick),
            "interval",
            seconds=tick.seconds,
            id=tick.name,
            next_run_time=utcnow(),
        )
    return scheduler


def main() -> None:
    app = create_app()
    scheduler = build_scheduler(app)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("clock stopping", extra={"signal": signum})
        # wait=True lets in-flight ticks (and their sends) finish before exit.
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("clock started", extra={"jobs": [t.name for t in TICKS]})
    scheduler.start()
    app.extensions["pufa"].db.dispose()
    log.info("clock stopped")


if __name__ == "__main__":
    main()
