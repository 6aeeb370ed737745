"""Cold feed rendering only: median CPU milliseconds of ``render_feed`` with no schedule
blocks cached, for the demo person and for 50 schedules with 500 overrides.

    .venv/bin/python benchmarks/render_cold.py [--times 15] [--dir DIR] [--parts]

CPU time (``time.process_time``) and medians, because the machine is shared. With
``--dir``, the databases are made once and kept, so two versions of the renderer can be
compared on the same rows: the printed SHA-256 of each feed must then be the same.
With ``--instructions``, callgrind counts the instructions of a cold render instead
(needs valgrind): the same from run to run, where time on a shared VM is not.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.feed_304_instructions import instructions_in_fsum  # noqa: E402
from benchmarks.feed_bench import ZONE, big_database, demo_database  # noqa: E402
from service.db import Database  # noqa: E402
from service.feeds.content import FeedOwner, load_content  # noqa: E402
from service.feeds.fast.vevent import VEventWriter  # noqa: E402
from service.feeds.render import FeedRange, _EventWriter, render_feed  # noqa: E402
from service.feeds.series import plan_series  # noqa: E402
from service.occurrences.expand import recurrence  # noqa: E402
from service.occurrences.specs import schedule_spec  # noqa: E402

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def databases(directory: Path) -> dict[str, tuple[str, int]]:
    ids = directory / "ids.txt"
    if not ids.exists():
        demo_url, _token, demo_person = demo_database(directory)
        big_url, big_person = big_database(directory)
        ids.write_text(f"{demo_url} {demo_person} {big_url} {big_person}")
    demo_url, demo_id, big_url, big_id = ids.read_text().split()
    return {
        "demo person": (demo_url, int(demo_id)),
        "50 schedules, 500 overrides": (big_url, int(big_id)),
    }


def cold_render(url: str, person_id: int, times: int) -> tuple[float, bytes]:
    db = Database(url)
    owner = FeedOwner("person", person_id)
    with Session(db.engine) as session:
        content = load_content(session, owner)
        assert content is not None
        body = render_feed(content, NOW, ZONE)
        samples = []
        for _ in range(times):
            # Freshly loaded rows each time, as a request has: nothing a render may
            # remember on them (say, its workday calendar's answers) carries over.
            session.expunge_all()
            content = load_content(session, owner)
            assert content is not None
            started = time.process_time()
            render_feed(content, NOW, ZONE)
            samples.append((time.process_time() - started) * 1000)
    db.dispose()
    return statistics.median(samples), body


def render_in_fsum(url: str, person_id: int, times: int) -> None:
    """Runs under callgrind: ``times`` cold renders inside math.fsum, each of freshly
    loaded rows (loaded beforehand, outside it), after one render to warm up."""
    db = Database(url)
    owner = FeedOwner("person", person_id)
    with Session(db.engine) as session:
        contents = []
        for _ in range(times + 1):
            session.expunge_all()
            content = load_content(session, owner)
            assert content is not None
            contents.append(content)
        render_feed(contents.pop(), NOW, ZONE)
        math.fsum(len(render_feed(content, NOW, ZONE)) for content in contents)
    db.dispose()


def parts(url: str, person_id: int, times: int) -> dict[str, float]:
    """Median CPU ms of the stages of a cold render: the rules' enumeration alone
    (over the feed's range; plain rules by date arithmetic, others by dateutil), the
    planning that includes it, building the events' values, and writing them."""
    db = Database(url)
    with Session(db.engine) as session:
        content = load_content(session, FeedOwner("person", person_id))
        assert content is not None
        feed_range = FeedRange.around(NOW, ZoneInfo(ZONE))
        specs = [schedule_spec(schedule) for schedule in content.schedules]
        since, until = feed_range.since, feed_range.until
        plans = [plan_series(spec, since, until, content.workdays) for spec in specs]
        low, high = since.replace(tzinfo=None), until.replace(tzinfo=None)
        shown = [(row, plan) for row, plan in zip(content.schedules, plans, strict=True) if plan]
        events = [_EventWriter(content, schedule).events(plan) for schedule, plan in shown]

        def enumerate_rules() -> None:
            for spec in specs:
                rule = recurrence(spec)
                if rule is not None:
                    rule.between(low, high)

        def write() -> None:
            for batch in events:
                writer = VEventWriter()
                for event in batch:
                    writer.write(event)

        stages = {
            "rule enumeration": enumerate_rules,
            "planning (with it)": lambda: [
                plan_series(spec, since, until, content.workdays) for spec in specs
            ],
            "building": lambda: [_EventWriter(content, s).events(p) for s, p in shown],
            "writing": write,
        }
        result = {}
        for name, stage in stages.items():
            samples = []
            for _ in range(times):
                started = time.process_time()
                stage()
                samples.append((time.process_time() - started) * 1000)
            result[name] = statistics.median(samples)
    db.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--times", type=int, default=15, help="renders per feed")
    parser.add_argument("--dir", type=Path, help="keep the databases here, and reuse them")
    parser.add_argument("--parts", action="store_true", help="also time the render's stages")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions per render (callgrind)"
    )
    parser.add_argument("--under-callgrind", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.under_callgrind:
        url, person_id = databases(opts.dir)[opts.under_callgrind]
        render_in_fsum(url, person_id, opts.times)
        return
    with tempfile.TemporaryDirectory(prefix="pufa-render-") as tmp:
        directory = opts.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        for label, (url, person_id) in databases(directory).items():
            if opts.instructions:
                args = [__file__, "--under-callgrind", label, "--dir", str(directory)]
                count = instructions_in_fsum([*args, "--times", str(opts.times)])
                print(f"{label}: {count / opts.times:,.0f} instructions per cold render")
                continue
            median, body = cold_render(url, person_id, opts.times)
            digest = hashlib.sha256(body).hexdigest()[:16]
            print(f"{label}: render cold {median:.1f} ms (median CPU); {len(body)} B; {digest}")
            if opts.parts:
                for stage, ms in parts(url, person_id, opts.times).items():
                    print(f"    {stage}: {ms:.1f} ms")


if __name__ == "__main__":
    main()
