"""Audit entries for workflow changes, written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..models import AuditEntry


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    resource: str,
    resource_id: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> AuditEntry:
    entry = AuditEntry(
        at=now,
        actor=actor,
        action=action,
        resource=resource,
        resource_id=str(resource_id),
        before=before,
        after=after,
    )
    session.add(entry)
    return entry
