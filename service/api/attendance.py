"""Routes: attendance and the summary of one occurrence.

``/schedules/{id}/occurrences/{original_start}/attendance`` and ``…/summary``; the
occurrence is addressed by its original start, as overrides are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field, Strict

from ..context import db_session
from ..domain.common import Id, InputModel, Instant, LongText, Note, committed
from ..models import AttendanceSource, AttendanceStatus, utcnow
from ..records import attendance, notes
from ..records.occurrence import Target, find
from .common import actor, answer, blueprint_options

bp = APIBlueprint("attendance", __name__, **blueprint_options("records"))
BASE = "/schedules/<int:schedule_id>/occurrences/<original_start>"


class OccurrencePath(BaseModel):
    schedule_id: Id
    original_start: Instant = Field(description="e.g. 2026-01-12T16:00 (local) or with offset")


class AttendanceIn(InputModel):
    person_id: Id
    status: Annotated[AttendanceStatus, Strict(False)] = Field(
        description="present | leave | absent"
    )
    note: Note = ""


class PersonAttendance(BaseModel):
    person_id: int
    name: str
    status: AttendanceStatus | None = Field(description="null: not recorded yet")
    source: AttendanceSource | None
    note: str
    updated_at: datetime | None


class TotalsOut(BaseModel):
    expected: int
    present: int
    leave: int
    absent: int
    unrecorded: int
    rate: float = Field(description="present / expected")


class AttendanceOut(BaseModel):
    schedule_id: int
    original_start: datetime
    start: datetime
    status: str
    items: list[PersonAttendance]
    totals: TotalsOut


class SummaryIn(InputModel):
    summary: LongText


class SummaryOut(BaseModel):
    schedule_id: int
    original_start: datetime
    summary: str


def _target(path: OccurrencePath) -> Target:
    return find(db_session(), path.schedule_id, path.original_start)


def _attendance(target: Target) -> AttendanceOut:
    session = db_session()
    rows = attendance.records(session, target)
    people = attendance.roster(session, target)
    items = []
    for person in people:
        row = rows.get(person.id)
        items.append(
            PersonAttendance(
                person_id=person.id,
                name=person.name,
                status=AttendanceStatus(row.status) if row else None,
                source=AttendanceSource(row.source) if row else None,
                note=row.note if row else "",
                updated_at=row.updated_at if row else None,
            )
        )
    counted = attendance.totals(len(people), [r.status for r in rows.values()])
    return AttendanceOut(
        schedule_id=target.schedule.id,
        original_start=target.occurrence.original_start,
        start=target.occurrence.start,
        status=target.occurrence.status,
        items=items,
        totals=TotalsOut(
            expected=counted.expected, present=counted.present, leave=counted.leave,
            absent=counted.absent, unrecorded=counted.unrecorded, rate=counted.rate,
        ),
    )  # fmt: skip


@bp.get(f"{BASE}/attendance", responses={200: AttendanceOut})
def get_attendance(path: OccurrencePath) -> Response:
    """The occurrence's audience, each with their status (or null), and the totals."""
    return answer(_attendance(_target(path)))


@bp.post(f"{BASE}/attendance", responses={200: AttendanceOut})
def post_attendance(path: OccurrencePath, body: AttendanceIn) -> Response:
    """Record one person's status (roll call). 409 for a cancelled or future occurrence,
    422 for someone outside its audience."""
    with committed(db_session()) as session:
        target = _target(path)
        attendance.record(
            session, target, body.person_id, body.status, body.note,
            source=AttendanceSource.ROLL_CALL, actor=actor(), now=utcnow(),
        )  # fmt: skip
    return answer(_attendance(_target(path)))


@bp.get(f"{BASE}/summary", responses={200: SummaryOut})
def get_summary(path: OccurrencePath) -> Response:
    """The summary (内容摘要); empty until written."""
    target = _target(path)
    row = notes.summary(db_session(), target)
    return answer(_summary_out(target, row.summary if row else ""))


@bp.put(f"{BASE}/summary", responses={200: SummaryOut})
def put_summary(path: OccurrencePath, body: SummaryIn) -> Response:
    with committed(db_session()) as session:
        target = _target(path)
        notes.set_summary(session, target, body.summary, actor=actor(), now=utcnow())
    return answer(_summary_out(target, body.summary))


def _summary_out(target: Target, text: str) -> SummaryOut:
    return SummaryOut(
        schedule_id=target.schedule.id,
        original_start=target.occurrence.original_start,
        summary=text,
    )
