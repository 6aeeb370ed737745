"""The clock only ticks: plan, dispatch, reconcile, holidays; a failure never stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from jobs import clock
from service.context import Pufa
from service.models import ClockHeartbeat, Delivery
from service.settings import Settings
from service.sms.dispatcher import Dispatcher
from tests.support import ROOT
from tests.support.sms_fakes import RecordingGateway
from tests.support.sms_world import World, local


@pytest.fixture
def dispatcher(pufa_state: Pufa, settings: Settings) -> Iterator[Dispatcher]:
    dispatcher = Dispatcher(pufa_state.db, RecordingGateway(), settings)
    yield dispatcher
    dispatcher.close()


def test_the_clock_runs_one_tick_job_each_never_overlapping(
    app: Flask, dispatcher: Dispatcher
) -> None:
    scheduler = clock.build_scheduler(app, clock.make_ticks(dispatcher))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"plan", "dispatch", "reconcile", "holidays"}
    assert jobs["dispatch"].trigger.interval.total_seconds() == 1
    assert all(j.coalesce and j.max_instances == 1 for j in jobs.values())
    assert all(j.misfire_grace_time is None for j in jobs.values())


def test_a_failing_tick_is_logged_recorded_and_the_next_one_runs(
    app: Flask, pufa_state: Pufa, session: Session
) -> None:
    calls: list[int] = []

    def flaky(_state: Pufa) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    run = clock.guarded(app, clock.Tick("flaky", 1, flaky))
    run()
    beat = session.get_one(ClockHeartbeat, "flaky")
    assert "server closed the connection" in beat.last_error
    session.commit()

    run()
    session.refresh(beat)
    assert (len(calls), beat.ticks, beat.last_error) == (2, 2, "")


def test_plan_and_dispatch_ticks_send_the_lecture_reminder_when_due(
    pufa_state: Pufa, session: Session, settings: Settings
) -> None:
    world = World(session)
    world.person("周伟")
    world.rule(world.lecture(), 1440, "lecture_audience")
    session.commit()
    gateway = RecordingGateway()
    dispatcher = Dispatcher(pufa_state.db, gateway, settings)
    try:
        with time_machine.travel(local(2026, 12, 6, 15, 59, 59), tick=False):
            clock.plan_tick(pufa_state)
            clock.dispatch_tick(dispatcher, pufa_state)
            assert gateway.outbox == []
        with time_machine.travel(local(2026, 12, 6, 16), tick=False):
            clock.plan_tick(pufa_state)
            clock.dispatch_tick(dispatcher, pufa_state)
    finally:
        dispatcher.close()

    [sent] = gateway.outbox
    assert "12月7日（周一）16:00" in sent.body
    assert session.scalars(select(Delivery.status)).one() == "sent"


@pytest.mark.parametrize(
    "signals",
    [
        [signal.SIGTERM],
        # Ctrl-C under `pufa up` reaches the clock twice: from the terminal and forwarded.
        [signal.SIGINT, signal.SIGTERM],
    ],
    ids=["sigterm", "ctrl-c-and-sigterm"],
)
def test_a_stop_signal_stops_the_clock_cleanly(tmp_path: Path, signals: list[int]) -> None:
    database = tmp_path / "clock.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "PUFA_INSTANCE_DIR": str(tmp_path),
        "PUFA_ENV": "development",
        "SMS_BACKEND": "console",
        "PUFA_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "-m", "service", "db", "upgrade"], env=env, cwd=ROOT, check=True
    )
    process = subprocess.Popen([sys.executable, "-m", "jobs.clock"], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        while not _has_heartbeat(database) and time.monotonic() < deadline:
            time.sleep(0.1)  # waiting on a real process: no fake clock can help here
        assert _has_heartbeat(database), "the clock never ticked"
        for signum in signals:
            process.send_signal(signum)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


def _has_heartbeat(database: Path) -> bool:
    import sqlite3

    if not database.exists():
        return False
    with sqlite3.connect(database) as conn:
        try:
            return bool(conn.execute("SELECT count(*) FROM clock_heartbeats").fetchone()[0])
        except sqlite3.OperationalError:
            return False
