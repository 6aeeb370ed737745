"""The 台账 exports of a year of 200 weekly schedules: this checkout's code against
another's (main's), side by side in one run, on SQLite or PostgreSQL. Not a test.

    python -m benchmarks.ledger_bench [--base /work/wt/h22b-base] [--pg SERVER_URL]
        [--rounds 5] [--xlsx-rounds N]

One database is arranged once (with this checkout's models; the exports read the same
tables in both) and each checkout's code, in its own process, asks its own app for
``/api/v1/ledger.csv`` and ``/api/v1/ledger.xlsx`` of the whole year through Flask's
test client (every byte of the body is read) ``--rounds`` times; medians are reported.
The two processes run one after the other, alternating, ``--pairs`` times, so a change
of load on the machine reaches both. Bounded: a fixed data set, a fixed number of rounds.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2025
SCHEDULES, LECTURES, DEPARTMENTS, PER_DEPARTMENT = 200, 50, 8, 5
PG_NAME = "pufa_ledger_bench"
QUERY = f"from={YEAR}-01-01&to={YEAR}-12-31"


def arrange(url: str) -> str:
    """200 weekly schedules over ``YEAR`` (50 lectures with a speaker, 150 meetings),
    each for one 站所 of five; every occurrence held with its five attendance marks, and
    a reminder per lecture occurrence. Returns a viewer token."""
    from sqlalchemy import insert

    from service import migrate
    from service.db import Database
    from service.models import (
        Attendance,
        AttendanceSource,
        AttendanceStatus,
        Delivery,
        Department,
        Person,
        ReminderRule,
        Schedule,
    )
    from service.tokens import create_api_token

    migrate.upgrade(url)
    db = Database(url)
    statuses = [AttendanceStatus.PRESENT] * 8 + [AttendanceStatus.LEAVE, AttendanceStatus.ABSENT]
    with db.transaction() as session:
        departments = [Department(name=f"站所{n}") for n in range(DEPARTMENTS)]
        people = [
            Person(name=f"职工{n:02d}", departments=[departments[n // PER_DEPARTMENT]])
            for n in range(DEPARTMENTS * PER_DEPARTMENT)
        ]
        session.add_all([*departments, *people])
        session.flush()
        schedules = []
        for n in range(SCHEDULES):
            first = datetime(YEAR, 1, 6 + n % 5, 9 + n % 8, 0, tzinfo=SHANGHAI)  # Mon..Fri
            department = departments[n % DEPARTMENTS]
            is_lecture = n < LECTURES
            schedule = Schedule(
                kind="lecture" if is_lecture else "meeting",
                title=f"{'每周一讲' if is_lecture else '例会'}{n:03d}",
                starts_at=first, rrule="FREQ=WEEKLY;COUNT=52", departments=[department],
                speaker=people[(n * 3) % len(people)] if is_lecture else None,
                topic="民法典" if is_lecture else "", location="三楼会议室",
                holiday_policy="next_workday" if n % 4 == 0 else "keep",
            )  # fmt: skip
            if is_lecture:
                schedule.rules = [
                    ReminderRule(name="提前一天", lead_minutes=1440, template="lecture_speaker")
                ]
            schedules.append(schedule)
        session.add_all(schedules)
        session.flush()
        marks, deliveries = [], []
        for n, schedule in enumerate(schedules):
            members = people[(n % DEPARTMENTS) * PER_DEPARTMENT :][:PER_DEPARTMENT]
            for week in range(52):
                original = schedule.starts_at + timedelta(weeks=week)
                marks += [
                    {"schedule_id": schedule.id, "original_start_at": original,
                     "person_id": p.id, "status": statuses[(week + k) % len(statuses)],
                     "source": AttendanceSource.ROLL_CALL, "note": ""}
                    for k, p in enumerate(members)
                ]  # fmt: skip
                if schedule.rules:
                    due = original - timedelta(days=1)
                    deliveries.append({
                        "schedule_id": schedule.id, "original_start_at": original,
                        "rule_id": schedule.rules[0].id, "person_id": members[0].id,
                        "status": "delivered", "due_at": due, "useful_until": original,
                        "occurrence_start_at": original, "body": "明天主讲", "segments": 1,
                        "sent_at": due + timedelta(seconds=3), "to": "+8613800000000",
                    })  # fmt: skip
        session.execute(insert(Attendance), marks)
        session.execute(insert(Delivery), deliveries)
        _row, token = create_api_token(session, name="ledger bench", role="viewer")
    db.dispose()
    return token


def measure(url: str, token: str, rounds: int, xlsx_rounds: int) -> dict[str, object]:
    """In this process's checkout: median seconds of each export, and its size."""
    import time_machine

    import service
    from service.app import create_app
    from service.settings import Settings

    options: dict[str, Any] = {"env": "test", "database_url": url, "log_level": "WARNING"}
    if hasattr(Settings, "request_budget_seconds"):  # measured whole, not stopped at 10 s
        options["request_budget_seconds"] = 3600.0
    app = create_app(secret_key="x" * 40, **options)
    # As served: service/wsgi.py freezes what start-up built, so that the collector's
    # full passes do not walk it (without this, one such pass cost 0.15 s of a workbook).
    gc.freeze()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    result: dict[str, object] = {"code": str(Path(service.__file__).parent.parent)}
    with time_machine.travel(datetime(YEAR + 1, 1, 10, 9, 0, tzinfo=SHANGHAI), tick=False):
        for form in ("csv", "xlsx"):
            times, cpu, size = [], [], 0
            for _ in range(rounds if form == "csv" else xlsx_rounds):
                began, began_cpu = time.perf_counter(), time.process_time()
                response = client.get(f"/api/v1/ledger.{form}?{QUERY}", headers=headers)
                size = len(response.get_data())  # a streamed body is read to its end
                times.append(time.perf_counter() - began)
                cpu.append(time.process_time() - began_cpu)
                assert response.status_code == 200, response.get_data()[:300]
            result[form] = {
                "median_s": statistics.median(times), "median_cpu_s": statistics.median(cpu),
                "bytes": size, "all_s": times, "all_cpu_s": cpu,
            }  # fmt: skip
    app.extensions["pufa"].db.dispose()
    return result


