"""Schedules: the list, and the editor with the human recurrence editor.

The editor's fields become the API's ``ScheduleIn`` and are saved by the same
``create_schedule`` / ``update_schedule`` the API calls; the recurrence editor only
writes the RRULE text, which the schedule service then checks like any other.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ...context import db_session, pufa
from ...domain.schedules import ScheduleIn, create_schedule, local_start, update_schedule
from ...models import KINDS, Department, Person, Schedule, has_reminders, utcnow
from ...occurrences.expand import Window
from ...occurrences.query import expand_all, load_schedules, workday_calendar
from ...occurrences.rules import first_from
from .. import messages
from ..blueprints import web_blueprint
from ..forms import FormState, form_version, integer, posted
from ..recurrence import from_form, from_rrule, to_rrule
from ..saving import save

bp = web_blueprint("web_schedules", __name__, "/admin/schedules", admin=True)
PREVIEW = timedelta(days=120)
MULTI = ("department_ids", "person_ids")
# The form's 变更通知 choice: "" (a new schedule only) leaves it to the kind, as the API
# does when the field is not given.
NOTICES_CHOICE = {"1": True, "0": False}


@bp.get("/")
def index() -> ResponseReturnValue:
    session = db_session()
    kind = request.args.get("kind", "")
    silent = request.args.get("reminders") == "none"
    query = (
        select(Schedule)
        .options(selectinload(Schedule.rules))
        .order_by(Schedule.kind, Schedule.title)
    )
    if kind in KINDS:
        query = query.where(Schedule.kind == kind)
    if silent:
        query = query.where(~has_reminders())
    schedules = list(session.scalars(query))
    zone = pufa().settings.zone
    return render_template(
        "admin/schedules.html",
        schedules=schedules,
        kind=kind,
        silent=silent,
        recurrences={s.id: from_rrule(s.rrule, zone) for s in schedules},
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    return _form(None)


@bp.route("/<int:schedule_id>", methods=["GET", "POST"])
def edit(schedule_id: int) -> ResponseReturnValue:
    return _form(schedule_id)


def _form(schedule_id: int | None) -> ResponseReturnValue:
    session = db_session()
    schedule = None
    if schedule_id is not None:
        schedule = session.get(Schedule, schedule_id)
        if schedule is None:
            abort(404)
    if request.method == "GET":
        state = FormState(_values(schedule) if schedule else _blank())
        return _render(session, schedule, state)
    state = posted(*MULTI)
    data, field_names = _schedule_data(state, schedule)
    version = form_version(state)

    def action(db: Session, valid: ScheduleIn) -> Schedule:
        if schedule is None:
            return create_schedule(db, g.actor, valid)
        return update_schedule(db, g.actor, schedule, valid.model_dump(exclude_unset=True), version)

    saved = None
    if state.is_valid:
        saved = save(session, state, ScheduleIn, data, action, field_names=field_names)
        _until_error_by_its_field(state)
    if isinstance(saved, Schedule):
        flash(messages.SAVED, "success")
        return redirect(url_for("web_schedules.edit", schedule_id=saved.id))
    return _render(session, schedule, state), 400


def _schedule_data(
    state: FormState, schedule: Schedule | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The API body for the form; recurrence-editor problems go straight to ``state``."""
    zone = pufa().settings.zone
    recurrence = from_form(state.values)
    for name, reason in recurrence.errors.items():
        state.add(name, reason)
    is_all_day = bool(state.value("is_all_day"))
    day, clock = str(state.value("start_date")), str(state.value("start_time"))
    start = day if is_all_day or not day else f"{day}T{clock or '00:00'}"
    rrule = to_rrule(recurrence, zone, is_all_day=is_all_day) if not recurrence.errors else None
    if start and rrule and not _keeps_start(schedule, start, rrule):
        # The first occurrence of the rule without its end: an end before it is the
        # end date's fault.
        endless = to_rrule(replace(recurrence, until=None), zone) or rrule
        start = _first_occurrence_from(start, endless, zone, is_all_day=is_all_day)
        if recurrence.until is not None and start[:10] > recurrence.until.isoformat():
            # Said next to the end date, not as a fault of the rule.
            state.add("repeat_until", messages.until_before_first(start[:10]))
    data: dict[str, Any] = {
        "kind": state.value("kind"),
        "title": state.value("title"),
        "description": state.value("description"),
        "location": state.value("location"),
        "timezone": zone.key,
        "start": start or None,
        "is_all_day": is_all_day,
        "duration_minutes": integer(state.value("duration_minutes") or "60"),
        "duration_days": integer(state.value("duration_days") or "1"),
        "rrule": rrule,
        "holiday_policy": state.value("holiday_policy"),
        "is_for_everyone": bool(state.value("is_for_everyone")),
        "department_ids": integer(state.value("department_ids", [])),
        "person_ids": integer(state.value("person_ids", [])),
        "speaker_id": integer(state.value("speaker_id")) or None,
        "topic": state.value("topic"),
        "change_notices": _notices_choice(state, schedule),
    }
    rrule_field = "rrule" if recurrence.pattern == "custom" else "repeat"
    return data, {"start": "start_date", "rrule": rrule_field, "end": "duration_minutes"}


