"""Routes of the work ledger (台账) export: ``/api/v1/ledger.xlsx`` and ``.csv``."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, ConfigDict, Field

from ..admin.common import Day
from ..app import db_session, pufa
from ..models import utcnow
from ..workflows import ledger, ledger_files
from .common import blueprint_options

bp = APIBlueprint("ledger", __name__, **blueprint_options("ledger"))


class RangeQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    start: Day = Field(alias="from", description="first local day, e.g. 2026-01-01")
    end: Day = Field(alias="to", description=f"last local day; at most {ledger.MAX_DAYS} days")


def _file(query: RangeQuery, extension: str) -> Response:
    built = ledger.build(
        db_session(), query.start, query.end, zone=pufa().settings.zone, now=utcnow()
    )
    if extension == "xlsx":
        content, mimetype = ledger_files.to_xlsx(built), ledger_files.XLSX_MIMETYPE
    else:
        content, mimetype = ledger_files.to_csv(built), ledger_files.CSV_MIMETYPE
    stem = f"{query.start.isoformat()}_{query.end.isoformat()}.{extension}"
    # An ASCII name for old clients, the Chinese one (RFC 6266 filename*) for the rest.
    disposition = (
        f"attachment; filename=\"ledger_{stem}\"; filename*=UTF-8''{quote('台账_' + stem)}"
    )
    # content_type, not mimetype: werkzeug would add a second "; charset=utf-8".
    return Response(content, content_type=mimetype, headers={"Content-Disposition": disposition})


@bp.get("/ledger.xlsx", responses={200: None})
def ledger_xlsx(query: RangeQuery) -> Response:
    """The ledger workbook: one sheet per table, Chinese headers, frozen header row."""
    return _file(query, "xlsx")


@bp.get("/ledger.csv", responses={200: None})
def ledger_csv(query: RangeQuery) -> Response:
    """The occurrences table (日程台账) as UTF-8 CSV with a BOM, for Excel."""
    return _file(query, "csv")
