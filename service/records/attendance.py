"""Attendance (出席 / 请假 / 缺席): one row per (occurrence, person), however it came in
(the clerk's roll call, a QR check-in, a leave request), each change audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..audience import active_people, audience_ids
from ..domain.common import plain_text
from ..errors import Conflict, Forbidden, Invalid
from ..models import Attendance, AttendanceSource, AttendanceStatus, Person
from . import texts
from .occurrence import Target, require_held

CHECK_IN_OPENS = timedelta(minutes=30)  # before the start
CHECK_IN_CLOSES = timedelta(hours=2)  # after the start
RESOURCE = "attendance"
NOTE_MAX = 500


class Totals(NamedTuple):  # a tuple: a county's ledger makes one per event
    expected: int
    present: int
    leave: int
    absent: int

    @property
    def unrecorded(self) -> int:
        return self.expected - self.present - self.leave - self.absent

    @property
    def rate(self) -> float:
        """Present over everyone expected: unrecorded people count as not present."""
        return round(self.present / self.expected, 4) if self.expected else 0.0


def totals(expected: int, statuses: list[str]) -> Totals:
    return Totals(
        expected,
        statuses.count(AttendanceStatus.PRESENT),
        statuses.count(AttendanceStatus.LEAVE),
        statuses.count(AttendanceStatus.ABSENT),
    )


def records(session: Session, target: Target) -> dict[int, Attendance]:
    query = select(Attendance).where(
        Attendance.schedule_id == target.schedule.id,
        Attendance.original_start_at == target.original_at,
    )
    return {row.person_id: row for row in session.scalars(query)}


def roster(session: Session, target: Target) -> list[Person]:
    """Who is expected: the schedule's audience today, plus anyone already recorded
    (someone who has since left the audience still shows with their record)."""
    everyone = active_people(session)
    wanted = audience_ids(target.schedule, everyone) | set(records(session, target))
    people = {p.id: p for p in everyone if p.id in wanted}
    missing = wanted - set(people)
    if missing:
        people.update(
            {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(missing)))}
        )
    return sorted(people.values(), key=lambda p: p.id)


def _in_audience(session: Session, target: Target, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise Invalid(texts.NO_PERSON.format(id=person_id), fields={"person_id": "unknown"})
    if person.id not in audience_ids(target.schedule, active_people(session)):
        raise Invalid(
            texts.NOT_IN_AUDIENCE.format(name=person.name),
            fields={"person_id": "not in the occurrence's audience"},
            code="not_in_audience",
        )
    return person


def record(
    session: Session,
    target: Target,
    person_id: int,
    status: AttendanceStatus,
    note: str,
    *,
    source: AttendanceSource,
    actor: str,
    now: datetime,
) -> Attendance:
    """Set a person's status at a held occurrence (roll call). 409 when it is cancelled
    or has not begun, 422 for someone outside its audience."""
    require_held(target, now)
    _in_audience(session, target, person_id)
    return _upsert(session, target, person_id, status, note, source, actor, now)


def request_leave(
    session: Session, target: Target, person_id: int, reason: str, *, actor: str, now: datetime
) -> Attendance:
    """Leave asked for before the event, with a reason."""
    if not target.occurrence.is_happening:
        raise Conflict(texts.LEAVE_CANCELLED, code="occurrence_cancelled")
    if target.occurrence.start <= now:
        raise Conflict(texts.LEAVE_TOO_LATE, code="occurrence_started")
    if not reason.strip():
        raise Invalid(texts.LEAVE_NEEDS_REASON, fields={"note": "required"})
    _in_audience(session, target, person_id)
    return _upsert(
        session, target, person_id, AttendanceStatus.LEAVE, reason.strip(),
        AttendanceSource.LEAVE_REQUEST, actor, now,
    )  # fmt: skip


def check_in_window(target: Target) -> tuple[datetime, datetime]:
    start = target.occurrence.start
    return start - CHECK_IN_OPENS, start + CHECK_IN_CLOSES


def check_in(session: Session, target: Target, person: Person, *, now: datetime) -> Attendance:
    """The person scanned the occurrence's code: present. A second scan changes nothing."""
    if not target.occurrence.is_happening:
        raise Conflict(texts.CHECK_IN_CANCELLED, code="occurrence_cancelled")
    opens, closes = check_in_window(target)
    if not opens <= now <= closes:
        zone = target.occurrence.start.tzinfo
        raise Conflict(
            texts.CHECK_IN_CLOSED.format(
                opens=opens.astimezone(zone).strftime("%m-%d %H:%M"),
                closes=closes.astimezone(zone).strftime("%m-%d %H:%M"),
            ),
            code="check_in_closed",
        )
    if person.id not in audience_ids(target.schedule, active_people(session)):
        raise Forbidden(texts.CHECK_IN_NOT_IN_AUDIENCE, code="not_in_audience")
    current = records(session, target).get(person.id)
    if current is not None and current.status == AttendanceStatus.PRESENT:
        return current
    return _upsert(
        session, target, person.id, AttendanceStatus.PRESENT, "", AttendanceSource.CHECK_IN,
        f"staff:{person.id}", now,
    )  # fmt: skip


def _checked_note(note: str) -> str:
    """The API validates notes; the pages pass what was typed, so the rule is here too."""
    note = note.strip()
    if len(note) > NOTE_MAX:
        message = texts.NOTE_TOO_LONG.format(limit=NOTE_MAX)
        raise Invalid(message, fields={"note": message})
    try:
        return plain_text(note)
    except ValueError:
        raise Invalid(texts.CONTROL_CHARACTERS, fields={"note": texts.CONTROL_CHARACTERS}) from None


def _upsert(
    session: Session,
    target: Target,
    person_id: int,
    status: AttendanceStatus,
    note: str,
    source: AttendanceSource,
    actor: str,
    now: datetime,
) -> Attendance:
    note = _checked_note(note)
    row = records(session, target).get(person_id)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = Attendance(
            schedule_id=target.schedule.id,
            original_start_at=target.original_at,
            person_id=person_id,
            status=status,
            source=source,
            note=note,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():  # a concurrent first record wins the unique key
                session.add(row)
        except IntegrityError:
            row = records(session, target)[person_id]
            before = audit.snapshot(row)
    if before is not None:
        row.status, row.source, row.note, row.updated_at = status, source, note, now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create" if before is None else "update",
        resource=RESOURCE,
        resource_id=row.id,
        before=before,
        after=audit.snapshot(row),
        now=now,
    )
    return row
