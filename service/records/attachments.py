"""Evidence (photos, scans, slides) and lecture material kept with an occurrence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from .. import audit
from ..errors import NotFound
from ..models import Attachment, AttachmentKind
from . import files, texts
from .occurrence import Target

RESOURCE = "attachment"


def listing(session: Session, target: Target) -> list[Attachment]:
    query = (
        select(Attachment)
        .where(
            Attachment.schedule_id == target.schedule.id,
            Attachment.original_start_at == target.original_at,
        )
        .order_by(Attachment.id)
    )
    return list(session.scalars(query))


def get(session: Session, attachment_id: int, *, with_content: bool = False) -> Attachment:
    options = [undefer(Attachment.content), undefer(Attachment.thumbnail)] if with_content else []
    row = session.get(Attachment, attachment_id, options=options)
    if row is None:
        raise NotFound(texts.NO_ATTACHMENT.format(id=attachment_id), code="no_attachment")
    return row


def describe(row: Attachment) -> dict[str, Any]:
    """The audit picture of an attachment: never its bytes."""
    return {
        "id": row.id,
        "schedule_id": row.schedule_id,
        "original_start_at": row.original_start_at.isoformat(),
        "kind": row.kind,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
    }


def add(
    session: Session,
    target: Target,
    data: bytes,
    filename: str,
    kind: AttachmentKind,
    *,
    actor: str,
    now: datetime,
) -> Attachment:
    clean = files.clean(data, filename)
    row = Attachment(
        schedule_id=target.schedule.id,
        original_start_at=target.original_at,
        kind=kind,
        filename=clean.filename,
        content_type=clean.content_type,
        size=len(clean.content),
        content=clean.content,
        thumbnail=clean.thumbnail,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=actor, action="create", resource=RESOURCE, resource_id=row.id,
        before=None, after=describe(row), now=now,
    )  # fmt: skip
    return row


def delete(session: Session, row: Attachment, *, actor: str, now: datetime) -> None:
    before = describe(row)
    session.delete(row)
    session.flush()
    audit.record(
        session, actor=actor, action="delete", resource=RESOURCE, resource_id=before["id"],
        before=before, after=None, now=now,
    )  # fmt: skip
