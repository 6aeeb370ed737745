"""People imported from an .xlsx or .csv (姓名, 手机, 站所, 角色) and the list exported.

A check (dry run) reads the file and lists every row's problem in Chinese, writing
nothing. When no row has a problem, the page carries the rows to "导入", which checks
them again and writes all of them in one transaction through ``domain.people``
(audited, as the API writes them), or none.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import g, render_template, request
from flask.typing import ResponseReturnValue
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from ...context import db_session
from ...domain.common import committed
from ...domain.people import PersonIn, create_people
from ...downloads import attachment
from ...errors import PufaError
from ...models import Department, Person
from ...phones import PhoneError, normalize_mobile
from ...reports.ledger_files import CSV_MIMETYPE, XLSX_MIMETYPE
from ...workflows.labels import PERSON_ROLE
from .. import messages
from ..blueprints import web_blueprint

bp = web_blueprint("web_people_import", __name__, "/admin/people/import", admin=True)

HEADERS = ("姓名", "手机", "站所", "角色")
REQUIRED_HEADERS = ("姓名", "手机")
MAX_ROWS = 1000
MAX_COLUMNS = 64  # a sheet with thousands of columns is not a list of people
# The app's request limit (MAX_CONTENT_LENGTH, 1 MB) bounds the upload; this is a
# little under it so the file and its multipart framing fit.
MAX_FILE_BYTES = 900 * 1024
ROLES = {**{label: code for code, label in PERSON_ROLE.items()}, **{c: c for c in PERSON_ROLE}}
_SEPARATORS = re.compile(r"[、,，;；/]")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Row:
    """One row of the file (``line`` as the spreadsheet numbers it; 1 is the header)."""

    line: int
    name: str
    mobile: str
    departments: str
    role: str
    problems: list[str] = field(default_factory=list)
    person: PersonIn | None = None

    def raw(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "name": self.name,
            "mobile": self.mobile,
            "departments": self.departments,
            "role": self.role,
        }


class FileRefused(Exception):
    """The file as a whole cannot be read (its type, size or header)."""


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    message = messages.IMPORT_FILE_TOO_LARGE.format(limit=MAX_FILE_BYTES // 1024)
    return _page(error=message), 413


@bp.get("/")
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/check")
def check() -> ResponseReturnValue:
    """The dry run: every row's problem, and nothing written."""
    try:
        rows = read_upload()
    except FileRefused as refused:
        return _page(error=str(refused)), 400
    session = db_session()
    check_rows(session, rows)
    session.rollback()
    return _page(rows=rows), 400 if _bad(rows) else 200


@bp.post("/commit")
def commit() -> ResponseReturnValue:
    """Write every row in one transaction, or none: the rows are checked again here
    (the list may have changed since the dry run)."""
    try:
        rows = _rows_from_form(request.form.get("rows", ""))
    except FileRefused as refused:
        return _page(error=str(refused)), 400
    session = db_session()
    check_rows(session, rows)
    if _bad(rows):
        session.rollback()
        return _page(rows=rows), 400
    try:
        with committed(session):
            create_people(session, g.actor, [row.person for row in rows if row.person])
    except PufaError as error:  # e.g. a mobile taken between the check and now
        return _page(error=messages.service_reason(error.message)), 409
    return _page(done=len(rows))


@bp.get("/export.<fmt>")
def export(fmt: str) -> ResponseReturnValue:
    if fmt not in ("xlsx", "csv"):
        return _page(error=messages.IMPORT_FILE_TYPE), 404
    table = people_table(db_session())
    if fmt == "xlsx":
        content, mimetype = to_xlsx(table), XLSX_MIMETYPE
    else:
        content, mimetype = to_csv(table), CSV_MIMETYPE
    return attachment(content, mimetype, f"people.{fmt}", f"人员名单.{fmt}")


