"""Routes: the annual report (JSON and .docx) and the Word 台账 of a period."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field

from ..app import db_session, pufa
from ..models import utcnow
from ..reports import annual, docx_annual, docx_ledger
from ..reports.docx_common import DOCX_MIMETYPE
from .common import blueprint_options
from .ledger import RangeQuery

bp = APIBlueprint("reports", __name__, **blueprint_options("reports"))


class YearQuery(BaseModel):
    year: int = Field(description="e.g. 2026")


def download(content: bytes, ascii_name: str, chinese_name: str) -> Response:
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese_name)}"
    return Response(content, mimetype=DOCX_MIMETYPE, headers={"Content-Disposition": disposition})


def annual_report(year: int) -> dict[str, Any]:
    return annual.build(db_session(), year, zone=pufa().settings.zone, now=utcnow())


@bp.get("/reports/annual", responses={200: None})
def get_annual(query: YearQuery) -> dict[str, Any]:
    """Every figure of the year and draft paragraphs (``paragraphs[].status`` 草稿)."""
    return annual_report(query.year)


@bp.get("/reports/annual.docx", responses={200: None})
def get_annual_docx(query: YearQuery) -> Response:
    content = docx_annual.build(annual_report(query.year))
    return download(content, f"annual_{query.year}.docx", f"{query.year}年度报告草稿.docx")


@bp.get("/ledger.docx", responses={200: None})
def get_ledger_docx(query: RangeQuery) -> Response:
    """The Word 台账: one section per event held in the range."""
    content = ledger_docx(query)
    stem = f"{query.start.isoformat()}_{query.end.isoformat()}.docx"
    return download(content, f"ledger_{stem}", f"台账_{stem}")


def ledger_docx(query: RangeQuery) -> bytes:
    return docx_ledger.build(
        db_session(), query.start, query.end, zone=pufa().settings.zone, now=utcnow()
    )
