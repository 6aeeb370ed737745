"""Bearer-token authentication for the admin API (roles ``admin`` and ``viewer``).

Failed attempts are counted per remote address by ``service.throttle`` (in the database,
shared by every web process and box); an address over the limit is answered 429 with
Retry-After until its window ends, whatever token it sends.
"""

from __future__ import annotations

import logging

from flask import current_app, g, request
from sqlalchemy import select

from .context import db_session
from .errors import TooManyRequests, Unauthorized
from .models import FeedChange
from .throttle import FAILED_AUTH_LIMIT, FAILURES, FailedAuthThrottle
from .tokens import LIVE_TOKEN, Caller, note_use, sha256

log = logging.getLogger("pufa.auth")
__all__ = ["FAILED_AUTH_LIMIT", "FailedAuthThrottle", "authenticate"]

# Both questions every API request asks, in one round trip: whose live token is this,
# and has its address failed too often (a throttled address waits, whatever token it
# sends). Run on the request's own connection: a session of its own for the count cost
# a pool check-out, a ping and a query on every request. The same row brings the change
# mark of the tables schedules are made of (``models.changes``), under which an answer
# read from them may be kept (``api.schedules``): one primary-key read more.
_MARK = select(FeedChange.mark).where(FeedChange.id == 1).scalar_subquery()
_CALLER = LIVE_TOKEN.add_columns(FAILURES.label("failures"), _MARK.label("change_mark"))


def _throttle() -> FailedAuthThrottle:
    throttle: FailedAuthThrottle = current_app.extensions["pufa_auth_throttle"]
    return throttle


def _too_many(address: str, wait: int) -> TooManyRequests:
    log.warning("authentication throttled", extra={"remote_addr": address, "retry_after": wait})
    return TooManyRequests(
        f"Too many failed attempts from this address; try again in {wait} s.",
        headers={"Retry-After": str(wait)},
    )


def authenticate() -> str:
    """Check the request's token; set ``g.actor`` and ``g.role``; return the role."""
    address = request.remote_addr or "unknown"
    throttle = _throttle()
    key = f"addr:{address}"
    header = request.headers.get("Authorization", "")
    scheme, _, plaintext = header.partition(" ")
    if scheme.lower() != "bearer" or not plaintext.strip():
        _refuse(throttle, key, address, "no token")
        raise Unauthorized(
            "An API token is required: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    session = db_session()
    reading = throttle.reading(key)
    row = (
        session.connection()
        .execute(_CALLER, {"digest": sha256(plaintext.strip()), **reading.params})
        .first()
    )
    if row is None:
        # Let go of the request's transaction first: on SQLite a writing request holds
        # the write lock, which the count's own transaction needs.
        session.rollback()
        _refuse(throttle, key, address, "unknown or revoked token")
        raise Unauthorized(
            "The API token is unknown or revoked.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    wait = reading.retry_after(row.failures)
    if wait is not None:
        raise _too_many(address, wait)
    caller = Caller.of(row)
    note_use(session, caller)
    g.actor, g.role = caller.name, caller.role
    # Read before anything the request computes: what it computes is at least as new.
    g.change_mark = row.change_mark
    return caller.role


def _refuse(throttle: FailedAuthThrottle, key: str, address: str, reason: str) -> None:
    """A request without a usable token: 429 if its address is (or is now) over the
    limit, else the failure is counted and logged and the caller answers 401."""
    wait = throttle.retry_after(key)
    if wait is None:
        wait = throttle.failed(key)
    if wait is not None:
        raise _too_many(address, wait)
    log.warning("authentication failed: %s", reason, extra={"remote_addr": address})
