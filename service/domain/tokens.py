"""API tokens made and revoked by admins (the plaintext is shown once, at creation)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from ..audit import record, snapshot
from ..models import ApiToken, utcnow
from ..tokens import create_api_token
from .common import InputModel, Name


class TokenIn(InputModel):
    name: Name
    role: Literal["admin", "viewer"]


def create_token(session: Session, actor: str, data: TokenIn) -> tuple[ApiToken, str]:
    row, plaintext = create_api_token(session, name=data.name, role=data.role)
    record(
        session,
        actor=actor,
        action="create",
        resource="api_token",
        resource_id=row.id,
        before=None,
        after=snapshot(row),
    )
    return row, plaintext


def revoke_token(session: Session, actor: str, row: ApiToken) -> ApiToken:
    """Revoking is idempotent: a token revoked twice keeps its first revocation time."""
    if row.revoked_at is None:
        before = snapshot(row)
        row.revoked_at = utcnow()
        session.flush()
        record(
            session,
            actor=actor,
            action="revoke",
            resource="api_token",
            resource_id=row.id,
            before=before,
            after=snapshot(row),
        )
    return row
