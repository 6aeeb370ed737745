"""The reminders panel of a schedule (a study item's deadline is a schedule too): its
rules with the text each sends and its segment count; add one from a preset, edit,
switch off or on. Rules are written by ``domain.overrides`` (audited), as the API
writes them, and the schedule's SMS are re-planned at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from ...context import db_session
from ...domain import overrides
from ...domain.common import committed
from ...domain.schedules import local_start
from ...errors import PufaError
from ...models import Person, ReminderRule, Schedule, utcnow
from ...occurrences.expand import Window, expand
from ...occurrences.query import load_schedules, workday_calendar
from ...occurrences.specs import schedule_spec
from ...sms.texts import SAMPLE_CONTEXT, count_segments, render_sms
from ...sms.wording import EVERYONE, join_names, when
from ...workflows import replan
from ...workflows.labels import SMS_TEMPLATE
from .. import messages
from ..blueprints import web_blueprint
from ..forms import FormState, absorb, form_version, integer, posted, validate

bp = web_blueprint("web_reminders", __name__, "/admin/reminders", admin=True)

# The SMS templates a clerk may choose, by what they say (test_message is not a reminder).
TEMPLATES = {
    code: SMS_TEMPLATE[code]
    for code in (
        "lecture_audience",
        "lecture_speaker",
        "campaign_prepare",
        "campaign_day_before",
        "study_deadline",
        "study_overdue",
    )
}
# name, days before, time of day ("" = the occurrence's own time)
PRESETS = {
    "day_before": ("提前一天", 1, ""),
    "week_before": ("提前一周", 7, ""),
    "morning_of": ("当天早上", 0, "08:00"),
}
DEFAULT_TEMPLATE = {
    "lecture": "lecture_audience",
    "campaign": "campaign_day_before",
    "deadline": "study_deadline",
    "meeting": "lecture_audience",
}


@dataclass(frozen=True)
class RuleView:
    rule: ReminderRule
    timing: str
    text: str
    segments: int
    state: FormState


@bp.get("/<int:schedule_id>")
def panel(schedule_id: int) -> ResponseReturnValue:
    return _render(db_session(), _schedule(schedule_id))


@bp.post("/<int:schedule_id>/add")
def add(schedule_id: int) -> ResponseReturnValue:
    session = db_session()
    schedule = _schedule(schedule_id)
    state = posted()
    preset = PRESETS.get(str(state.value("preset")))
    if preset is not None:
        name, days, clock = preset
        state.values.setdefault("name", name)
        state.values["name"] = state.values["name"] or name
        state.values["days_before"], state.values["send_time"] = str(days), clock
    data = _rule_data(schedule, state)
    body = validate(overrides.RuleIn, data, state, field_names=_FIELDS) if state.is_valid else None
    if body is None:
        return _render(session, schedule, new_form=state), 400
    try:
        with committed(session):
            overrides.create_rule(session, g.actor, schedule, body)
            replan.replan_schedule(session, schedule.id, utcnow())
    except PufaError as error:
        absorb(error, state, _FIELDS)
        return _render(session, schedule, new_form=state), 400
    flash(messages.RULE_ADDED.format(name=body.name), "success")
    return redirect(url_for("web_reminders.panel", schedule_id=schedule.id))


@bp.post("/<int:schedule_id>/<int:rule_id>")
def edit(schedule_id: int, rule_id: int) -> ResponseReturnValue:
    session = db_session()
    schedule = _schedule(schedule_id)
    rule = _rule(session, schedule, rule_id)
    state = posted()
    data = _rule_data(schedule, state)
    body = validate(overrides.RuleIn, data, state, field_names=_FIELDS) if state.is_valid else None
    if body is not None:
        try:
            with committed(session):
                changes = body.model_dump(exclude={"is_enabled"})
                overrides.update_rule(session, g.actor, rule, changes, form_version(state))
                replan.replan_schedule(session, schedule.id, utcnow())
        except PufaError as error:
            absorb(error, state, _FIELDS)
            body = None
    if body is None:
        return _render(session, schedule, edit_forms={rule_id: state}), 400
    flash(messages.RULE_SAVED.format(name=body.name), "success")
    return redirect(url_for("web_reminders.panel", schedule_id=schedule.id) + f"#rule-{rule_id}")


@bp.post("/<int:schedule_id>/<int:rule_id>/switch")
def switch(schedule_id: int, rule_id: int) -> ResponseReturnValue:
    session = db_session()
    schedule = _schedule(schedule_id)
    rule = _rule(session, schedule, rule_id)
    state = posted()
    enable = not rule.is_enabled
    try:
        with committed(session):
            overrides.update_rule(
                session, g.actor, rule, {"is_enabled": enable}, form_version(state)
            )
            replan.replan_schedule(session, schedule.id, utcnow())
    except PufaError:
        flash(messages.STALE, "error")
        return redirect(url_for("web_reminders.panel", schedule_id=schedule.id))
    text = messages.RULE_ENABLED if enable else messages.RULE_DISABLED
    flash(text.format(name=rule.name), "success")
    return redirect(url_for("web_reminders.panel", schedule_id=schedule.id) + f"#rule-{rule_id}")


_FIELDS = {"lead_minutes": "days_before"}


def _schedule(schedule_id: int) -> Schedule:
    found = load_schedules(db_session(), [schedule_id])
    if not found:
        abort(404)
    return found[0]


def _rule(session: Session, schedule: Schedule, rule_id: int) -> ReminderRule:
    rule = session.get(ReminderRule, rule_id)
    if rule is None or rule.schedule_id != schedule.id:
        abort(404)
    return rule


def _start_minutes(schedule: Schedule) -> int:
    start = local_start(schedule)
    return 0 if schedule.is_all_day else start.hour * 60 + start.minute


def _rule_data(schedule: Schedule, state: FormState) -> dict[str, Any]:
    """The API's ``RuleIn`` from "so many days before, at this time of day"."""
    days = integer(state.value("days_before") or "0")
    if not isinstance(days, int) or not 0 <= days <= 365:
        state.add("days_before", messages.DAYS_BEFORE_RANGE)
        days = 0
    clock = str(state.value("send_time"))
    start = _start_minutes(schedule)
    send = start
    if clock:
        try:
            parsed = time.fromisoformat(clock)
            send = parsed.hour * 60 + parsed.minute
        except ValueError:
            state.add("send_time", messages.INVALID_TIME)
    elif schedule.is_all_day:
        send = 9 * 60  # an all-day event has no time of its own; a morning message
    return {
        "name": state.value("name"),
        "lead_minutes": days * 24 * 60 + start - send,
        "template": state.value("template"),
        "recipients": state.value("recipients") or "audience",
        "is_routine": True,
        "is_enabled": True,
    }


