"""The ledger's record tables: attendance (occurrence × person × status) and, per
event, its attendance totals, photo and file counts and whether a summary exists."""

from __future__ import annotations

from ..models import AttendanceSource, AttendanceStatus
from ..occurrences.expand import Occurrence
from ..workflows import labels
from .facts import Facts

Cell = str | int | float

STATUS = {
    AttendanceStatus.PRESENT: "出席",
    AttendanceStatus.LEAVE: "请假",
    AttendanceStatus.ABSENT: "缺席",
}
SOURCE = {
    AttendanceSource.ROLL_CALL: "点名登记",
    AttendanceSource.CHECK_IN: "扫码签到",
    AttendanceSource.LEAVE_REQUEST: "本人请假",
}
UNRECORDED = "未登记"


def _when(facts: Facts, o: Occurrence) -> tuple[str, str]:
    start = o.start.astimezone(facts.zone)
    return start.date().isoformat(), labels.ALL_DAY if o.is_all_day else start.strftime("%H:%M")


def attendance_rows(facts: Facts) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    for o in facts.recorded():
        if not facts.is_held(o):
            continue
        schedule = facts.schedules[o.schedule_id]
        day, at = _when(facts, o)
        marks = facts.marks.get(o.key, {})
        for pid in facts.roster(o):
            person = facts.people[pid]
            mark = marks.get(pid)
            rows.append((
                day, at, labels.KIND.get(schedule.kind, schedule.kind), schedule.title,
                person.name, labels.LIST_SEPARATOR.join(d.name for d in person.departments),
                STATUS[AttendanceStatus(mark.status)] if mark else UNRECORDED,
                SOURCE[AttendanceSource(mark.source)] if mark else "",
                mark.note if mark else "",
            ))  # fmt: skip
    return rows


def event_rows(facts: Facts) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = []
    for o in facts.recorded():
        if not facts.is_held(o):
            continue
        schedule = facts.schedules[o.schedule_id]
        day, at = _when(facts, o)
        t = facts.totals(o)
        rows.append((
            day, at, labels.KIND.get(schedule.kind, schedule.kind), schedule.title,
            facts.name(o.speaker_id), o.topic, t.expected, t.present, t.leave, t.absent,
            f"{t.rate:.0%}", facts.photos[o.key], facts.other_files[o.key],
            facts.summaries.get(o.key, ""),
        ))  # fmt: skip
    return rows
