"""The development console account ``pufa up`` prints, so a newcomer can open the
console at once. Made once, like the development API token: its password is kept under
``instance/`` (mode 600) and every later ``up`` prints the same account."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AdminAccount
from ..tokens import new_secret
from .accounts import create_account

USERNAME = "dev"


def ensure_dev_account(session: Session, instance_dir: Path) -> tuple[str, str]:
    """(username, password) of the development console account, made if missing."""
    path = instance_dir / "console_account"
    if path.exists():
        password = path.read_text().strip()
    else:
        password = new_secret()[:20]
        instance_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(password)
        path.chmod(0o600)
    if session.scalar(select(AdminAccount.id).where(AdminAccount.username == USERNAME)) is None:
        create_account(session, USERNAME, password)
    return USERNAME, password