def _page(
    *,
    rows: list[Row] | None = None,
    error: str = "",
    done: int | None = None,
) -> str:
    bad = [r for r in rows or [] if r.problems]
    return render_template(
        "admin/people_import.html",
        rows=rows,
        bad=bad,
        error=error,
        done=done,
        headers=HEADERS,
        roles="、".join(PERSON_ROLE.values()),
        max_kb=MAX_FILE_BYTES // 1024,
        max_rows=MAX_ROWS,
        payload=json.dumps([r.raw() for r in rows or []], ensure_ascii=False),
        summary=(
            messages.IMPORT_HAS_PROBLEMS.format(count=len(bad))
            if bad
            else messages.IMPORT_CHECKED.format(count=len(rows or []))
        ),
    )


def _bad(rows: list[Row]) -> bool:
    return any(r.problems for r in rows)


# Reading ------------------------------------------------------------------------------


def read_upload() -> list[Row]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise FileRefused(messages.IMPORT_FILE_MISSING)
    suffix = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    if suffix not in ("xlsx", "csv"):
        raise FileRefused(messages.IMPORT_FILE_TYPE)
    content = upload.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise FileRefused(messages.IMPORT_FILE_TOO_LARGE.format(limit=MAX_FILE_BYTES // 1024))
    table = read_xlsx(content) if suffix == "xlsx" else read_csv(content)
    return rows_of(table)


def read_xlsx(content: bytes) -> list[list[str]]:
    """The first sheet's rows as text; any file openpyxl cannot read is refused."""
    table: list[list[str]] = []
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            for values in workbook.worksheets[0].iter_rows(values_only=True):
                table.append([_text(v) for v in values[:MAX_COLUMNS]])
                if len(table) > MAX_ROWS + 1:
                    break
        finally:
            workbook.close()
    except Exception:
        raise FileRefused(messages.IMPORT_FILE_UNREADABLE) from None
    return table


def read_csv(content: bytes) -> list[list[str]]:
    # Excel saves CSV as UTF-8 (with a BOM) or, on Chinese Windows, as GBK.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRefused(messages.IMPORT_FILE_UNREADABLE)
    if "\x00" in text:
        raise FileRefused(messages.IMPORT_FILE_UNREADABLE)
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""))][: MAX_ROWS + 2]
    except csv.Error:
        raise FileRefused(messages.IMPORT_FILE_UNREADABLE) from None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a mobile typed into Excel becomes a number
    return str(value).strip()