def _notices_choice(state: FormState, schedule: Schedule | None) -> bool | None:
    choice = str(state.value("change_notices") or "")
    if choice in NOTICES_CHOICE:
        return NOTICES_CHOICE[choice]
    if choice:
        state.add("change_notices", messages.CHOOSE_NOTICES)
    return None if schedule is None else schedule.change_notices


def _until_error_by_its_field(state: FormState) -> None:
    """The schedule service names the rule part at fault first ("UNTIL：…"): a problem
    with the end date is shown next to the end date field."""
    reason = state.errors.get("repeat", "")
    if reason.startswith("UNTIL") and "repeat_until" not in state.errors:
        state.errors["repeat_until"] = state.errors.pop("repeat")


def _keeps_start(schedule: Schedule | None, start: str, rrule: str) -> bool:
    """Whether an edit leaves the schedule's start and rule as they are: then the start
    stays, even one from before starts had to be occurrences."""
    if schedule is None or schedule.rrule != rrule:
        return False
    try:
        return local_start(schedule) == datetime.fromisoformat(start)
    except ValueError:
        return False


def _first_occurrence_from(start: str, rrule: str, zone: ZoneInfo, *, is_all_day: bool) -> str:
    """The editor's start date means "from this day on" ("every Wednesday from 1 March").
    Left as given when it cannot be read; the schedule service then says what is wrong."""
    try:
        first = first_from(rrule, datetime.fromisoformat(start), zone.key)
    except ValueError:
        return start
    if first is None:
        return start
    return first.date().isoformat() if is_all_day else first.isoformat(timespec="minutes")


def _blank() -> dict[str, Any]:
    return {
        "kind": "lecture",
        "holiday_policy": "next_workday",
        "duration_minutes": "60",
        "duration_days": "1",
        "start_time": "09:00",
        "repeat": "weekly",
        "repeat_weekday": "MO",
        "repeat_interval": "1",
        "repeat_nth": "1",
        "repeat_month": "1",
        "repeat_day": "1",
        "department_ids": [],
        "person_ids": [],
        "change_notices": "",
    }


def _values(schedule: Schedule) -> dict[str, Any]:
    start = local_start(schedule)
    zone = pufa().settings.zone
    return {
        "kind": schedule.kind,
        "title": schedule.title,
        "description": schedule.description,
        "location": schedule.location,
        "start_date": start.date().isoformat(),
        "start_time": "" if schedule.is_all_day else start.strftime("%H:%M"),
        "is_all_day": "1" if schedule.is_all_day else "",
        "duration_minutes": str(schedule.duration_minutes),
        "duration_days": str(schedule.duration_days),
        "holiday_policy": schedule.holiday_policy,
        "is_for_everyone": "1" if schedule.is_for_everyone else "",
        "department_ids": [str(d.id) for d in schedule.departments],
        "person_ids": [str(p.id) for p in schedule.people],
        "speaker_id": str(schedule.speaker_id or ""),
        "topic": schedule.topic,
        "change_notices": "1" if schedule.change_notices else "0",
        "version": schedule.version,
        **from_rrule(schedule.rrule, zone).form_values(),
    }


def _render(session: Session, schedule: Schedule | None, state: FormState) -> str:
    people = [(p.id, p.name) for p in session.scalars(select(Person).order_by(Person.name))]
    departments = session.scalars(select(Department).order_by(Department.name))
    occurrences: list[Any] = []
    if schedule is not None:
        now = utcnow()
        loaded = load_schedules(session, [schedule.id])
        occurrences = expand_all(loaded, Window(now, now + PREVIEW), workday_calendar(session))
    return render_template(
        "admin/schedule_form.html",
        schedule=schedule,
        form=state,
        people=people,
        names=dict(people),
        departments=[(d.id, d.name) for d in departments],
        occurrences=occurrences[:20],
    )
