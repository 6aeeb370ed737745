"""A fake Twilio Messages API: a real HTTP server on 127.0.0.1 that the real ``twilio``
client talks to, with an outbox, signed status callbacks and injected faults.

In a test (the ``fake_twilio`` fixture below starts one and stops it at teardown)::

    gateway = TwilioGateway(account_sid=fake.account_sid, auth_token=fake.auth_token,
                            from_number="+15005550006", api_base_url=fake.base_url)
    fake.script("429", "ok", "timeout", "21610")  # the next four sends, in order
    fake.rates(error_rate=0.1, timeout_rate=0.05, latency=(0.0, 0.05))  # then at random
    fake.opted_out.add("+8613800000001")          # this number always answers 21610
    fake.outbox                                   # accepted messages, oldest first
    fake.callback(sid, "delivered")               # signed callback to its StatusCallback
    fake.auto_statuses = ("sent", "delivered")    # queue these for every accepted message
    fake.flush_callbacks()                        # ... and deliver them now
    fake.inbound(url, "+8613800000001", "STOP")   # a signed inbound SMS to the app

Callbacks go through ``fake.sender(url, params, headers) -> http status``: by default
an HTTP POST that refuses any non-loopback host; tests plug in a Flask test client.

Faults (``script`` entries; ``--script`` on the command line):

| entry | answer |
|---|---|
| ``ok`` | 201, the message accepted |
| ``429`` | 429, code 20429, ``Retry-After: <fake.retry_after>`` |
| ``500``, ``502``, ``503`` | that status, code 20500 / 20503 |
| ``timeout`` | no answer for ``hang_seconds`` (longer than the client's timeout), then close |
| ``accept-timeout`` | accepted (outbox, callbacks) but answered too late: the ambiguous case |
| ``drop`` | the connection closed with no answer |
| a Twilio code (``21211``, ``21610``, ``21614``, ``20003`` …) | 400 (20003: 401), that code |

Standalone (for chaos tests run from a subprocess)::

    python -m tests.fake_twilio --port 8765 --error-rate 0.1 --timeout-rate 0.05 \\
        --latency 0-0.2 --seed 1 --auto-callbacks sent,delivered --callback-delay 0.5

prints one JSON line (``base_url``, ``account_sid``, ``auth_token``) and serves until
SIGINT/SIGTERM, delivering callbacks itself. Control endpoints (no auth, loopback only):
``GET /_fake/outbox``, ``POST /_fake/script`` (JSON list), ``POST /_fake/rates`` (JSON
object: the ``rates`` arguments), ``GET /2010-04-01/Accounts/AC…/Messages.json`` (the
list API: To, From, DateSent> …, paged), ``POST /_fake/callback``
(``{"sid", "status", "error_code"}``), ``POST /_fake/flush``, ``POST /_fake/reset``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import signal
import sys
import threading
import urllib.parse
import urllib.request
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import ThreadingHTTPServer
from typing import Any

from twilio.request_validator import RequestValidator

from tests.support.fake_twilio_http import Handler

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
Sender = Callable[[str, dict[str, str], dict[str, str]], int]
_MESSAGES = 10_000  # the outbox is bounded: a chaos run may send for hours
_RANDOM_FAULTS = (
    ("timeout_rate", ("timeout",)),
    ("accept_timeout_rate", ("accept-timeout",)),
    ("permanent_rate", ("21211",)),
    ("error_rate", ("429", "500", "503")),
    ("server_error_rate", ("500", "503")),
    ("throttle_rate", ("429",)),
)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # two clock processes with a dozen senders each
    fake: FakeTwilio

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-request (the chaos proof does that on purpose) is no news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class FakeMessage:
    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    status: str
    date_created: str
    sent_at: datetime | None = None  # what the list API filters DateSent on
    error_code: int | None = None
    statuses: list[str] = field(default_factory=list)  # callbacks sent, in order

    @property
    def date_sent(self) -> str | None:
        return None if self.sent_at is None else format_datetime(self.sent_at, usegmt=True)

    @property
    def delivery_id(self) -> int | None:
        """The ``delivery`` query parameter of the StatusCallback Pufa gave it."""
        query = urllib.parse.urlsplit(self.status_callback or "").query
        raw = urllib.parse.parse_qs(query).get("delivery", [""])[-1]
        return int(raw) if raw.isdigit() else None


@dataclass(frozen=True)
class Callback:
    url: str
    params: dict[str, str]
    signature: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Twilio-Signature": self.signature}


class FakeTwilio:
    def __init__(
        self,
        *,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        seed: int = 0,
        port: int = 0,
        hang_seconds: float = 2.0,
        retry_after: int = 1,
        sender: Sender | None = None,
    ) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.hang_seconds, self.retry_after = hang_seconds, retry_after
        self.sender: Sender = sender or post_to_loopback
        self.auto_statuses: tuple[str, ...] = ()
        # Hold accepted messages queued (no DateSent), as Twilio does under load.
        self.hold_queued = False
        self.opted_out: set[str] = set()
        self.landlines: set[str] = set()
        self.requests = 0  # every Messages API call, answered or not
        self.lookup_fault = ""  # a fault (``500``, ``timeout`` …) for every list request
        # When messages are stamped sent; tests that control time replace it.
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.stopping = threading.Event()
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self._script: deque[str] = deque()
        self._rates: dict[str, Any] = {}
        self._messages: OrderedDict[str, FakeMessage] = OrderedDict()
        self._pending: deque[Callback] = deque(maxlen=_MESSAGES)
        self._server = _Server(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # lifecycle
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeTwilio:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases hanging handlers at once
        if self._thread.is_alive():  # shutdown() waits for serve_forever: never started, never ends
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # faults
    def script(self, *entries: str | int) -> None:
        with self.lock:
            self._script.extend(str(entry) for entry in entries)

    def rates(
        self,
        *,
        error_rate: float = 0.0,
        timeout_rate: float = 0.0,
        permanent_rate: float = 0.0,
        server_error_rate: float = 0.0,
        throttle_rate: float = 0.0,
        accept_timeout_rate: float = 0.0,
        latency: float | tuple[float, float] = 0.0,
    ) -> None:
        """Random faults per send. ``error_rate``: 429, 500 or 503 alike;
        ``server_error_rate``: 500 or 503; ``throttle_rate``: 429; ``timeout_rate``: no
        answer, nothing accepted; ``accept_timeout_rate``: accepted, answered too late."""
        with self.lock:
            self._rates = {
                "error_rate": error_rate,
                "timeout_rate": timeout_rate,
                "permanent_rate": permanent_rate,
                "server_error_rate": server_error_rate,
                "throttle_rate": throttle_rate,
                "accept_timeout_rate": accept_timeout_rate,
                "latency": latency,
            }

    def reset(self) -> None:
        with self.lock:
            self._script.clear()
            self._rates = {}
            self._messages.clear()
            self._pending.clear()
            self.opted_out.clear()
            self.landlines.clear()
            self.requests = 0
            self.lookup_fault = ""

    def next_fault(self, to: str) -> tuple[str, float]:
        """What to answer the next send with, and how long to wait first."""
        with self.lock:
            self.requests += 1
            latency = self._rates.get("latency", 0.0)
            if isinstance(latency, (tuple, list)):
                latency = self._rng.uniform(*latency)
            if self._script:
                return self._script.popleft(), float(latency)
            if to in self.opted_out:
                return "21610", float(latency)
            if to in self.landlines:
                return "21614", float(latency)
            roll = self._rng.random()
            for kind, faults in _RANDOM_FAULTS:
                if roll < self._rates.get(kind, 0.0):
                    return self._rng.choice(faults), float(latency)
                roll -= self._rates.get(kind, 0.0)
            return "ok", float(latency)

    # messages
    @property
    def outbox(self) -> list[FakeMessage]:
        with self.lock:
            return list(self._messages.values())

    def message(self, sid: str) -> FakeMessage | None:
        with self.lock:
            return self._messages.get(sid)

    def accept(self, fields: dict[str, str]) -> FakeMessage:
        with self.lock:
            now = self.clock().astimezone(UTC)
            sid = "SM" + f"{self._rng.getrandbits(128):032x}"
            service = fields.get("MessagingServiceSid") or None
            message = FakeMessage(
                sid=sid,
                to=fields["To"],
                from_=fields.get("From") or None,
                messaging_service_sid=service,
                body=fields["Body"],
                status_callback=fields.get("StatusCallback") or None,
                status="accepted" if service else "queued",
                date_created=format_datetime(now, usegmt=True),
                # A fake sends at once unless told to hold messages queued; Twilio stamps
                # DateSent only when it hands a message on.
                sent_at=None if self.hold_queued else now,
            )
            self._messages[sid] = message
            while len(self._messages) > _MESSAGES:
                self._messages.popitem(last=False)
            for status in self.auto_statuses:
                prepared = self._prepare(message, status, None)
                if prepared is not None:
                    self._pending.append(prepared)
        return message

    # callbacks
    def signed(self, url: str, params: dict[str, str]) -> Callback:
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        return Callback(url, params, signature)

    def callback(self, sid: str, status: str, error_code: int | str | None = None) -> int:
        """Send one signed status callback for a message now; the app's HTTP status."""
        with self.lock:
            message = self._messages[sid]
            prepared = self._prepare(message, status, error_code)
        if prepared is None:
            raise ValueError(f"message {sid} has no StatusCallback")
        return self.sender(prepared.url, prepared.params, prepared.headers)

    def flush_callbacks(self) -> list[int]:
        """Deliver every queued automatic callback, oldest first."""
        statuses: list[int] = []
        while True:
            with self.lock:
                if not self._pending:
                    return statuses
                prepared = self._pending.popleft()
            statuses.append(self.sender(prepared.url, prepared.params, prepared.headers))

    def inbound(self, url: str, from_: str, body: str, to: str = "+15005550006") -> int:
        params = {
            "MessageSid": "SM" + f"{self._rng.getrandbits(128):032x}",
            "AccountSid": self.account_sid,
            "From": from_,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            "ApiVersion": "2010-04-01",
        }
        prepared = self.signed(url, params)
        return self.sender(prepared.url, prepared.params, prepared.headers)

    def _prepare(
        self, message: FakeMessage, status: str, error_code: int | str | None
    ) -> Callback | None:
        message.status = status
        message.statuses.append(status)
        if error_code is not None:
            message.error_code = int(error_code)
        if not message.status_callback:
            return None
        params = {
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "AccountSid": self.account_sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message.to,
            "ApiVersion": "2010-04-01",
        }
        if message.from_:
            params["From"] = message.from_
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self.signed(message.status_callback, params)

    def snapshot(self) -> list[dict[str, Any]]:
        return [{**asdict(m), "sent_at": m.date_sent} for m in self.outbox]


