"""Schedules: validation (timezone, RRULE, start and end) and audited changes.

Times in requests are the schedule's local wall-clock time; an instant with an offset is
converted into the schedule's timezone. Stored: the first start as a UTC instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..audit import record, snapshot
from ..errors import Conflict, Invalid
from ..models import Department, Person, Schedule, StudyItem, utcnow
from ..occurrences.rfc5545 import RuleError, check_timezone
from ..occurrences.validate import validate_schedule
from ..sms.affected import replan_schedules
from ..sms.defaults import give_default_rules
from ..sms.series_change import after_edit, before_edit, notify_deleted
from .common import (
    Id,
    IdList,
    InputModel,
    Line,
    LongText,
    Title,
    When,
    check_version,
    existing,
    validated,
    versioned,
)

Kind = Literal["lecture", "campaign", "deadline", "meeting"]
HolidayPolicy = Literal["keep", "skip", "next_workday", "previous_workday"]
MAX_MINUTES = 7 * 24 * 60
NOTIFIED_KINDS = ("lecture", "meeting")


class ScheduleIn(InputModel):
    kind: Kind
    title: Title
    description: LongText = ""
    location: Line = ""
    timezone: Annotated[str, Field(max_length=64)] = "Asia/Shanghai"
    start: When = Field(
        description="Local wall-clock start in `timezone` (a date for all-day schedules)."
    )
    is_all_day: bool = False
    duration_minutes: Annotated[int, Field(ge=1, le=MAX_MINUTES)] = 60
    duration_days: Annotated[int, Field(ge=1, le=366)] = 1
    end: When | None = Field(
        default=None,
        description="Instead of a duration: the end (timed) or the last day (all-day).",
    )
    rrule: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, description="RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;BYDAY=MO"
    )
    exdates: Annotated[list[When], Field(max_length=500)] = Field(default_factory=list)
    holiday_policy: HolidayPolicy = "keep"
    is_for_everyone: bool = False
    department_ids: IdList = Field(default_factory=list)
    person_ids: IdList = Field(default_factory=list)
    speaker_id: Id | None = None
    topic: Line = ""
    change_notices: bool | None = Field(
        default=None,
        description="变更通知 to people already reminded; default: on for lectures and meetings.",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            check_timezone(value)  # not ZoneInfo: it opens tzdata folders ("America")
        except RuleError as error:
            raise ValueError(str(error)) from None
        return value


@dataclass(frozen=True)
class Timing:
    """A schedule's times resolved in its own timezone."""

    zone: ZoneInfo
    local_start: datetime  # naive wall-clock
    duration_minutes: int
    duration_days: int
    exdates: list[str]
    rrule: str | None  # canonical (occurrences.validate.validate_schedule), as stored


