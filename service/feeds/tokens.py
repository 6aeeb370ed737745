"""Feed tokens: random secrets in the feed URL, stored only as their HMAC.

A person and a department each hold at most one live token. Issuing a new one replaces
the HMAC, so the old URL stops working at once; revoking clears it. Because only the
HMAC is stored, a token cannot be shown again: issuing (rotating) is how an admin gets
a working URL to hand out.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from sqlalchemy import String, bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from ..models import Department, Person
from ..tokens import new_secret, personal_token_digest
from .content import FeedOwner

# What new_secret() makes (43 URL-safe characters); some slack for older or longer ones,
# and a floor of 128 bits.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,128}")


_DIGEST = bindparam("digest", type_=String)
# One statement for both kinds of owner, built once (building costs more than running).
# Someone who left (is_active false) keeps no calendar, whatever their token.
_LOOKUP = union_all(
    select(literal("person"), Person.id, Person.feed_token_hash).where(
        Person.feed_token_hash == _DIGEST, Person.is_active.is_(True)
    ),
    select(literal("department"), Department.id, Department.feed_token_hash).where(
        Department.feed_token_hash == _DIGEST
    ),
)


@dataclass(frozen=True)
class FeedUrls:
    https: str
    webcal: str


def feed_urls(public_base_url: str, token: str) -> FeedUrls:
    """The https URL and its webcal:// twin (which opens the subscribe dialog)."""
    https = f"{public_base_url.rstrip('/')}/calendar/{token}.ics"
    _scheme, _, rest = https.partition("://")
    return FeedUrls(https=https, webcal=f"webcal://{rest}")


def issue_token(session: Session, secret_key: str, row: Person | Department) -> str:
    """A new token for the row, replacing (so revoking) any earlier one."""
    token = new_secret()
    row.feed_token_hash = personal_token_digest(secret_key, token)
    session.flush()
    return token


def revoke_token(session: Session, row: Person | Department) -> None:
    row.feed_token_hash = None
    session.flush()


def token_digest(secret_key: str, token: str) -> str | None:
    """The HMAC a token is stored and looked up under; None for a malformed token."""
    if not _TOKEN.fullmatch(token):
        return None
    return personal_token_digest(secret_key, token)


def find_owner(session: Session, digest: str) -> FeedOwner | None:
    """Whose feed the token with this ``digest`` opens, or None.

    Unknown and revoked tokens take the same path (a revoked token's HMAC is simply no
    longer stored), so their answers cannot be told apart, by content or by time.
    """
    row = session.connection().execute(_LOOKUP, {"digest": digest}).first()
    if row is None:
        return None
    kind, owner_id, stored = row
    # The index found the row by equality; compare again in constant time so that no
    # code path depends on how much of a stored value matched.
    if stored is None or not hmac.compare_digest(stored, digest):
        return None
    return FeedOwner(kind="person" if kind == "person" else "department", id=owner_id)
