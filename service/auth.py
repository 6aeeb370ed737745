"""Bearer-token authentication for the admin API (roles ``admin`` and ``viewer``).

Failed attempts are counted per remote address in a moving window (the ``limits``
library, in process memory); an address over the limit is answered 429 with
Retry-After until the window has room again, whatever token it sends. Each web
process counts on its own, which is enough to make guessing tokens slow.
"""

from __future__ import annotations

import logging
import math
import time

from flask import current_app, g, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from .context import db_session
from .errors import TooManyRequests, Unauthorized
from .tokens import find_api_token, note_use

log = logging.getLogger("pufa.auth")
FAILED_AUTH_LIMIT = "10/minute"


class FailedAuthThrottle:
    """Counts failed authentications per address (one per app)."""

    def __init__(self, limit: str = FAILED_AUTH_LIMIT) -> None:
        self.item: RateLimitItem = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None when it may now."""
        if self.limiter.test(self.item, "auth", address):
            return None
        reset_at = self.limiter.get_window_stats(self.item, "auth", address).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def failed(self, address: str) -> None:
        self.limiter.hit(self.item, "auth", address)


def _throttle() -> FailedAuthThrottle:
    throttle: FailedAuthThrottle = current_app.extensions["pufa_auth_throttle"]
    return throttle


def authenticate() -> str:
    """Check the request's token; set ``g.actor`` and ``g.role``; return the role."""
    address = request.remote_addr or "unknown"
    throttle = _throttle()
    wait = throttle.retry_after(address)
    if wait is not None:
        log.warning("authentication throttled", extra={"remote_addr": address, "retry_after": wait})
        raise TooManyRequests(
            f"Too many failed attempts from this address; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    header = request.headers.get("Authorization", "")
    scheme, _, plaintext = header.partition(" ")
    if scheme.lower() != "bearer" or not plaintext.strip():
        throttle.failed(address)
        log.warning("authentication failed: no token", extra={"remote_addr": address})
        raise Unauthorized(
            "An API token is required: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    session = db_session()
    caller = find_api_token(session, plaintext.strip())
    if caller is None:
        throttle.failed(address)
        log.warning(
            "authentication failed: unknown or revoked token", extra={"remote_addr": address}
        )
        raise Unauthorized(
            "The API token is unknown or revoked.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    note_use(session, caller)
    g.actor, g.role = caller.name, caller.role
    return caller.role
