"""Full-size proofs of "exactly one SMS per (occurrence, rule, person)" (DESIGN §1).

    python -m benchmarks.sms_proof two-clocks --count 2000 [--database postgresql]
    python -m benchmarks.sms_proof chaos --count 2000 [--seconds 60] [--database postgresql]

``two-clocks``: two dispatching processes share one outbox; the loopback provider counts
what arrives. ``chaos``: the same, while one process is killed with SIGKILL and restarted
every few seconds and the provider answers 10% 500, 5% 429 and 2% timeouts (accepted,
answered too late). Both print lost / duplicated / unknown / expired counts. Loopback
only; bounded in count and time; each stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

from benchmarks.loopback import Faults, LoopbackProvider
from service import migrate
from service.db import Database
from service.models import Delivery, Person, ReminderRule, Schedule, utcnow
from service.sms.status import apply_status

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get(
    "PUFA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A migrated, empty database that is dropped afterwards."""
    if kind == "postgresql":
        name = f"pufa_proof_{uuid.uuid4().hex[:8]}"
        server = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
        try:
            migrate.upgrade(url)
            yield url
        finally:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            server.dispose()
    else:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/proof.sqlite3"
            migrate.upgrade(url)
            yield url


def seed_outbox(
    db: Database,
    count: int,
    due_at: datetime,
    useful_until: datetime,
    *,
    spread: timedelta = timedelta(0),
    people: int = 1,
) -> None:
    """``count`` pending messages, due from ``due_at`` over ``spread``."""
    with db.transaction() as session:
        schedule = Schedule(kind="meeting", title="proof", starts_at=useful_until)
        session.add(schedule)
        session.flush()
        rule = ReminderRule(
            schedule_id=schedule.id, name="proof", lead_minutes=60, template="lecture_audience"
        )
        persons = [Person(name=f"p{i}", mobile=f"+86139{i:08d}") for i in range(people)]
        session.add_all([rule, *persons])
        session.flush()
        step = spread / count if count else timedelta(0)
        rows = [
            {
                "schedule_id": schedule.id,
                "original_start_at": useful_until + timedelta(seconds=i),
                "rule_id": rule.id,
                "person_id": persons[i % people].id,
                "status": "pending",
                "due_at": due_at + step * i,
                "useful_until": useful_until,
                "occurrence_start_at": useful_until,
                "to": persons[i % people].mobile,
                "body": "【蟒河镇普法】测试提醒",
                "segments": 1,
                "attempts": 0,
                "reason": "",
                "created_at": due_at,
                "updated_at": due_at,
            }
            for i in range(count)
        ]
        for start in range(0, count, 5000):
            session.execute(insert(Delivery), rows[start : start + 5000])


class CallbackDesk:
    """Stands in for the status webhook: hands the provider's report to the real
    ``apply_status`` (forward-only) and counts which state each report found its row in."""

    def __init__(self, db: Database) -> None:
        self.db, self.found = db, Counter[str]()
        self._lock = threading.Lock()

    def __call__(self, delivery_id: int, sid: str) -> None:
        with self.db.transaction() as session:
            before = session.scalar(select(Delivery.status).where(Delivery.id == delivery_id))
            apply_status(session, delivery_id, sid, "delivered", None, utcnow())
        with self._lock:
            self.found[str(before)] += 1


