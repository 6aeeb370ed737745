"""SMS benchmarks (scripts, not timed tests). Loopback only; each stops by itself.

    python -m benchmarks.sms_bench throughput [--count 10000] [--rate 50] [--concurrency 32]
    python -m benchmarks.sms_bench lateness [--count 1000] [--spread 60]
    python -m benchmarks.sms_bench planning [--people 5000]
    python -m benchmarks.sms_bench memory [--rows 1000000]

The provider answers after 100 ms and runs in its own process (as a real one would not
share this interpreter's lock). ``--database postgresql`` runs against a fresh database
on the local server; the default is a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from benchmarks.loopback import HttpGateway, RemoteProvider
from jobs import clock
from service.context import Pufa
from service.db import Database
from service.domain.schedules import ScheduleIn, create_schedule, update_schedule
from service.models import Delivery, Department, Person, Schedule, utcnow
from service.seed import load_demo_file, seed
from service.settings import QuietHours, Settings
from service.sms.affected import replan_schedules
from service.sms.dispatcher import Dispatcher
from service.sms.planner import plan_deliveries
from tests.support import ROOT
from tests.support.database import fresh_database
from tests.support.sms_proof import seed_outbox

NO_QUIET_HOURS = QuietHours(clock_time(0), clock_time(0))


def _settings(url: str, concurrency: int, rate: float) -> Settings:
    return Settings(
        env="test",
        database_url=url,
        secret_key="bench-" + "x" * 40,
        quiet_hours=NO_QUIET_HOURS,
        sms_concurrency=concurrency,
        sms_rate_per_second=rate,
        log_level="ERROR",
    )


def max_in_any_second(times: list[float]) -> int:
    """The most arrivals inside any window [t, t + 1 s)."""
    times = sorted(times)
    return max((bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def throughput(url: str, count: int, concurrency: int, rate: float) -> dict[str, Any]:
    db = Database(url)
    now = utcnow()
    seed_outbox(db, count, now - timedelta(minutes=1), now + timedelta(hours=2), people=100)
    provider = RemoteProvider(latency=0.1)
    dispatcher = Dispatcher(
        db, HttpGateway(provider.url, timeout=10), _settings(url, concurrency, rate)
    )
    started = time.monotonic()
    stats = dispatcher.run()
    wall = time.monotonic() - started
    dispatcher.close()
    arrivals = [at for at, _ in provider.received()]
    provider.stop()
    db.dispose()
    span = max(arrivals) - min(arrivals)
    per_second = round(len(arrivals) / span, 1)
    return {
        "messages": len(arrivals),
        "sent": stats.sent,
        "concurrency": concurrency,
        "rate_cap": rate or None,
        "wall_seconds": round(wall, 2),
        "messages_per_second": per_second,
        "max_in_any_one_second": max_in_any_second(arrivals),
        "ratio_to_target": round(per_second / (rate * 0.95 if rate else 200), 2),
    }


def lateness(url: str, count: int, spread: float, concurrency: int) -> dict[str, Any]:
    db = Database(url)
    settings = _settings(url, concurrency, 0)
    start = utcnow() + timedelta(seconds=3)
    seed_outbox(db, count, start, start + timedelta(hours=2), spread=timedelta(seconds=spread))
    provider = RemoteProvider(latency=0.1)
    dispatcher = Dispatcher(db, HttpGateway(provider.url, timeout=10), settings)
    state = Pufa(settings=settings, db=db)
    next_tick = time.monotonic()
    deadline = next_tick + spread + 10
    while next_tick < deadline:  # what the clock's 1 s dispatch job does
        clock.dispatch_tick(dispatcher, state)
        next_tick += 1.0
        time.sleep(max(0.0, next_tick - time.monotonic()))
    dispatcher.close()
    received = provider.received()
    provider.stop()
    step = spread / count
    late = sorted(at - (start.timestamp() + step * (d - 1)) for at, d in received)
    db.dispose()
    return {
        "messages": len(late),
        "lateness_seconds": {
            "p50": round(late[len(late) // 2], 3),
            "p99": round(late[int(len(late) * 0.99) - 1], 3),
            "max": round(late[-1], 3),
        },
        "ratio_p99_to_target_1s": round(late[int(len(late) * 0.99) - 1] / 1.0, 3),
    }


def planning(url: str, people: int) -> dict[str, Any]:
    db = Database(url)
    with db.transaction() as session:
        seed(session, load_demo_file())
        departments = list(session.query(Department))
        extra = people - session.query(Person).count()
        for i in range(extra):
            session.add(
                Person(
                    name=f"职工{i:05d}",
                    mobile=f"+86138{i:08d}",
                    departments=[departments[i % len(departments)]],
                )
            )
    now = datetime(2026, 3, 29, 10, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    timings = []
    results = []
    for _ in range(2):
        started = time.perf_counter()
        with db.transaction() as session:
            results.append(plan_deliveries(session, now))
        timings.append(time.perf_counter() - started)
    edit = _one_edit(db)
    db.dispose()
    return {
        "people": people,
        "first_run": {"seconds": round(timings[0], 2), **vars(results[0])},
        "second_run_unchanged": {"seconds": round(timings[1], 2), "writes": results[1].writes},
        "ratio_to_target_3s": round(timings[0] / 3.0, 2),
        "one_edit_60_person_lecture": edit,
    }


def _one_edit(db: Database, audience: int = 60, times: int = 7) -> dict[str, Any]:
    """A single edit's re-plan, as a request makes it: a 60-person lecture tomorrow gets
    a new topic (every pending row re-rendered), then the re-plan alone with nothing
    changed. Median milliseconds of ``times`` runs each."""
    with db.transaction() as session:
        people = [p.id for p in session.scalars(select(Person).order_by(Person.id).limit(audience))]
        start = (utcnow() + timedelta(hours=30)).astimezone(ZoneInfo("Asia/Shanghai"))
        data = ScheduleIn(
            kind="lecture",
            title="专题讲座",
            start=start.replace(second=0, microsecond=0, tzinfo=None),
            person_ids=people,
            speaker_id=people[0],
        )
        lecture = create_schedule(session, "bench", data)
        lecture_id = lecture.id
    edits, replans = [], []
    for i in range(times):
        with db.transaction() as session:
            row = session.get_one(Schedule, lecture_id)
            started = time.perf_counter()
            update_schedule(session, "bench", row, {"topic": f"第{i}讲"}, None)
            edits.append(time.perf_counter() - started)
        with db.transaction() as session:
            started = time.perf_counter()
            result = replan_schedules(session, [lecture_id], utcnow())
            replans.append(time.perf_counter() - started)
            assert result.writes == 0
    with db.transaction() as session:
        pending = session.scalar(
            select(func.count()).where(
                Delivery.schedule_id == lecture_id, Delivery.status == "pending"
            )
        )
    return {
        "audience": audience,
        "pending_rows": pending,
        "edit_with_replan_ms_median": round(statistics.median(edits) * 1000, 1),
        "replan_only_unchanged_ms_median": round(statistics.median(replans) * 1000, 1),
        "target_ms": 50,
    }


def memory(url: str, rows: int, seconds: float) -> dict[str, Any]:
    """Peak RSS of a real ``python -m jobs.clock`` over a database with ``rows`` history."""
    db = Database(url)
    with db.transaction() as session:
        seed(session, load_demo_file())
    seed_outbox(db, 1, utcnow() - timedelta(days=400), utcnow() - timedelta(days=399))
    with db.transaction() as session:
        template = session.execute(select(Delivery.__table__).limit(1)).mappings().one()
    _bulk_history(url, dict(template), rows)
    db.dispose()
    env = {**os.environ, "DATABASE_URL": url, "SMS_BACKEND": "console", "PUFA_LOG_LEVEL": "ERROR"}
    env["PUFA_INSTANCE_DIR"] = str(Path(url.removeprefix("sqlite:///")).parent)
    process = subprocess.Popen([sys.executable, "-m", "jobs.clock"], cwd=ROOT, env=env)
    time.sleep(seconds)  # let every tick run at least once over the full table
    peak_kb = _vm_hwm(process.pid)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    return {
        "history_rows": rows,
        "clock_seconds": seconds,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "ratio_to_target_150mb": round(peak_kb / 1024 / 150, 2),
    }


def _bulk_history(url: str, template: dict[str, Any], rows: int) -> None:
    """A million finished rows, written straight through sqlite3 for speed."""
    path = url.removeprefix("sqlite:///")
    columns = [c for c in template if c != "id"]
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA synchronous=OFF")
        marks = ", ".join("?" * len(columns))
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f"INSERT INTO deliveries ({names}) VALUES ({marks})"
        base = datetime(2025, 1, 1)
        batch = []
        for i in range(rows):
            values = dict(template)
            values.update(
                original_start_at=base + timedelta(minutes=i),
                status="delivered",
                provider_sid=f"SMH{i:029d}",
                body="【蟒河镇普法】明天（1月1日）机关职工每周一讲在镇政府三楼会议室举行，请准时参加。",
            )
            batch.append([_plain(values[c]) for c in columns])
            if len(batch) == 50_000:
                conn.executemany(sql, batch)
                batch.clear()
        conn.executemany(sql, batch)


def _plain(value: Any) -> Any:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def _vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("bench", choices=("throughput", "lateness", "planning", "memory"))
    parser.add_argument("--count", type=int)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--spread", type=float, default=60)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="sqlite")
    args = parser.parse_args(argv)
    database = "sqlite" if args.bench == "memory" else args.database
    with fresh_database(database) as url:
        if args.bench == "throughput":
            report = throughput(url, args.count or 10_000, args.concurrency, args.rate)
        elif args.bench == "lateness":
            report = lateness(url, args.count or 1000, args.spread, args.concurrency)
        elif args.bench == "planning":
            report = planning(url, args.people)
        else:
            report = memory(url, args.rows, args.seconds)
    report.update(bench=args.bench, database=database, cores=os.cpu_count())
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
