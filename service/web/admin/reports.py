"""The annual report in the console: the year's figures, the draft paragraphs, and the
same report as a Word document (``service.reports.annual``, as the API serves it)."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from ...context import db_session, pufa
from ...downloads import annual_report, annual_report_download
from ...errors import PufaError
from ...models import utcnow
from ...reports.wording import DRAFT_NOTICE, percent
from ..blueprints import web_blueprint

bp = web_blueprint("web_reports", __name__, "/admin/reports", admin=True)


def _year() -> int | None:
    raw = request.args.get("year", "")
    if not raw:
        return utcnow().astimezone(pufa().settings.zone).year
    return int(raw) if raw.isdigit() and len(raw) <= 4 else None


@bp.get("/annual")
def annual() -> ResponseReturnValue:
    year = _year()
    if year is None:
        return render_template(
            "admin/annual.html", report=None, error="请输入有效年份，例如 2026。"
        ), 400
    try:
        report = annual_report(db_session(), year, zone=pufa().settings.zone, now=utcnow())
    except PufaError as error:
        return render_template("admin/annual.html", report=None, error=error.message), 400
    return render_template(
        "admin/annual.html", report=report, year=year, notice=DRAFT_NOTICE, percent=percent
    )


@bp.get("/annual.docx")
def annual_docx() -> ResponseReturnValue:
    year = _year()
    if year is None:
        return render_template(
            "admin/annual.html", report=None, error="请输入有效年份，例如 2026。"
        ), 400
    return annual_report_download(db_session(), year, zone=pufa().settings.zone, now=utcnow())
