"""Eight long occurrence pages at once, and how long another API call waits meanwhile.
Not a test.

Both trees (main's, e.g. a worktree at /work/wt/h22a-base, and this one) serve the same
SQLite database of 200 weekly schedules (``occurrence_pages.seed_weekly``) under
gunicorn (gthread, 2 workers × 4 threads, as in production), on loopback, one after the
other, ROUNDS times alternating. In each phase HEAVY clients ask back to back for the
first page of 100 of a ten-year window, while a probe asks for one schedule
(``GET /api/v1/schedules/1``) every 100 ms; the probe's latency is measured from the
time it was due, so a stall is not hidden by the probe waiting on it.

    python -m benchmarks.occurrence_load --baseline-tree /work/wt/h22a-base [--seconds 10]

Bounded: each phase stops after SECONDS or 5,000 requests; every server is stopped.
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
from pathlib import Path

from benchmarks.occurrence_pages import seed_weekly

ROOT = Path(__file__).resolve().parent.parent
HEAVY = "/api/v1/occurrences?from=2026-01-01&to=2035-12-31&per_page=100"
PROBE = "/api/v1/schedules/1"
MAX_REQUESTS = 5_000


def _token(url: str) -> str:
    from service.db import Database
    from service.tokens import create_api_token

    db = Database(url)
    with db.transaction() as session:
        _row, token = create_api_token(session, name="benchmark", role="admin")
    db.dispose()
    return token


def _serve(tree: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
        "--threads", "4", "--worker-class", "gthread", "--log-level", "warning",
        "service.wsgi:app",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=tree, env={**env, "PYTHONPATH": str(tree)})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"{tree} did not start on port {port}")


def _get(connection: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> int:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def phase(port: int, headers: dict[str, str], heavy: int, seconds: float) -> dict[str, list[float]]:
    """Latencies (ms) of the heavy pages and of the paced probe, run together."""
    stop_at = time.monotonic() + seconds
    found: dict[str, list[float]] = {"heavy": [], "probe": []}
    failures: list[int] = []
    lock = threading.Lock()

    def record(kind: str, began: float, status: int) -> None:
        with lock:
            found[kind].append((time.monotonic() - began) * 1000)
            if status != 200:
                failures.append(status)

    def hammer() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.monotonic() < stop_at and len(found["heavy"]) < MAX_REQUESTS:
            began = time.monotonic()
            record("heavy", began, _get(connection, HEAVY, headers))
        connection.close()

    def probe() -> None:
        due = time.monotonic() + 0.5  # once the heavy clients are under way
        while due < stop_at:
            time.sleep(max(0.0, due - time.monotonic()))
            # A new connection each time, as another client's: it may land on either worker.
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            record("probe", due, _get(connection, PROBE, headers))
            connection.close()
            due = max(due + 0.1, time.monotonic())  # a late probe does not queue up more

    threads = [threading.Thread(target=hammer) for _ in range(heavy)]
    threads.append(threading.Thread(target=probe))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        print(f"  non-200 answers: {sorted(set(failures))} ({len(failures)})")
    return found


def _warm(port: int, headers: dict[str, str]) -> None:
    """Both workers booted and each path asked once (imports, caches), unmeasured."""
    for path in (PROBE, HEAVY) * 4:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        _get(connection, path, headers)
        connection.close()


def _summary(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return (
        f"n {len(ordered):4d}  p50 {statistics.median(ordered):7.0f}  p99 {p99:7.0f}"
        f"  max {ordered[-1]:7.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-tree", type=Path, help="a checkout of main to compare with")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--heavy", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    seconds, rounds = min(args.seconds, 60.0), max(1, min(args.rounds, 5))
    trees = {"new": ROOT}
    if args.baseline_tree:
        trees = {"main": args.baseline_tree.resolve(), **trees}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'load.sqlite3'}"
        seed_weekly(url)
        headers = {"Authorization": f"Bearer {_token(url)}"}
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "PUFA_INSTANCE_DIR": tmp,
            "PUFA_LOG_LEVEL": "WARNING",
        }
        servers = {
            side: _serve(tree, 18091 + n, env) for n, (side, tree) in enumerate(trees.items())
        }
        try:
            print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
            for n, side in enumerate(trees):
                _warm(18091 + n, headers)
                quiet = phase(18091 + n, headers, 0, 3.0)["probe"]
                print(f"{side:4} probe alone             {_summary(quiet)}")
            for round_ in range(rounds):
                for n, side in enumerate(trees):
                    found = phase(18091 + n, headers, args.heavy, seconds)
                    label = f"round {round_ + 1} {side:4}"
                    print(f"{label} {args.heavy} heavy pages  {_summary(found['heavy'])}")
                    print(f"{label} probe meanwhile {_summary(found['probe'])}")
            print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        finally:
            for server in servers.values():
                server.terminate()
            for server in servers.values():
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
