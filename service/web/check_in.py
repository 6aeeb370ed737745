"""Staff check-in by QR code and leave requests, from the staff member's own page.

The code on the projector names the occurrence, not the person: the phone says who
it is by the personal link opened on it before (remembered in a cookie limited to
``/me``). Without one, the page says how to open that link first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..context import pufa
from ..errors import PufaError
from ..models import Attendance, Person, utcnow
from ..records import attendance, codes
from ..records.occurrence import find
from .blueprints import web_blueprint
from .page_tokens import person_for_page

bp = web_blueprint("web_check_in", __name__, "/me", admin=False)
COOKIE = "pufa_me"
COOKIE_DAYS = 400  # browsers cap cookie lifetimes at 400 days
CHECKED_IN = "签到成功：{title}，{when}。"
LEAVE_REQUESTED = "已提交请假：{title}，{when}。"


@bp.after_request
def _private(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def remember(response: Response, token: str) -> Response:
    """Called when a staff page opens: later scans on this phone know whose it is."""
    response.set_cookie(
        COOKIE, token, max_age=COOKIE_DAYS * 86400, path="/me", httponly=True,
        samesite="Lax", secure=pufa().settings.is_production,
    )  # fmt: skip
    return response


def _local(when: datetime) -> str:
    return f"{when.astimezone(pufa().settings.zone):%m月%d日 %H:%M}"


@bp.get("/check-in/<code>")
def scan(code: str) -> ResponseReturnValue:
    settings = pufa().settings
    try:
        schedule_id, original_at = codes.read(settings.secret_key, code)
    except PufaError as error:
        return render_template("staff/check_in.html", message=error.message), error.status
    token = request.cookies.get(COOKIE, "")
    db = pufa().db
    try:
        with db.transaction() as session:  # a scan is a GET, and it writes: a writer session
            person = person_for_page(session, settings.secret_keys, token)
            if person is None:
                return render_template("staff/check_in.html", needs_link=True), 200
            target = find(session, schedule_id, original_at)
            attendance.check_in(session, target, person, now=utcnow())
            title, start = target.schedule.title, target.occurrence.start
    except PufaError as error:
        return render_template("staff/check_in.html", message=error.message), error.status
    flash(CHECKED_IN.format(title=title, when=_local(start)), "success")
    return redirect(url_for("web_staff.page", token=token) + "#upcoming")


@bp.post("/<token>/leave")
def leave(token: str) -> ResponseReturnValue:
    settings = pufa().settings
    db = pufa().db
    try:
        schedule_id = int(request.form.get("schedule_id", ""))
        original = datetime.fromisoformat(request.form.get("original_start", ""))
    except ValueError:
        flash("请假申请无效，请刷新页面后重试。", "error")
        return redirect(url_for("web_staff.page", token=token))
    reason = request.form.get("reason", "")
    try:
        with db.transaction() as session:
            person = person_for_page(session, settings.secret_keys, token)
            if person is None:
                return render_template("error.html", status=404, reason="404"), 404
            target = find(session, schedule_id, original)
            attendance.request_leave(
                session, target, person.id, reason, actor=f"staff:{person.id}", now=utcnow()
            )
            title, start = target.schedule.title, target.occurrence.start
    except PufaError as error:
        flash(error.message, "error")
        return redirect(url_for("web_staff.page", token=token) + "#upcoming")
    flash(LEAVE_REQUESTED.format(title=title, when=_local(start)), "success")
    return redirect(url_for("web_staff.page", token=token) + "#upcoming")


def records_of(
    session: Session, person: Person, keys: list[tuple[int, datetime]]
) -> dict[tuple[int, datetime], Attendance]:
    """The person's attendance among these occurrences, by (schedule id, UTC start)."""
    if not keys:
        return {}
    query = select(Attendance).where(
        Attendance.person_id == person.id,
        Attendance.schedule_id.in_({k[0] for k in keys}),
    )
    wanted = set(keys)
    return {
        (row.schedule_id, row.original_start_at): row
        for row in session.scalars(query)
        if (row.schedule_id, row.original_start_at) in wanted
    }
