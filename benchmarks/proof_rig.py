"""The pieces the proofs run on, all on 127.0.0.1: a migrated throw-away database, the
fake Twilio server (``tests/fake_twilio.py``) delivering its signed status callbacks,
and the real Pufa web app under gunicorn to receive them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from service import migrate
from tests.fake_twilio import FakeTwilio, post_to_loopback

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get(
    "PUFA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A migrated, empty database that is dropped afterwards."""
    if kind == "postgresql":
        name = f"pufa_proof_{uuid.uuid4().hex[:8]}"
        server = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
        try:
            migrate.upgrade(url)
            yield url
        finally:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            server.dispose()
    else:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/proof.sqlite3"
            migrate.upgrade(url)
            yield url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def web_app(database_url: str, auth_token: str) -> Iterator[str]:
    """The real app (``service.wsgi``) under gunicorn on a loopback port; yields its
    base URL, which is also its PUBLIC_BASE_URL, so Twilio signatures validate."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as instance:
        env = {
            **os.environ,
            "PUFA_ENV": "test",
            "PUFA_INSTANCE_DIR": instance,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "proof-" + "x" * 40,
            "PUBLIC_BASE_URL": base_url,
            "TWILIO_AUTH_TOKEN": auth_token,
            "PUFA_LOG_LEVEL": "ERROR",
        }
        command = [sys.executable, "-m", "gunicorn", "service.wsgi:app", "--bind"]
        command += [f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"]
        command += ["--log-level", "error"]
        process = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            _wait_for(base_url + "/healthz", process)
            yield base_url
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web app exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the web app did not answer on {url}")


class CallbackPump:
    """Delivers the fake's queued status callbacks every ``every`` seconds from a few
    threads (Twilio calls back in parallel) and counts the app's HTTP answers."""

    def __init__(self, fake: FakeTwilio, *, threads: int = 4, every: float = 0.2) -> None:
        self.fake, self.every = fake, every
        self.answers: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        fake.sender = self._send
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _send(self, url: str, params: dict[str, str], headers: dict[str, str]) -> int:
        try:
            status = post_to_loopback(url, params, headers)
        except OSError as error:
            status, name = 0, type(error).__name__
            with self._lock:
                self.answers[name] += 1
            return status
        with self._lock:
            self.answers[str(status)] += 1
        return status

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.fake.flush_callbacks()

    def __enter__(self) -> CallbackPump:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self.fake.flush_callbacks()  # the last ones