def _timing(schedule: Schedule, rule: ReminderRule) -> tuple[str, int, str]:
    """'提前 1 天 16:00' and the form's days and time for a rule's lead."""
    start = local_start(schedule).replace(tzinfo=None)
    if schedule.is_all_day:
        start = start.replace(hour=0, minute=0)
    send = start - timedelta(minutes=rule.lead_minutes)
    days = (start.date() - send.date()).days
    clock = f"{send:%H:%M}"
    if days > 0:
        text = f"提前 {days} 天，{clock} 发送"
    elif days == 0:
        text = f"当天 {clock} 发送"
    else:
        text = f"之后 {-days} 天，{clock} 发送"
    return text, days, clock


def _sample_context(session: Session, schedule: Schedule) -> dict[str, str]:
    """What the next occurrence's messages would say (sample values where none is set)."""
    zone = ZoneInfo(schedule.timezone)
    now = utcnow()
    upcoming = expand(
        schedule_spec(schedule), Window(now, now + timedelta(days=400)), workday_calendar(session)
    )
    nxt = next((o for o in upcoming if o.is_happening), None)
    start = nxt.start if nxt else local_start(schedule).replace(tzinfo=zone)
    speaker = ""
    speaker_id = nxt.speaker_id if nxt else schedule.speaker_id
    if speaker_id is not None:
        person = session.get(Person, speaker_id)
        speaker = person.name if person else ""
    departments = (
        EVERYONE
        if schedule.is_for_everyone
        else join_names(d.name for d in schedule.departments) or EVERYONE
    )
    return {
        **SAMPLE_CONTEXT,
        "name": SAMPLE_CONTEXT["name"],
        "title": schedule.title,
        "when": when(start, is_all_day=schedule.is_all_day),
        "location": (nxt.location if nxt else schedule.location) or "",
        "speaker": speaker,
        "topic": (nxt.topic if nxt else schedule.topic) or "",
        "departments": departments,
    }


def _render(
    session: Session,
    schedule: Schedule,
    *,
    new_form: FormState | None = None,
    edit_forms: dict[int, FormState] | None = None,
) -> str:
    context = _sample_context(session, schedule)
    views = []
    for rule in sorted(schedule.rules, key=lambda r: (-r.lead_minutes, r.id)):
        timing, days, clock = _timing(schedule, rule)
        try:
            personal = context
            if rule.recipients == "speaker" and context["speaker"]:
                personal = {**context, "name": context["speaker"]}  # the speaker is addressed
            text = render_sms(rule.template, personal)
        except Exception:  # a template removed since: say so, not a 500
            text = ""
        state = FormState(
            {
                "name": rule.name,
                "days_before": str(days),
                "send_time": clock,
                "template": rule.template,
                "recipients": rule.recipients,
            }
        )
        views.append(RuleView(rule, timing, text, count_segments(text) if text else 0, state))
    blank = FormState(
        {
            "template": DEFAULT_TEMPLATE.get(schedule.kind, "lecture_audience"),
            "recipients": "audience",
            "days_before": "1",
            "send_time": "09:00" if schedule.is_all_day else "",
        }
    )
    return render_template(
        "admin/reminders.html",
        schedule=schedule,
        rules=views,
        new_form=new_form or blank,
        edit_forms=edit_forms or {},
        templates=list(TEMPLATES.items()),
        template_names=TEMPLATES,
        presets=[(key, name) for key, (name, _, _) in PRESETS.items()],
        sample_name=SAMPLE_CONTEXT["name"],
    )
