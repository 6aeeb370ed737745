"""Pufa at county scale (issue 22): 40 站所, 2,000 people, 300 schedules, three years of
history and 1,000,000 deliveries (``service.county``), on SQLite or PostgreSQL.

    .venv/bin/python -m benchmarks.county sqlite [--dir /tmp/pufa-county]
    .venv/bin/python -m benchmarks.county postgresql [--name pufa_county]
    options: [--times 5] [--budget 60] [--batch 200] [--json results.json] [--reseed]
             [--parts sms,feeds,console,api]

The county database (a SQLite file in ``--dir``, or the PostgreSQL database ``--name`` on
the server ``PUFA_TEST_PG_URL`` names) is seeded the first time, and its seeding time
printed; later runs reuse it. Each run works on a copy (a file copy; ``CREATE DATABASE …
TEMPLATE``) that is thrown away at the end, so runs start from the same rows.

What is measured, each the median of ``--times`` runs (fewer if one measurement passes
``--budget`` seconds), in-process with the Flask test client as ``console_pages`` does:
a plan tick (48 h) that writes the horizon's rows (rolled back each time) and one that
finds nothing new; an edit of a lecture with its re-plan; dispatching a batch of due
rows to the fake Twilio (``tests/support/fake_twilio``, on loopback); a feed rendered
cold (every feed cache emptied) and its 304; the staff page; every console page of
``console_pages``; the API lists (first and deep pages), occurrence pages of a month and
of a long window (first and last page); the ledger of last year (CSV, and the workbook
of a quarter and of the year, measured whole, past the request budget); the annual
report as JSON and as Word. ``--parts`` picks some of these, to re-measure one part
without the others.

Each row gives the wall time and this process's CPU time (its threads included): on a
shared machine the CPU time says what the work costs whatever else runs. On SQLite it
includes the database's work; on PostgreSQL the server's is not in it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from benchmarks.console_pages import pages, server_times, sign_in
from service import migrate
from service.app import create_app
from service.county import COUNTY, seed_county
from service.db import Database
from service.domain.schedules import update_schedule
from service.feeds.tokens import issue_token
from service.models import Delivery, Person, Schedule, StudyPlan, utcnow
from service.settings import QuietHours, Settings
from service.sms.dispatcher import Dispatcher
from service.sms.planner import plan_tick
from service.sms.twilio_gateway import TwilioGateway
from service.tokens import create_api_token
from service.web.accounts import create_account
from service.web.page_tokens import issue_page_token
from tests.support.database import PG_SERVER_URL
from tests.support.fake_twilio import FakeTwilio

ZONE = ZoneInfo("Asia/Shanghai")
SECRET = "county-benchmark-secret-0123456789-abcdef"
Row = tuple[str, float, float, int, str]  # what, median ms, median CPU ms, runs, note


class Bench:
    def __init__(self, times: int, budget: float) -> None:
        self.times, self.budget = times, budget
        self.rows: list[Row] = []

    def measure(self, what: str, call: Callable[[], str | None], times: int = 0) -> None:
        """Median ms of up to ``times`` calls (at least one; stop past the budget)."""
        samples, cpu, note, began = [], [], "", time.monotonic()
        for _ in range(times or self.times):
            started, cpu_started = time.perf_counter(), time.process_time()
            note = call() or note
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            if time.monotonic() - began > self.budget:
                break
        self.add(what, statistics.median(samples), statistics.median(cpu), len(samples), note)

    def add(self, what: str, ms: float, cpu: float, runs: int, note: str = "") -> None:
        self.rows.append((what, ms, cpu, runs, note))
        print(f"{ms:10.1f} ms  CPU {cpu:9.1f} ms  {runs:>3}  {what}  {note}", flush=True)


# The county database and its throw-away copy.


PARTS = ("sms", "feeds", "console", "api")


def county_url(args: argparse.Namespace) -> str:
    if args.database == "sqlite":
        return f"sqlite:///{Path(args.dir).resolve() / 'county.sqlite3'}"
    return make_url(PG_SERVER_URL).set(database=args.name).render_as_string(hide_password=False)


def ensure_seeded(url: str, reseed: bool) -> str:
    """Create, migrate and seed the county database unless it already holds the data."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    else:
        _pg_create(url, template=None, replace=reseed)
    migrate.upgrade(url)
    db = Database(url)
    try:
        with db.transaction() as session:
            if session.scalar(select(func.count()).select_from(Person)) and not reseed:
                return "reused"
            started = time.monotonic()
            counts = seed_county(session, COUNTY, utcnow(), ZONE, force=True)
        seconds = time.monotonic() - started
        return f"seeded in {seconds:.0f} s: " + ", ".join(f"{n} {k}" for k, n in counts.items())
    finally:
        db.dispose()


def size_mb(url: str) -> float:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return path.stat().st_size / 2**20
    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.scalar(text("SELECT pg_database_size(current_database())"))
    engine.dispose()
    return float(size or 0) / 2**20


