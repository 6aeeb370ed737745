"""The ledger's record sheets, the Word 台账 and the annual report, from one set of
records: the Mar 2 lecture (孙丽 present, 周伟 on leave, 马超 absent, a photo, a
summary) and 3·8 (郑洁 present, two photos)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import time_machine
from docx import Document
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from service.context import Pufa
from service.models import (
    AttachmentKind,
    AttendanceSource,
    AttendanceStatus,
    Schedule,
)
from service.records import attachments, attendance, notes
from service.records.occurrence import find
from tests.support.records import jpeg_with_gps, png
from tests.support.workflows import lecture, local, person, seed_demo

RANGE = "from=2026-02-01&to=2026-03-31"


@pytest.fixture
def records(pufa_state: Pufa) -> Iterator[None]:
    seed_demo(pufa_state)
    now = local(2026, 3, 9, 9, 0)
    with pufa_state.db.transaction() as session:
        talk = find(session, lecture(session).id, local(2026, 3, 2, 16, 0))
        for name, status, note in (
            ("孙丽", AttendanceStatus.PRESENT, ""),
            ("周伟", AttendanceStatus.LEAVE, "下村调解"),
            ("马超", AttendanceStatus.ABSENT, ""),
        ):
            attendance.record(session, talk, person(session, name).id, status, note,
                              source=AttendanceSource.ROLL_CALL, actor="t", now=now)  # fmt: skip
        attachments.add(session, talk, jpeg_with_gps(), "讲座.jpg", AttachmentKind.EVIDENCE,
                        actor="t", now=now)  # fmt: skip
        attachments.add(session, talk, b"%PDF-1.4\n", "讲稿.pdf", AttachmentKind.MATERIAL,
                        actor="t", now=now)  # fmt: skip
        notes.set_summary(session, talk, "讲解宪法修正案要点。", actor="t", now=now)
        women_day = session.scalars(select(Schedule).where(Schedule.title.contains("妇女"))).one()
        day = find(session, women_day.id, local(2026, 3, 8, 0, 0))
        attendance.record(session, day, person(session, "郑洁").id, AttendanceStatus.PRESENT,
                          "", source=AttendanceSource.ROLL_CALL, actor="t", now=now)  # fmt: skip
        for _ in range(2):
            attachments.add(session, day, png(), "街头宣传.png", AttachmentKind.EVIDENCE,
                            actor="t", now=now)  # fmt: skip
    with time_machine.travel(local(2026, 4, 1, 10, 0), tick=False):
        yield


def test_the_workbook_lists_who_attended_and_counts_photos_per_event(
    client: FlaskClient, viewer_headers: dict[str, str], records: None
) -> None:
    response = client.get(f"/api/v1/ledger.xlsx?{RANGE}", headers=viewer_headers)
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = [tuple(r) for r in workbook["签到出勤"].iter_rows(min_row=2, values_only=True)]
    mar2 = {r[4]: r for r in sheet if r[0] == "2026-03-02"}
    assert len(mar2) == 20  # the lecture is for everyone
    assert mar2["孙丽"][6:8] == ("出席", "点名登记")
    assert mar2["周伟"][6:] == ("请假", "点名登记", "下村调解")
    assert mar2["王建国"][6] == "未登记"
    events = {(r[0], r[3]): r for r in workbook["活动记录"].iter_rows(min_row=2, values_only=True)}
    talk = events[("2026-03-02", "机关职工每周一讲")]
    assert talk[6:13] == (20, 1, 1, 1, "5%", 1, 0)
    assert talk[13] == "讲解宪法修正案要点。"
    women = next(r for (day, title), r in events.items() if "妇女" in str(title))
    assert women[11] == 2


def test_the_word_ledger_has_a_section_per_event_with_names_summary_and_thumbnails(
    client: FlaskClient, viewer_headers: dict[str, str], records: None
) -> None:
    response = client.get(f"/api/v1/ledger.docx?{RANGE}", headers=viewer_headers)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="ledger_')
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "机关职工每周一讲" in text and "妇女" in text
    assert "出席：孙丽" in text
    assert "请假：周伟（下村调解）" in text
    assert "缺席：马超" in text
    assert "讲解宪法修正案要点。" in text
    assert "主讲人" in cells and "镇政府三楼会议室" in cells
    # One lecture photo, two campaign photos (the same picture, stored once); no PDF.
    assert len(document.inline_shapes) == 3


def test_the_annual_report_counts_lectures_attendance_campaigns_study_and_sms(
    client: FlaskClient, viewer_headers: dict[str, str], records: None
) -> None:
    response = client.get("/api/v1/reports/annual?year=2026", headers=viewer_headers)
    assert response.status_code == 200
    report = response.get_json()
    lectures = report["lectures"]
    assert lectures["held"] == len(lectures["topics"]) > 0
    assert lectures["planned"] >= lectures["held"] + lectures["cancelled"]
    by_person = {p["name"]: p for p in report["attendance"]["by_person"]}
    assert by_person["周伟"]["leave"] == 1
    assert by_person["郑洁"]["present"] == 1
    assert report["attendance"]["present"] == 2
    justice = next(d for d in report["attendance"]["by_department"] if d["department"] == "司法所")
    assert justice["present"] == 1
    women = next(c for c in report["campaigns"]["items"] if "妇女" in c["title"])
    assert (women["photos"], women["present"]) == (2, 1)
    assert report["study"]["plan"] is not None
    assert set(report["sms"]) == {"total", "sent", "delivered", "failed", "segments"}
    paragraphs = {p["area"]: p for p in report["paragraphs"]}
    assert set(paragraphs) == {"lectures", "attendance", "campaigns", "study", "sms"}
    assert all(p["status"] == "草稿" for p in paragraphs.values())
    held = lectures["held"]
    assert f"全年组织开展“机关职工每周一讲”活动 {held} 期" in paragraphs["lectures"]["text"]
    assert "参加 2 人次" in paragraphs["attendance"]["text"]


def test_the_annual_report_as_word_is_marked_a_draft(
    client: FlaskClient, viewer_headers: dict[str, str], records: None
) -> None:
    response = client.get("/api/v1/reports/annual.docx?year=2026", headers=viewer_headers)
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
    assert "【草稿】" in text
    assert "全年组织开展“机关职工每周一讲”活动" in text


def test_a_year_out_of_range_is_422(client: FlaskClient, viewer_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/reports/annual?year=99999", headers=viewer_headers)
    assert response.status_code == 422
    assert "年份" in response.get_json()["message"]
