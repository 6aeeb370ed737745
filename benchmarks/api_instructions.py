"""Instructions, CPU time and database round trips per GET /api/v1/schedules, in-process.

    .venv/bin/python benchmarks/api_instructions.py [--requests 300] [--pg SERVER_URL]
        [--baseline /path/to/another/checkout]

Not a test. The HTTP benchmark (api_throughput.py) measures time, which on a shared VM
varies with what else runs; an instruction count does not, so two checkouts can be
compared one change at a time. Each app answers the list through its WSGI callable
in-process (no gunicorn, no sockets) on the demo data, with the benchmark's admin token;
only the requests are counted by callgrind (inside ``math.fsum``, which drives them),
not start-up. The database server's own work is not in the count: the round trips to it
(statements and pool pings) are printed beside it. ``--baseline`` runs the same on
another checkout (e.g. main's worktree) against the same database. Needs valgrind.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
PG_NAME = "pufa_benchmark_instructions"
PATHS = {"pufa": "/api/v1/schedules", "bare": "/bare"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pg", metavar="SERVER_URL", help="PostgreSQL server (as api_throughput)")
    parser.add_argument("--pg-name", default=PG_NAME, help="the scratch database's name")
    parser.add_argument("--baseline", metavar="CHECKOUT", help="also count this checkout's code")
    parser.add_argument("--serve", choices=tuple(PATHS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--count", choices=("instructions", "time"), help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.serve:
        serve(opts.serve, opts.url, opts.token, opts.requests, opts.count)
        return
    sys.path.insert(0, str(ROOT))
    from benchmarks.api_throughput import drop_database, prepare_database
    from benchmarks.feed_304_instructions import instructions_in_fsum

    checkouts = {"this checkout": ROOT}
    if opts.baseline:
        checkouts["baseline"] = Path(opts.baseline).resolve()
    with tempfile.TemporaryDirectory(prefix="pufa-api-ir-") as tmp:
        url, token = prepare_database(Path(tmp), opts.pg, opts.pg_name)
        try:
            print(f"{url.split(':')[0]}; {opts.requests} requests, after a warm-up")
            sides = [("bare Flask GET /bare", "bare", ROOT)]
            sides += [
                (f"GET /api/v1/schedules, {name}", "pufa", root) for name, root in checkouts.items()
            ]
            for label, app, root in sides:
                args = [__file__, "--serve", app, "--url", url, "--token", token]
                args += ["--requests", str(opts.requests)]
                count = instructions_in_fsum([*args, "--count", "instructions"], cwd=root)
                timed = _run([*args, "--count", "time"], cwd=root)
                print(f"{label:42s} {count / opts.requests:12,.0f} instructions  {timed}")
        finally:
            if opts.pg:
                drop_database(opts.pg, opts.pg_name)


def _run(args: list[str], cwd: Path) -> str:
    import subprocess

    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=True, cwd=cwd
    )
    return done.stdout.strip()


def serve(app_name: str, url: str, token: str, requests: int, count: str) -> None:
    """Runs in the checkout measured (its cwd): set up, warm up, then ``requests`` calls,
    inside math.fsum (for callgrind) or timed."""
    sys.path.insert(0, os.getcwd())
    sys.path.insert(1, str(ROOT))  # the bare app, when the checkout measured has none
    os.environ.update({"DATABASE_URL": url, "PUFA_LOG_LEVEL": "WARNING"})
    answer: dict[str, Any] = {}
    app: Flask

    def start_response(status: str, headers: list[tuple[str, str]], _exc: Any = None) -> None:
        answer.update(status=status, headers=dict(headers))

    respond = cast("StartResponse", start_response)  # once: call() is what is counted
    environ_base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": PATHS[app_name],
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }

    def call() -> int:
        return len(b"".join(app(dict(environ_base, **{"wsgi.input": io.BytesIO()}), respond)))

    round_trips = [0]
    if app_name == "pufa":
        from sqlalchemy import event

        from service.app import create_app

        app = create_app()
        engine = app.extensions["pufa"].db.engine
        event.listen(engine, "before_cursor_execute", lambda *_: _add(round_trips))
        ping = engine.dialect.do_ping  # the pool's pre-ping, which no event reports

        def counted_ping(connection: Any) -> bool:
            _add(round_trips)
            return bool(ping(connection))

        engine.dialect.do_ping = counted_ping
    else:
        from benchmarks.bare_app import app
    for _ in range(200):
        call()
    assert answer["status"].startswith("200"), answer["status"]
    if count == "instructions":
        math.fsum(call() for _ in range(requests))
        return
    round_trips[0] = 0
    started = time.process_time()
    for _ in range(requests):
        call()
    cpu_us = (time.process_time() - started) / requests * 1e6
    trips = ""
    if app_name == "pufa":  # on SQLite: calls into the library, no round trips
        trips = f"; {round_trips[0] / requests:.1f} statements and pings"
    print(f"{cpu_us:6.0f} µs CPU{trips}")


def _add(counter: list[int]) -> None:
    counter[0] += 1


if __name__ == "__main__":
    main()
