"""The work ledger (台账) export: .xlsx with several sheets, .csv for Excel."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import IO, cast

import pytest
import time_machine
from flask.testing import FlaskClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from service.context import Pufa
from service.models import OccurrenceOverride
from service.occurrences.reasons import occurrence_reason_text
from service.reports import ledger_files
from service.reports.ledger import Ledger, Table
from service.workflows import labels, study
from tests.support.workflows import item, lecture, local, pending_delivery, person, rule, seed_demo

RANGE = "from=2026-02-01&to=2026-03-31"


@pytest.fixture
def demo(pufa_state: Pufa) -> Iterator[None]:
    """The demo township on 2026-04-01: 3·8 was held, 宪法 is overdue, Mar 16 cancelled,
    孙丽 confirmed 宪法, two reminders went out (one delivered, one failed)."""
    seed_demo(pufa_state)
    with pufa_state.db.transaction() as session:
        schedule = lecture(session)
        override = session.scalars(
            select(OccurrenceOverride).where(
                OccurrenceOverride.original_start_at == local(2026, 3, 16, 16, 0)
            )
        ).one()
        override.is_cancelled, override.note = True, "镇党委会议"
        constitution = item(session, 2026, "宪法")
        study.confirm(session, constitution.id, person_id=person(session, "孙丽").id, note="",
                      now=local(2026, 3, 1), actor="t")  # fmt: skip
        speaker = rule(schedule, "speaker", 1440)
        sent = pending_delivery(session, schedule, speaker, person(session, "胡晓燕"),
                                local(2026, 3, 9, 16, 0), status="delivered")  # fmt: skip
        sent.sent_at = sent.due_at + timedelta(seconds=5)
        failed = pending_delivery(session, schedule, speaker, person(session, "马超"),
                                  local(2026, 3, 2, 16, 0), status="failed")  # fmt: skip
        failed.error_code, failed.reason = "21211", "invalid number"
        # Withdrawn, and due after the range: neither is in this ledger.
        pending_delivery(session, schedule, speaker, person(session, "孙丽"),
                         local(2026, 3, 2, 16, 0), status="retracted")  # fmt: skip
        pending_delivery(
            session, schedule, speaker, person(session, "吴敏"), local(2026, 4, 13, 16, 0)
        )
    with time_machine.travel(local(2026, 4, 1, 10, 0), tick=False):
        yield


def rows(sheet: Worksheet) -> list[tuple[object, ...]]:
    return [tuple(r) for r in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_workbook_has_a_sheet_per_table_with_chinese_headers_and_a_frozen_header_row(
    client: FlaskClient, viewer_headers: dict[str, str], demo: None
) -> None:
    response = client.get(f"/api/v1/ledger.xlsx?{RANGE}", headers=viewer_headers)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="ledger_2026-02-01_2026-03-31.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == [
        "日程台账", "每周一讲", "宣传活动", "学法进度", "短信提醒", "活动记录", "签到出勤",
    ]  # fmt: skip
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.b
        assert all((sheet.column_dimensions[c].width or 0) >= 8 for c in "ABC")


def test_the_lecture_sheet_says_who_spoke_on_what_and_what_did_not_happen(
    client: FlaskClient, viewer_headers: dict[str, str], demo: None
) -> None:
    response = client.get(f"/api/v1/ledger.xlsx?{RANGE}", headers=viewer_headers)
    lectures = rows(load_workbook(io.BytesIO(response.data))["每周一讲"])
    assert lectures[0] == ("2026-02-02", "16:00", "黄磊", "宗教事务条例", "镇政府三楼会议室",
                           "按计划", "已举行")  # fmt: skip
    by_date = {r[0]: r for r in lectures}
    assert by_date["2026-03-09"][2:4] == ("胡晓燕", "农村常用法律知识")
    assert by_date["2026-03-16"][5:] == ("已取消", "未举行")
    # Of the two Spring Festival lectures, the nearer one was held on the first working
    # day after it; the other joined it (one lecture a day), as the API and feed say.
    assert [r[5] for r in lectures if r[0] == "2026-02-24"] == ["节假日顺延"]
    assert [r[5:] for r in lectures if r[0] == "2026-02-16"] == [("节假日停办", "未举行")]
    assert len(lectures) == 9


def test_campaigns_study_progress_and_reminders_are_in_their_sheets(
    client: FlaskClient, viewer_headers: dict[str, str], demo: None
) -> None:
    response = client.get(f"/api/v1/ledger.xlsx?{RANGE}", headers=viewer_headers)
    workbook = load_workbook(io.BytesIO(response.data))
    ((title, first, last, place, departments, status, held),) = rows(workbook["宣传活动"])
    assert (title, first, last, place, status, held) == (
        "3·8 妇女节普法宣传", "2026-03-08", "2026-03-08", "蟒河镇集市广场", "按计划", "已举行"
    )  # fmt: skip
    assert set(str(departments).split("、")) == {"妇联", "司法所", "派出所"}
    constitution = rows(workbook["学法进度"])[0]
    assert constitution[:6] == (2026, "宪法", "2026-03-31", 20, 1, "5%")
    assert "孙丽" not in str(constitution[6]) and "吴敏" in str(constitution[6])
    reminders = rows(workbook["短信提醒"])
    assert [(r[2], r[6], r[7]) for r in reminders] == [
        ("马超", "发送失败", "21211"),
        ("胡晓燕", "已送达", None),
    ]
    assert reminders[1][1] == "2026-03-08 16:00"


def test_the_csv_is_the_occurrences_table_in_utf8_with_a_bom(
    client: FlaskClient, viewer_headers: dict[str, str], demo: None
) -> None:
    response = client.get(f"/api/v1/ledger.csv?{RANGE}", headers=viewer_headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset once
    assert response.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert tuple(table[0]) == labels.HEADERS["occurrences"]
    kinds = [row[3] for row in table[1:]]
    assert kinds.count("每周一讲") == 9 and kinds.count("宣传活动") == 1
    assert kinds.count("学法截止") == 1
    cancelled = next(row for row in table if row[0] == "2026-03-16")
    assert (cancelled[5], cancelled[6], cancelled[12]) == ("已取消", "未举行", "镇党委会议")


def test_text_that_looks_like_a_formula_stays_text(
    client: FlaskClient, pufa_state: Pufa, viewer_headers: dict[str, str], demo: None
) -> None:
    with pufa_state.db.transaction() as session:
        override = session.scalars(
            select(OccurrenceOverride).where(
                OccurrenceOverride.original_start_at == local(2026, 3, 9, 16, 0)
            )
        ).one()
        override.topic = '=HYPERLINK("http://evil.example","x")'
    xlsx = client.get(f"/api/v1/ledger.xlsx?{RANGE}", headers=viewer_headers)
    cell = next(
        c
        for c in load_workbook(io.BytesIO(xlsx.data))["每周一讲"]["D"]
        if c.value and "=" in c.value
    )
    assert cell.data_type == "s"
    csv_text = client.get(f"/api/v1/ledger.csv?{RANGE}", headers=viewer_headers).data
    assert "'=HYPERLINK" in csv_text.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("query", "error", "field"),
    [
        ("from=2026-01-01&to=2027-01-02", "range_too_long", "to"),  # 367 days
        ("from=2026-03-01&to=2026-02-01", "invalid_range", "to"),
        ("from=2026-03-01", "invalid", "to"),
        ("from=2026-02-30&to=2026-03-01", "invalid", "from"),
    ],
)
def test_a_bad_range_is_refused_with_a_reason(
    client: FlaskClient, viewer_headers: dict[str, str], query: str, error: str, field: str
) -> None:
    for extension in ("xlsx", "csv"):
        response = client.get(f"/api/v1/ledger.{extension}?{query}", headers=viewer_headers)
        assert response.status_code == 422
        body = response.get_json()
        assert body["error"] == error and field in body["fields"], body


def test_a_whole_leap_year_is_within_the_limit(
    client: FlaskClient, viewer_headers: dict[str, str]
) -> None:
    response = client.get(
        "/api/v1/ledger.csv?from=2028-01-01&to=2028-12-31", headers=viewer_headers
    )
    assert response.status_code == 200


def test_reasons_in_the_ledger_are_in_chinese(
    client: FlaskClient, viewer_headers: dict[str, str], demo: None
) -> None:
    """The 台账 goes to inspections: the engine's and the outbox's English reasons are
    written in Chinese, as the console shows them."""
    workbook = load_workbook(
        io.BytesIO(client.get(f"/api/v1/ledger.xlsx?{RANGE}", headers=viewer_headers).data)
    )
    cells = [str(c) for sheet in workbook for row in rows(sheet) for c in row if c]
    assert any("不是工作日，改到 2026-02-24" in c for c in cells)
    assert any("不是工作日" in c and "并入" in c for c in cells)
    assert not [c for c in cells if "working day" in c or "no longer" in c]


def test_the_csv_is_streamed_as_its_rows_are_made(
    client: FlaskClient,
    viewer_headers: dict[str, str],
    demo: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first chunk goes out before the last row is made: rows are not gathered first."""
    made = []

    def counted(reason: str) -> str:  # called once as each row is made
        made.append(reason)
        return occurrence_reason_text(reason)

    monkeypatch.setattr("service.reports.ledger.occurrence_reason_text", counted)
    monkeypatch.setattr(ledger_files, "_CSV_CHUNK", 1)  # a chunk per row
    response = client.get(f"/api/v1/ledger.csv?{RANGE}", headers=viewer_headers, buffered=False)
    assert response.status_code == 200 and response.is_streamed
    chunks = iter(cast(Iterable[bytes], response.response))
    first = next(chunks)
    assert first.startswith("\ufeff".encode()) and len(made) == 1
    rest = b"".join(chunks)
    assert len(made) == 11 and rest.count(b"\r\n") == 10
    assert "\ufeff".encode() not in rest  # one BOM, at the very start


