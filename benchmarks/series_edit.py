"""What a series edit's change notices add to a schedule PATCH (script, not a test).

    python -m benchmarks.series_edit [--runs 9]

Two weekly 60-person lectures tomorrow, on a fresh SQLite file: one edited without the
series hooks (``before_edit``/``after_edit`` replaced by no-ops: the edit as it was
before them), one with them, alternately. Each round: a new topic (no occurrence
changes), then, with all 60 already reminded, the start moved an hour later and back
(120 notices in the first round; later rounds repeat the same changes, so none).
Prints the median milliseconds of each and the ratios; under load the ratios still
compare like with like.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import AbstractContextManager, ExitStack
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from service.db import Database
from service.domain.schedules import ScheduleIn, create_schedule, update_schedule
from service.models import Delivery, Department, Person, Schedule, utcnow
from service.seed import load_demo_file, seed
from tests.support.database import fresh_database


def _without(schedule: Schedule) -> None:
    return None


def _no_notices(*args: Any) -> int:
    return 0


def _hooks(on: bool) -> AbstractContextManager[Any]:
    """The edit as committed, or with the series hooks as no-ops (as before them)."""
    stack = ExitStack()
    if not on:
        stack.enter_context(mock.patch("service.domain.schedules.before_edit", _without))
        stack.enter_context(mock.patch("service.domain.schedules.after_edit", _no_notices))
    return stack


def _people(db: Database) -> list[int]:
    with db.transaction() as session:
        seed(session, load_demo_file())
        departments = list(session.scalars(select(Department)))
        for i in range(60):
            department = departments[i % len(departments)]
            session.add(
                Person(name=f"职工{i:05d}", mobile=f"+86138{i:08d}", departments=[department])
            )
    with db.transaction() as session:
        return list(session.scalars(select(Person.id).order_by(Person.id).limit(60)))


def _lecture(db: Database, people: list[int], start: datetime) -> int:
    with db.transaction() as session:
        data = ScheduleIn(
            kind="lecture",
            title="专题讲座",
            start=start,
            rrule="FREQ=WEEKLY",
            person_ids=people,
            speaker_id=people[0],
        )
        return create_schedule(session, "bench", data).id


def _timed(db: Database, lecture_id: int, changes: dict[str, Any]) -> float:
    with db.transaction() as session:
        row = session.get_one(Schedule, lecture_id)
        started = time.perf_counter()
        update_schedule(session, "bench", row, changes, None)
        return time.perf_counter() - started


def run(runs: int, only: bool | None = None) -> dict[str, Any]:
    """``only``: edit one lecture, with (True) or without (False) the hooks; for
    instruction counts, one process per mode (``valgrind --tool=callgrind``)."""
    times: dict[str, list[float]] = {}
    with fresh_database("sqlite") as url:
        db = Database(url)
        people = _people(db)
        start = (utcnow() + timedelta(hours=20)).astimezone(ZoneInfo("Asia/Shanghai"))
        start = start.replace(minute=0, second=0, microsecond=0, tzinfo=None)
        # One lecture each way, so neither leaves rows the other then meets.
        modes = (False, True) if only is None else (only,)
        lectures = {on: _lecture(db, people, start) for on in modes}
        for i in range(runs):
            for on, lecture_id in lectures.items():
                tag = "with" if on else "without"
                with _hooks(on):
                    topic = _timed(db, lecture_id, {"topic": f"第{i}讲"})
                    times.setdefault(f"topic_{tag}", []).append(topic)
                    with db.transaction() as session:
                        session.execute(
                            update(Delivery)
                            .where(Delivery.schedule_id == lecture_id, Delivery.status == "pending")
                            .values(status="sent")
                        )
                    for shift in (1, 0):
                        changes = {"start": start + timedelta(hours=shift)}
                        times.setdefault(f"move_{tag}", []).append(_timed(db, lecture_id, changes))
        with db.transaction() as session:
            notices = session.scalar(select(func.count()).where(Delivery.rule_id.is_(None)))
        db.dispose()
    median = {key: round(statistics.median(values) * 1000, 1) for key, values in times.items()}
    report: dict[str, Any] = {"runs": runs, "median_ms": median, "notices_written": notices}
    if only is None and runs:
        report["ratio_topic"] = round(median["topic_with"] / median["topic_without"], 2)
        report["ratio_move"] = round(median["move_with"] / median["move_without"], 2)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--runs", type=int, default=9, help="rounds, 0 (setup only) to 50")
    parser.add_argument("--only", choices=("with", "without"), help="one mode, for callgrind")
    args = parser.parse_args(argv)
    only = None if args.only is None else args.only == "with"
    print(json.dumps(run(max(0, min(args.runs, 50)), only), ensure_ascii=False))


if __name__ == "__main__":
    main()