def _database(folder: str, pg_server: str | None) -> str:
    if not pg_server:
        return f"sqlite:///{folder}/ledger.sqlite3"
    from sqlalchemy import create_engine, text

    server = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
    server.dispose()
    return pg_server.rsplit("/", 1)[0] + f"/{PG_NAME}"


def _run_in(
    checkout: Path, url: str, token: str, rounds: int, xlsx_rounds: int
) -> dict[str, object]:
    python = checkout / ".venv" / "bin" / "python"
    command = [
        str(python if python.exists() else sys.executable), str(Path(__file__).resolve()),
        "--measure", url, token, "--rounds", str(rounds), "--xlsx-rounds", str(xlsx_rounds),
        "--checkout", str(checkout),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode:
        raise SystemExit(f"{checkout}: {done.stderr[-3000:]}")
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--base", default="/work/wt/h22b-base", help="the checkout to compare")
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--xlsx-rounds", type=int, default=None, help="default: --rounds")
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--measure", nargs=2, metavar=("URL", "TOKEN"), help=argparse.SUPPRESS)
    parser.add_argument("--checkout", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args()
    xlsx_rounds = args.xlsx_rounds or args.rounds
    if args.measure:  # the child: import the given checkout's code, not this one's
        sys.path.insert(0, args.checkout)
        url, token = args.measure
        print(json.dumps(measure(url, token, args.rounds, xlsx_rounds)))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        url = _database(folder, args.pg)
        sys.path.insert(0, str(ROOT))
        began = time.perf_counter()
        token = arrange(url)
        print(f"arranged {SCHEDULES} weekly schedules over {YEAR} in "
              f"{time.perf_counter() - began:.1f} s ({url.split(':')[0]})")  # fmt: skip
        runs: dict[str, list[dict[str, object]]] = {"this": [], "base": []}
        for _ in range(args.pairs):
            runs["base"].append(_run_in(Path(args.base), url, token, args.rounds, xlsx_rounds))
            runs["this"].append(_run_in(ROOT, url, token, args.rounds, xlsx_rounds))
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}  "
          f"date: {date.today().isoformat()}")  # fmt: skip
    for form in ("csv", "xlsx"):
        for figure, what in (("median_s", "wall"), ("median_cpu_s", "CPU")):
            medians = {
                side: statistics.median(_figure(run, form)[figure] for run in runs[side])
                for side in runs
            }
            print(f"ledger.{form} {what}: this {medians['this'] * 1000:.0f} ms, "
                  f"base {medians['base'] * 1000:.0f} ms, "
                  f"this/base {medians['this'] / medians['base']:.2f}")  # fmt: skip
        sizes = {side: _figure(runs[side][-1], form)["bytes"] for side in runs}
        print(f"ledger.{form} bytes: this {sizes['this']}, base {sizes['base']}")
    print(json.dumps(runs))
    return 0


def _figure(run: dict[str, object], form: str) -> dict[str, float]:
    figure = run[form]
    assert isinstance(figure, dict)
    return figure


if __name__ == "__main__":
    sys.exit(main())
