"""What happened in a period, gathered once for the ledger (xlsx and docx) and the
annual report alike: the expanded occurrences, attendance, evidence counts, summaries."""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from ..audience import active_people, audience_ids
from ..domain.overrides import MAX_MOVE
from ..models import (
    Attachment,
    AttachmentKind,
    Attendance,
    Delivery,
    DeliveryStatus,
    OccurrenceNote,
    Person,
    Schedule,
)
from ..occurrences.expand import Occurrence, Window
from ..occurrences.query import expand_all, load_schedules, workday_calendar
from ..records.attendance import Totals, totals
from ..records.occurrence import RECORDED_KINDS

Key = tuple[int, datetime]


class Mark(NamedTuple):  # a tuple: a county's year makes a hundred thousand
    status: str
    source: str
    note: str


@dataclass
class Facts:
    window: Window
    zone: ZoneInfo
    now: datetime
    schedules: dict[int, Schedule]
    occurrences: list[Occurrence]
    people: dict[int, Person]  # everyone, inactive too: past records name them
    audiences: dict[int, set[int]]  # schedule id -> active audience today
    marks: dict[Key, dict[int, Mark]]
    photos: Counter[Key]
    other_files: Counter[Key]
    summaries: dict[Key, str]

    def recorded(self) -> list[Occurrence]:
        """Occurrences of the kinds that keep records, in start order."""
        return [o for o in self.occurrences if self.schedules[o.schedule_id].kind in RECORDED_KINDS]

    def is_held(self, o: Occurrence) -> bool:
        return o.is_happening and o.start <= self.now

    def roster(self, o: Occurrence) -> list[int]:
        return sorted(self.audiences[o.schedule_id] | set(self.marks.get(o.key, {})))

    def totals(self, o: Occurrence) -> Totals:
        marks = self.marks.get(o.key, {})
        expected = len(self.audiences[o.schedule_id] | marks.keys())  # the roster's size
        return totals(expected, [m.status for m in marks.values()])

    def name(self, person_id: int | None) -> str:
        person = self.people.get(person_id) if person_id is not None else None
        return person.name if person else ""


def day_window(start: date, end: date, zone: ZoneInfo) -> Window:
    """Local days ``start``..``end`` inclusive."""
    return Window(
        datetime.combine(start, time(0), tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone),
    )


def gather(session: Session, window: Window, *, zone: ZoneInfo, now: datetime) -> Facts:
    schedules = {s.id: s for s in load_schedules(session)}
    occurrences = expand_all(schedules.values(), window, workday_calendar(session))
    everyone = active_people(session)
    people = {
        p.id: p for p in session.scalars(select(Person).options(selectinload(Person.departments)))
    }
    # Originals of occurrences moved into the window may lie up to MAX_MOVE outside it.
    lo, hi = (window.start - MAX_MOVE).astimezone(UTC), (window.end + MAX_MOVE).astimezone(UTC)
    keys = {o.key for o in occurrences}
    marks: dict[Key, dict[int, Mark]] = {}
    query = (
        select(
            Attendance.schedule_id, Attendance.original_start_at, Attendance.person_id,
            Attendance.status, Attendance.source, Attendance.note,
        )
        .where(Attendance.original_start_at.between(lo, hi))
        .order_by(Attendance.schedule_id, Attendance.original_start_at)
    )  # fmt: skip
    # Core rows from the session's connection (a year holds tens of thousands of marks,
    # and the ORM's handling of plain columns cost a fifth more), in occurrence order:
    # each occurrence's marks are taken at once.
    rows = session.connection().execute(query)
    for key, marked in itertools.groupby(rows, operator.itemgetter(0, 1)):
        if key in keys:
            marks[key] = {
                pid: Mark(status, source, note) for _, _, pid, status, source, note in marked
            }
    photos: Counter[Key] = Counter()
    other: Counter[Key] = Counter()
    counted = (
        select(Attachment.schedule_id, Attachment.original_start_at, Attachment.content_type,
               func.count())
        .where(Attachment.original_start_at.between(lo, hi),
               Attachment.kind == AttachmentKind.EVIDENCE)
        .group_by(Attachment.schedule_id, Attachment.original_start_at, Attachment.content_type)
    )  # fmt: skip
    for sid, at, content_type, n in session.execute(counted):
        if (sid, at) in keys:
            (photos if content_type.startswith("image/") else other)[(sid, at)] += n
    summaries = {
        (sid, at): text
        for sid, at, text in session.execute(
            select(
                OccurrenceNote.schedule_id, OccurrenceNote.original_start_at, OccurrenceNote.summary
            ).where(OccurrenceNote.original_start_at.between(lo, hi))
        )
        if (sid, at) in keys
    }
    audiences = {sid: audience_ids(s, everyone) for sid, s in schedules.items()}
    return Facts(
        window, zone, now, schedules, occurrences, people, audiences, marks, photos, other,
        summaries,
    )  # fmt: skip


def delivery_conditions(window: Window) -> list[Any]:
    """The outbox rows of a period, as the ledger lists them: due in it, not retracted
    (withdrawn because they no longer applied, they were never meant to go)."""
    return [
        Delivery.due_at >= window.start,
        Delivery.due_at < window.end,
        Delivery.status != DeliveryStatus.RETRACTED,
    ]


def sms_counts(session: Session, window: Window) -> dict[str, int]:
    query = select(
        func.count(),
        func.count(Delivery.sent_at),
        func.sum(case((Delivery.status == "delivered", 1), else_=0)),
        func.sum(case((Delivery.status.in_(("failed", "undelivered")), 1), else_=0)),
        func.sum(case((Delivery.sent_at.is_not(None), Delivery.segments), else_=0)),
    ).where(*delivery_conditions(window))
    total, sent, delivered, failed, segments = session.execute(query).one()
    return {
        "total": total,
        "sent": sent,
        "delivered": int(delivered or 0),
        "failed": int(failed or 0),
        "segments": int(segments or 0),
    }
