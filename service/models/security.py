"""Server-side state that makes sign-ins revocable and guessing slow everywhere."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ConsoleSession(Base):
    """One sign-in to the console. The cookie carries only a random secret whose SHA-256
    is ``token_hash``; ending the row (logout, password change, disabling the account)
    ends the session on every box at once, whatever copies of the cookie exist."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("admin_accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthFailure(Base):
    """Failed authentications per key (``addr:…``, ``account:…``) in one fixed window.
    Kept in the database because it is the one store every web process and box shares."""

    __tablename__ = "auth_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_index: Mapped[int] = mapped_column(Integer, primary_key=True)  # epoch seconds // size
    count: Mapped[int] = mapped_column(Integer, default=0)
