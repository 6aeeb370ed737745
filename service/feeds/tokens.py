"""Feed tokens: secrets in the feed URL, derived from a random seed with the secret key.

A person and a department each hold at most one live token. Issuing draws a new seed
(256 random bits) and stores it with the HMAC of the token it gives, which is what a
request is looked up by; so the old URL stops working at once, and revoking clears
both. The token itself is never stored: it is the HMAC of the seed under the secret key,
so an admin (or the staff member on their page) can be shown the current URL again
without replacing it, while the database alone does not give it away.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import String, bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from ..audit import record
from ..models import Department, Person
from ..tokens import personal_token_digest
from .content import FeedOwner

# What _derived makes (43 URL-safe characters, as the random tokens before it); some
# slack for older or longer ones, and a floor of 128 bits.
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
    seed = secrets.token_hex(32)
    token = _derived(secret_key, seed)
    row.feed_token_seed = seed
    row.feed_token_hash = personal_token_digest(secret_key, token)
    session.flush()
    return token


def issue_audited(session: Session, secret_key: str, row: Person | Department, actor: str) -> str:
    """``issue_token``, with an audit entry saying it was issued or replaced (by whom):
    neither the token, its seed nor its HMAC goes into the log."""
    action = "rotate_feed_token" if row.feed_token_hash else "issue_feed_token"
    token = issue_token(session, secret_key, row)
    kind = "person" if isinstance(row, Person) else "department"
    record(
        session,
        actor=actor,
        action=action,
        resource=kind,
        resource_id=row.id,
        before=None,
        after=None,
    )
    return token


def current_token(
    secret_key: str, row: Person | Department, fallbacks: Sequence[str] = ()
) -> str | None:
    """The row's live token, derived again; None without one, for one issued before
    seeds were kept, or for one issued under a secret key no longer accepted (it no
    longer opens the feed either). A token issued under an old key still accepted
    during a rotation (``fallbacks``) is derived under that key."""
    if row.feed_token_seed is None or row.feed_token_hash is None:
        return None
    for key in (secret_key, *fallbacks):
        token = _derived(key, row.feed_token_seed)
        if hmac.compare_digest(personal_token_digest(key, token), row.feed_token_hash):
            return token
    return None


def revoke_token(session: Session, row: Person | Department) -> None:
    row.feed_token_hash = None
    row.feed_token_seed = None
    session.flush()


def _derived(secret_key: str, seed: str) -> str:
    """43 URL-safe characters: the 256-bit HMAC of the seed under the secret key."""
    mac = hmac.new(secret_key.encode(), f"pufa-feed-token:{seed}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def token_digest(secret_key: str, token: str) -> str | None:
    """The HMAC a token is stored and looked up under; None for a malformed token."""
    if not _TOKEN.fullmatch(token):
        return None
    return personal_token_digest(secret_key, token)


def token_digests(secret_keys: tuple[str, ...], token: str) -> list[str]:
    """The token's HMAC under each accepted key, SECRET_KEY's first; none if malformed.
    During a rotation a URL issued under an old key is stored under that key's HMAC."""
    if not _TOKEN.fullmatch(token):
        return []
    return [personal_token_digest(key, token) for key in secret_keys]


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
