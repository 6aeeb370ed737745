"""The console's record of each occurrence: the roll call (saved per person at once),
the check-in QR code for the projector, evidence files, the 讲稿 and the summary.
Writes go through ``service.records`` (the API's functions), audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import qrcode
import qrcode.image.svg
from flask import flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from ...context import db_session, pufa
from ...domain.common import committed
from ...errors import PufaError
from ...models import AttendanceSource, AttendanceStatus, Person, utcnow
from ...occurrences.expand import Window
from ...records import attachments, attendance, codes, notes
from ...records.occurrence import Target, find
from ...reports.facts import gather
from ...transfers import UPLOAD_LIMIT, file_response, uploaded_file
from .. import messages
from ..blueprints import web_blueprint

bp = web_blueprint("web_records", __name__, "/admin/records", admin=True)
PAST, AHEAD = timedelta(days=60), timedelta(days=14)
STATUS_LABELS = {
    AttendanceStatus.PRESENT: "出席",
    AttendanceStatus.LEAVE: "请假",
    AttendanceStatus.ABSENT: "缺席",
}
SOURCE_LABELS = {
    AttendanceSource.ROLL_CALL: "点名",
    AttendanceSource.CHECK_IN: "扫码签到",
    AttendanceSource.LEAVE_REQUEST: "本人请假",
}


def _allow_uploads() -> None:
    # Before the CSRF check reads the form: uploads may be larger than other posts.
    if request.endpoint == "web_records.upload":
        request.max_content_length = UPLOAD_LIMIT


bp.before_request_funcs.setdefault(None, []).insert(0, _allow_uploads)


def _target(schedule_id: int, original_start: str) -> Target:
    try:
        when = datetime.fromisoformat(original_start)
    except ValueError:
        raise NotFound() from None
    return find(db_session(), schedule_id, when)


def _key(target: Target) -> str:
    return target.occurrence.original_start.replace(tzinfo=None).isoformat(timespec="minutes")


def _back(target: Target, anchor: str = "") -> ResponseReturnValue:
    page = url_for("web_records.occurrence", schedule_id=target.schedule.id,
                   original_start=_key(target))  # fmt: skip
    return redirect(page + anchor)


@bp.get("/")
def index() -> ResponseReturnValue:
    now = utcnow()
    settings = pufa().settings
    facts = gather(db_session(), Window(now - PAST, now + AHEAD), zone=settings.zone, now=now)
    events = [o for o in reversed(facts.recorded()) if o.is_happening]
    return render_template("admin/records_index.html", events=events, facts=facts,
                           key=lambda o: o.original_start.replace(tzinfo=None)
                           .isoformat(timespec="minutes"))  # fmt: skip


@bp.get("/<int:schedule_id>/<original_start>")
def occurrence(schedule_id: int, original_start: str) -> ResponseReturnValue:
    session = db_session()
    target = _target(schedule_id, original_start)
    people = attendance.roster(session, target)
    rows = attendance.records(session, target)
    counted = attendance.totals(len(people), [r.status for r in rows.values()])
    opens, closes = attendance.check_in_window(target)
    summary = notes.summary(session, target)
    return render_template(
        "admin/records_occurrence.html",
        target=target,
        key=_key(target),
        people=people,
        rows=rows,
        totals=counted,
        statuses=STATUS_LABELS,
        sources=SOURCE_LABELS,
        opens=opens,
        closes=closes,
        files=attachments.listing(session, target),
        summary=summary.summary if summary else "",
        speaker=_name(session, target.occurrence.speaker_id),
        now=utcnow(),
    )


def _name(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.name if person else ""


@bp.get("/<int:schedule_id>/<original_start>/qr")
def check_in_qr(schedule_id: int, original_start: str) -> ResponseReturnValue:
    """The check-in code, full screen, for the projector."""
    target = _target(schedule_id, original_start)
    settings = pufa().settings
    code = codes.make(settings.secret_key, target.schedule.id, target.original_at)
    link = settings.public_base_url.rstrip("/") + url_for("web_check_in.scan", code=code)
    opens, closes = attendance.check_in_window(target)
    return render_template("admin/records_qr.html", target=target, link=link, qr=_qr(link),
                           opens=opens, closes=closes, key=_key(target))  # fmt: skip


def _qr(data: str) -> Markup:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    labelled = svg.replace("<svg ", '<svg role="img" aria-label="签到二维码" ', 1)
    return Markup(labelled)  # noqa: S704  # our own URL, drawn by qrcode


@bp.post("/<int:schedule_id>/<original_start>/attendance")
def mark(schedule_id: int, original_start: str) -> ResponseReturnValue:
    session = db_session()
    target = _target(schedule_id, original_start)
    person_raw = request.form.get("person_id", "")
    try:
        status = AttendanceStatus(request.form.get("status", ""))
        person_id = int(person_raw)
    except ValueError:
        flash(messages.INVALID_CHOICE, "error")
        return _back(target)
    note = request.form.get("note", "")
    try:
        with committed(session):
            attendance.record(session, target, person_id, status, note,
                              source=AttendanceSource.ROLL_CALL, actor=g.admin.username,
                              now=utcnow())  # fmt: skip
    except PufaError as error:
        flash(error.message, "error")
        return _back(target, f"#person-{person_id}")
    return _back(target, f"#person-{person_id}")


@bp.post("/<int:schedule_id>/<original_start>/attachments")
def upload(schedule_id: int, original_start: str) -> ResponseReturnValue:
    session = db_session()
    target = _target(schedule_id, original_start)
    try:
        data, filename, kind = uploaded_file()
        with committed(session):
            attachments.add(session, target, data, filename, kind, actor=g.admin.username,
                            now=utcnow())  # fmt: skip
    except PufaError as error:
        flash(error.message, "error")
        return _back(target, "#files")
    flash("已上传。", "success")
    return _back(target, "#files")


@bp.get("/<int:schedule_id>/<original_start>/attachments/<int:attachment_id>")
def attachment(schedule_id: int, original_start: str, attachment_id: int) -> ResponseReturnValue:
    target = _target(schedule_id, original_start)
    row = attachments.get(db_session(), attachment_id, with_content=True)
    if (row.schedule_id, row.original_start_at) != target.key:
        raise NotFound()
    return file_response(row, thumbnail=request.args.get("size") == "thumbnail")


@bp.post("/<int:schedule_id>/<original_start>/attachments/<int:attachment_id>/delete")
def delete(schedule_id: int, original_start: str, attachment_id: int) -> ResponseReturnValue:
    session = db_session()
    target = _target(schedule_id, original_start)
    with committed(session):
        row = attachments.get(session, attachment_id)
        if (row.schedule_id, row.original_start_at) != target.key:
            raise NotFound()
        attachments.delete(session, row, actor=g.admin.username, now=utcnow())
    flash(messages.DELETED, "success")
    return _back(target, "#files")


@bp.post("/<int:schedule_id>/<original_start>/summary")
def summary(schedule_id: int, original_start: str) -> ResponseReturnValue:
    session = db_session()
    target = _target(schedule_id, original_start)
    try:
        with committed(session):
            notes.set_summary(session, target, request.form.get("summary", ""),
                              actor=g.admin.username, now=utcnow())  # fmt: skip
    except PufaError as error:
        flash(error.message, "error")
        return _back(target, "#summary")
    flash(messages.SAVED, "success")
    return _back(target, "#summary")
