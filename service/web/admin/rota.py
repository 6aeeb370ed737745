"""The lecture rota (每周一讲): who speaks on which week. Changes go through
``service.workflows.rota`` (the API's functions), which audit them and re-plan the
speaker reminders, so the feed and the SMS follow at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...context import db_session
from ...domain.common import committed, plausible_day
from ...domain.rota import AssignBody, SwapBody
from ...errors import PufaError
from ...models import Person, Schedule, utcnow
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
        people=_people(session),
    )


def _people(session: Session) -> list[tuple[Any, str]]:
    query = select(Person.id, Person.name).where(Person.is_active).order_by(Person.name)
    return [(str(pid), name) for pid, name in session.execute(query)]
