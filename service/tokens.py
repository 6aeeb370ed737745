"""Secrets handed to people: API tokens (hashed) and personal feed/page tokens (HMAC)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import TOKEN_ROLES, ApiToken, utcnow

API_TOKEN_PREFIX = "pufa_"  # noqa: S105 - a label, not a secret
LAST_USED_PRECISION = timedelta(minutes=1)


def new_secret() -> str:
    """A URL-safe secret of 256 bits: far beyond guessing (DESIGN.md asks ≥128)."""
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


def find_api_token(session: Session, plaintext: str) -> ApiToken | None:
    """The live token for this plaintext, or None. Lookup is by hash, so timing leaks
    nothing about stored tokens."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256(plaintext)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    # Recorded to the minute: a write on every request would cost more than it tells.
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        row.last_used_at = now
    return row