def rows_of(table: list[list[str]]) -> list[Row]:
    if not table:
        raise FileRefused(messages.IMPORT_EMPTY)
    header = [h.strip().lstrip("\ufeff") for h in table[0]]
    if not all(h in header for h in REQUIRED_HEADERS):
        raise FileRefused(messages.IMPORT_NO_HEADER)
    where = {h: header.index(h) for h in HEADERS if h in header}

    def cell(values: list[str], name: str) -> str:
        index = where.get(name)
        return _unguard(values[index].strip()) if index is not None and index < len(values) else ""

    rows = []
    for number, values in enumerate(table[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        rows.append(
            Row(number, cell(values, "姓名"), cell(values, "手机"), cell(values, "站所"),
                cell(values, "角色"))
        )  # fmt: skip
    if not rows:
        raise FileRefused(messages.IMPORT_EMPTY)
    if len(rows) > MAX_ROWS:
        raise FileRefused(messages.IMPORT_TOO_MANY_ROWS.format(limit=MAX_ROWS))
    return rows


def _rows_from_form(payload: str) -> list[Row]:
    try:
        items = json.loads(payload)
        rows = [
            Row(int(i["line"]), str(i["name"]), str(i["mobile"]), str(i["departments"]),
                str(i["role"]))
            for i in items
        ]  # fmt: skip
    except (ValueError, TypeError, KeyError):
        raise FileRefused(messages.IMPORT_FILE_UNREADABLE) from None
    if not rows:
        raise FileRefused(messages.IMPORT_EMPTY)
    if len(rows) > MAX_ROWS:
        raise FileRefused(messages.IMPORT_TOO_MANY_ROWS.format(limit=MAX_ROWS))
    return rows


# Checking -----------------------------------------------------------------------------


def check_rows(session: Session, rows: list[Row]) -> None:
    """Record every problem of every row; a row without problems gets its ``PersonIn``."""
    departments = {
        name.strip().lower(): department_id
        for department_id, name in session.execute(select(Department.id, Department.name))
    }
    owners: dict[str | None, str] = {
        mobile: name
        for mobile, name in session.execute(
            select(Person.mobile, Person.name).where(Person.mobile.is_not(None))
        )
    }
    names_without_mobile = set(
        session.scalars(select(func.lower(Person.name)).where(Person.mobile.is_(None)))
    )
    existing_names = set(session.scalars(select(func.lower(Person.name))))
    seen_mobiles: dict[str, int] = {}
    seen_bare_names: dict[str, int] = {}
    for row in rows:
        row.problems.clear()
        row.person = None
        if not row.name:
            row.problems.append(messages.IMPORT_NAME_MISSING)
        mobile = _mobile(row)
        if mobile is not None:
            owner = owners.get(mobile)
            if owner is not None:
                shown = _national(mobile)
                row.problems.append(messages.IMPORT_MOBILE_TAKEN.format(mobile=shown, name=owner))
            if mobile in seen_mobiles:
                row.problems.append(
                    messages.IMPORT_MOBILE_REPEATED.format(row=seen_mobiles[mobile])
                )
            seen_mobiles.setdefault(mobile, row.line)
        elif not row.mobile and row.name:
            key = row.name.lower()
            if key in existing_names or key in names_without_mobile:
                row.problems.append(messages.IMPORT_NAME_TAKEN.format(name=row.name))
            if key in seen_bare_names:
                row.problems.append(messages.IMPORT_ROW_REPEATED.format(row=seen_bare_names[key]))
            seen_bare_names.setdefault(key, row.line)
        department_ids = []
        for name in _split(row.departments):
            department_id = departments.get(name.lower())
            if department_id is None:
                row.problems.append(messages.IMPORT_DEPARTMENT_UNKNOWN.format(name=name))
            else:
                department_ids.append(department_id)
        role = ROLES.get(row.role.strip() or "staff")
        if role is None:
            choices = "、".join(PERSON_ROLE.values())
            row.problems.append(messages.IMPORT_ROLE_UNKNOWN.format(role=row.role, choices=choices))
        if row.problems or not row.name:
            continue
        try:
            row.person = PersonIn.model_validate(
                {"name": row.name, "mobile": mobile, "role": role,
                 "department_ids": sorted(set(department_ids))}
            )  # fmt: skip
        except ValidationError as error:
            for item in error.errors(include_url=False):
                label = {"name": "姓名", "mobile": "手机"}.get(str(item["loc"][0]), "")
                row.problems.append(f"{label}：{messages.pydantic_message(item)}")


def _mobile(row: Row) -> str | None:
    """The row's mobile in E.164, None when empty; a bad one is the row's problem."""
    if not row.mobile:
        return None
    try:
        return normalize_mobile(row.mobile[:40])
    except PhoneError:
        row.problems.append(messages.IMPORT_MOBILE_INVALID.format(mobile=row.mobile[:40]))
        return None


def _split(text: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


# Exporting ----------------------------------------------------------------------------


def people_table(session: Session) -> list[tuple[str, str, str, str]]:
    people = session.scalars(
        select(Person).options(selectinload(Person.departments)).order_by(Person.name, Person.id)
    )
    return [
        (
            p.name,
            _national(p.mobile) if p.mobile else "",
            "、".join(d.name for d in sorted(p.departments, key=lambda d: d.name)),
            PERSON_ROLE.get(p.role, p.role),
        )
        for p in people
    ]


def _national(mobile: str) -> str:
    """A Chinese mobile as people write it (13900008000); others stay E.164."""
    return mobile[3:] if mobile.startswith("+86") else mobile


def to_xlsx(table: Iterable[tuple[str, ...]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "人员名单"
    sheet.append(list(HEADERS))
    for row in table:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            cell.number_format = "@"  # text: Excel must not turn a mobile into 1.39E+10
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCD", (12, 16, 24, 12), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_csv(table: Iterable[tuple[str, ...]]) -> bytes:
    """UTF-8 with a BOM, so that Excel on Windows opens the Chinese as Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows([_guard(value) for value in row] for row in table)
    return buffer.getvalue().encode("utf-8-sig")


def _guard(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by Excel (CSV injection).
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _unguard(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) else value
