"""The clock process: one APScheduler ``BlockingScheduler`` that only ticks.

The database is the source of truth; every tick asks it what is due. The job store is
in memory and never shared (APScheduler 3 FAQ: a shared store runs jobs twice), so two
clock processes are safe: the work itself is claimed atomically in the database.

This module is the edge: it is the only place in the SMS path that reads the wall clock
(``utcnow``) and passes ``now`` into the domain functions.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType

from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from service.app import create_app
from service.context import Pufa
from service.models import ClockHeartbeat, utcnow
from service.occurrences.workdays import coverage
from service.sms import outbox, planner
from service.sms.dispatcher import Dispatcher, reconcile
from service.sms.factory import make_gateway

log = logging.getLogger("pufa.clock")

# A timed-out send is looked up at the provider if no status callback settled it by then.
TIMEOUT_SETTLE = timedelta(minutes=10)
# The dispatch tick keeps watching for the next due message this long, so a message is
# handed to the provider within a fraction of a second of its due time.
DISPATCH_WATCH_SECONDS = 0.8


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


def plan_tick(state: Pufa) -> None:
    with state.db.transaction() as session:
        horizon = timedelta(hours=state.settings.plan_horizon_hours)
        result = planner.plan_tick(session, utcnow(), horizon=horizon)
    if result.writes:
        log.info("planned", extra=vars(result))


def dispatch_tick(dispatcher: Dispatcher, state: Pufa) -> None:
    """Send what is due, then sleep until the next due message if it is near."""
    deadline = time.monotonic() + DISPATCH_WATCH_SECONDS
    while not dispatcher.stopping.is_set():
        stats = dispatcher.run()
        if stats.claimed:
            log.info("dispatched", extra={k: v for k, v in vars(stats).items() if v})
        with state.db.transaction() as session:
            next_due_at = outbox.next_due_at(session)
        if next_due_at is None:
            return
        # A floor keeps a row another clock holds locked from turning this into a spin.
        wait = max(0.02, (next_due_at - utcnow()).total_seconds())
        if time.monotonic() + wait > deadline:
            return
        dispatcher.stopping.wait(wait)


def reconcile_tick(dispatcher: Dispatcher, state: Pufa) -> None:
    result = reconcile(state.db, dispatcher.gateway, state.settings, utcnow(), TIMEOUT_SETTLE)
    if result.total:
        log.warning("reconciled stuck sends", extra=vars(result))


def holidays_tick(_state: Pufa) -> None:
    missing = coverage(utcnow().year)["provisional_years"]
    if missing:
        log.warning(
            "official holiday data missing; using provisional days", extra={"years": missing}
        )


def make_ticks(dispatcher: Dispatcher) -> list[Tick]:
    return [
        Tick("plan", 300, plan_tick),
        Tick("dispatch", 1, lambda state: dispatch_tick(dispatcher, state)),
        Tick("reconcile", 60, lambda state: reconcile_tick(dispatcher, state)),
        Tick("holidays", 6 * 3600, holidays_tick),
    ]


def guarded(app: Flask, tick: Tick) -> Callable[[], None]:
    """Run one tick; a failure is logged and recorded, never allowed to kill the clock."""
    state: Pufa = app.extensions["pufa"]

    def run() -> None:
        error = ""
        try:
            with app.app_context():
                tick.run(state)
        except Exception as exc:  # one bad tick (or a lost database) must not stop the loop
            error = f"{type(exc).__name__}: {exc}"
            log.exception("tick failed", extra={"job": tick.name})
        try:
            heartbeat(state, tick.name, error)
        except SQLAlchemyError:
            log.exception("heartbeat failed", extra={"job": tick.name})

    return run


# A late tick runs once (coalesce), never twice at once, and never is dropped as missed.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def build_scheduler(app: Flask, ticks: list[Tick]) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
    for tick in ticks:
        scheduler.add_job(
            guarded(app, tick),
            "interval",
            seconds=tick.seconds,
            id=tick.name,
            next_run_time=utcnow(),
            **JOB_DEFAULTS,
        )
    return scheduler


def main() -> None:
    app = create_app()
    state: Pufa = app.extensions["pufa"]
    dispatcher = Dispatcher(state.db, make_gateway(state.settings), state.settings)
    ticks = make_ticks(dispatcher)
    scheduler = build_scheduler(app, ticks)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        # Once: Ctrl-C under `pufa up` reaches the clock twice (from the terminal, then
        # forwarded), and a later signal must not break the shutdown or the exit.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        log.info("clock stopping", extra={"signal": signum})
        # No new claims; the sends already handed to the provider finish and are recorded.
        dispatcher.stopping.set()
        # A second signal can come in before this handler's first line ignores it; its
        # own run of the handler then stops the scheduler, and this one finds it stopped.
        with contextlib.suppress(SchedulerNotRunningError):
            scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    log.info("clock started", extra={"jobs": [t.name for t in ticks]})
    scheduler.start()
    dispatcher.close()
    state.db.dispose()
    log.info("clock stopped")


if __name__ == "__main__":
    main()
