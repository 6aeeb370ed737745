"""A loopback SMS provider with latency and fault injection, and an HTTP gateway for it.

Used by the guarantee tests, the proof scripts and the benchmarks. It listens on
127.0.0.1 only. Each accepted message is recorded with its arrival time and the delivery
id from its status-callback URL, so duplicates and lateness are counted where they
matter: at the provider.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from service.sms.gateway import SendResult, SmsError


@dataclass(frozen=True)
class Faults:
    server_error: float = 0.0  # 500, nothing accepted
    throttle: float = 0.0  # 429 with Retry-After, nothing accepted
    timeout: float = 0.0  # accepted, but the answer comes after the client gave up


@dataclass(frozen=True)
class Received:
    at: float  # time.time() when the request arrived (before the simulated latency)
    delivery_id: int
    sid: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # dozens of senders connect at once


class LoopbackProvider:
    def __init__(
        self,
        *,
        latency: float = 0.1,
        faults: Faults = Faults(),
        seed: int = 0,
        hold_on_timeout: float = 2.0,
        callback_delay: tuple[float, float] = (0.2, 0.2),
        on_accept: Callable[[int, str], None] | None = None,
    ) -> None:
        self.latency, self.faults = latency, faults
        self.hold_on_timeout, self.callback_delay = hold_on_timeout, callback_delay
        self.on_accept = on_accept
        self.received: list[Received] = []
        self.faults_sent: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LoopbackProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def counts(self) -> Counter[int]:
        with self._lock:
            return Counter(r.delivery_id for r in self.received)

    def _accept(self, delivery_id: int, arrived_at: float) -> str:
        with self._lock:
            sid = f"SM{len(self.received) + 1:032x}"
            self.received.append(Received(arrived_at, delivery_id, sid))
        if self.on_accept is not None:
            with self._lock:
                delay = self._rng.uniform(*self.callback_delay)
            timer = threading.Timer(delay, self.on_accept, (delivery_id, sid))
            timer.daemon = True
            timer.start()
        return sid

    def _fault(self) -> str:
        with self._lock:
            draw = self._rng.random()
        f = self.faults
        for name, share in (("500", f.server_error), ("429", f.throttle), ("timeout", f.timeout)):
            if draw < share:
                self.faults_sent[name] += 1
                return name
            draw -= share
        return ""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes; with Nagle on, delayed ACKs would
            # add 40 ms to every keep-alive request.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                with provider._lock:
                    rows = [[r.at, r.delivery_id] for r in provider.received]
                self._answer(200, {"received": rows})

            def do_POST(self) -> None:
                arrived_at = time.time()  # the request line and headers are in
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                callback = form.get("StatusCallback", [""])[0]
                delivery = parse_qs(urlparse(callback).query).get("delivery", ["0"])[0]
                time.sleep(provider.latency)
                fault = provider._fault()
                if fault in ("500", "429"):
                    self._answer(int(fault), {"code": int(fault)}, retry_after=fault == "429")
                    return
                sid = provider._accept(int(delivery), arrived_at)
                if fault == "timeout":
                    time.sleep(provider.hold_on_timeout)
                self._answer(201, {"sid": sid, "status": "queued"})

            def _answer(
                self, status: int, body: dict[str, object], retry_after: bool = False
            ) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if retry_after:
                    self.send_header("Retry-After", "1")
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)  # fails if the client timed out and left

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


class HttpGateway:
    """The ``Gateway`` protocol over HTTP to a ``LoopbackProvider``: one keep-alive
    connection per sending thread, as the real Twilio client pools its connections."""

    def __init__(self, url: str, *, timeout: float = 1.0) -> None:
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            connection.connect()
            assert connection.sock is not None
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.connection = connection
        return connection

    def send(self, to: str, body: str, status_callback: str | None) -> SendResult:
        data = urlencode({"To": to, "Body": body, "StatusCallback": status_callback or ""})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        try:
            connection = self._connection()
            connection.request("POST", "/messages", body=data, headers=headers)
            response = connection.getresponse()
            payload = json.loads(response.read() or b"{}")
        except TimeoutError:
            self._drop(connection)
            raise SmsError("read_timeout", "no answer in time", permanent=False) from None
        except (OSError, http.client.HTTPException) as error:
            self._drop(None)
            raise SmsError("connection", type(error).__name__, permanent=False) from None
        if response.status == 429:
            after = float(response.getheader("Retry-After") or 1)
            raise SmsError("429", "throttled", permanent=False, retry_after=after)
        if response.status >= 400:
            status = response.status
            raise SmsError(str(status), "provider error", permanent=status < 500)
        return SendResult(str(payload["sid"]), str(payload["status"]))

    def find(self, to: str, body: str, since: object) -> list[SendResult]:
        """The loopback provider keeps no searchable history: it cannot be asked."""
        raise SmsError("lookup_unsupported", "loopback provider", permanent=True)

    def _drop(self, _connection: object) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
        self._local.connection = None


class RemoteProvider:
    """A ``LoopbackProvider`` in its own process, so its threads do not compete with the
    dispatcher's for one interpreter lock (as a real provider would not)."""

    def __init__(self, latency: float) -> None:
        command = [sys.executable, "-m", "benchmarks.loopback", "--latency", str(latency)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()

    def received(self) -> list[tuple[float, int]]:
        with urllib.request.urlopen(self.url + "/received", timeout=30) as response:
            return [(float(at), int(d)) for at, d in json.load(response)["received"]]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a loopback SMS provider.")
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    provider = LoopbackProvider(latency=args.latency).start()
    print(provider.url, flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    provider.stop()


if __name__ == "__main__":
    main()
