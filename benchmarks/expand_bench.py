"""How long ``expand`` takes (median CPU and wall time per call). Not a test.

Run from the repository root:  python -m benchmarks.expand_bench
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from service.models import Base
from service.occurrences.expand import OverrideSpec, ScheduleSpec, Window, expand
from service.occurrences.query import expand_all, load_schedules
from service.occurrences.workdays import WorkdayCalendar
from service.seed import load_demo_file, seed

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkdayCalendar()


def measure(label: str, call: Callable[[], object], rounds: int = 40) -> None:
    call()  # warm the caches a long-running process has warm
    cpu, wall = [], []
    for _ in range(rounds):
        began_cpu, began_wall = time.process_time(), time.perf_counter()
        call()
        cpu.append(time.process_time() - began_cpu)
        wall.append(time.perf_counter() - began_wall)
    print(
        f"{label:<58} median {statistics.median(cpu) * 1000:6.2f} ms CPU"
        f"  {statistics.median(wall) * 1000:6.2f} ms wall"
    )


def lecture(start: datetime, overrides: int = 0) -> ScheduleSpec:
    return ScheduleSpec(
        id=1,
        timezone="Asia/Shanghai",
        start=start,
        duration=timedelta(hours=1),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        holiday_policy="next_workday",
        overrides=tuple(
            OverrideSpec(original_start=start + timedelta(weeks=2 * n), speaker_id=n, topic="宪法")
            for n in range(overrides)
        ),
    )


def window(years: int, first: int = 2026) -> Window:
    return Window(
        datetime(first, 1, 1, tzinfo=SHANGHAI), datetime(first + years, 1, 1, tzinfo=SHANGHAI)
    )


def main() -> None:
    new = datetime(2026, 1, 5, 16, tzinfo=SHANGHAI)
    old = datetime(1996, 1, 1, 16, tzinfo=SHANGHAI)
    big = lecture(new, overrides=500)
    measure("weekly, 500 overrides, 10-year window", lambda: expand(big, window(10), CALENDAR))
    for years in (1, 2, 5, 10):
        spec = lecture(new)

        def over_years(s: ScheduleSpec = spec, y: int = years) -> object:
            return expand(s, window(y), CALENDAR)

        measure(f"weekly, window of {years:>2} year(s)", over_years)
    for label, start in (
        ("started 1 year ago", datetime(2025, 1, 6, 16, tzinfo=SHANGHAI)),
        ("started 30 years ago", old),
    ):
        spec = lecture(start)

        def one_year(s: ScheduleSpec = spec) -> object:
            return expand(s, window(1), CALENDAR)

        measure(f"weekly, {label}, 1-year window", one_year)
    daily_old = ScheduleSpec(
        id=2, timezone="Asia/Shanghai", start=old, duration=timedelta(hours=1), rrule="FREQ=DAILY"
    )
    measure(
        "daily, started 30 years ago, 1-year window", lambda: expand(daily_old, window(1), CALENDAR)
    )

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed(session, load_demo_file())
        session.commit()
        schedules = load_schedules(session)
        measure(
            f"whole demo data set ({len(schedules)} schedules), 1-year window",
            lambda: expand_all(schedules, window(1), CALENDAR),
        )


if __name__ == "__main__":
    main()
