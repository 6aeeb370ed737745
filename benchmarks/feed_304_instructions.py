"""Instructions per 304 feed poll, Pufa and the bare yardstick, counted by callgrind.

    .venv/bin/python benchmarks/feed_304_instructions.py [--requests 300]

Not a test. The HTTP benchmark (feed_bench.py) measures time, which on a shared VM
varies widely between runs; an instruction count does not, so two checkouts can be
compared one change at a time. Each app answers If-None-Match polls through its WSGI
callable in-process (no gunicorn, no sockets) on the demo database; only the polls are
counted (callgrind collects inside ``math.fsum``, which drives them), not start-up.
System calls (the log line's write) are not instructions of the process and not counted.
Needs valgrind.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-key-0123456789-abcdefgh"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--poll", choices=("pufa", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.poll:
        poll(opts.poll, Path(opts.dir), opts.requests)
        return
    with tempfile.TemporaryDirectory(prefix="pufa-ir-") as tmp:
        sys.path.insert(0, str(ROOT))
        from benchmarks.feed_bench import demo_database

        directory = Path(tmp)
        _url, token, _person = demo_database(directory)
        (directory / "token").write_text(token)
        for app in ("pufa", "bare"):  # pufa first: it writes the feed the bare app serves
            count = callgrind(app, directory, opts.requests)
            print(f"{app}: {count / opts.requests:,.0f} instructions per 304")


def callgrind(app: str, directory: Path, requests: int) -> int:
    args = [__file__, "--poll", app, "--dir", str(directory), "--requests", str(requests)]
    return instructions_in_fsum(args)


def instructions_in_fsum(
    args: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT
) -> int:
    """Instructions a Python script (``args``) runs inside ``math.fsum``, by callgrind:
    the script does its setting up outside, and the work to count inside, a call."""
    command = ["valgrind", "--tool=callgrind", "--collect-atstart=no"]
    command += ["--toggle-collect=math_fsum", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=cwd, env=env)
    found = re.search(r"Collected : ([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(done.stderr[-2000:])
    return int(found.group(1).replace(",", ""))


def poll(app_name: str, directory: Path, requests: int) -> None:
    """Runs under callgrind: set up, warm up, then ``requests`` polls inside math.fsum."""
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        {
            "PUFA_ENV": "production",
            "SECRET_KEY": SECRET,
            "PUBLIC_BASE_URL": "https://pufa.example.test",
            "PUFA_INSTANCE_DIR": str(directory),
            "PUFA_LOG_LEVEL": "INFO",
            "DATABASE_URL": f"sqlite:///{directory / 'demo.sqlite3'}",
            "FEED_BARE_FILE": str(directory / "feed.ics"),
        }
    )
    path = f"/calendar/{(directory / 'token').read_text()}.ics"
    answer: dict[str, Any] = {}
    app: Flask

    def start_response(status: str, headers: list[tuple[str, str]], _exc: Any = None) -> None:
        answer.update(status=status, headers=dict(headers))

    respond = cast("StartResponse", start_response)  # once: call() is what is counted

    def call(extra: dict[str, str]) -> bytes:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            **extra,
        }
        return b"".join(app.wsgi_app(environ, respond))

    if app_name == "pufa":
        import logging

        from service.app import create_app

        app = create_app()
        handler = logging.getLogger().handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
        (directory / "feed.ics").write_bytes(call({}))
    else:
        from benchmarks.feed_bare import app
    call({})
    conditional = {"HTTP_IF_NONE_MATCH": answer["headers"]["ETag"]}
    for _ in range(200):
        call(conditional)
    assert answer["status"].startswith("304"), answer["status"]
    math.fsum(len(call(conditional)) for _ in range(requests))


if __name__ == "__main__":
    main()
