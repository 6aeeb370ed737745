"""Requests/s of GET /api/v1/schedules against a bare Flask endpoint, side by side.

Both run under gunicorn with the same worker settings, on loopback only. For each:
1. saturation: CONNECTIONS keep-alive clients send back-to-back for SECONDS (or until
   MAX_REQUESTS), giving requests/s;
2. latency: right after, requests paced at half that rate for SECONDS; p50/p99
   measured from each request's scheduled time (so a stall is not hidden by the client
   waiting on it).
Both, ROUNDS times, alternating bare and API.

    python benchmarks/api_throughput.py [--seconds 5] [--connections 8] [--rounds 3]
        [--workers 2 --threads 4] [--pg SERVER_URL]

Everything is bounded in count and time and stops by itself. The API side uses a fresh
SQLite database with the 蟒河镇 demo data (seed) and an admin token, like `pufa up`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUESTS = 200_000
PG_NAME = "pufa_benchmark"


def _prepare_database(directory: Path, pg_server: str | None) -> tuple[str, str]:
    sys.path.insert(0, str(ROOT))
    from service import migrate
    from service.db import Database
    from service.seed import load_demo_file, seed
    from service.tokens import create_api_token

    url = f"sqlite:///{directory / 'bench.sqlite3'}"
    if pg_server:
        from sqlalchemy import create_engine, text

        server = create_engine(pg_server, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
        server.dispose()
        url = pg_server.rsplit("/", 1)[0] + f"/{PG_NAME}"
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        seed(session, load_demo_file())
        _row, token = create_api_token(session, name="benchmark", role="admin")
    db.dispose()
    return url, token


def _serve(
    app: str, port: int, args: argparse.Namespace, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers), "--threads", str(args.threads),
        "--worker-class", "gthread", "--log-level", "warning", app,
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"{app} did not start on port {port}")


def _client(port: int, path: str, headers: dict[str, str]) -> Callable[[], int]:
    local = threading.local()

    def get() -> int:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            local.conn.request("GET", path, headers=headers)
            response = local.conn.getresponse()
            response.read()
            return int(response.status)
        except (OSError, http.client.HTTPException):
            local.conn.close()
            del local.conn
            return 0

    return get


def saturate(get: Callable[[], int], connections: int, seconds: float) -> tuple[float, int]:
    """Closed loop: requests/s with ``connections`` clients; and the count of non-200s."""
    stop_at = time.monotonic() + seconds
    counts = [0] * connections
    errors = [0] * connections

    def run(index: int) -> None:
        while time.monotonic() < stop_at and sum(counts) < MAX_REQUESTS:
            counts[index] += 1
            if get() != 200:
                errors[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started), sum(errors)


def paced(get: Callable[[], int], rate: float, connections: int, seconds: float) -> list[float]:
    """Open loop at ``rate`` requests/s; latency (ms) from each scheduled send time."""
    total = min(int(rate * seconds), MAX_REQUESTS)
    interval = 1.0 / rate
    start = time.monotonic() + 0.1
    latencies: list[float] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        for n in range(index, total, connections):
            scheduled = start + n * interval
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            get()
            with lock:
                latencies.append((time.monotonic() - scheduled) * 1000)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latencies)


def latency(name: str, get: Callable[[], int], rps: float, args: argparse.Namespace) -> float:
    """Print p50/p99 with requests paced at half the saturation rate; return p99."""
    latencies = paced(get, rps / 2, args.connections, args.seconds)
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"{name:37s} at {rps / 2:6.0f} req/s: p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
        f"({len(latencies)} requests)"
    )
    return p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="alternating saturation rounds")
    parser.add_argument(
        "--pg",
        metavar="SERVER_URL",
        help="use PostgreSQL: a scratch database pufa_benchmark on this server "
        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres), dropped at the end",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, token = _prepare_database(Path(tmp), args.pg)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "PUFA_INSTANCE_DIR": tmp,
            "PUFA_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        servers = [
            _serve("benchmarks.bare_app:app", 18081, args, env),
            _serve("service.wsgi:app", 18082, args, env),
        ]
        try:
            print(
                f"{url.split(':')[0]}; gunicorn gthread --workers {args.workers} "
                f"--threads {args.threads}; "
                f"{args.connections} connections; {args.seconds:g} s per phase; loopback"
            )
            auth = {"Authorization": f"Bearer {token}"}
            sides = {
                "bare Flask GET /bare": _client(18081, "/bare", {}),
                "GET /api/v1/schedules": _client(18082, "/api/v1/schedules", auth),
            }
            for get in sides.values():
                for _ in range(50):  # warm up: imports, connections, caches
                    get()
            # Rounds alternate bare and API, each saturated and then paced at half the
            # rate it just reached, so that a busy machine (this VM's speed drifts) hurts
            # both alike; each round is printed, then the medians.
            ratios, p99s = [], []
            for n in range(args.rounds):
                rates = {}
                for name, get in sides.items():
                    rates[name], errors = saturate(get, args.connections, args.seconds)
                    print(
                        f"round {n + 1}: {name:28s} {rates[name]:8.0f} req/s  (non-200: {errors})"
                    )
                for name, get in sides.items():
                    p99 = latency(f"round {n + 1}: {name}", get, rates[name], args)
                bare_rps, api_rps = rates.values()
                ratios.append(api_rps / bare_rps)
                p99s.append(p99)  # the API's: the last side
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)
            if args.pg:
                from sqlalchemy import create_engine, text

                engine = create_engine(args.pg, isolation_level="AUTOCOMMIT")
                with engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
                engine.dispose()
    print(
        f"ratio API / bare by round: {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"median {statistics.median(ratios):.2f} (target ≥ 0.30)"
    )
    print(
        f"API p99 at half saturation by round: {', '.join(f'{ms:.1f}' for ms in p99s)} ms; "
        f"median {statistics.median(p99s):.1f} ms (target < 50 ms)"
    )


if __name__ == "__main__":
    main()
