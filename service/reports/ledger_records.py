"""The ledger's record tables: attendance (occurrence × person × status) and, per
event, its attendance totals, photo and file counts and whether a summary exists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from .. import budget
from ..models import AttendanceSource, AttendanceStatus
from ..occurrences.expand import Occurrence
from ..workflows import labels
from .facts import Facts

Cell = str | int | float

STATUS: dict[str, str] = {  # StrEnum keys: a stored value finds its label
    AttendanceStatus.PRESENT: "出席",
    AttendanceStatus.LEAVE: "请假",
    AttendanceStatus.ABSENT: "缺席",
}
SOURCE: dict[str, str] = {
    AttendanceSource.ROLL_CALL: "点名登记",
    AttendanceSource.CHECK_IN: "扫码签到",
    AttendanceSource.LEAVE_REQUEST: "本人请假",
}
UNRECORDED = "未登记"


def hhmm(local: datetime) -> str:
    """``local``'s clock time as 09:05: what strftime("%H:%M") gives, at a tenth of its
    cost (a county's ledger formats it a hundred thousand times)."""
    return f"{local.hour:02d}:{local.minute:02d}"


def day_and_minute(local: datetime) -> str:
    """2025-03-08 09:05."""
    return f"{local.date().isoformat()} {local.hour:02d}:{local.minute:02d}"


def _held_events(facts: Facts) -> Iterator[tuple[Occurrence, str, str, str, str]]:
    """The held occurrences of the kinds that keep records, each with what every row of
    its own shows: its day, time, kind and title (a schedule's worked out once)."""
    shown = {sid: (labels.KIND.get(s.kind, s.kind), s.title) for sid, s in facts.schedules.items()}
    zone = facts.zone
    for o in facts.recorded():
        if not facts.is_held(o):
            continue
        budget.check()
        start = o.start.astimezone(zone)
        at = labels.ALL_DAY if o.is_all_day else hhmm(start)
        yield o, start.date().isoformat(), at, *shown[o.schedule_id]


def attendance_rows(facts: Facts) -> Iterator[tuple[Cell, ...]]:
    # A person's name and 站所 are the same on every row: worked out once each.
    people = {
        pid: (p.name, labels.LIST_SEPARATOR.join(d.name for d in p.departments))
        for pid, p in facts.people.items()
    }
    for o, day, at, kind, title in _held_events(facts):
        marks = facts.marks.get(o.key, {})
        for pid in facts.roster(o):
            name, departments = people[pid]
            mark = marks.get(pid)
            if mark is None:
                yield day, at, kind, title, name, departments, UNRECORDED, "", ""
            else:
                status, source = STATUS[mark.status], SOURCE[mark.source]
                yield day, at, kind, title, name, departments, status, source, mark.note


def event_rows(facts: Facts) -> Iterator[tuple[Cell, ...]]:
    photos, other_files, summaries = facts.photos, facts.other_files, facts.summaries
    for o, day, at, kind, title in _held_events(facts):
        t = facts.totals(o)
        key = o.key
        yield (
            day, at, kind, title, facts.name(o.speaker_id), o.topic,
            t.expected, t.present, t.leave, t.absent, f"{t.rate:.0%}",
            photos.get(key, 0), other_files.get(key, 0), summaries.get(key, ""),
        )  # fmt: skip
