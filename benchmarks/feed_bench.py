"""Feed benchmark (not a test): rendering time, feed size, and HTTP throughput under
gunicorn against a bare Flask endpoint serving the same bytes from memory.

    .venv/bin/python benchmarks/feed_bench.py [--requests 2000] [--seconds 8]
        [--clients 4] [--rounds 2] [--log-level INFO]

Everything runs on loopback in a temporary directory (SQLite), and stops by itself: each
phase ends after --requests requests or --seconds seconds, whichever comes first.
Phases alternate (bare, pufa, bare, pufa …) so that a busy machine hurts both alike, and
each ratio compares the two phases of one round. Each phase also gives the server's
CPU time per request, which the clients sharing the cores do not blur.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from service import migrate  # noqa: E402
from service.db import Database  # noqa: E402
from service.feeds.content import FeedOwner, load_content  # noqa: E402
from service.feeds.fast.cache import ByteCache  # noqa: E402
from service.feeds.render import render_feed  # noqa: E402
from service.feeds.tokens import issue_token  # noqa: E402
from service.models import OccurrenceOverride, Person, Schedule  # noqa: E402
from service.seed import load_demo_file, seed  # noqa: E402

SECRET = "benchmark-secret-key-0123456789-abcdefgh"
ZONE = "Asia/Shanghai"


def timed(make: Callable[[], object], times: int) -> float:
    """Median milliseconds of ``times`` calls."""
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        make()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def demo_database(directory: Path) -> tuple[str, str, int]:
    url = f"sqlite:///{directory / 'demo.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        seed(session, load_demo_file())
        person = session.scalars(select(Person).where(Person.name == "孙丽")).one()
        token = issue_token(session, SECRET, person)
        person_id = person.id
    db.dispose()
    return url, token, person_id


def big_database(directory: Path) -> tuple[str, int]:
    """A person in 50 weekly schedules with 500 overrides (speaker and topic changes)."""
    url = f"sqlite:///{directory / 'big.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    start = datetime(2026, 6, 1, 1, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
    with db.transaction() as session:
        people = [Person(name=f"主讲人{i}") for i in range(10)]
        session.add_all(people)
        session.flush()
        for n in range(50):
            schedule = Schedule(
                kind="lecture",
                title=f"专题学习{n}",
                timezone=ZONE,
                starts_at=start + timedelta(hours=n % 8),
                rrule="FREQ=WEEKLY",
                holiday_policy="next_workday",
                is_for_everyone=True,
                location="镇政府三楼会议室",
                description="以讲促学，以学促干。",
            )
            session.add(schedule)
            session.flush()
            for week in range(10):
                session.add(
                    OccurrenceOverride(
                        schedule_id=schedule.id,
                        original_start_at=schedule.starts_at + timedelta(weeks=30 + week),
                        speaker_id=people[(n + week) % 10].id,
                        topic=f"第{week + 1}讲：民法典",
                    )
                )
        person_id = people[0].id
    db.dispose()
    return url, person_id


def render_ms(url: str, person_id: int, now: datetime, times: int) -> tuple[float, ...]:
    """(load ms, cold render ms, warm-blocks render ms, bytes) for one person's feed.

    Cold: nothing cached. Warm blocks: every schedule's VEVENTs already written (another
    feed showed them, or they did not change since the last render) — the case after an
    edit to one schedule, when every feed is rendered again but only that one is new.
    """
    db = Database(url)
    owner = FeedOwner("person", person_id)
    with Session(db.engine) as session:
        load = timed(lambda: load_content(session, owner), times)
        content = load_content(session, owner)
        assert content is not None
        cold = timed(lambda: render_feed(content, now, ZONE), times)
        blocks = ByteCache(max_entries=4096)
        size = len(render_feed(content, now, ZONE, blocks))
        warm = timed(lambda: render_feed(content, now, ZONE, blocks), times)
    db.dispose()
    return load, cold, warm, size


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_gunicorn(
    app: str, port: int, env: dict[str, str], log: Path, opts: argparse.Namespace
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(opts.workers), "--threads", str(opts.threads)]
    command += ["--worker-class", "gthread", app]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stderr=out)


def wait_ready(port: int, path: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status in (200, 304):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not come up")


def client(args: tuple[int, str, dict[str, str], int, float]) -> list[float]:
    """One keep-alive client: latencies in ms until the count or the deadline is reached."""
    port, path, headers, count, deadline = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies = []
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status in (200, 304), response.status
        latencies.append((time.perf_counter() - started) * 1000)
    conn.close()
    return latencies


def load(
    pool: ProcessPoolExecutor,
    port: int,
    path: str,
    headers: dict[str, str],
    opts: argparse.Namespace,
    server: subprocess.Popen[bytes] | None = None,
) -> tuple[float, float, float, float]:
    """(requests per second, p99 ms, the server's CPU µs per request, the busiest
    worker's share of that CPU) for one phase.

    The CPU time is that of the server's workers (Linux /proc; NaN elsewhere): the
    clients run on the same cores, so requests per second alone mixes in their cost.
    Which worker takes a keep-alive connection is gunicorn's (the kernel's) choice, so
    a phase's connections may all land on one worker (a share of 100%), whose threads
    then contend for one GIL.
    """
    deadline = time.monotonic() + opts.seconds
    per_client = opts.requests // opts.clients
    jobs = [(port, path, headers, per_client, deadline)] * opts.clients
    cpu_before = workers_cpu(server)
    started = time.perf_counter()
    latencies = [ms for chunk in pool.map(client, jobs) for ms in chunk]
    elapsed = time.perf_counter() - started
    used = {pid: seconds - cpu_before.get(pid, 0.0) for pid, seconds in workers_cpu(server).items()}
    total = sum(used.values())
    cpu = total / len(latencies) * 1e6 if used else math.nan
    busiest = max(used.values()) / total if total else math.nan
    p99 = statistics.quantiles(latencies, n=100)[98]
    return len(latencies) / elapsed, p99, cpu, busiest


def workers_cpu(server: subprocess.Popen[bytes] | None) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each child of ``server``."""
    proc = Path("/proc")
    if server is None or not proc.is_dir():
        return {}
    used, tick = {}, os.sysconf("SC_CLK_TCK")
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        if int(fields[1]) == server.pid:  # ppid
            used[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
    return used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per phase, at most")
    parser.add_argument("--seconds", type=float, default=8.0, help="per phase, at most")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per phase")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both servers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker, both servers")
    parser.add_argument("--log-level", default="INFO", help="PUFA_LOG_LEVEL (INFO logs requests)")
    opts = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="pufa-bench-") as tmp:
        directory = Path(tmp)
        url, token, person_id = demo_database(directory)
        big_url, big_person = big_database(directory)
        for label, (db_url, pid, times) in {
            "demo person (孙丽)": (url, person_id, 5),
            "50 schedules, 500 overrides": (big_url, big_person, 3),
        }.items():
            load_ms, cold, warm, size = render_ms(db_url, pid, now, times)
            print(
                f"{label}: feed {size / 1024:.1f} KB; load {load_ms:.1f} ms; render cold "
                f"{cold:.1f} ms, with schedule blocks cached {warm:.1f} ms (medians)"
            )

        body = directory / "feed.ics"
        env = {
            "PUFA_ENV": "production",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": url,
            "PUBLIC_BASE_URL": "https://pufa.example.test",
            "PUFA_INSTANCE_DIR": str(directory),
            "PUFA_LOG_LEVEL": opts.log_level,
            "FEED_BARE_FILE": str(body),
        }
        pufa_port, bare_port = free_port(), free_port()
        path = f"/calendar/{token}.ics"
        servers = [start_gunicorn("service.wsgi:app", pufa_port, env, directory / "pufa.log", opts)]
        try:
            wait_ready(pufa_port, "/healthz", time.monotonic() + 60)
            conn = http.client.HTTPConnection("127.0.0.1", pufa_port, timeout=30)
            conn.request("GET", path)
            response = conn.getresponse()
            body.write_bytes(response.read())
            pufa_etag = response.getheader("ETag") or ""
            servers.append(
                start_gunicorn(
                    "benchmarks.feed_bare:app", bare_port, env, directory / "bare.log", opts
                )
            )
            wait_ready(bare_port, path, time.monotonic() + 60)
            conn = http.client.HTTPConnection("127.0.0.1", bare_port, timeout=30)
            conn.request("GET", path)
            bare_response = conn.getresponse()
            bare_response.read()
            bare_etag = bare_response.getheader("ETag") or ""
            phases = {
                "full": ({}, {}),
                "304": ({"If-None-Match": bare_etag}, {"If-None-Match": pufa_etag}),
            }
            results: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
            with ProcessPoolExecutor(opts.clients) as pool:
                for _ in range(opts.rounds):
                    for phase, (bare_headers, pufa_headers) in phases.items():
                        for name, port, headers, server in (
                            ("bare", bare_port, bare_headers, servers[1]),
                            ("pufa", pufa_port, pufa_headers, servers[0]),
                        ):
                            results.setdefault((phase, name), []).append(
                                load(pool, port, path, headers, opts, server)
                            )
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)
        print(
            f"\ngunicorn gthread {opts.workers} workers x {opts.threads} threads, "
            f"{opts.clients} keep-alive clients, {opts.rounds} rounds; each round's bare "
            "and pufa phases ran back to back: the ratio is per round, then the median"
        )
        print(
            f"{'phase':6} {'bare req/s':>11} {'p99 ms':>8} {'cpu µs':>7} {'one':>5} "
            f"{'pufa req/s':>11} {'p99 ms':>8} {'cpu µs':>7} {'one':>5} {'ratio':>6}"
        )
        print(
            "(cpu µs: the server's CPU per request, all its workers; one: the busiest "
            "worker's share of it)"
        )
        for phase, target in (("full", 0.5), ("304", 0.8)):
            ratios = []
            for bare, pufa in zip(results[(phase, "bare")], results[(phase, "pufa")], strict=True):
                ratios.append(pufa[0] / bare[0])
                print(f"{phase:6} {_columns(bare)} {_columns(pufa)} {ratios[-1]:6.2f}")
            print(f"{phase}: median ratio {statistics.median(ratios):.2f} (target >= {target})")


def _columns(result: tuple[float, float, float, float]) -> str:
    rps, p99, cpu, busiest = result
    return f"{rps:11.0f} {p99:8.1f} {cpu:7.0f} {busiest:5.0%}"


if __name__ == "__main__":
    main()
