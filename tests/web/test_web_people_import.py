"""People imported from an .xlsx or .csv: a dry run that names every row's problem and
writes nothing, one all-or-nothing commit through the domain layer (audited), and the
list exported as xlsx and csv that import again."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import timedelta

from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from service.context import Pufa
from service.models import (
    AuditEntry,
    Delivery,
    Department,
    Person,
    ReminderRule,
    Schedule,
    utcnow,
)
from tests.support.web import csrf_from, sign_in

PAGE = "/admin/people/import/"
HEADER = ["姓名", "手机", "站所", "角色"]
GOOD = [
    ["王芳", "13900008000", "司法所", "职工"],
    ["李明", "139 0000 8001", "司法所、综治中心", "站所负责人"],
    ["赵强", "+8613900008002", "", ""],
]
MIXED = [
    *GOOD,
    ["", "13900008003", "司法所", "职工"],  # line 5: no name
    ["孙丽", "12345", "司法所", "职工"],  # line 6: bad mobile
    ["周杰", "13900008000", "司法所", "职工"],  # line 7: same mobile as line 2
    ["吴刚", "13900008004", "不存在所", "职工"],  # line 8: unknown 站所
    ["郑敏", "13900008005", "司法所", "局长"],  # line 9: unknown 角色
]


def _departments(state: Pufa) -> None:
    with state.db.transaction() as session:
        session.add_all([Department(name="司法所"), Department(name="综治中心")])


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _check(client: FlaskClient, content: bytes, filename: str) -> TestResponse:
    token = csrf_from(client.get(PAGE).get_data(as_text=True))
    return client.post(
        "/admin/people/import/check",
        data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def _commit(client: FlaskClient, page: str) -> TestResponse:
    payload = re.search(r'name="rows" value="([^"]*)"', page)
    assert payload, "the dry run offers no commit"
    return client.post(
        "/admin/people/import/commit",
        data={"csrf_token": csrf_from(page), "rows": html_lib.unescape(payload.group(1))},
    )


def _count(state: Pufa) -> int:
    with state.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Person)) or 0


def _row_problem(page: str, line: int) -> str:
    match = re.search(rf"<td>第 {line} 行</td>(.*?)</tr>", page, re.S)
    assert match, f"row {line} is not listed"
    return match.group(1)


def test_a_dry_run_names_each_rows_problem_and_writes_nothing(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    _departments(pufa_state)
    sign_in(client, pufa_state)
    response = _check(client, _xlsx(MIXED), "名单.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "5 行有问题，没有写入任何数据" in page
    for line in (2, 3, 4):
        assert "可以导入" in _row_problem(page, line)
    assert "缺少姓名" in _row_problem(page, 5)
    assert "手机号码“12345”无效" in _row_problem(page, 6)
    assert "手机号码与第 2 行重复" in _row_problem(page, 7)
    assert "站所“不存在所”不存在" in _row_problem(page, 8)
    assert "角色“局长”无效" in _row_problem(page, 9)
    assert 'name="rows"' not in page  # nothing to commit while any row is wrong
    assert _count(pufa_state) == 0


def test_the_commit_writes_every_row_audited_and_a_reimport_reports_duplicates(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    _departments(pufa_state)
    sign_in(client, pufa_state)
    content = _csv(GOOD)
    checked = _check(client, content, "people.csv")
    assert checked.status_code == 200
    assert "检查通过：3 人可以导入" in checked.get_data(as_text=True)
    assert _count(pufa_state) == 0  # the check wrote nothing
    done = _commit(client, checked.get_data(as_text=True))
    assert done.status_code == 200 and "已导入 3 人" in done.get_data(as_text=True)
    with pufa_state.db.sessions() as session:
        people = {p.name: p for p in session.scalars(select(Person))}
        assert people["王芳"].mobile == "+8613900008000"
        assert sorted(d.name for d in people["李明"].departments) == ["司法所", "综治中心"]
        assert people["李明"].role == "head" and people["赵强"].role == "staff"
        audits = session.scalars(select(AuditEntry).where(AuditEntry.resource == "person"))
        assert sorted(a.action for a in audits) == ["create"] * 3
    again = _check(client, content, "people.csv").get_data(as_text=True)
    assert "3 行有问题" in again
    assert "已属于现有人员“王芳”" in _row_problem(again, 2)
    assert "已属于现有人员“李明”" in _row_problem(again, 3)
    assert _count(pufa_state) == 3


def test_a_commit_is_all_or_nothing(client: FlaskClient, pufa_state: Pufa) -> None:
    _departments(pufa_state)
    sign_in(client, pufa_state)
    page = _check(client, _csv(GOOD), "people.csv").get_data(as_text=True)
    # Someone takes the third mobile between the dry run and the commit.
    with pufa_state.db.transaction() as session:
        session.add(Person(name="钱进", mobile="+8613900008002"))
    response = _commit(client, page)
    assert response.status_code == 400
    assert "已属于现有人员“钱进”" in response.get_data(as_text=True)
    assert _count(pufa_state) == 1


def test_other_file_types_are_refused_in_chinese(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    response = _check(client, b"%PDF-1.4", "名单.pdf")
    assert response.status_code == 400
    assert "只能上传 .xlsx 或 .csv 文件" in response.get_data(as_text=True)
    response = _check(client, b"not a workbook", "名单.xlsx")
    assert "无法读取这个文件" in response.get_data(as_text=True)
    response = _check(client, "名字,电话\n王芳,13900008000\n".encode(), "x.csv")
    assert "第 1 行须是表头" in response.get_data(as_text=True)
    response = _check(client, b"a" * (2 * 1024 * 1024), "big.csv")
    assert response.status_code == 413
    assert "文件太大" in response.get_data(as_text=True)


def test_export_round_trips_as_xlsx_and_csv(client: FlaskClient, pufa_state: Pufa) -> None:
    _departments(pufa_state)
    sign_in(client, pufa_state)
    _commit(client, _check(client, _csv(GOOD), "people.csv").get_data(as_text=True))
    assert "批量导入" in client.get("/admin/people/").get_data(as_text=True)

    xlsx = client.get("/admin/people/import/export.xlsx")
    assert xlsx.status_code == 200
    assert "filename*=UTF-8''%E4%BA%BA%E5%91%98" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    rows = [[c or "" for c in r] for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert sorted(rows[1:]) == sorted(
        [
            ["王芳", "13900008000", "司法所", "职工"],
            ["李明", "13900008001", "司法所、综治中心", "站所负责人"],
            ["赵强", "13900008002", "", "职工"],
        ]
    )

    exported_csv = client.get("/admin/people/import/export.csv")
    assert exported_csv.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    parsed = list(csv.reader(io.StringIO(exported_csv.data.decode("utf-8-sig"))))
    assert sorted(parsed[1:]) == sorted(rows[1:])

    # Imported into an empty list, the exports recreate the same people.
    with pufa_state.db.transaction() as session:
        for person in session.scalars(select(Person)):
            session.delete(person)
    for data, name in ((xlsx.data, "人员名单.xlsx"), (exported_csv.data, "人员名单.csv")):
        checked = _check(client, data, name)
        assert checked.status_code == 200, checked.get_data(as_text=True)
        assert "检查通过：3 人可以导入" in checked.get_data(as_text=True)
    _commit(client, checked.get_data(as_text=True))
    again = client.get("/admin/people/import/export.csv").data
    assert sorted(csv.reader(io.StringIO(again.decode("utf-8-sig")))) == sorted(parsed)


def test_imported_people_get_their_reminders_planned_at_once(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    _departments(pufa_state)
    with pufa_state.db.transaction() as session:
        office = session.scalars(select(Department).where(Department.name == "司法所")).one()
        start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
        session.add(
            Schedule(
                kind="lecture", title="机关职工每周一讲", starts_at=start, departments=[office],
                rules=[ReminderRule(name="提前一天", lead_minutes=1440,
                                    template="lecture_audience")],
            )
        )  # fmt: skip
    sign_in(client, pufa_state)
    _commit(client, _check(client, _csv(GOOD), "people.csv").get_data(as_text=True))
    with pufa_state.db.sessions() as session:
        planned = session.scalars(select(Delivery.to).where(Delivery.status == "pending"))
        assert sorted(planned) == ["+8613900008000", "+8613900008001"]  # 赵强 has no 站所