def test_a_csv_that_has_begun_is_finished_even_past_the_budget(
    client: FlaskClient,
    pufa_state: Pufa,
    viewer_headers: dict[str, str],
    demo: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seconds = [0.0]
    pufa_state.monotonic = lambda: seconds[0]
    monkeypatch.setattr(ledger_files, "_CSV_CHUNK", 1)
    response = client.get(f"/api/v1/ledger.csv?{RANGE}", headers=viewer_headers, buffered=False)
    chunks = iter(cast(Iterable[bytes], response.response))
    next(chunks)
    seconds[0] += 3600  # the client reads slowly, or the rows are slow to make
    table = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert len(table) == 10 and table[-1][0] == "2026-03-31"


def test_a_workbook_stopped_halfway_is_a_503_and_leaves_no_open_file(
    client: FlaskClient,
    pufa_state: Pufa,
    viewer_headers: dict[str, str],
    demo: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The budget runs out while the writer is taking a sheet's rows (its widths were
    measured on one row): the error comes out of the writer as raised, the request is a
    503 and the file the workbook was going into is closed (so removed)."""
    files: list[IO[bytes]] = []
    real_temporary_file = tempfile.TemporaryFile

    def temporary_file() -> IO[bytes]:
        files.append(real_temporary_file())
        return files[-1]

    monkeypatch.setattr(tempfile, "TemporaryFile", temporary_file)  # downloads' too
    monkeypatch.setattr(ledger_files, "_WIDTH_SAMPLE", 1)
    rows_seen = [0]
    real_records = ledger_files._records

    def counted(headers: tuple[str, ...], rows: Iterator[tuple[object, ...]]) -> Iterator[object]:
        for record in real_records(headers, rows):  # type: ignore[arg-type]
            rows_seen[0] += 1
            yield record

    monkeypatch.setattr(ledger_files, "_records", counted)
    pufa_state.monotonic = lambda: 3600.0 if rows_seen[0] >= 3 else 0.0
    response = client.get(f"/api/v1/ledger.xlsx?{RANGE}", headers=viewer_headers)
    assert response.status_code == 503
    assert response.get_json()["error"] == "request_too_slow"
    assert rows_seen[0] >= 3  # stopped inside the writer, not before it
    assert files and all(f.closed for f in files)


def test_the_workbook_reads_back_in_read_only_mode_with_every_row(
    client: FlaskClient, viewer_headers: dict[str, str], demo: None
) -> None:
    """Written in write-only mode, it holds as many occurrence rows as the CSV, each
    sheet with its header row first."""
    xlsx = client.get(f"/api/v1/ledger.xlsx?{RANGE}", headers=viewer_headers)
    assert xlsx.headers["Content-Length"] == str(len(xlsx.data))
    workbook = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    sheet = workbook["日程台账"]
    assert not isinstance(sheet, Worksheet | None)  # a streaming reader
    table = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    csv_text = client.get(f"/api/v1/ledger.csv?{RANGE}", headers=viewer_headers).data
    csv_rows = list(csv.reader(io.StringIO(csv_text.decode("utf-8-sig"))))
    assert table[0] == labels.HEADERS["occurrences"] == tuple(csv_rows[0])
    assert len(table) == len(csv_rows) == 12  # 9 lectures, a campaign day, a deadline
    assert [row[0] for row in table[1:]] == [row[0] for row in csv_rows[1:]]
    workbook.close()


def test_the_writer_keeps_text_text_strips_control_characters_and_shows_empty_tables() -> None:
    """Values reach their cells as they are, numbers as numbers and every text as text,
    except what a cell cannot hold; a table without rows keeps its header row."""
    rows: list[tuple[str | int | float, ...]] = [
        ("=SUM(A1:A2)", 3, 2.5),
        ("#N/A", 0, -1.25),
        ("第一行\x0b第二行\x01", 7, 0.0),
        ("长" * 40_000, 1, 1.0),
    ]
    headers = ("名称", "人数", "比例")
    workbook = load_workbook(io.BytesIO(ledger_files.to_xlsx(Ledger(
        date(2026, 1, 1), date(2026, 1, 31),
        [Table("events", headers, iter(rows)), Table("study", ("年度", "学习内容"), iter([]))],
    ))))  # fmt: skip
    events, study = workbook[labels.SHEETS["events"]], workbook[labels.SHEETS["study"]]
    assert [c.value for c in events[1]] == list(headers)
    values = [tuple(row) for row in events.iter_rows(min_row=2, values_only=True)]
    assert values[:2] == [("=SUM(A1:A2)", 3, 2.5), ("#N/A", 0, -1.25)]
    assert all(events.cell(row=r, column=1).data_type == "s" for r in (2, 3))
    assert values[2] == ("第一行第二行", 7, 0)
    assert values[3][0] == "长" * 32_767  # as much as a cell holds
    assert [c.value for c in study[1]] == ["年度", "学习内容"]
    assert study.freeze_panes == "A2" and study["A1"].font.b
    assert not any(v for row in study.iter_rows(min_row=2, values_only=True) for v in row)


def test_a_control_character_far_down_a_long_table_is_stripped_there_only() -> None:
    """Texts are tested a batch of rows at a time: a bad one in a later batch is still
    found, and the rows around it keep their text as it is."""
    rows: list[tuple[str | int | float, ...]] = [(f"职工{n:04d}", n) for n in range(1_200)]
    rows[1_100] = ("职工\x07一一〇〇", 1_100)
    workbook = load_workbook(io.BytesIO(ledger_files.to_xlsx(Ledger(
        date(2026, 1, 1), date(2026, 1, 31), [Table("events", ("姓名", "序号"), iter(rows))],
    ))))  # fmt: skip
    values = list(workbook[labels.SHEETS["events"]].iter_rows(min_row=2, values_only=True))
    assert len(values) == 1_200
    assert values[1_100] == ("职工一一〇〇", 1_100)
    assert values[:1_100] + values[1_101:] == rows[:1_100] + rows[1_101:]
