"""The ledger (台账) export for inspections: the same tables and files as the API's
``/api/v1/ledger.xlsx``, built by ``service.reports.ledger``, behind the console's
sign-in instead of a bearer token."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask.typing import ResponseReturnValue

from ...context import db_session, pufa
from ...domain.ledger import RangeQuery
from ...downloads import LedgerFormat, ledger_download
from ...errors import PufaError
from ...models import utcnow
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
    form: LedgerFormat = "xlsx"
    if request.args.get("format") in ("csv", "docx"):
        form = "csv" if request.args.get("format") == "csv" else "docx"
    try:
        return ledger_download(
            db_session(),
            query.start,
            query.end,
            form,
            zone=pufa().settings.zone,
            now=utcnow(),
        )
    except PufaError as error:
        absorb(error, state)
        return render_template("admin/ledger.html", form=state), 400
