"""Pages of ``GET /occurrences`` over 200 weekly schedules: main's listing against this
one, side by side in one run. Not a test.

main's listing (kept below as ``main_listing``, as it was at f9e4f54) expanded and
sorted the whole window for every page; this one merges the schedules lazily and stops
one past the page. For each side and case the median of ROUNDS calls is printed (wall
and CPU), each call in a fresh session as a request has; the cases alternate within
each round so a busy machine slows both alike.

    python -m benchmarks.occurrence_pages [--rounds 7]
    python -m benchmarks.occurrence_pages --once ten_years --side new --db F

``--once`` makes one warm-up call of one case and then one call inside ``math.fsum``,
for ``valgrind --tool=callgrind --collect-atstart=no --toggle-collect=math_fsum``,
which then counts the instructions of that one warm call alone; ``--db`` reuses a
database an earlier run kept (``--keep F``).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from service import migrate
from service.models import OccurrenceOverride, Person, Schedule
from service.occurrences.cursor import Cursor
from service.occurrences.expand import Occurrence, Window
from service.occurrences.listing import Filters, Page, _schedules, list_occurrences
from service.occurrences.merge import merged
from service.occurrences.query import expand_all, load_schedules, schedule_specs, workday_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULES = 200
PER_PAGE = 100
DEEP_PAGE = 50
MONTH = Window(
    datetime(2026, 3, 1, tzinfo=SHANGHAI), datetime(2026, 4, 1, tzinfo=SHANGHAI)
)  # fmt: skip
TEN_YEARS = Window(datetime(2026, 1, 1, tzinfo=SHANGHAI), datetime(2036, 1, 1, tzinfo=SHANGHAI))
POLICIES = ("next_workday", "keep", "skip", "previous_workday")


def seed_weekly(url: str) -> None:
    """200 weekly schedules, Monday to Friday at 08:00–17:00, since 2026-01-05, each
    with ten overrides in its first year (speakers, topics, a move, a cancellation)."""
    migrate.upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session:
        speakers = [Person(name=f"主讲人{n}") for n in range(20)]
        session.add_all(speakers)
        session.flush()
        for n in range(SCHEDULES):
            first = datetime.combine(
                date(2026, 1, 5) + timedelta(days=n % 5), clock(8 + n % 10), SHANGHAI
            )
            schedule = Schedule(
                kind="lecture" if n % 2 else "meeting",
                title=f"每周例会 {n + 1}",
                starts_at=first,
                rrule="FREQ=WEEKLY",
                holiday_policy=POLICIES[n % len(POLICIES)],
                is_for_everyone=True,
                topic="法治讲座",
            )
            for week in range(0, 50, 5):
                original = first + timedelta(weeks=week)
                schedule.overrides.append(
                    OccurrenceOverride(
                        original_start_at=original,
                        speaker_id=speakers[(n + week) % len(speakers)].id,
                        topic=f"第{week + 1}讲",
                        is_cancelled=week == 45,
                        moved_start_at=original + timedelta(days=1) if week == 25 else None,
                    )
                )
            session.add(schedule)
        session.commit()
    engine.dispose()


def main_listing(session: Session, window: Window, page: int, per_page: int) -> list[Occurrence]:
    """main's ``list_occurrences`` (no filters): the whole window expanded and sorted
    for every page, the schedules loaded with their overrides as ORM objects."""
    schedules = load_schedules(session)
    occurrences = expand_all(schedules, window, workday_calendar(session))
    first = (page - 1) * per_page
    shown = occurrences[first : first + per_page]
    speaker_ids = {o.speaker_id for o in shown if o.speaker_id is not None}
    list(session.scalars(select(Person).where(Person.id.in_(speaker_ids))))
    assert len(occurrences) >= first  # the total it answered
    return shown


def deep_cursor(engine: Engine) -> Cursor:
    """The cursor a client walking the ten years holds before page ``DEEP_PAGE``."""
    with Session(engine) as session:
        specs = schedule_specs(session, _schedules(session, Filters()))
        before = islice(merged(specs, TEN_YEARS, workday_calendar(session)), 0, None)
        *_, last = islice(before, (DEEP_PAGE - 1) * PER_PAGE)
    return Cursor.of(last)


def cases(engine: Engine) -> dict[str, dict[str, Callable[[Session], list[Occurrence]]]]:
    cursor = deep_cursor(engine)

    def new(window: Window, page: Page) -> Callable[[Session], list[Occurrence]]:
        return lambda s: list_occurrences(s, window, Filters(), page).occurrences

    def old(window: Window, page: int) -> Callable[[Session], list[Occurrence]]:
        return lambda s: main_listing(s, window, page, PER_PAGE)

    return {
        "month": {"main": old(MONTH, 1), "new": new(MONTH, Page(PER_PAGE))},
        "ten_years": {"main": old(TEN_YEARS, 1), "new": new(TEN_YEARS, Page(PER_PAGE))},
        f"page_{DEEP_PAGE}_offset": {
            "main": old(TEN_YEARS, DEEP_PAGE),
            "new": new(TEN_YEARS, Page(PER_PAGE, DEEP_PAGE)),
        },
        f"page_{DEEP_PAGE}_cursor": {"new": new(TEN_YEARS, Page(PER_PAGE, after=cursor))},
    }


def timed(engine: Engine, call: Callable[[Session], list[Occurrence]]) -> tuple[float, float]:
    with Session(engine) as session:
        began_cpu, began_wall = time.process_time(), time.perf_counter()
        call(session)
        return time.perf_counter() - began_wall, time.process_time() - began_cpu


def compare(engine: Engine, rounds: int) -> None:
    table = cases(engine)
    # The same page from both sides, first: the baseline is what the new code must equal.
    for name, sides in table.items():
        if "main" in sides:
            with Session(engine) as one, Session(engine) as other:
                assert sides["main"](one) == sides["new"](other), name
    walls: dict[tuple[str, str], list[float]] = {}
    cpus: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for name, sides in table.items():
            for side, call in sides.items():
                wall, cpu = timed(engine, call)
                walls.setdefault((name, side), []).append(wall * 1000)
                cpus.setdefault((name, side), []).append(cpu * 1000)
    print(f"{SCHEDULES} weekly schedules, pages of {PER_PAGE}, median of {rounds} rounds")
    print(f"{'case':18} {'side':5} {'wall ms':>8} {'CPU ms':>8}   raw wall ms")
    median: dict[tuple[str, str], float] = {}
    for key, values in walls.items():
        median[key] = statistics.median(values)
        raw = " ".join(f"{v:.0f}" for v in values)
        print(
            f"{key[0]:18} {key[1]:5} {median[key]:8.1f} {statistics.median(cpus[key]):8.1f}   {raw}"
        )
    print("ratios of medians (wall):")
    ten, month = median["ten_years", "new"], median["month", "new"]
    for label, ratio in (
        ("new: ten-year first page / one-month first page (target ≤ 2)", ten / month),
        (f"new: page {DEEP_PAGE} by cursor / first page (target ≤ 2)",
         median[f"page_{DEEP_PAGE}_cursor", "new"] / ten),
        (f"new: page {DEEP_PAGE} by offset / first page",
         median[f"page_{DEEP_PAGE}_offset", "new"] / ten),
        ("main: ten-year first page / one-month first page", median["ten_years", "main"]
         / median["month", "main"]),
        ("ten-year first page: main / new", median["ten_years", "main"] / ten),
        ("one-month first page: main / new", median["month", "main"] / month),
    ):  # fmt: skip
        print(f"  {label:66} {ratio:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--db", type=Path, help="an SQLite file seeded by an earlier --keep")
    parser.add_argument("--keep", type=Path, help="seed this SQLite file and keep it")
    parser.add_argument("--once", help="only call this case --calls times (for callgrind)")
    parser.add_argument("--side", choices=("main", "new"), default="new")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or args.keep or Path(tmp) / "pages.sqlite3"
        if args.db is None:
            seed_weekly(f"sqlite:///{path}")
        engine = create_engine(f"sqlite:///{path}")
        if args.once:
            call = cases(engine)[args.once][args.side]
            timed(engine, call)
            # A generator: the call runs while math.fsum is on the stack.
            math.fsum(timed(engine, call)[0] for _ in range(1))
        else:
            compare(engine, max(1, min(args.rounds, 50)))
        engine.dispose()
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")


if __name__ == "__main__":
    main()
