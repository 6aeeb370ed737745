"""Files handed to a browser or an API client: the ledger (台账) in each of its forms and
the annual report, built the same way for the JSON API and the console."""

from __future__ import annotations

import itertools
import tempfile
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Response, send_file, stream_with_context
from sqlalchemy.orm import Session

from . import budget
from .context import pufa
from .reports import annual, docx_annual, docx_ledger, ledger, ledger_files
from .reports.docx_common import DOCX_MIMETYPE

LedgerFormat = Literal["xlsx", "csv", "docx"]


def _disposition(ascii_name: str, chinese_name: str) -> str:
    """An ASCII name for old clients and the Chinese one (RFC 6266 / RFC 5987
    ``filename*``) for the rest."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese_name)}"


def attachment(content: bytes, mimetype: str, ascii_name: str, chinese_name: str) -> Response:
    # content_type, not mimetype: werkzeug would add a second "; charset=utf-8".
    return Response(
        content,
        content_type=mimetype,
        headers={"Content-Disposition": _disposition(ascii_name, chinese_name)},
    )


def ledger_download(
    session: Session, start: date, end: date, form: LedgerFormat, *, zone: ZoneInfo, now: datetime
) -> Response:
    """The ledger of ``start`` to ``end`` (local days) as a workbook, CSV or Word file.

    The CSV is streamed: its first chunk (the header and the first rows) is made here,
    within the request's time budget, so that a refusal is still a clean 4xx or 503;
    once it is made the budget is lifted and the rest is written as it is sent. The
    workbook is written to a temporary file, then sent from it: it is sent only once it
    is whole, so the budget covers all of its making."""
    stem = f"{start.isoformat()}_{end.isoformat()}.{form}"
    names = f"ledger_{stem}", f"台账_{stem}"
    if form == "csv":
        chunks = ledger_files.csv_chunks(
            ledger.occurrences_table(session, start, end, zone=zone, now=now)
        )
        first = next(chunks)
        budget.lift()
        return Response(
            stream_with_context(itertools.chain([first], chunks)),
            content_type=ledger_files.CSV_MIMETYPE,
            headers={"Content-Disposition": _disposition(*names)},
        )
    if form == "xlsx":
        # Closed with the response (werkzeug's file wrapper), or here on an error.
        spooled = tempfile.TemporaryFile()  # noqa: SIM115
        # A session of its own: on PostgreSQL the outbox is read with a server-side
        # cursor, which needs a transaction, and the request's reader runs in autocommit.
        try:
            with pufa().db.sessions() as reading:
                built = ledger.build(reading, start, end, zone=zone, now=now)
                ledger_files.write_xlsx(built, spooled)
        except BaseException:
            spooled.close()
            raise
        size = spooled.tell()
        spooled.seek(0)
        response = send_file(spooled, mimetype=ledger_files.XLSX_MIMETYPE, etag=False)
        response.content_length = size
        response.headers["Content-Disposition"] = _disposition(*names)
        return response
    content = docx_ledger.build(session, start, end, zone=zone, now=now)
    return attachment(content, DOCX_MIMETYPE, *names)


def annual_report(session: Session, year: int, *, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    return annual.build(session, year, zone=zone, now=now)


def annual_report_download(
    session: Session, year: int, *, zone: ZoneInfo, now: datetime
) -> Response:
    content = docx_annual.build(annual_report(session, year, zone=zone, now=now))
    return attachment(content, DOCX_MIMETYPE, f"annual_{year}.docx", f"{year}年度报告草稿.docx")
