"""Changes to one occurrence (cancel, move, speaker, topic, place) and reminder rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import record, snapshot
from ..errors import Conflict, Invalid
from ..models import OccurrenceOverride, Person, ReminderRule, Schedule, utcnow
from ..occurrences.expand import Window, expand
from ..occurrences.query import workday_calendar
from ..occurrences.specs import schedule_spec
from ..occurrences.validate import validate_override_target
from ..sms.affected import replan_schedules
from ..sms.notices import notify_change, occurrence_of
from ..template_folder import SMS_TEMPLATES
from .common import (
    Id,
    InputModel,
    Instant,
    Line,
    Name,
    Note,
    check_version,
    delete_audited,
    existing,
    validated,
)
from .schedules import MAX_MINUTES

Recipients = Literal["audience", "speaker", "unconfirmed", "overdue_heads"]
ONE_YEAR = 366 * 24 * 60
MAX_MOVE = timedelta(days=366)


class OverrideIn(InputModel):
    """The whole change to one occurrence (PUT replaces it)."""

    is_cancelled: bool = False
    moved_start: Instant | None = Field(
        default=None, description="New local start in the schedule's timezone."
    )
    moved_duration_minutes: Annotated[int, Field(ge=1, le=MAX_MINUTES)] | None = None
    speaker_id: Id | None = None
    topic: Line | None = None
    location: Line | None = None
    note: Note = ""
    allow_same_day: bool = Field(
        default=False,
        description="Move onto a day that already holds another occurrence of the series.",
    )


def original_start_at(schedule: Schedule, value: datetime) -> datetime:
    """The UTC instant of an original start given in local time (or with an offset);
    422 unless the series really has an occurrence there (one the engine lists: on the
    rule and not removed by an EXDATE)."""
    zone = ZoneInfo(schedule.timezone)
    local = value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
    aware = local.replace(tzinfo=zone)
    validate_override_target(schedule_spec(schedule), aware)
    return aware.astimezone(UTC)


def find_override(
    session: Session, schedule: Schedule, original_at: datetime
) -> OccurrenceOverride | None:
    return session.scalar(
        select(OccurrenceOverride).where(
            OccurrenceOverride.schedule_id == schedule.id,
            OccurrenceOverride.original_start_at == original_at,
        )
    )


def put_override(
    session: Session,
    actor: str,
    schedule: Schedule,
    original_at: datetime,
    data: OverrideIn,
    expected: int | None,
) -> tuple[OccurrenceOverride, bool]:
    """Create or replace the override; returns it and whether it was created."""
    moved = data.moved_start
    if moved is not None:
        zone = ZoneInfo(schedule.timezone)
        moved = (moved if moved.tzinfo else moved.replace(tzinfo=zone)).astimezone(UTC)
        if abs(moved - original_at) > MAX_MOVE:
            # Rescheduling is a matter of days or weeks; further is another schedule.
            raise Invalid(
                "An occurrence can be moved by a year at most.",
                fields={"moved_start": "最多只能移动一年 more than a year from the original"},
            )
    if moved is not None and not data.allow_same_day:
        refuse_same_day(session, schedule, original_at, moved)
    row = find_override(session, schedule, original_at)
    before = occurrence_of(session, schedule, original_at, row.moved_start_at if row else None)
    created = row is None
    if row is None:
        row = OccurrenceOverride(schedule_id=schedule.id, original_start_at=original_at)
        session.add(row)
        row_before = None
    else:
        check_version(row, expected)
        row_before = snapshot(row)
    speaker = existing(session, Person, [data.speaker_id] if data.speaker_id else [], "speaker_id")
    row.is_cancelled = data.is_cancelled
    row.moved_start_at = moved
    row.moved_duration_minutes = data.moved_duration_minutes
    row.speaker = speaker[0] if speaker else None
    row.topic = data.topic
    row.location = data.location
    row.note = data.note
    session.flush()
    record(
        session,
        actor=actor,
        action="create" if created else "update",
        resource="occurrence_override",
        resource_id=row.id,
        before=row_before,
        after=snapshot(row),
    )
    session.expire(schedule, ["overrides"])
    after = occurrence_of(session, schedule, original_at, moved)
    now = utcnow()
    notify_change(session, schedule, before, after, data.note, now)
    replan_schedules(session, [schedule.id], now)
    return row, created


def refuse_same_day(
    session: Session, schedule: Schedule, original_at: datetime, moved: datetime
) -> None:
    """409 naming the other occurrence when ``moved`` lands on a local day that already
    holds one of the series: a series has one occurrence a day unless the admin says so."""
    zone = ZoneInfo(schedule.timezone)
    day = moved.astimezone(zone).date()
    window = Window(datetime.combine(day, time(0), zone), datetime.combine(day, time.max, zone))
    for other in expand(schedule_spec(schedule), window, workday_calendar(session)):
        if other.original_start.astimezone(UTC) == original_at or not other.is_happening:
            continue
        if other.start.astimezone(zone).date() == day:
            when = other.start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            raise Conflict(
                f"{day.isoformat()} 已有本系列的一次活动（{when}）；"
                "如确需同日举行两次，请加上 allow_same_day: true。",
                code="same_day",
                fields={"moved_start": f"same day as the occurrence at {when}"},
            )


def delete_override(
    session: Session, actor: str, row: OccurrenceOverride, expected: int | None
) -> None:
    """Restore the occurrence to what the series says."""
    schedule_id = row.schedule_id
    delete_audited(session, actor, row, expected, "occurrence_override")
    replan_schedules(session, [schedule_id], utcnow())


class RuleIn(InputModel):
    name: Name
    lead_minutes: Annotated[int, Field(ge=-ONE_YEAR, le=ONE_YEAR)] = Field(
        description="Minutes before the occurrence starts; negative means after it."
    )
    template: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,100}$")] = Field(
        description="Name of an SMS template in templates/sms/ (without .txt.j2)."
    )
    recipients: Recipients = "audience"
    is_routine: bool = True
    window_minutes: Annotated[int, Field(ge=1, le=ONE_YEAR)] | None = None
    is_enabled: bool = True

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        if not (SMS_TEMPLATES / f"{value}.txt.j2").is_file():
            raise ValueError(f"unknown SMS template {value!r}")
        return value


_RULE_FIELDS = tuple(RuleIn.model_fields)


def create_rule(session: Session, actor: str, schedule: Schedule, data: RuleIn) -> ReminderRule:
    rule = ReminderRule(schedule_id=schedule.id, **data.model_dump())
    session.add(rule)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        resource="reminder_rule",
        resource_id=rule.id,
        before=None,
        after=snapshot(rule),
    )
    replan_schedules(session, [schedule.id], utcnow())
    return rule


def update_rule(
    session: Session, actor: str, rule: ReminderRule, changes: dict[str, Any], expected: int | None
) -> ReminderRule:
    check_version(rule, expected)
    data = validated(RuleIn, {**{k: getattr(rule, k) for k in _RULE_FIELDS}, **changes})
    before = snapshot(rule)
    for key, value in data.model_dump().items():
        setattr(rule, key, value)
    session.flush()
    record(
        session,
        actor=actor,
        action="update",
        resource="reminder_rule",
        resource_id=rule.id,
        before=before,
        after=snapshot(rule),
    )
    replan_schedules(session, [rule.schedule_id], utcnow())
    return rule


def delete_rule(session: Session, actor: str, rule: ReminderRule, expected: int | None) -> None:
    schedule_id = rule.schedule_id
    delete_audited(session, actor, rule, expected, "reminder_rule")
    replan_schedules(session, [schedule_id], utcnow())
