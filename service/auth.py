"""Bearer-token authentication for the admin API (roles ``admin`` and ``viewer``).

Failed attempts are counted per remote address by ``service.throttle`` (in the database,
shared by every web process and box); an address over the limit is answered 429 with
Retry-After until its window ends, whatever token it sends.
"""

from __future__ import annotations

import logging

from flask import current_app, g, request

from .context import db_session
from .errors import TooManyRequests, Unauthorized
from .throttle import FAILED_AUTH_LIMIT, FailedAuthThrottle
from .tokens import find_api_token, note_use

log = logging.getLogger("pufa.auth")
__all__ = ["FAILED_AUTH_LIMIT", "FailedAuthThrottle", "authenticate"]


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
    wait = throttle.retry_after(key)
    if wait is not None:
        raise _too_many(address, wait)
    header = request.headers.get("Authorization", "")
    scheme, _, plaintext = header.partition(" ")
    if scheme.lower() != "bearer" or not plaintext.strip():
        wait = throttle.failed(key)
        if wait is not None:
            raise _too_many(address, wait)
        log.warning("authentication failed: no token", extra={"remote_addr": address})
        raise Unauthorized(
            "An API token is required: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    session = db_session()
    caller = find_api_token(session, plaintext.strip())
    if caller is None:
        # Let go of the request's transaction first: on SQLite a writing request holds
        # the write lock, which the count's own transaction needs.
        session.rollback()
        wait = throttle.failed(key)
        if wait is not None:
            raise _too_many(address, wait)
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
