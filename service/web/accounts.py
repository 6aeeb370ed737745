"""Admin accounts for the console: created from the CLI, checked at sign-in."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import AdminAccount, utcnow
from . import console_sessions

MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,50}$")
# Compared against when the username is unknown, so a miss costs as much as a hit
# and response time does not reveal which usernames exist.
_DUMMY_HASH = generate_password_hash("pufa-dummy-password")


class AccountError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "password", f"password must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    return generate_password_hash(password)


def create_account(session: Session, username: str, password: str) -> AdminAccount:
    username = username.strip()
    if not _USERNAME.match(username):
        raise AccountError("username", "username must be 2-50 letters, digits, '.', '_' or '-'")
    password_hash = _checked_password(password)
    if session.scalar(select(AdminAccount).where(AdminAccount.username == username)):
        raise AccountError("username", f"username {username!r} is taken")
    account = AdminAccount(username=username, password_hash=password_hash)
    session.add(account)
    session.flush()
    return account


def authenticate(session: Session, username: str, password: str) -> AdminAccount | None:
    """The active account with these credentials, or None (never says which was wrong)."""
    account = session.scalar(select(AdminAccount).where(AdminAccount.username == username.strip()))
    if account is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(account.password_hash, password) or not account.is_active:
        return None
    account.last_sign_in_at = utcnow()
    return account


def find_account(session: Session, username: str) -> AdminAccount:
    account = session.scalar(select(AdminAccount).where(AdminAccount.username == username.strip()))
    if account is None:
        raise AccountError("username", f"no account {username.strip()!r}")
    return account


def set_password(session: Session, account: AdminAccount, password: str) -> int:
    """A new password; every session of the account ends (how many did)."""
    account.password_hash = _checked_password(password)
    return console_sessions.end_all(session, account.id, utcnow())


def disable_account(session: Session, account: AdminAccount) -> int:
    """The account can no longer sign in; every session of it ends (how many did)."""
    account.is_active = False
    return console_sessions.end_all(session, account.id, utcnow())


def enable_account(account: AdminAccount) -> None:
    account.is_active = True


def list_accounts(session: Session) -> list[tuple[AdminAccount, int]]:
    """Every account, with how many live sessions it has."""
    now = utcnow()
    accounts = session.scalars(select(AdminAccount).order_by(AdminAccount.username)).all()
    return [(a, console_sessions.live_count(session, a.id, now)) for a in accounts]
