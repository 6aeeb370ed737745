"""Files handed to a browser or an API client: the ledger (台账) in each of its forms and
the annual report, built the same way for the JSON API and the console."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Response
from sqlalchemy.orm import Session

from .reports import annual, docx_annual, docx_ledger, ledger, ledger_files
from .reports.docx_common import DOCX_MIMETYPE

LedgerFormat = Literal["xlsx", "csv", "docx"]


def attachment(content: bytes, mimetype: str, ascii_name: str, chinese_name: str) -> Response:
    """A download with an ASCII name for old clients and the Chinese one (RFC 6266
    ``filename*``) for the rest."""
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese_name)}"
    # content_type, not mimetype: werkzeug would add a second "; charset=utf-8".
    return Response(content, content_type=mimetype, headers={"Content-Disposition": disposition})


def ledger_download(
    session: Session, start: date, end: date, form: LedgerFormat, *, zone: ZoneInfo, now: datetime
) -> Response:
    """The ledger of ``start`` to ``end`` (local days) as a workbook, CSV or Word file."""
    if form == "docx":
        content, mimetype = (
            docx_ledger.build(session, start, end, zone=zone, now=now),
            DOCX_MIMETYPE,
        )
    else:
        built = ledger.build(session, start, end, zone=zone, now=now)
        if form == "xlsx":
            content, mimetype = ledger_files.to_xlsx(built), ledger_files.XLSX_MIMETYPE
        else:
            content, mimetype = ledger_files.to_csv(built), ledger_files.CSV_MIMETYPE
    stem = f"{start.isoformat()}_{end.isoformat()}.{form}"
    return attachment(content, mimetype, f"ledger_{stem}", f"台账_{stem}")


def annual_report(session: Session, year: int, *, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    return annual.build(session, year, zone=zone, now=now)


def annual_report_download(
    session: Session, year: int, *, zone: ZoneInfo, now: datetime
) -> Response:
    content = docx_annual.build(annual_report(session, year, zone=zone, now=now))
    return attachment(content, DOCX_MIMETYPE, f"annual_{year}.docx", f"{year}年度报告草稿.docx")
