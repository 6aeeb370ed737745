"""The records' two budgets: the annual report for a year of 52 lectures × 60 people
(≤ 1 s) and a Word 台账 with 50 photos (built in ≤ 5 s, under 30 MB). Not a test.

Run from the repository root:  python -m benchmarks.records_bench
(``PUFA_BENCH_DATABASE_URL`` points it at PostgreSQL; default: a fresh SQLite file.)
"""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy.orm import Session

from service import migrate
from service.db import make_engine
from service.models import (
    AttachmentKind,
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    Department,
    Person,
    Schedule,
)
from service.records import attachments
from service.records.occurrence import find
from service.reports import annual, docx_ledger

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2025
NOW = datetime(YEAR + 1, 1, 10, 9, 0, tzinfo=SHANGHAI)
PEOPLE, DEPARTMENTS, PHOTOS = 60, 6, 50
REPORT_BUDGET, DOCX_BUDGET, DOCX_MAX_BYTES = 1.0, 5.0, 30 * 1024 * 1024


def photo(seed: int) -> bytes:
    """A 12-megapixel-class camera JPEG (4000 × 3000), noisy enough not to compress away."""
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (400, 300), rng.randbytes(400 * 300 * 3))
    out = io.BytesIO()
    small.resize((4000, 3000)).save(out, "JPEG", quality=85)
    return out.getvalue()


def arrange(session: Session) -> None:
    departments = [Department(name=f"站所{n}") for n in range(DEPARTMENTS)]
    people = [
        Person(name=f"职工{n:02d}", departments=[departments[n % DEPARTMENTS]])
        for n in range(PEOPLE)
    ]
    first = datetime(YEAR, 1, 6, 16, 0, tzinfo=SHANGHAI)  # a Monday
    lecture = Schedule(
        kind="lecture", title="机关职工每周一讲", starts_at=first, rrule="FREQ=WEEKLY;COUNT=52",
        is_for_everyone=True, speaker=people[0], topic="宪法", location="三楼会议室",
    )  # fmt: skip
    session.add_all([*departments, *people, lecture])
    session.flush()
    statuses = list(AttendanceStatus)
    for week in range(52):
        target = find(session, lecture.id, first + timedelta(weeks=week))
        # Rows as the roll call writes them, added in bulk: arranging is not measured.
        session.add_all(
            Attendance(
                schedule_id=lecture.id, original_start_at=target.original_at, person_id=p.id,
                status=statuses[0] if (n + week) % 10 else statuses[(n + week) % 3],
                source=AttendanceSource.ROLL_CALL, note="",
            )
            for n, p in enumerate(people)
        )  # fmt: skip
        if week < 10:  # 50 photos over the first ten lectures
            for k in range(PHOTOS // 10):
                attachments.add(session, target, photo(week * 10 + k), "现场.jpg",
                                AttachmentKind.EVIDENCE, actor="bench", now=NOW)  # fmt: skip
    session.commit()


def timed(call: Callable[[], object], rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        began = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("PUFA_BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            began = time.perf_counter()
            arrange(session)
            print(f"arranged 52 lectures × {PEOPLE} people, {PHOTOS} photos "
                  f"in {time.perf_counter() - began:.1f} s ({engine.dialect.name})")  # fmt: skip
        with Session(engine) as session:
            report_s, report = timed(lambda: annual.build(session, YEAR, zone=SHANGHAI, now=NOW), 5)
            assert isinstance(report, dict)
            docx_s, built = timed(
                lambda: docx_ledger.build(
                    session, date(YEAR, 1, 1), date(YEAR, 12, 31), zone=SHANGHAI, now=NOW
                ),
                3,
            )
            assert isinstance(built, bytes)
        engine.dispose()
    person_times = report["attendance"]["expected"]
    print(
        f"annual report: {report_s * 1000:.0f} ms median of 5 "
        f"({report['lectures']['held']} lectures, {person_times} person-times; budget 1 s)"
    )
    print(f"Word 台账 with {PHOTOS} photos: {docx_s:.2f} s median of 3, "
          f"{len(built) / 1024 / 1024:.2f} MB (budgets 5 s, 30 MB)")  # fmt: skip
    ok = report_s <= REPORT_BUDGET and docx_s <= DOCX_BUDGET and len(built) < DOCX_MAX_BYTES
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
