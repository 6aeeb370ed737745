"""Routes of the work ledger (台账) export: ``/api/v1/ledger.xlsx`` and ``.csv``."""

from __future__ import annotations

from typing import Literal

from flask import Response
from flask_openapi3.blueprint import APIBlueprint

from .. import downloads
from ..context import db_session, pufa
from ..domain.ledger import RangeQuery
from ..models import utcnow
from .common import blueprint_options

bp = APIBlueprint("ledger", __name__, **blueprint_options("ledger"))


def _file(query: RangeQuery, extension: Literal["xlsx", "csv"]) -> Response:
    return downloads.ledger_download(
        db_session(), query.start, query.end, extension, zone=pufa().settings.zone, now=utcnow()
    )


@bp.get("/ledger.xlsx", responses={200: None})
def ledger_xlsx(query: RangeQuery) -> Response:
    """The ledger workbook: one sheet per table, Chinese headers, frozen header row."""
    return _file(query, "xlsx")


@bp.get("/ledger.csv", responses={200: None})
def ledger_csv(query: RangeQuery) -> Response:
    """The occurrences table (日程台账) as UTF-8 CSV with a BOM, for Excel."""
    return _file(query, "csv")
