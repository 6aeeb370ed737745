"""Secrets handed to people: API tokens (hashed) and personal feed/page tokens (HMAC)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, select, update
from sqlalchemy.orm import Session

from .models import TOKEN_ROLES, ApiToken, utcnow
from .models.base import UTCDateTime

API_TOKEN_PREFIX = "pufa_"  # noqa: S105 - a label, not a secret
LAST_USED_PRECISION = timedelta(minutes=1)


def new_secret() -> str:
    """A URL-safe secret of 256 bits: far beyond guessing (feed tokens need ≥128)."""
    return secrets.token_urlsafe(32)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def personal_token_digest(secret_key: str, token: str) -> str:
    """The HMAC under which feed and page tokens are stored and looked up."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def create_api_token(session: Session, *, name: str, role: str) -> tuple[ApiToken, str]:
    """Create a token; the plaintext is returned once and never stored."""
    if role not in TOKEN_ROLES:
        raise ValueError(f"role must be one of {', '.join(TOKEN_ROLES)}")
    plaintext = API_TOKEN_PREFIX + new_secret()
    row = ApiToken(name=name, role=role, token_hash=sha256(plaintext), prefix=plaintext[:12])
    session.add(row)
    session.flush()
    return row, plaintext


def ensure_api_token(session: Session, *, name: str, role: str, plaintext: str) -> ApiToken:
    """Make sure a known plaintext is a live token (used by ``pufa up`` in development)."""
    digest = sha256(plaintext)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None:
        row = ApiToken(name=name, role=role, token_hash=digest, prefix=plaintext[:12])
        session.add(row)
    row.revoked_at = None
    session.flush()
    return row


@dataclass(frozen=True)
class Caller:
    """Who a live API token speaks for."""

    token_id: int
    name: str
    role: str
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> Caller:
        """From a row of ``LIVE_TOKEN``."""
        return cls(token_id=row.id, name=row.name, role=row.role, last_used_at=row.last_used_at)


# The live token whose hash is the parameter ``digest`` (``sha256`` of the plaintext):
# lookup is by hash, so timing leaks nothing about stored tokens. Built once: on every
# API request, building a statement costs more than running it.
LIVE_TOKEN = select(ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.last_used_at).where(
    ApiToken.token_hash == bindparam("digest", type_=String), ApiToken.revoked_at.is_(None)
)
_TOUCH = (
    update(ApiToken)
    .where(ApiToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now", type_=UTCDateTime))
)


def note_use(session: Session, caller: Caller) -> None:
    """Record that the token was used, to the minute: a write on every request would cost
    more than it tells. Commits the session's work when it writes."""
    now = utcnow()
    if caller.last_used_at is not None and now - caller.last_used_at <= LAST_USED_PRECISION:
        return
    # End the read first: a transaction that begins with its write waits for the lock,
    # while a read turned writer can fail at once (SQLite) if someone wrote meanwhile.
    session.commit()
    session.connection().execute(_TOUCH, {"token_id": caller.token_id, "now": now})
    session.commit()