def post_to_loopback(url: str, params: dict[str, str], headers: dict[str, str]) -> int:
    """The default callback sender: a form POST, to loopback addresses only."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the fake only calls back to loopback, not {host!r}")
    data = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Twilio Messages API on loopback.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--account-sid", default=ACCOUNT_SID)
    parser.add_argument("--auth-token", default=AUTH_TOKEN)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--timeout-rate", type=float, default=0.0)
    parser.add_argument("--permanent-rate", type=float, default=0.0)
    parser.add_argument("--server-error-rate", type=float, default=0.0)
    parser.add_argument("--throttle-rate", type=float, default=0.0)
    parser.add_argument("--accept-timeout-rate", type=float, default=0.0)
    parser.add_argument("--latency", default="0", help="seconds, or a range like 0-0.2")
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    parser.add_argument("--script", default="", help="comma-separated faults for the first sends")
    parser.add_argument("--auto-callbacks", default="", help="e.g. sent,delivered")
    parser.add_argument("--callback-delay", type=float, default=0.5)
    args = parser.parse_args(argv)
    low, _, high = args.latency.partition("-")
    latency: float | tuple[float, float] = (float(low), float(high)) if high else float(low)
    fake = FakeTwilio(
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        seed=args.seed,
        port=args.port,
        hang_seconds=args.hang_seconds,
    )
    fake.rates(
        error_rate=args.error_rate,
        timeout_rate=args.timeout_rate,
        permanent_rate=args.permanent_rate,
        server_error_rate=args.server_error_rate,
        throttle_rate=args.throttle_rate,
        accept_timeout_rate=args.accept_timeout_rate,
        latency=latency,
    )
    fake.script(*[entry for entry in args.script.split(",") if entry])
    fake.auto_statuses = tuple(s for s in args.auto_callbacks.split(",") if s)
    signal.signal(signal.SIGTERM, lambda *_: fake.stopping.set())
    signal.signal(signal.SIGINT, lambda *_: fake.stopping.set())
    fake.start()
    info = {"base_url": fake.base_url, "account_sid": fake.account_sid}
    print(json.dumps({**info, "auth_token": fake.auth_token}), flush=True)
    while not fake.stopping.wait(args.callback_delay):
        try:
            fake.flush_callbacks()
        except (OSError, ValueError) as error:  # the app may be down in a chaos run
            print(json.dumps({"callback_error": str(error)}), flush=True)
    fake.stop()


if __name__ == "__main__":
    main()