@contextmanager
def working_copy(url: str) -> Iterator[str]:
    if url.startswith("sqlite:///"):
        source = Path(url.removeprefix("sqlite:///"))
        copy = source.with_name("work.sqlite3")
        for leftover in copy.parent.glob("work.sqlite3*"):  # a killed run's (its WAL too)
            leftover.unlink()
        shutil.copyfile(source, copy)
        try:
            yield f"sqlite:///{copy}"
        finally:
            for leftover in copy.parent.glob("work.sqlite3*"):
                leftover.unlink()
        return
    name = make_url(url).database
    copy_url = make_url(url).set(database=f"{name}_work").render_as_string(hide_password=False)
    _pg_create(copy_url, template=name, replace=True)
    try:
        yield copy_url
    finally:
        _pg_drop(copy_url)


def _pg_create(url: str, template: str | None, replace: bool) -> None:
    name = make_url(url).database
    server = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists and replace:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not exists or replace:
            source = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{source}'))
    server.dispose()


def _pg_drop(url: str) -> None:
    server = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    server.dispose()


# The measurements.


def sms(bench: Bench, db: Database, fake: FakeTwilio, batch: int) -> None:
    def tick(commit: bool) -> str:
        with db.write_sessions() as session:
            result = plan_tick(session, utcnow())
            session.commit() if commit else session.rollback()
        return f"{result.inserted + result.inserted_expired} rows inserted, {result.writes} writes"

    bench.measure("plan tick, 48 h (writes the horizon; rolled back)", lambda: tick(False))
    tick(True)
    bench.measure("plan tick, 48 h, nothing new", lambda: tick(True))
    with db.transaction() as session:
        lecture = session.scalar(
            select(Delivery.schedule_id)
            .join(Schedule, Schedule.id == Delivery.schedule_id)
            .where(Delivery.status == "pending", Schedule.kind == "lecture")
            .group_by(Delivery.schedule_id)
            .order_by(func.count().desc())
            .limit(1)
        )
    edits = iter(range(1000))

    def edit() -> str:
        with db.transaction() as session:
            row = session.get_one(Schedule, lecture)
            update_schedule(session, "bench", row, {"topic": f"第{next(edits)}讲"}, None)
            pending = session.scalar(
                select(func.count()).where(
                    Delivery.schedule_id == lecture, Delivery.status == "pending"
                )
            )
        return f"lecture {lecture}, {pending} pending rows re-rendered"

    bench.measure("re-plan after one edit (lecture topic, committed)", edit)
    settings = Settings(
        env="test", database_url=db.url, secret_key=SECRET, log_level="ERROR",
        quiet_hours=QuietHours(clock_time(0), clock_time(0)), sms_backend="twilio",
        twilio_account_sid=fake.account_sid, twilio_auth_token=fake.auth_token,
        twilio_from="+15005550006", twilio_api_base_url=fake.base_url,
    )  # fmt: skip
    dispatcher = Dispatcher(db, TwilioGateway.from_settings(settings), settings)

    def dispatch() -> str:
        now = utcnow()
        with db.transaction() as session:
            ids = session.scalars(
                select(Delivery.id)
                .where(Delivery.status == "pending")
                .order_by(Delivery.due_at)
                .limit(batch)
            ).all()
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(due_at=now - timedelta(minutes=1), useful_until=now + timedelta(hours=2))
            )
        started = time.perf_counter()
        stats = dispatcher.run()
        rate = stats.sent / (time.perf_counter() - started)
        return f"{stats.sent} of {len(ids)} sent, {rate:.0f}/s"

    bench.measure(f"dispatch {batch} due rows to the fake Twilio", dispatch)
    dispatcher.close()


def feeds_and_pages(bench: Bench, app: Flask, person: int) -> None:
    state = app.extensions["pufa"]
    with state.db.transaction() as session:
        row = session.get_one(Person, person)
        feed, page = issue_token(session, SECRET, row), issue_page_token(session, row, SECRET)
    client = app.test_client()
    caches = ("pufa_feed_cache", "pufa_known_feeds", "pufa_feed_blocks")
    etag = ""

    def cold() -> str:
        nonlocal etag
        for name in caches:
            app.extensions[name].clear()
        response = client.get(f"/calendar/{feed}.ics")
        assert response.status_code == 200, response.status_code
        etag = response.headers["ETag"]
        return f"{len(response.data) / 1024:.0f} KB"

    bench.measure(f"feed of person {person}, cold (caches emptied)", cold)

    def not_modified() -> None:
        response = client.get(f"/calendar/{feed}.ics", headers={"If-None-Match": etag})
        assert response.status_code == 304, response.status_code

    bench.measure("feed 304", not_modified, times=bench.times * 20)

    def staff_page() -> str:
        return f"{_ok(client, f'/me/{page}')['bytes'] / 1024:.0f} KB"

    bench.measure("staff page /me/<token>", staff_page)


