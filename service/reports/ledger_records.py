"""The ledger's record tables: attendance (occurrence × person × status) and, per
event, its attendance totals, photo and file counts and whether a summary exists."""

from __future__ import annotations

from collections.abc import Iterator

from .. import budget
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


def attendance_rows(facts: Facts) -> Iterator[tuple[Cell, ...]]:
    # A person's name and 站所 are the same on every row: worked out once each.
    people = {
        pid: (p.name, labels.LIST_SEPARATOR.join(d.name for d in p.departments))
        for pid, p in facts.people.items()
    }
    for o in facts.recorded():
        if not facts.is_held(o):
            continue
        budget.check()
        schedule = facts.schedules[o.schedule_id]
        day, at = _when(facts, o)
        kind = labels.KIND.get(schedule.kind, schedule.kind)
        marks = facts.marks.get(o.key, {})
        for pid in facts.roster(o):
            name, departments = people[pid]
            mark = marks.get(pid)
            if mark is None:
                yield day, at, kind, schedule.title, name, departments, UNRECORDED, "", ""
            else:
                status = STATUS[AttendanceStatus(mark.status)]
                source = SOURCE[AttendanceSource(mark.source)]
                yield day, at, kind, schedule.title, name, departments, status, source, mark.note


def event_rows(facts: Facts) -> Iterator[tuple[Cell, ...]]:
    for o in facts.recorded():
        if not facts.is_held(o):
            continue
        budget.check()
        schedule = facts.schedules[o.schedule_id]
        day, at = _when(facts, o)
        t = facts.totals(o)
        yield (
            day, at, labels.KIND.get(schedule.kind, schedule.kind), schedule.title,
            facts.name(o.speaker_id), o.topic, t.expected, t.present, t.leave, t.absent,
            f"{t.rate:.0%}", facts.photos[o.key], facts.other_files[o.key],
            facts.summaries.get(o.key, ""),
        )  # fmt: skip
