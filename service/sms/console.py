"""The console backend: the default for local runs. It logs and records, sends nothing."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from ..logs import mask_phone
from .gateway import SendResult, SmsError
from .texts import count_segments

log = logging.getLogger("pufa.sms.console")


@dataclass(frozen=True)
class ConsoleMessage:
    sid: str
    to: str
    body: str
    status_callback: str | None
    segments: int


class ConsoleGateway:
    """Accepts every message, logs it (number masked) and keeps the latest in ``outbox``."""

    def __init__(self, *, keep: int = 1000) -> None:
        # Bounded: a development process may run for weeks.
        self.outbox: deque[ConsoleMessage] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def send(self, to: str, body: str, status_callback: str | None) -> SendResult:
        message = ConsoleMessage(
            sid=f"CONSOLE-{uuid.uuid4().hex}",
            to=to,
            body=body,
            status_callback=status_callback,
            segments=count_segments(body),
        )
        with self._lock:
            self.outbox.append(message)
        log.info(
            "sms not sent (console backend)",
            extra={
                "to": mask_phone(to),
                "sid": message.sid,
                "segments": message.segments,
                "body": body,
            },
        )
        # Nothing will ever report on it, so "sent" is the last word.
        return SendResult(provider_sid=message.sid, status="sent")

    def find(self, to: str, body: str, since: datetime) -> list[SendResult]:
        """Cannot say: the outbox lives in one process's memory, and a crash (the reason
        for asking) took it away. "Not found" here would resend blindly."""
        raise SmsError("lookup_unsupported", "the console backend keeps no history", permanent=True)
