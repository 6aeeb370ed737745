"""Console sessions kept on the server, so that they can be ended.

The cookie (Flask's signed session) carries only a random secret; the row it names holds
the account and the two ages. Logout ends that row; a new password, disabling the
account or an operator's reset ends all of the account's rows. A copied cookie is then
worth nothing, on every box, and nothing in the cookie itself (an old account id, a
forged or future timestamp) can keep a session alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import AdminAccount, ConsoleSession
from ..tokens import new_secret, sha256

IDLE = timedelta(hours=2)
ABSOLUTE = timedelta(hours=12)
# Noting every page view would make each console GET a write; a minute is precise
# enough for a two-hour idle limit.
SEEN_PRECISION = timedelta(minutes=1)
_TOKEN_MAX = 100


@dataclass(frozen=True)
class Live:
    """A live session and its account."""

    row: ConsoleSession
    account: AdminAccount
    is_stale_seen: bool  # seen_at should be moved on


def start(session: Session, account: AdminAccount, now: datetime) -> str:
    """A new session for ``account``; the secret for the cookie (returned once)."""
    token = new_secret()
    session.add(
        ConsoleSession(account_id=account.id, token_hash=sha256(token), created_at=now, seen_at=now)
    )
    session.flush()
    return token


def find(session: Session, token: object, now: datetime) -> tuple[Live | None, bool]:
    """The live session this cookie secret names, and whether it lapsed by age.

    Anything that is not a plausible secret, or names no row, an ended row or a
    disabled account, is no session."""
    if not isinstance(token, str) or not 0 < len(token) <= _TOKEN_MAX:
        return None, False
    found = session.execute(
        select(ConsoleSession, AdminAccount)
        .join(AdminAccount, AdminAccount.id == ConsoleSession.account_id)
        .where(ConsoleSession.token_hash == sha256(token), ConsoleSession.ended_at.is_(None))
    ).first()
    if found is None:
        return None, False
    row, account = found
    if not account.is_active:
        return None, False
    if now - row.created_at > ABSOLUTE or now - row.seen_at > IDLE:
        return None, True
    return Live(row, account, now - row.seen_at >= SEEN_PRECISION), False


def note_seen(session: Session, session_id: int, now: datetime) -> None:
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.id == session_id, ConsoleSession.ended_at.is_(None))
        .values(seen_at=now)
    )


def end(session: Session, token: object, now: datetime) -> None:
    """End the session this cookie secret names, if any."""
    if not isinstance(token, str) or not 0 < len(token) <= _TOKEN_MAX:
        return
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.token_hash == sha256(token), ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_all(session: Session, account_id: int, now: datetime) -> int:
    """End every live session of the account; how many there were."""
    result = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.account_id == account_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_count(session: Session, account_id: int, now: datetime) -> int:
    rows = session.scalars(
        select(ConsoleSession).where(
            ConsoleSession.account_id == account_id, ConsoleSession.ended_at.is_(None)
        )
    ).all()
    return sum(1 for r in rows if now - r.created_at <= ABSOLUTE and now - r.seen_at <= IDLE)
