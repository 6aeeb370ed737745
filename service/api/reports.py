"""Routes: the annual report (JSON and .docx) and the Word 台账 of a period."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field

from .. import downloads
from ..context import db_session, pufa
from ..domain.ledger import RangeQuery
from ..models import utcnow
from .common import blueprint_options

bp = APIBlueprint("reports", __name__, **blueprint_options("reports"))


class YearQuery(BaseModel):
    year: int = Field(description="e.g. 2026")


def annual_report(year: int) -> dict[str, Any]:
    return downloads.annual_report(db_session(), year, zone=pufa().settings.zone, now=utcnow())


@bp.get("/reports/annual", responses={200: None})
def get_annual(query: YearQuery) -> dict[str, Any]:
    """Every figure of the year and draft paragraphs (``paragraphs[].status`` 草稿)."""
    return annual_report(query.year)


@bp.get("/reports/annual.docx", responses={200: None})
def get_annual_docx(query: YearQuery) -> Response:
    return downloads.annual_report_download(
        db_session(), query.year, zone=pufa().settings.zone, now=utcnow()
    )


@bp.get("/ledger.docx", responses={200: None})
def get_ledger_docx(query: RangeQuery) -> Response:
    """The Word 台账: one section per event held in the range."""
    return downloads.ledger_download(
        db_session(), query.start, query.end, "docx", zone=pufa().settings.zone, now=utcnow()
    )
