"""Requests/s of GET /api/v1/schedules against a bare Flask endpoint, side by side.

Both run under gunicorn with the same worker settings, on loopback only. For each:
1. saturation: CONNECTIONS keep-alive clients send back-to-back for SECONDS (or until
   MAX_REQUESTS), giving requests/s, and the server's CPU time per request (its
   workers', plus on PostgreSQL its database sessions'; Linux /proc): the clients and
   whatever else runs share the cores, so requests/s alone mixes in their cost;
2. latency: right after, requests paced (open loop) at half that rate for SECONDS;
   p50/p99 measured from each request's scheduled time (so a stall is not hidden by
   the client waiting on it), with how busy the cores were meanwhile (/proc/stat) and
   the CPU a request took in the server and in the client.
All sides, ROUNDS times, one after the other in each round.

    python benchmarks/api_throughput.py [--seconds 5] [--connections 8] [--rounds 3]
        [--workers 2 --threads 4] [--pg SERVER_URL] [--baseline CHECKOUT]

``--baseline`` adds a third side: the same list served by another checkout's code (e.g.
main's worktree), from its own copy of the same database, so that two versions are
compared in the same rounds. Everything is bounded in count and time and stops by
itself. The API sides use a fresh database with the 蟒河镇 demo data (seed) and an
admin token, like `pufa up`.
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUESTS = 200_000
PG_NAME = "pufa_benchmark"
P99_TARGET_MS = 20.0
RATIO_TARGET = 0.3


def prepare_database(directory: Path, pg_server: str | None, name: str) -> tuple[str, str]:
    """A fresh database with the demo data and an admin token: a SQLite file in
    ``directory``, or on ``pg_server`` the database ``name`` (dropped first if there).
    Returns its URL and the token."""
    sys.path.insert(0, str(ROOT))
    from service import migrate
    from service.db import Database
    from service.seed import load_demo_file, seed
    from service.tokens import create_api_token

    url = f"sqlite:///{directory / 'bench.sqlite3'}"
    if pg_server:
        from sqlalchemy import create_engine, text

        drop_database(pg_server, name)
        server = create_engine(pg_server, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        server.dispose()
        url = pg_server.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        seed(session, load_demo_file())
        _row, token = create_api_token(session, name="benchmark", role="admin")
    db.dispose()
    return url, token


def drop_database(pg_server: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def copy_database(url: str, pg_server: str | None, directory: Path, name: str = PG_NAME) -> str:
    """A copy of the database at ``url`` (nothing may be connected to it), for a second
    server whose database sessions are then told apart by the database's name."""
    if pg_server:
        from sqlalchemy import create_engine, text

        copy_name = f"{name}_baseline"
        drop_database(pg_server, copy_name)
        engine = create_engine(pg_server, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{copy_name}" TEMPLATE "{name}"'))
        engine.dispose()
        return pg_server.rsplit("/", 1)[0] + f"/{copy_name}"
    copy = directory / "baseline.sqlite3"
    copy.write_bytes((directory / "bench.sqlite3").read_bytes())
    return f"sqlite:///{copy}"


def _serve(
    app: str, port: int, args: argparse.Namespace, env: dict[str, str], cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers), "--threads", str(args.threads),
        "--worker-class", "gthread", "--log-level", "warning", app,
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=cwd, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"{app} did not start on port {port}")


def processes_cpu() -> dict[int, tuple[int, str, float]]:
    """Every process's parent, title and CPU seconds (user + system) so far."""
    found, tick = {}, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            title = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue  # a process that ended meanwhile
        seconds = (int(fields[11]) + int(fields[12])) / tick
        found[int(stat.parent.name)] = (int(fields[1]), title, seconds)
    return found


@dataclass
class Side:
    name: str
    get: Callable[[], int]
    server: subprocess.Popen[bytes]
    database: str | None = None  # its PostgreSQL database, whose sessions are its own

    def cpu(self, processes: dict[int, tuple[int, str, float]]) -> dict[int, float]:
        """CPU seconds so far of the server's workers and database sessions, by pid."""
        ours = f" {self.database} " if self.database else None
        return {
            pid: seconds
            for pid, (parent, title, seconds) in processes.items()
            if parent == self.server.pid
            or (ours and title.startswith("postgres: ") and ours in title)
        }


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


def saturate(side: Side, connections: int, seconds: float) -> tuple[float, int, float]:
    """Closed loop: requests/s with ``connections`` clients, the count of non-200s and
    the server's CPU µs per request."""
    get = side.get
    cpu_before = side.cpu(processes_cpu())
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
    elapsed = time.monotonic() - started
    after = side.cpu(processes_cpu())
    used = sum(seconds - cpu_before.get(pid, 0.0) for pid, seconds in after.items())
    return sum(counts) / elapsed, sum(errors), used / max(sum(counts), 1) * 1e6


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


