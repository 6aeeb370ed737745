"""The lecture rota (每周一讲): who speaks on which week. Changes go through
``service.workflows.rota`` (the API's functions), which audit them and re-plan the
speaker reminders, so the feed and the SMS follow at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...context import db_session
from ...domain.common import committed, plausible_day
from ...domain.rota import AssignBody, GenerateBody, SwapBody
from ...errors import PufaError
from ...models import Person, Schedule, utcnow
from ...sms.notices import notice_recipients
from ...workflows import rota
from .. import messages
from ..blueprints import web_blueprint
from ..forms import FormState, absorb, integer, posted, validate

bp = web_blueprint("web_rota", __name__, "/admin/rota", admin=True)
WEEKS = 12


@bp.get("/")
def index() -> ResponseReturnValue:
    query = select(Schedule).where(Schedule.kind == "lecture").order_by(Schedule.title)
    lectures = list(db_session().scalars(query))
    if len(lectures) == 1:
        return redirect(url_for("web_rota.weeks", schedule_id=lectures[0].id))
    return render_template("admin/rota_index.html", lectures=lectures)


@bp.get("/<int:schedule_id>")
def weeks(schedule_id: int) -> ResponseReturnValue:
    return _render(schedule_id)


@bp.post("/<int:schedule_id>/assign")
def assign(schedule_id: int) -> ResponseReturnValue:
    state = posted()
    key = str(state.value("original_start"))
    body = validate(
        AssignBody,
        {"speaker_id": integer(state.value("speaker_id")) or None, "topic": state.value("topic")},
        state,
    )
    original = _instant(key, state, "topic")
    if body is None or original is None:
        return _render(schedule_id, rows={key: state}), 400
    session = db_session()
    try:
        with committed(session):
            rota.assign(
                session,
                schedule_id,
                original,
                speaker_id=body.speaker_id,
                topic=body.topic,
                now=utcnow(),
                actor=g.actor,
            )
    except PufaError as error:
        session.rollback()
        absorb(error, state, {"speaker_id": "speaker_id", "original_start": "topic"})
        return _render(schedule_id, rows={key: state}), 400
    flash(messages.SAVED, "success")
    return redirect(url_for("web_rota.weeks", schedule_id=schedule_id))


@bp.post("/<int:schedule_id>/weeks")
def save_weeks(schedule_id: int) -> ResponseReturnValue:
    """Every week of the table in one form and one transaction: only weeks whose speaker
    or topic changed are written (each audited and re-planned by the rota workflow)."""
    state = posted("week", "speaker_id", "topic")
    keys = [str(k) for k in state.value("week")]
    speakers, topics = state.value("speaker_id"), state.value("topic")
    if not len(keys) == len(speakers) == len(topics):
        abort(400)
    session = db_session()
    schedule = rota.lecture(session, schedule_id)
    current = {
        w.original_start.isoformat(): w
        for w in rota.coming_weeks(session, schedule, utcnow(), WEEKS + 1)
    }
    rows: dict[str, FormState] = {}
    changes: list[tuple[datetime, AssignBody]] = []
    for key, speaker, topic in zip(keys, speakers, topics, strict=True):
        row = FormState({"speaker_id": speaker, "topic": str(topic).strip()})
        rows[key] = row
        body = validate(
            AssignBody,
            {"speaker_id": integer(speaker) or None, "topic": row.value("topic")},
            row,
        )
        original = _instant(key, row, "topic")
        week = current.get(key)
        if body is None or original is None:
            continue
        if week is None:
            row.add("topic", messages.WEEK_GONE)
            continue
        if (week.speaker_id, week.topic or "") != (body.speaker_id, body.topic or ""):
            changes.append((original, body))
    if any(not r.is_valid for r in rows.values()):
        return _render(schedule_id, rows=rows), 400
    try:
        with committed(session):
            for original, body in changes:
                rota.assign(
                    session,
                    schedule_id,
                    original,
                    speaker_id=body.speaker_id,
                    topic=body.topic,
                    now=utcnow(),
                    actor=g.actor,
                )
    except PufaError as error:
        session.rollback()
        form = FormState()
        absorb(error, form)
        flash(
            form.errors.get("__all__") or next(iter(form.errors.values()), messages.STALE), "error"
        )
        return _render(schedule_id, rows=rows), 400
    days = "、".join(f"{o.month}月{o.day}日" for o, _ in changes)
    flash(
        messages.WEEKS_SAVED.format(count=len(changes), days=days)
        if changes
        else messages.NOTHING_CHANGED,
        "success",
    )
    return redirect(url_for("web_rota.weeks", schedule_id=schedule_id))


@bp.post("/<int:schedule_id>/fill")
def fill(schedule_id: int) -> ResponseReturnValue:
    """Fill the coming weeks round-robin from a pool (the API's ``generate``)."""
    state = posted("pool")
    data = {
        "pool": integer(state.value("pool")),
        "weeks": integer(state.value("weeks")),
        "overwrite": bool(state.value("overwrite")),
    }
    body = validate(GenerateBody, data, state, field_messages={"pool": messages.POOL_REQUIRED})
    if body is None:
        return _render(schedule_id, fill_form=state), 400
    session = db_session()
    try:
        with committed(session):
            changed = rota.generate(
                session,
                schedule_id,
                pool=body.pool,
                weeks=body.weeks,
                now=utcnow(),
                actor=g.actor,
                overwrite=body.overwrite,
            )
    except PufaError as error:
        session.rollback()
        absorb(error, state, {"pool": "pool"})
        return _render(schedule_id, fill_form=state), 400
    flash(messages.ROTA_FILLED.format(count=len(changed)), "success")
    return redirect(url_for("web_rota.weeks", schedule_id=schedule_id))


@bp.post("/<int:schedule_id>/swap")
def swap(schedule_id: int) -> ResponseReturnValue:
    state = posted()
    data = {
        "first": state.value("first") or None,
        "second": state.value("second") or None,
        "swap_topics": bool(state.value("swap_topics")),
    }
    body = validate(SwapBody, data, state)
    if body is None:
        return _render(schedule_id, swap_form=state), 400
    session = db_session()
    try:
        with committed(session):
            rota.swap(
                session,
                schedule_id,
                body.first,
                body.second,
                swap_topics=body.swap_topics,
                now=utcnow(),
                actor=g.actor,
            )
    except PufaError as error:
        session.rollback()
        absorb(error, state)
        return _render(schedule_id, swap_form=state), 400
    flash(messages.SWAPPED, "success")
    return redirect(url_for("web_rota.weeks", schedule_id=schedule_id))


def _instant(value: str, state: FormState, field: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        state.add(field, messages.INVALID_DATETIME)
        return None
    try:
        plausible_day(parsed.date())
    except ValueError:
        state.add(field, messages.YEAR_OUT_OF_RANGE)
        return None
    return parsed


def _render(
    schedule_id: int,
    *,
    rows: dict[str, FormState] | None = None,
    swap_form: FormState | None = None,
    fill_form: FormState | None = None,
) -> str:
    session = db_session()
    schedule = rota.lecture(session, schedule_id)
    coming = rota.coming_weeks(session, schedule, utcnow(), WEEKS)
    return render_template(
        "admin/rota.html",
        schedule=schedule,
        weeks=coming,
        rows=rows or {},
        swap_form=swap_form or FormState(),
        fill_form=fill_form or FormState({"weeks": str(WEEKS), "pool": []}),
        people=_people(session),
        notified={
            w.original_start.isoformat(): len(
                notice_recipients(session, schedule, w.original_start)
            )
            for w in coming
        },
    )


def _people(session: Session) -> list[tuple[Any, str]]:
    query = select(Person.id, Person.name).where(Person.is_active).order_by(Person.name)
    return [(str(pid), name) for pid, name in session.execute(query)]
