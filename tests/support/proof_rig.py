"""The pieces the proofs run on, all on 127.0.0.1: the fake Twilio server
(``tests/support/fake_twilio.py``) delivering its signed status callbacks, and the real
Pufa web app under gunicorn to receive them. Their database comes from
``tests/support/database.py``."""

from __future__ import annotations

import heapq
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support import ROOT
from tests.support.fake_twilio import FakeTwilio, post_to_loopback


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
    """Delivers the fake's status callbacks to the app, each after a random delay (Twilio
    reports late, and not in order), from a few threads; counts the app's HTTP answers.
    Delays longer than the reconcile grace make some crashed sends settle by lookup."""

    def __init__(
        self,
        fake: FakeTwilio,
        *,
        delay: tuple[float, float] = (0.1, 0.5),
        threads: int = 4,
        seed: int = 0,
    ) -> None:
        self.fake, self.delay = fake, delay
        self.answers: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._due: list[tuple[float, int, str, dict[str, str], dict[str, str]]] = []
        self._queued = itertools.count()
        self._ready = threading.Condition()
        self._stop = threading.Event()
        fake.sender = self._schedule
        self._threads = [threading.Thread(target=self._collect, daemon=True)]
        self._threads += [
            threading.Thread(target=self._deliver, daemon=True) for _ in range(threads)
        ]

    def _schedule(self, url: str, params: dict[str, str], headers: dict[str, str]) -> int:
        with self._ready:
            when = time.monotonic() + self._rng.uniform(*self.delay)
            heapq.heappush(self._due, (when, next(self._queued), url, params, headers))
            self._ready.notify()
        return 202  # queued here; the app's answer is counted when it is sent

    def _collect(self) -> None:
        while not self._stop.wait(0.05):
            self.fake.flush_callbacks()

    def _deliver(self) -> None:
        while True:
            with self._ready:
                while not self._due or self._due[0][0] > time.monotonic():
                    if self._stop.is_set() and not self._due:
                        return
                    wait = self._due[0][0] - time.monotonic() if self._due else 0.1
                    self._ready.wait(max(0.0, min(wait, 0.1)))
                _when, _n, url, params, headers = heapq.heappop(self._due)
            try:
                answer = str(post_to_loopback(url, params, headers))
            except OSError as error:
                answer = type(error).__name__
            with self._ready:
                self.answers[answer] += 1

    def __enter__(self) -> CallbackPump:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.fake.flush_callbacks()  # the last ones, then wait for every delay to pass
        self._stop.set()
        with self._ready:
            self._ready.notify_all()
        for thread in self._threads:
            thread.join(timeout=self.delay[1] + 30)
