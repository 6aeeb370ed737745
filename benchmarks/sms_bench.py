"""SMS benchmarks (scripts, not timed tests). Loopback only; each stops by itself.

    python -m benchmarks.sms_bench throughput [--count 10000] [--rate 50] [--concurrency 32]
    python -m benchmarks.sms_bench lateness [--count 1000] [--spread 60]
    python -m benchmarks.sms_bench planning [--people 5000] [--edits 24] [--rounds 6]
                                            [--baseline ../main-checkout] [--instructions]
    python -m benchmarks.sms_bench memory [--rows 1000000]

The provider answers after 100 ms and runs in its own process (as a real one would not
share this interpreter's lock). ``--database postgresql`` runs against a fresh database
on the local server; the default is a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from bisect import bisect_left
from contextlib import ExitStack
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks.feed_304_instructions import instructions_in_fsum
from benchmarks.loopback import HttpGateway, RemoteProvider
from jobs import clock
from service.context import Pufa
from service.db import Database
from service.models import Delivery, utcnow
from service.seed import load_demo_file, seed
from service.settings import QuietHours, Settings
from service.sms.dispatcher import Dispatcher
from tests.support import ROOT
from tests.support.database import fresh_database
from tests.support.sms_proof import seed_outbox

WORKER = ROOT / "benchmarks" / "sms_planning_worker.py"
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


def planning(
    kind: str, people: int, edits: int, rounds: int, baseline: Path | None, count: bool
) -> dict[str, Any]:
    """The 48 h plan for ``people`` (made twice: the second time must write nothing),
    then ``edits`` single edits of a 60-person lecture, each re-planned in its own
    transaction. With ``baseline`` (another checkout, e.g. a worktree of main) both
    checkouts run, each on a database of its own migrations, their edits in alternating
    rounds so that the VM's load falls on both alike; ``count`` adds callgrind's
    instruction counts per edit and per unchanged re-plan, which load does not change."""
    checkouts = {"candidate": ROOT}
    if baseline is not None:
        checkouts["baseline"] = baseline.resolve()
    load_before = os.getloadavg()
    with ExitStack() as stack:
        urls = {
            label: stack.enter_context(fresh_database(kind, migrated=False)) for label in checkouts
        }
        setups = {
            label: _worker(checkouts[label], "setup", urls[label], "--people", str(people))
            for label in checkouts
        }
        samples: dict[str, dict[str, Any]] = {
            label: {
                "edit": [],
                "replan": [],
                "edit_cpu": [],
                "replan_cpu": [],
                "writes": 0,
                "rounds": [],
            }
            for label in checkouts
        }
        labels = list(checkouts)
        for round_number in range(rounds):
            for label in labels if round_number % 2 == 0 else labels[::-1]:
                lecture = str(setups[label]["lecture"]["id"])
                times = str(-(-edits // rounds))
                args = ("edits", urls[label], "--lecture", lecture, "--times", times)
                out = _worker(checkouts[label], *args, "--label", label)
                mine = samples[label]
                mine["edit"] += out["edit_with_replan_ms"]
                mine["replan"] += out["replan_only_unchanged_ms"]
                mine["edit_cpu"] += out["edit_with_replan_cpu_ms"]
                mine["replan_cpu"] += out["replan_only_unchanged_cpu_ms"]
                mine["writes"] += out["unchanged_replan_writes"]
                mine["rounds"].append(round(statistics.median(out["edit_with_replan_ms"]), 1))
        instructions = {}
        if count:
            for label in checkouts:
                lecture = str(setups[label]["lecture"]["id"])
                instructions[label] = {
                    step: _instructions(checkouts[label], urls[label], lecture, step)
                    for step in ("edit", "replan")
                }
    report: dict[str, Any] = {"people": people, "load_average_before": load_before}
    for label in checkouts:
        mine = samples[label]
        report[label] = {
            "code": setups[label]["code"],
            "plan_48h": setups[label]["first_run"],
            "plan_48h_unchanged": setups[label]["second_run_unchanged"],
            "lecture": setups[label]["lecture"],
            "edits": len(mine["edit"]),
            "edit_with_replan_ms": _spread(mine["edit"]),
            "replan_only_unchanged_ms": _spread(mine["replan"]),
            "edit_with_replan_cpu_ms": _spread(mine["edit_cpu"]),
            "replan_only_unchanged_cpu_ms": _spread(mine["replan_cpu"]),
            "edit_with_replan_ms_round_medians": mine["rounds"],
            "unchanged_replan_writes": mine["writes"],
            **({"instructions": instructions[label]} if count else {}),
        }
    if baseline is not None:
        new, old = report["candidate"], report["baseline"]
        report["ratio_candidate_to_baseline"] = {
            "plan_48h_seconds": _ratio(new["plan_48h"]["seconds"], old["plan_48h"]["seconds"]),
            "edit_with_replan_median": _ratio(
                new["edit_with_replan_ms"]["median"], old["edit_with_replan_ms"]["median"]
            ),
            "replan_only_median": _ratio(
                new["replan_only_unchanged_ms"]["median"], old["replan_only_unchanged_ms"]["median"]
            ),
            "edit_with_replan_cpu_median": _ratio(
                new["edit_with_replan_cpu_ms"]["median"], old["edit_with_replan_cpu_ms"]["median"]
            ),
            **{
                f"{step}_instructions": _ratio(new["instructions"][step], old["instructions"][step])
                for step in (("edit", "replan") if count else ())
            },
        }
    report["targets"] = {"plan_48h_seconds": 3.0, "edit_with_replan_ms": 50}
    report["load_average_after"] = os.getloadavg()
    return report


def _worker(checkout: Path, *args: str) -> dict[str, Any]:
    """Run ``sms_planning_worker.py`` with ``checkout``'s code; its JSON answer."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, str(WORKER), *args], env=env, cwd=checkout, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: {' '.join(args[:1])} failed\n{done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def _instructions(checkout: Path, url: str, lecture: str, step: str, times: int = 5) -> int:
    """Instructions per ``step`` (``edit`` or ``replan``), by callgrind."""
    args = [str(WORKER), "edits", url, "--lecture", lecture, "--times", str(times)]
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    total = instructions_in_fsum([*args, "--label", "count", "--count", step], env=env)
    return total // times


def _spread(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered), 1),
        "p90": round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1),
        "min": round(ordered[0], 1),
        "max": round(ordered[-1], 1),
    }


def _ratio(new: float, old: float) -> float:
    return round(new / old, 2) if old else math.nan


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
    parser.add_argument("--edits", type=int, default=24, help="planning: single edits timed")
    parser.add_argument("--rounds", type=int, default=6, help="planning: alternating rounds")
    parser.add_argument("--baseline", type=Path, help="planning: another checkout to compare")
    parser.add_argument(
        "--instructions", action="store_true", help="planning: count with callgrind too"
    )
    args = parser.parse_args(argv)
    database = "sqlite" if args.bench == "memory" else args.database
    if args.bench == "planning":
        report = planning(
            database, args.people, args.edits, args.rounds, args.baseline, args.instructions
        )
        report.update(bench=args.bench, database=database, cores=os.cpu_count())
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    with fresh_database(database) as url:
        if args.bench == "throughput":
            report = throughput(url, args.count or 10_000, args.concurrency, args.rate)
        elif args.bench == "lateness":
            report = lateness(url, args.count or 1000, args.spread, args.concurrency)
        else:
            report = memory(url, args.rows, args.seconds)
    report.update(bench=args.bench, database=database, cores=os.cpu_count())
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
