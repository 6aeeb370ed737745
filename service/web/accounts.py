"""Admin accounts for the console: created from the CLI, checked at sign-in."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import AdminAccount, utcnow

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


def create_account(session: Session, username: str, password: str) -> AdminAccount:
    username = username.strip()
    if not _USERNAME.match(username):
        raise AccountError("username", "username must be 2-50 letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "password", f"password must be at least {MIN_PASSWORD_LENGTH} characters"
        )
    if session.scalar(select(AdminAccount).where(AdminAccount.username == username)):
        raise AccountError("username", f"username {username!r} is taken")
    account = AdminAccount(username=username, password_hash=generate_password_hash(password))
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


def active_account(session: Session, account_id: int) -> AdminAccount | None:
    account = session.get(AdminAccount, account_id)
    return account if account is not None and account.is_active else None