def machine_busy() -> tuple[float, float]:
    """Seconds (all cores) the machine has spent busy and in all, so far (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / tick, sum(fields) / tick


def latency(side: Side, name: str, rps: float, args: argparse.Namespace) -> float:
    """Print p50/p99 with requests paced at half the saturation rate; return p99. Beside
    them: how busy the machine's cores were meanwhile, and the CPU a request took in the
    server (its workers and database sessions) and in this client."""
    server_before, busy_before = side.cpu(processes_cpu()), machine_busy()
    client_before = time.process_time()
    latencies = paced(side.get, rps / 2, args.connections, args.seconds)
    client = (time.process_time() - client_before) / len(latencies) * 1e6
    busy_after, server_after = machine_busy(), side.cpu(processes_cpu())
    server = sum(t - server_before.get(pid, 0.0) for pid, t in server_after.items())
    busy = (busy_after[0] - busy_before[0]) / (busy_after[1] - busy_before[1])
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"{name:37s} at {rps / 2:6.0f} req/s: p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
        f"({len(latencies)} requests; cores {busy:4.0%} busy; CPU a request: server "
        f"{server / len(latencies) * 1e6:5.0f} µs, client {client:4.0f} µs)"
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
        help="use PostgreSQL: a scratch database (--pg-name) on this server "
        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres), dropped at the end",
    )
    parser.add_argument(
        "--pg-name",
        default=PG_NAME,
        help="the scratch database's name (the baseline's: NAME_baseline), so that two "
        "runs on one server do not drop each other's",
    )
    parser.add_argument(
        "--baseline", metavar="CHECKOUT", help="also serve the list with this checkout's code"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, token = prepare_database(Path(tmp), args.pg, args.pg_name)
        baseline_url = (
            copy_database(url, args.pg, Path(tmp), args.pg_name) if args.baseline else None
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "PUFA_INSTANCE_DIR": tmp,
            "PUFA_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        auth = {"Authorization": f"Bearer {token}"}
        pg = (args.pg_name, f"{args.pg_name}_baseline") if args.pg else (None, None)
        sides = [
            Side(
                "bare Flask GET /bare",
                _client(18081, "/bare", {}),
                _serve("benchmarks.bare_app:app", 18081, args, env),
            ),
            Side(
                "GET /api/v1/schedules",
                _client(18082, "/api/v1/schedules", auth),
                _serve("service.wsgi:app", 18082, args, env),
                pg[0],
            ),
        ]
        if args.baseline and baseline_url:
            checkout = Path(args.baseline).resolve()
            baseline_env = {**env, "DATABASE_URL": baseline_url, "PYTHONPATH": str(checkout)}
            server = _serve("service.wsgi:app", 18083, args, baseline_env, cwd=checkout)
            get = _client(18083, "/api/v1/schedules", auth)
            sides.append(Side("baseline GET /api/v1/schedules", get, server, pg[1]))
        try:
            print(
                f"{url.split(':')[0]}; gunicorn gthread --workers {args.workers} "
                f"--threads {args.threads}; "
                f"{args.connections} connections; {args.seconds:g} s per phase; loopback"
                + (f"; baseline: {args.baseline}" if args.baseline else "")
            )
            for side in sides:
                for _ in range(50):  # warm up: imports, connections, caches
                    side.get()
            # Rounds run every side in turn, each saturated and then paced at half the
            # rate it just reached, so that a busy machine (this VM's speed drifts) hurts
            # all alike; each round is printed, then the medians.
            ratios: dict[str, list[float]] = {side.name: [] for side in sides[1:]}
            p99s: dict[str, list[float]] = {side.name: [] for side in sides[1:]}
            for n in range(args.rounds):
                rates = {}
                for side in sides:
                    rates[side.name], errors, cpu = saturate(side, args.connections, args.seconds)
                    print(
                        f"round {n + 1}: {side.name:31s} {rates[side.name]:8.0f} req/s  "
                        f"server CPU {cpu:5.0f} µs/request  (non-200: {errors})"
                    )
                for side in sides:
                    p99 = latency(side, f"round {n + 1}: {side.name}", rates[side.name], args)
                    if side.name in p99s:
                        p99s[side.name].append(p99)
                for name in ratios:
                    ratios[name].append(rates[name] / rates[sides[0].name])
                print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            for side in sides:
                side.server.terminate()
            for side in sides:
                side.server.wait(timeout=30)
            if args.pg:
                drop_database(args.pg, args.pg_name)
                drop_database(args.pg, f"{args.pg_name}_baseline")
    for name in ratios:
        print(
            f"{name}: ratio to bare by round: {', '.join(f'{r:.2f}' for r in ratios[name])}; "
            f"median {statistics.median(ratios[name]):.2f} (target ≥ {RATIO_TARGET:.2f}); "
            f"p99 at half saturation by round: {', '.join(f'{ms:.1f}' for ms in p99s[name])} "
            f"ms; median {statistics.median(p99s[name]):.1f} ms (target ≤ {P99_TARGET_MS:g} ms)"
        )


if __name__ == "__main__":
    main()
