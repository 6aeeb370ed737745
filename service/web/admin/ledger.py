"""The ledger (台账) export for inspections: the same tables and files as the API's
``/api/v1/ledger.xlsx``, built by ``service.workflows.ledger``, behind the console's
sign-in instead of a bearer token."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue

from ...api.ledger import RangeQuery
from ...app import db_session, pufa
from ...errors import PufaError
from ...models import utcnow
from ...workflows import ledger, ledger_files
from ..blueprints import web_blueprint
from ..forms import FormState, absorb, validate

bp = web_blueprint("web_ledger", __name__, "/admin/ledger", admin=True)


@bp.get("/")
def index() -> ResponseReturnValue:
    today = utcnow().astimezone(pufa().settings.zone).date()
    if "from" not in request.args:
        start = date(today.year, 1, 1)
        return render_template(
            "admin/ledger.html",
            form=FormState({"from": start.isoformat(), "to": today.isoformat()}),
        )
    state = FormState(dict(request.args))
    dates = {"from": request.args.get("from"), "to": request.args.get("to")}
    query = validate(RangeQuery, dates, state, field_names={"start": "from", "end": "to"})
    if query is None:
        return render_template("admin/ledger.html", form=state), 400
    try:
        built = ledger.build(
            db_session(), query.start, query.end, zone=pufa().settings.zone, now=utcnow()
        )
    except PufaError as error:
        absorb(error, state)
        return render_template("admin/ledger.html", form=state), 400
    extension = "csv" if request.args.get("format") == "csv" else "xlsx"
    if extension == "xlsx":
        content, mimetype = ledger_files.to_xlsx(built), ledger_files.XLSX_MIMETYPE
    else:
        content, mimetype = ledger_files.to_csv(built), ledger_files.CSV_MIMETYPE
    stem = f"{query.start.isoformat()}_{query.end.isoformat()}.{extension}"
    disposition = (
        f"attachment; filename=\"ledger_{stem}\"; filename*=UTF-8''{quote('台账_' + stem)}"
    )
    # content_type, not mimetype: werkzeug would add a second "; charset=utf-8".
    return Response(content, content_type=mimetype, headers={"Content-Disposition": disposition})
