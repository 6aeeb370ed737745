"""The summary (内容摘要) of one occurrence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..domain.common import plain_text
from ..errors import Invalid
from ..models import OccurrenceNote
from . import texts
from .occurrence import Target

MAX_SUMMARY = 5000


def summary(session: Session, target: Target) -> OccurrenceNote | None:
    return session.scalar(
        select(OccurrenceNote).where(
            OccurrenceNote.schedule_id == target.schedule.id,
            OccurrenceNote.original_start_at == target.original_at,
        )
    )


def set_summary(
    session: Session, target: Target, text: str, *, actor: str, now: datetime
) -> OccurrenceNote:
    text = text.strip()
    if len(text) > MAX_SUMMARY:
        message = texts.SUMMARY_TOO_LONG.format(limit=MAX_SUMMARY)
        raise Invalid(message, fields={"summary": message})
    try:
        plain_text(text)
    except ValueError:
        raise Invalid(
            texts.CONTROL_CHARACTERS, fields={"summary": texts.CONTROL_CHARACTERS}
        ) from None
    row = summary(session, target)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = OccurrenceNote(
            schedule_id=target.schedule.id, original_start_at=target.original_at, summary=text
        )
        session.add(row)
    else:
        row.summary = text
    session.flush()
    audit.record(
        session, actor=actor, action="create" if before is None else "update",
        resource="occurrence_note", resource_id=row.id, before=before,
        after=audit.snapshot(row), now=now,
    )  # fmt: skip
    return row
