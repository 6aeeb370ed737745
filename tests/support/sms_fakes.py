"""Fake SMS gateways that keep an outbox, for dispatcher and clock tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from service.sms.gateway import SendResult, SmsError


@dataclass
class Sent:
    to: str
    body: str
    status_callback: str | None
    sid: str

    @property
    def delivery_id(self) -> int:
        assert self.status_callback is not None
        return int(self.status_callback.rsplit("=", 1)[1])


@dataclass
class RecordingGateway:
    """Accepts every message (keeping it in ``outbox``) unless told to raise errors first.

    ``errors`` are raised in order, one per send; a timeout error is raised *after* the
    message is recorded, as a real provider may accept it and answer too late.
    ``find`` looks in the outbox (times are not kept) or raises ``lookup_error``.
    """

    errors: list[SmsError] = field(default_factory=list)
    lookup_error: SmsError | None = None
    outbox: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, to: str, body: str, status_callback: str | None) -> SendResult:
        with self._lock:
            error = self.errors.pop(0) if self.errors else None
            if error is not None and error.code != "timeout":
                raise error
            sent = Sent(to, body, status_callback, f"SM{len(self.outbox) + 1:032d}")
            self.outbox.append(sent)
        if error is not None:
            raise error
        return SendResult(sent.sid, "queued")

    def find(self, to: str, body: str, since: datetime) -> list[SendResult]:
        if self.lookup_error is not None:
            raise self.lookup_error
        with self._lock:
            return [SendResult(s.sid, "sent") for s in self.outbox if (s.to, s.body) == (to, body)]
