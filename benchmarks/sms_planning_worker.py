"""One checkout's side of ``sms_bench planning``: run as a script, never imported.

``sms_bench`` starts this file with ``PYTHONPATH`` set to the checkout being measured
(this one, or ``--baseline``'s), so ``service`` and ``tests.support`` come from that
checkout and two versions of the code can be timed alternately in one run, each on a
database its own migrations built. It prints one JSON object.

    setup URL --people N     migrate, seed, add staff to N, plan 48 h twice, add the lecture
    edits URL --lecture ID --times N [--label X] [--count edit|replan]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from service import migrate
from service.db import Database
from service.domain.schedules import ScheduleIn, create_schedule, update_schedule
from service.models import Delivery, Department, Person, Schedule, utcnow
from service.seed import load_demo_file, seed
from service.sms.affected import replan_schedules
from service.sms.planner import plan_deliveries

SHANGHAI = ZoneInfo("Asia/Shanghai")
AUDIENCE = 60


def setup(url: str, people: int) -> dict[str, Any]:
    """The office of ``people`` on the demo data, its 48 h plan made twice (the second
    time nothing changed), and a 60-person lecture 30 hours from now."""
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        seed(session, load_demo_file())
        departments = list(session.scalars(select(Department).order_by(Department.id)))
        extra = people - (session.scalar(select(func.count()).select_from(Person)) or 0)
        for i in range(extra):
            session.add(
                Person(
                    name=f"职工{i:05d}",
                    mobile=f"+86138{i:08d}",
                    departments=[departments[i % len(departments)]],
                )
            )
    now = datetime(2026, 3, 29, 10, tzinfo=SHANGHAI).astimezone(UTC)
    runs = []
    for _ in range(2):
        started, cpu = time.perf_counter(), time.process_time()
        with db.transaction() as session:
            result = plan_deliveries(session, now)
        seconds = {
            "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu,
        }
        runs.append({**{k: round(v, 3) for k, v in seconds.items()}, **vars(result)})
    with db.transaction() as session:
        audience = list(session.scalars(select(Person.id).order_by(Person.id).limit(AUDIENCE)))
        start = (utcnow() + timedelta(hours=30)).astimezone(SHANGHAI)
        data = ScheduleIn(
            kind="lecture",
            title="专题讲座",
            start=start.replace(second=0, microsecond=0, tzinfo=None),
            person_ids=audience,
            speaker_id=audience[0],
        )
        lecture_id = create_schedule(session, "bench", data).id
        pending = _pending(session, lecture_id)
    db.dispose()
    second = runs[1]
    return {
        "code": str(Path(migrate.__file__).parent),
        "people": people,
        "first_run": runs[0],
        "second_run_unchanged": {
            "seconds": second["seconds"],
            "cpu_seconds": second["cpu_seconds"],
            "writes": _writes(second),
        },
        "lecture": {"id": lecture_id, "audience": AUDIENCE, "pending_rows": pending},
    }


def edits(url: str, lecture_id: int, times: int, label: str, count: str) -> dict[str, Any]:
    """``times`` single edits as a request makes them: the lecture gets a new topic
    (every pending row re-rendered, in the edit's own transaction), then a re-plan with
    nothing changed, which must write nothing. One warm-up edit first.

    With ``count`` ``edit`` or ``replan``, that step of each measured edit runs inside
    ``math.fsum``, which callgrind is told to count (``instructions_in_fsum``)."""
    db = Database(url)
    edit_ms: list[float] = []
    replan_ms: list[float] = []
    # CPU time as well: on a VM shared with other work, wall time mostly measures the
    # wait for a core (SQLite runs in this process, so its work is counted).
    edit_cpu_ms: list[float] = []
    replan_cpu_ms: list[float] = []
    writes = 0

    def edit(n: int) -> float:
        with db.transaction() as session:
            row = session.get_one(Schedule, lecture_id)
            started, cpu = time.perf_counter(), time.process_time()
            update_schedule(session, "bench", row, {"topic": f"第{n}讲（{label}）"}, None)
            edit_ms.append((time.perf_counter() - started) * 1000)
            edit_cpu_ms.append((time.process_time() - cpu) * 1000)
        return 0.0

    def replan() -> float:
        nonlocal writes
        with db.transaction() as session:
            started, cpu = time.perf_counter(), time.process_time()
            result = replan_schedules(session, [lecture_id], utcnow())
            replan_ms.append((time.perf_counter() - started) * 1000)
            replan_cpu_ms.append((time.process_time() - cpu) * 1000)
            writes += result.writes
        return 0.0

    stamp = time.time_ns() // 1000 % 10**9  # a topic no earlier edit has set
    edit(stamp)
    replan()
    for samples in (edit_ms, replan_ms, edit_cpu_ms, replan_cpu_ms):
        samples.clear()
    writes = 0
    for i in range(times):
        if count == "edit":
            math.fsum(edit(stamp + i + 1) for _ in (0,))
        else:
            edit(stamp + i + 1)
        if count == "replan":
            math.fsum(replan() for _ in (0,))
        else:
            replan()
    with db.transaction() as session:
        pending = _pending(session, lecture_id)
    db.dispose()
    return {
        "edit_with_replan_ms": [round(t, 2) for t in edit_ms],
        "replan_only_unchanged_ms": [round(t, 2) for t in replan_ms],
        "edit_with_replan_cpu_ms": [round(t, 2) for t in edit_cpu_ms],
        "replan_only_unchanged_cpu_ms": [round(t, 2) for t in replan_cpu_ms],
        "unchanged_replan_writes": writes,
        "pending_rows": pending,
    }


def _pending(session: Any, lecture_id: int) -> int:
    count = select(func.count()).where(
        Delivery.schedule_id == lecture_id, Delivery.status == "pending"
    )
    return int(session.scalar(count) or 0)


def _writes(run: dict[str, Any]) -> int:
    kinds = ("inserted", "inserted_expired", "updated", "retracted", "reactivated")
    return sum(int(run[k]) for k in kinds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=("setup", "edits"))
    parser.add_argument("url")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--lecture", type=int, default=0)
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--label", default="")
    parser.add_argument("--count", choices=("edit", "replan", ""), default="")
    args = parser.parse_args()
    if args.step == "setup":
        report = setup(args.url, args.people)
    else:
        report = edits(args.url, args.lecture, args.times, args.label, args.count)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
