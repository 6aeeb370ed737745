"""The audit log: who changed what, when, with JSON snapshots before and after.

Entries are added to the caller's session, so they commit (or roll back) together with
the change they describe: there is never a change without its entry, nor the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from .models import AuditEntry, Base, utcnow

# Columns never copied into the log: hashes of secrets stay where they are.
_SECRET_COLUMNS = frozenset({"token_hash", "feed_token_hash", "feed_token_seed", "page_token_hash"})


def snapshot(row: Base, **extra: Any) -> dict[str, Any]:
    """A JSON-ready picture of a row's columns, plus ``extra`` (e.g. related ids)."""
    values: dict[str, Any] = {}
    for attribute in inspect(row).mapper.column_attrs:
        if attribute.key not in _SECRET_COLUMNS:
            values[attribute.key] = _jsonable(getattr(row, attribute.key))
    values.update({key: _jsonable(value) for key, value in extra.items()})
    return values


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    resource: str,
    resource_id: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add an entry to the caller's transaction; ``now`` defaults to the wall clock."""
    entry = AuditEntry(
        at=now or utcnow(),
        actor=actor,
        action=action,
        resource=resource,
        resource_id=str(resource_id),
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    resource: str | None = None
    resource_id: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def find_entries(
    session: Session, where: AuditFilter, *, offset: int, limit: int
) -> tuple[list[AuditEntry], int]:
    """The newest entries first, and how many match in all."""
    query = select(AuditEntry)
    if where.resource:
        query = query.where(AuditEntry.resource == where.resource)
    if where.resource_id:
        query = query.where(AuditEntry.resource_id == where.resource_id)
    if where.actor:
        query = query.where(AuditEntry.actor == where.actor)
    if where.since:
        query = query.where(AuditEntry.at >= where.since)
    if where.until:
        query = query.where(AuditEntry.at < where.until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), total