def _local(value: datetime | date, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
    return datetime.combine(value, time(0))


def resolve_timing(data: ScheduleIn, stored: Schedule | None = None) -> Timing:
    """Check what pydantic cannot see field by field; 422 names the field at fault.

    ``stored``: the schedule being edited. A start and rule it already has are not
    checked again, so a schedule saved before a check existed can still be edited.
    """
    zone = ZoneInfo(data.timezone)
    start = _local(data.start, zone)
    if data.is_all_day and start.time() != time(0):
        raise Invalid("An all-day schedule starts on a date.", fields={"start": "give a date"})
    minutes, days = data.duration_minutes, data.duration_days
    if data.end is not None:
        end = _local(data.end, zone)
        if data.is_all_day:
            days = (end.date() - start.date()).days + 1
            bad = days < 1 or days > 366
        else:
            minutes = int((end - start).total_seconds() // 60)
            bad = minutes < 1 or minutes > MAX_MINUTES
        if bad:
            raise Invalid(
                "end must come after start (and within the longest duration).",
                fields={"end": "结束时间必须晚于开始时间 end before start"},
            )
    rule = data.rrule or None
    if stored is not None and _keeps_rule(stored, data, start):
        rule = stored.rrule
    else:
        # One checker (service.occurrences): the rule as RFC 5545 and calendar apps read
        # it, in the canonical form that is stored, and a start that is one of its
        # occurrences.
        rule = validate_schedule(rule, start, data.timezone, is_all_day=data.is_all_day)
    exdates = sorted({_local(value, zone).isoformat() for value in data.exdates})
    return Timing(zone, start, minutes, days, exdates, rule)


def _keeps_rule(stored: Schedule | None, data: ScheduleIn, start: datetime) -> bool:
    return (
        stored is not None
        and stored.rrule is not None
        and stored.rrule == (data.rrule or "").removeprefix("RRULE:")
        and stored.timezone == data.timezone
        and stored.is_all_day == data.is_all_day
        and local_start(stored) == start
    )


def schedule_snapshot(schedule: Schedule) -> dict[str, Any]:
    return snapshot(
        schedule,
        department_ids=[d.id for d in schedule.departments],
        person_ids=[p.id for p in schedule.people],
    )


def local_start(schedule: Schedule) -> datetime:
    return schedule.starts_at.astimezone(ZoneInfo(schedule.timezone)).replace(tzinfo=None)


def current_values(schedule: Schedule) -> dict[str, Any]:
    start = local_start(schedule)
    return {
        "kind": schedule.kind,
        "title": schedule.title,
        "description": schedule.description,
        "location": schedule.location,
        "timezone": schedule.timezone,
        "start": start.date() if schedule.is_all_day else start,
        "is_all_day": schedule.is_all_day,
        "duration_minutes": schedule.duration_minutes,
        "duration_days": schedule.duration_days,
        "rrule": schedule.rrule,
        "exdates": [datetime.fromisoformat(value) for value in schedule.exdates],
        "holiday_policy": schedule.holiday_policy,
        "is_for_everyone": schedule.is_for_everyone,
        "department_ids": [d.id for d in schedule.departments],
        "person_ids": [p.id for p in schedule.people],
        "speaker_id": schedule.speaker_id,
        "topic": schedule.topic,
        "change_notices": schedule.change_notices,
    }


def apply_schedule(session: Session, schedule: Schedule, data: ScheduleIn) -> None:
    timing = resolve_timing(data, schedule if schedule.id is not None else None)
    speaker = existing(session, Person, [data.speaker_id] if data.speaker_id else [], "speaker_id")
    schedule.departments = existing(session, Department, data.department_ids, "department_ids")
    schedule.people = existing(session, Person, data.person_ids, "person_ids")
    schedule.speaker = speaker[0] if speaker else None
    schedule.kind = data.kind
    schedule.title = data.title
    schedule.description = data.description
    schedule.location = data.location
    schedule.timezone = data.timezone
    schedule.starts_at = timing.local_start.replace(tzinfo=timing.zone).astimezone(UTC)
    schedule.is_all_day = data.is_all_day
    schedule.duration_minutes = timing.duration_minutes
    schedule.duration_days = timing.duration_days
    schedule.rrule = timing.rrule
    schedule.exdates = timing.exdates
    schedule.holiday_policy = data.holiday_policy
    schedule.is_for_everyone = data.is_for_everyone
    schedule.topic = data.topic
    notices = data.change_notices
    schedule.change_notices = data.kind in NOTIFIED_KINDS if notices is None else notices


def create_schedule(session: Session, actor: str, data: ScheduleIn) -> Schedule:
    schedule = Schedule()
    apply_schedule(session, schedule, data)
    session.add(schedule)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        resource="schedule",
        resource_id=schedule.id,
        before=None,
        after=schedule_snapshot(schedule),
    )
    add_default_rules(session, actor, schedule)
    replan_schedules(session, [schedule.id], utcnow())
    return schedule


def add_default_rules(session: Session, actor: str, schedule: Schedule) -> None:
    """A new schedule without rules gets its kind's default rules (audited), so it
    reminds someone; an admin can change or disable them like any other."""
    for rule in give_default_rules(session, schedule):
        record(
            session,
            actor=actor,
            action="create",
            resource="reminder_rule",
            resource_id=rule.id,
            before=None,
            after=snapshot(rule),
        )


def update_schedule(
    session: Session,
    actor: str,
    schedule: Schedule,
    changes: dict[str, Any],
    expected: int | None,
) -> Schedule:
    check_version(schedule, expected)
    data = validated(ScheduleIn, {**current_values(schedule), **changes})
    now = utcnow()
    series = before_edit(schedule)
    before = schedule_snapshot(schedule)
    apply_schedule(session, schedule, data)
    after = versioned(session, schedule, before, lambda: schedule_snapshot(schedule))
    record(
        session,
        actor=actor,
        action="update",
        resource="schedule",
        resource_id=schedule.id,
        before=before,
        after=after,
    )
    after_edit(session, schedule, series, now)
    replan_schedules(session, [schedule.id], now)
    return schedule


def delete_schedule(session: Session, actor: str, schedule: Schedule, expected: int | None) -> None:
    check_version(schedule, expected)
    if session.scalar(select(exists().where(StudyItem.schedule_id == schedule.id))):
        raise Conflict(
            "This schedule is a study item's deadline; delete the study item instead.",
            code="in_use",
        )
    before = schedule_snapshot(schedule)
    # Its outbox rows go with it (ON DELETE CASCADE): the notices are rows of no schedule.
    notify_deleted(session, schedule, utcnow())
    session.delete(schedule)
    session.flush()
    record(
        session,
        actor=actor,
        action="delete",
        resource="schedule",
        resource_id=before["id"],
        before=before,
        after=None,
    )