def start_worker(url: str, provider: LoopbackProvider, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "benchmarks.sms_worker", "--database-url", url]
    command += ["--provider-url", provider.url, *extra]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def audit(db: Database, provider: LoopbackProvider, desk: CallbackDesk | None) -> dict[str, Any]:
    """Compare the outbox with what the provider received."""
    received = provider.counts()
    with db.sessions() as session:
        rows = session.execute(select(Delivery.id, Delivery.status, Delivery.provider_sid)).all()
    statuses = Counter(status for _id, status, _sid in rows)
    accepted = {"sent", "delivered", "undelivered"}
    lost = [
        row_id
        for row_id, status, _sid in rows
        if (status in accepted and row_id not in received)
        or (row_id in received and status not in accepted | {"unknown"})
        or status in ("pending", "sending")
    ]
    unknown = [row_id for row_id, status, _sid in rows if status == "unknown"]
    return {
        "deliveries": len(rows),
        "received_at_provider": sum(received.values()),
        "lost": len(lost),
        "duplicated": sum(1 for c in received.values() if c > 1),
        "unknown_left": len(unknown),
        "unknown_left_that_reached_the_provider": sum(1 for i in unknown if i in received),
        "expired": statuses.get("expired", 0),
        "failed": statuses.get("failed", 0),
        "statuses": dict(statuses),
        "callbacks_found_rows_in": dict(desk.found) if desk else {},
        "provider_faults": dict(provider.faults_sent),
    }


def two_clocks(url: str, count: int, *, latency: float = 0.05) -> dict[str, Any]:
    db = Database(url)
    now = utcnow()
    seed_outbox(db, count, now - timedelta(minutes=1), now + timedelta(hours=1))
    provider = LoopbackProvider(latency=latency).start()
    started = time.monotonic()
    try:
        workers = [
            start_worker(url, provider, "--until-idle", "--max-seconds", "120") for _ in "ab"
        ]
        outputs = [json.loads(w.communicate(timeout=180)[0] or "{}") for w in workers]
    finally:
        provider.stop()
    report = audit(db, provider, None)
    report.update(seconds=round(time.monotonic() - started, 2), per_process=outputs)
    db.dispose()
    return report


def chaos(
    url: str,
    count: int,
    *,
    seconds: float = 60,
    kill_every: float = 3.0,
    latency: float = 0.2,  # slow enough that a kill often lands mid-send
    callback_delay: tuple[float, float] = (0.2, 4.5),
    grace: float = 3.0,
    settle: float = 6.0,
) -> dict[str, Any]:
    db = Database(url)
    now = utcnow()
    seed_outbox(db, count, now, now + timedelta(hours=1), spread=timedelta(seconds=seconds * 0.9))
    desk = CallbackDesk(db)
    faults = Faults(server_error=0.10, throttle=0.05, timeout=0.02)
    provider = LoopbackProvider(
        latency=latency,
        faults=faults,
        hold_on_timeout=1.5,
        callback_delay=callback_delay,
        on_accept=desk,
    ).start()
    # grace < slowest callback < settle: crashed sends turn unknown and are then settled
    # by their callback; a timed-out send is only resent if no callback came in time.
    worker_args = ("--timeout", "1.0", "--grace", str(grace), "--settle", str(settle))
    worker_args += ("--backoff", "0.2")
    steady = start_worker(url, provider, *worker_args, "--max-seconds", str(seconds + 30))
    victim = start_worker(url, provider, *worker_args)
    kills = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            time.sleep(kill_every)  # real processes, real time: the point of the exercise
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            kills += 1
            victim = start_worker(url, provider, *worker_args)
        victim.send_signal(signal.SIGTERM)
        victim.wait(timeout=30)
        _wait_until_settled(db, timeout=60)
        steady.send_signal(signal.SIGTERM)
        steady.wait(timeout=30)
        time.sleep(callback_delay[1] + 0.5)  # the last callbacks
    finally:
        for process in (steady, victim):
            if process.poll() is None:
                process.kill()
        provider.stop()
    report = audit(db, provider, desk)
    report.update(kills=kills, seconds=seconds)
    db.dispose()
    return report


def _wait_until_settled(db: Database, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.sessions() as session:
            busy = session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_(("pending", "sending")))
            )
        if not busy:
            return
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("proof", choices=("two-clocks", "chaos"))
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args(argv)
    run: Callable[[str], dict[str, Any]]
    if args.proof == "two-clocks":
        run = lambda url: two_clocks(url, args.count)  # noqa: E731
    else:
        run = lambda url: chaos(url, args.count, seconds=args.seconds)  # noqa: E731
    with fresh_database(args.database) as url:
        report = run(url)
    report["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