def console(bench: Bench, app: Flask) -> None:
    state = app.extensions["pufa"]
    with state.db.transaction() as session:
        create_account(session, "bench", "bench-password-1")
        by_kind: dict[str, int] = {}
        for sid, kind in session.execute(select(Schedule.id, Schedule.kind).order_by(Schedule.id)):
            by_kind.setdefault(kind, sid)
        plans = list(session.scalars(select(StudyPlan.id).order_by(StudyPlan.year.desc())))
    client = app.test_client()
    sign_in(client, "bench", "bench-password-1")
    month = utcnow().strftime("%Y-%m")
    for ms, cpu, path in server_times(
        client, pages([(sid, kind) for kind, sid in by_kind.items()], plans, month), bench.times
    ):
        bench.add(f"console {path}", ms, cpu, bench.times)


def api(bench: Bench, app: Flask) -> None:
    state = app.extensions["pufa"]
    with state.db.transaction() as session:
        _row, token = create_api_token(session, name="bench", role="admin")
        deliveries = session.scalar(select(func.count()).select_from(Delivery)) or 0
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    today = utcnow().date()
    since = (today - timedelta(days=3 * 365)).isoformat()
    long_window = f"from={since}&to={(today + timedelta(days=365)).isoformat()}&per_page=100"
    total = _ok(client, f"/api/v1/occurrences?{long_window}&count=true")["total"]
    last = max(1, -(-total // 100))
    last_year = today.year - 1
    paths = [
        ("/api/v1/schedules?per_page=100", ""),
        ("/api/v1/people?per_page=100", ""),
        ("/api/v1/people?per_page=100&page=20", "the last page"),
        ("/api/v1/deliveries?per_page=100", ""),
        (f"/api/v1/deliveries?per_page=100&page={deliveries // 100}", "the last page"),
        ("/api/v1/occurrences?per_page=100", "31 days from today"),
        (f"/api/v1/occurrences?{long_window}", f"4 years, {total} occurrences"),
        (f"/api/v1/occurrences?{long_window}&page={last}", "4 years, the last page"),
        (f"/api/v1/ledger.csv?from={last_year}-01-01&to={last_year}-12-31", "a year"),
        (f"/api/v1/ledger.xlsx?from={last_year}-10-01&to={last_year}-12-31", "a quarter"),
        (f"/api/v1/ledger.xlsx?from={last_year}-01-01&to={last_year}-12-31", "a year"),
        (f"/api/v1/reports/annual?year={today.year - 1}", ""),
        (f"/api/v1/reports/annual.docx?year={today.year - 1}", ""),
    ]
    for path, note in paths:

        def get(path: str = path, note: str = note) -> str:
            _ok(client, path)
            return note

        bench.measure(f"GET {path}", get)


def _ok(client: FlaskClient, path: str) -> Any:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.data[:300])
    return response.json if response.is_json else {"bytes": len(response.data)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("database", choices=("sqlite", "postgresql"))
    parser.add_argument("--dir", default="/tmp/pufa-county", help="SQLite: where the file is")
    parser.add_argument("--name", default="pufa_county", help="PostgreSQL: the database")
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--budget", type=float, default=60, help="seconds per measurement")
    parser.add_argument("--batch", type=int, default=200, help="rows per dispatch")
    parser.add_argument("--reseed", action="store_true", help="seed the county database again")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--parts",
        type=lambda text: set(text.split(",")),
        default=set(PARTS),
        help=f"what to measure, comma-separated (default: all of {','.join(PARTS)})",
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()
    url = county_url(args)
    seeded = ensure_seeded(url, args.reseed)
    size = size_mb(url)
    print(f"{args.database}: {seeded}; {size:.0f} MB; {os.cpu_count()} cores; load {load}")
    bench = Bench(args.times, args.budget)
    with working_copy(url) as work, tempfile.TemporaryDirectory() as folder, FakeTwilio() as fake:
        # Each answer measured whole: a served one past the request budget (default
        # 10 s, PUFA_REQUEST_BUDGET_SECONDS) is refused with a 503 instead.
        settings = Settings(
            env="test", instance_dir=Path(folder), database_url=work, secret_key=SECRET,
            log_level="WARNING", request_budget_seconds=3600.0,
        )  # fmt: skip
        app = create_app(settings)
        state = app.extensions["pufa"]
        if "sms" in args.parts:
            sms(bench, state.db, fake, args.batch)
        if "feeds" in args.parts:
            with state.db.transaction() as session:
                person = session.scalar(select(Person.id).where(Person.role == "staff").limit(1))
            assert person is not None
            feeds_and_pages(bench, app, person)
        if "console" in args.parts:
            console(bench, app)
        if "api" in args.parts:
            api(bench, app)
        state.db.dispose()
    report = {
        "database": args.database, "date": utcnow().astimezone(UTC).isoformat(timespec="minutes"),
        "machine": f"{platform.node()}, {os.cpu_count()} cores", "load_before": load,
        "load_after": os.getloadavg(), "county": seeded, "size_mb": round(size),
        "rows": [{"what": w, "median_ms": round(ms, 1), "median_cpu_ms": round(cpu, 1),
                  "runs": n, "note": note} for w, ms, cpu, n, note in bench.rows],
    }  # fmt: skip
    print(f"load average before {load}, after {report['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
