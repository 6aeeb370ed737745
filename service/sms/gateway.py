"""The one interface every SMS backend implements (see healthchecks' ``Transport``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class SendResult:
    provider_sid: str
    status: str  # the provider's first word on it: queued, accepted, sent, …


class SmsError(Exception):
    """A send failed. ``permanent`` says whether trying again could ever help."""

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        permanent: bool,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class Gateway(Protocol):
    def send(self, to: str, body: str, status_callback: str | None) -> SendResult:
        """Hand one message to the provider; raise SmsError when it is refused."""
        ...

    def find(self, to: str, body: str, since: datetime) -> list[SendResult]:
        """The messages to ``to`` with this ``body`` the provider took at or after
        ``since``, oldest first; empty when it has none (then it was never sent).
        Raises SmsError when the provider cannot be asked (it is down, or the backend
        keeps no history)."""
        ...
