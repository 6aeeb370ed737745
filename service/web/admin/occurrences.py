"""One occurrence of a schedule: move it (date, time, duration, place), cancel it with a
reason, give it a speaker and topic, or restore it to what the series says.

The page writes the same override the API's ``PUT /schedules/{id}/occurrences/{start}``
writes (``domain.overrides``, audited), then re-plans the schedule's SMS at once so a
cancelled week's reminders are withdrawn before the next clock tick.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...context import db_session
from ...domain import overrides
from ...domain.common import committed
from ...errors import Invalid, PufaError
from ...models import OccurrenceOverride, Person, Schedule, utcnow
from ...occurrences.expand import Occurrence, Window, expand
from ...occurrences.query import load_schedules, workday_calendar
from ...occurrences.reasons import occurrence_reason
from ...occurrences.specs import schedule_spec
from ...sms.notices import notice_recipients
from ...workflows import replan
from .. import messages
from ..blueprints import web_blueprint
from ..filters import WEEKDAYS
from ..forms import FormState, absorb, form_version, integer, posted, validate

bp = web_blueprint("web_occurrences", __name__, "/admin/occurrences", admin=True)
ACTIONS = ("keep", "move", "cancel")


@bp.app_template_filter("occurrence_key")
def occurrence_key(original_start: datetime) -> str:
    """The address part of an occurrence: its original start, local to its schedule (as
    the engine gives it), to the minute."""
    return original_start.strftime("%Y-%m-%dT%H:%M")


@bp.route("/<int:schedule_id>/<original>", methods=["GET", "POST"])
def edit(schedule_id: int, original: str) -> ResponseReturnValue:
    session = db_session()
    schedule, original_at = _target(session, schedule_id, original)
    row = overrides.find_override(session, schedule, original_at)
    if request.method == "GET":
        return _render(session, schedule, original_at, row, FormState(_values(schedule, row)))
    state = posted()
    data = _override_data(schedule, state)
    valid = (
        validate(overrides.OverrideIn, data, state, field_names=_FIELDS) if state.is_valid else None
    )
    if valid is None:
        return _render(session, schedule, original_at, row, state), 400
    expected = form_version(state) if row is not None else None
    try:
        with committed(session):
            overrides.put_override(session, g.actor, schedule, original_at, valid, expected)
            replan.replan_schedule(session, schedule.id, utcnow())
    except PufaError as error:
        absorb(error, state, _FIELDS)
        return _render(session, schedule, original_at, row, state), 400
    flash(messages.OCCURRENCE_SAVED.format(when=_label(schedule, original_at)), "success")
    return redirect(_back(schedule, original))


@bp.post("/<int:schedule_id>/<original>/restore")
def restore(schedule_id: int, original: str) -> ResponseReturnValue:
    session = db_session()
    schedule, original_at = _target(session, schedule_id, original)
    row = overrides.find_override(session, schedule, original_at)
    if row is not None:
        state = posted()
        with committed(session):
            overrides.delete_override(session, g.actor, row, form_version(state))
            replan.replan_schedule(session, schedule.id, utcnow())
    flash(messages.OCCURRENCE_RESTORED.format(when=_label(schedule, original_at)), "success")
    return redirect(_back(schedule, original))


_FIELDS = {
    "moved_start": "moved_date",
    "moved_duration_minutes": "duration_minutes",
    "speaker_id": "speaker_id",
    "note": "note",
}


def _target(session: Session, schedule_id: int, original: str) -> tuple[Schedule, datetime]:
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        abort(404)
    try:
        local = datetime.fromisoformat(original)
        return schedule, overrides.original_start_at(schedule, local.replace(tzinfo=None))
    except (ValueError, Invalid):
        abort(404)  # no such occurrence: the address was typed or is out of date


def _override_data(schedule: Schedule, state: FormState) -> dict[str, Any]:
    action = str(state.value("action") or "keep")
    if action not in ACTIONS:
        state.add("action", messages.INVALID_CHOICE)
    moved_start = None
    if action == "move":
        day, clock = str(state.value("moved_date")), str(state.value("moved_time"))
        if not day:
            state.add("moved_date", messages.REQUIRED)
        elif schedule.is_all_day:
            moved_start = f"{day}T00:00"
        else:
            moved_start = f"{day}T{clock or '00:00'}"
    if action == "cancel" and not str(state.value("note")):
        state.add("note", messages.CANCEL_REASON_REQUIRED)
    duration = str(state.value("duration_minutes"))
    return {
        "is_cancelled": action == "cancel",
        "moved_start": moved_start,
        "moved_duration_minutes": integer(duration) if duration else None,
        "speaker_id": integer(state.value("speaker_id")) or None,
        "topic": state.value("topic") or None,
        "location": state.value("location") or None,
        "note": state.value("note"),
    }


def _values(schedule: Schedule, row: OccurrenceOverride | None) -> dict[str, Any]:
    if row is None:
        return {"action": "keep"}
    zone = ZoneInfo(schedule.timezone)
    moved = row.moved_start_at.astimezone(zone) if row.moved_start_at else None
    action = "cancel" if row.is_cancelled else "move" if moved else "keep"
    return {
        "action": action,
        "moved_date": moved.date().isoformat() if moved else "",
        "moved_time": moved.strftime("%H:%M") if moved else "",
        "duration_minutes": str(row.moved_duration_minutes or ""),
        "speaker_id": str(row.speaker_id or ""),
        "topic": row.topic or "",
        "location": row.location or "",
        "note": row.note,
        "version": row.version,
    }


def _current(session: Session, schedule: Schedule, original_at: datetime) -> Occurrence | None:
    """The occurrence as the engine now resolves it (holiday policy and override applied)."""
    (loaded,) = load_schedules(session, [schedule.id])
    spec = schedule_spec(loaded)
    wanted = original_at
    found = expand(
        spec,
        Window(wanted - overrides.MAX_MOVE, wanted + overrides.MAX_MOVE),
        workday_calendar(session),
    )
    return next((o for o in found if o.original_start == wanted), None)


def _label(schedule: Schedule, original_at: datetime) -> str:
    local = original_at.astimezone(ZoneInfo(schedule.timezone))
    return f"{local:%Y-%m-%d}（周{WEEKDAYS[local.weekday()]}）"


def _back(schedule: Schedule, original: str) -> str:
    """Back where the clerk came from (the rota, the month view) or the occurrence."""
    target = request.args.get("next", "")
    if target.startswith("/admin/") and "//" not in target:
        return target
    return url_for("web_occurrences.edit", schedule_id=schedule.id, original=original)


def _render(
    session: Session,
    schedule: Schedule,
    original_at: datetime,
    row: OccurrenceOverride | None,
    state: FormState,
) -> str:
    people = [
        (str(pid), name)
        for pid, name in session.execute(
            select(Person.id, Person.name).where(Person.is_active).order_by(Person.name)
        )
    ]
    current = _current(session, schedule, original_at)
    return render_template(
        "admin/occurrence.html",
        schedule=schedule,
        original=original_at.astimezone(ZoneInfo(schedule.timezone)),
        occurrence=current,
        reason=occurrence_reason(current) if current else "",
        row=row,
        form=state,
        people=people,
        names=dict(people),
        back=request.args.get("next", ""),
        notified=[p.name for p in notice_recipients(session, schedule, original_at)],
    )
