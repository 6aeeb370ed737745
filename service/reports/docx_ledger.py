"""The Word 台账 for inspections: one section per event held in a period, with its time,
place, speaker, topic, attendance list, summary and photo thumbnails."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

from docx.shared import Cm
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from ..models import Attachment, AttachmentKind, AttendanceStatus
from ..occurrences.expand import Occurrence
from ..workflows import labels
from .docx_common import Styles, key_value_table, new_document, to_bytes
from .facts import Facts, Key, day_window, gather
from .ledger import check_range

PHOTOS_PER_ROW = 3
PHOTO_WIDTH = Cm(5)
STATUS = {
    AttendanceStatus.PRESENT: "出席",
    AttendanceStatus.LEAVE: "请假",
    AttendanceStatus.ABSENT: "缺席",
}


def build(session: Session, start: date, end: date, *, zone: Any, now: datetime) -> bytes:
    check_range(start, end)
    facts = gather(session, day_window(start, end, zone), zone=zone, now=now)
    events = [o for o in facts.recorded() if facts.is_held(o)]
    thumbnails = _thumbnails(session, {o.key for o in events})
    document = new_document()
    styles = Styles(document)
    document.add_heading(f"工作台账（{start.isoformat()} 至 {end.isoformat()}）", level=0)
    document.add_paragraph(
        f"共 {len(events)} 项活动。导出时间：{now.astimezone(zone):%Y-%m-%d %H:%M}"
    )
    for number, occurrence in enumerate(events, start=1):
        _section(document, styles, facts, occurrence, number, thumbnails.get(occurrence.key, []))
    return to_bytes(document)


def _section(
    document: Any, styles: Styles, facts: Facts, o: Occurrence, number: int, photos: list[bytes]
) -> None:
    schedule = facts.schedules[o.schedule_id]
    start, end = o.start.astimezone(facts.zone), o.end.astimezone(facts.zone)
    when = f"{start:%Y-%m-%d}（全天）" if o.is_all_day else f"{start:%Y-%m-%d %H:%M}—{end:%H:%M}"
    styles.paragraph(document, f"{number}. {schedule.title}", "Heading 1")
    departments = (
        labels.EVERYONE
        if schedule.is_for_everyone
        else labels.LIST_SEPARATOR.join(d.name for d in schedule.departments)
    )
    t = facts.totals(o)
    key_value_table(
        document,
        styles,
        [
            ("类别", labels.KIND.get(schedule.kind, schedule.kind)),
            ("时间", when),
            ("地点", o.location or "—"),
            ("主讲人", facts.name(o.speaker_id) or "—"),
            ("主题", o.topic or "—"),
            ("参加站所", departments or "—"),
            ("出勤", f"应到 {t.expected} 人，出席 {t.present} 人，请假 {t.leave} 人，"
                     f"缺席 {t.absent} 人，未登记 {t.unrecorded} 人"),
        ],
    )  # fmt: skip
    document.add_paragraph()
    marks = facts.marks.get(o.key, {})
    by_status: dict[str, list[str]] = {"出席": [], "请假": [], "缺席": [], "未登记": []}
    for pid in facts.roster(o):
        mark = marks.get(pid)
        name = facts.name(pid)
        if mark is None:
            by_status["未登记"].append(name)
        elif mark.status == AttendanceStatus.LEAVE and mark.note:
            by_status["请假"].append(f"{name}（{mark.note}）")
        else:
            by_status[STATUS[AttendanceStatus(mark.status)]].append(name)
    styles.paragraph(document, "签到名单", "Heading 3")
    for status, names in by_status.items():
        if names:
            document.add_paragraph(f"{status}：{labels.LIST_SEPARATOR.join(names)}")
    styles.paragraph(document, "内容摘要", "Heading 3")
    document.add_paragraph(facts.summaries.get(o.key) or "（未填写）")
    styles.paragraph(document, f"活动照片（{len(photos)} 张）", "Heading 3")
    if photos:
        rows = (len(photos) + PHOTOS_PER_ROW - 1) // PHOTOS_PER_ROW
        table = document.add_table(rows=rows, cols=PHOTOS_PER_ROW)
        for index, thumbnail in enumerate(photos):
            cell = table.cell(index // PHOTOS_PER_ROW, index % PHOTOS_PER_ROW)
            cell.paragraphs[0].add_run().add_picture(io.BytesIO(thumbnail), width=PHOTO_WIDTH)


def _thumbnails(session: Session, keys: set[Key]) -> dict[Key, list[bytes]]:
    if not keys:
        return {}
    starts = [at for _, at in keys]
    query = (
        select(Attachment)
        .where(
            Attachment.kind == AttachmentKind.EVIDENCE,
            Attachment.thumbnail.is_not(None),
            Attachment.schedule_id.in_({sid for sid, _ in keys}),
            Attachment.original_start_at.between(min(starts), max(starts)),
        )
        .options(undefer(Attachment.thumbnail))
        .order_by(Attachment.id)
    )
    found: dict[Key, list[bytes]] = {}
    for row in session.scalars(query):
        key = (row.schedule_id, row.original_start_at.astimezone(UTC))
        if key in keys and row.thumbnail is not None:
            found.setdefault(key, []).append(row.thumbnail)
    return found
