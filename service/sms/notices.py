"""Change notices (变更通知): when an occurrence people were already reminded of is
moved, cancelled or gets another speaker, each of them gets one urgent SMS saying so.

A notice is an outbox row without a rule (so quiet hours do not hold it), keyed by the
change (``notice``): the unique key (schedule, original start, person, notice) makes it
once per change and person whichever request or clock writes it first.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import Delivery, DeliveryStatus, Person, Schedule
from ..occurrences.expand import Occurrence, Window, expand
from ..occurrences.query import workday_calendar
from ..occurrences.specs import schedule_spec
from .texts import count_segments, render_sms
from .wording import when

TEMPLATE = "change_notice"
# Those who got (or are getting) a reminder of the occurrence.
REMINDED = (DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
_REACH = timedelta(days=16)


class Seen(Protocol):
    """What a notice needs of an occurrence (an ``Occurrence``, a rota week)."""

    @property
    def original_start(self) -> datetime: ...
    @property
    def start(self) -> datetime: ...
    @property
    def is_happening(self) -> bool: ...
    @property
    def speaker_id(self) -> int | None: ...


class Change(StrEnum):
    MOVED = "moved"
    CANCELLED = "cancelled"
    SPEAKER = "speaker"


def occurrence_of(
    session: Session, schedule: Schedule, original: datetime, moved: datetime | None = None
) -> Occurrence | None:
    """The occurrence that originally starts at ``original``, as the data say now."""
    points = [original] if moved is None else [original, moved]
    window = Window(min(points) - _REACH, max(points) + _REACH)
    for occurrence in expand(schedule_spec(schedule), window, workday_calendar(session)):
        if occurrence.original_start.astimezone(UTC) == original:
            return occurrence
    return None


def changes(before: Seen, after: Seen) -> list[Change]:
    if not before.is_happening:
        return []
    if not after.is_happening:
        return [Change.CANCELLED]
    found = []
    if after.start != before.start:
        found.append(Change.MOVED)
    if after.speaker_id != before.speaker_id:
        found.append(Change.SPEAKER)
    return found


def notify_change(
    session: Session,
    schedule: Schedule,
    before: Seen | None,
    after: Seen | None,
    note: str,
    now: datetime,
    *,
    told: set[tuple[int, datetime, bool]] | None = None,
    outlives_schedule: bool = False,
) -> int:
    """Write the notices of one change; how many were new.

    ``told``: who has already been told, in this request, of the occurrence as it is
    now (person, start, happening); they are skipped and added (a series edit can reach
    one person through two reminders of the same occurrence). ``outlives_schedule``:
    the schedule is about to be deleted, so the rows belong to no schedule (the
    outbox's rows of a schedule go with it).
    """
    if not schedule.change_notices or before is None or after is None:
        return 0
    what = changes(before, after)
    latest = max(before.start, after.start).astimezone(UTC)
    if not what or latest <= now:
        return 0
    key = _key(what, after)
    body = render_sms(TEMPLATE, _context(session, schedule, before, after, what, note))
    people = notice_recipients(session, schedule, before.original_start)
    if told is not None:
        news = (after.start.astimezone(UTC), after.is_happening)
        people = [person for person in people if (person.id, *news) not in told]
        told.update((person.id, *news) for person in people)
    rows = [
        {
            "schedule_id": None if outlives_schedule else schedule.id,
            "original_start_at": before.original_start.astimezone(UTC),
            "rule_id": None,
            "person_id": person.id,
            "notice": key,
            "to": person.mobile,
            "due_at": now,
            "useful_until": latest,
            "occurrence_start_at": after.start.astimezone(UTC),
            "body": body,
            "segments": count_segments(body),
            "status": DeliveryStatus.PENDING,
            "reason": "",
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for person in people
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table: Table = Delivery.__table__  # type: ignore[assignment]
    statement = insert(table).on_conflict_do_nothing(
        index_elements=["schedule_id", "original_start_at", "person_id", "notice"]
    )
    return int(getattr(session.execute(statement, rows), "rowcount", 0) or 0)


def notice_recipients(
    session: Session, schedule: Schedule, original_start: datetime
) -> list[Person]:
    """Who gets a change notice if this occurrence is moved, cancelled or gets another
    speaker now: those already reminded of it who can receive SMS (none when the
    schedule's notices are off). The console shows them before an admin saves."""
    if not schedule.change_notices:
        return []
    reminded = select(Delivery.person_id).where(
        Delivery.schedule_id == schedule.id,
        Delivery.original_start_at == original_start.astimezone(UTC),
        Delivery.rule_id.is_not(None),
        Delivery.status.in_(REMINDED),
    )
    people = session.scalars(select(Person).where(Person.id.in_(reminded)).order_by(Person.id))
    return [person for person in people if person.can_receive_sms]


def _key(what: list[Change], after: Seen) -> str:
    """Names the change: the same change saved twice is one notice, a new one another."""
    text = "|".join([*what, after.start.astimezone(UTC).isoformat(), str(after.speaker_id)])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _context(
    session: Session,
    schedule: Schedule,
    before: Seen,
    after: Seen,
    what: list[Change],
    note: str,
) -> dict[str, str]:
    all_day = schedule.is_all_day
    parts = []
    if Change.CANCELLED in what:
        parts.append("取消")
    if Change.MOVED in what:
        parts.append(f"改至{when(after.start, is_all_day=all_day)}")
    if Change.SPEAKER in what:
        speaker = session.get(Person, after.speaker_id) if after.speaker_id else None
        parts.append(f"主讲人改为{speaker.name if speaker else '待定'}")
    return {
        "title": schedule.title,
        "old_when": when(before.start, is_all_day=all_day),
        "change": "，".join(parts),
        "note": note,
    }
