"""From database rows to the plain values ``expand`` takes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from ..models import Schedule
from .expand import OverrideSpec, ScheduleSpec


class OverrideRow(Protocol):
    """An ``OccurrenceOverride``: the ORM object, or a plain row of its columns."""

    @property
    def original_start_at(self) -> datetime: ...
    @property
    def is_cancelled(self) -> bool: ...
    @property
    def moved_start_at(self) -> datetime | None: ...
    @property
    def moved_duration_minutes(self) -> int | None: ...
    @property
    def speaker_id(self) -> int | None: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def location(self) -> str | None: ...
    @property
    def note(self) -> str: ...
    @property
    def version(self) -> int: ...


def override_spec(row: OverrideRow) -> OverrideSpec:
    return OverrideSpec(
        original_start=row.original_start_at,
        is_cancelled=row.is_cancelled,
        moved_start=row.moved_start_at,
        moved_duration=(
            timedelta(minutes=row.moved_duration_minutes)
            if row.moved_duration_minutes is not None
            else None
        ),
        speaker_id=row.speaker_id,
        topic=row.topic,
        location=row.location,
        note=row.note,
        # SEQUENCE for the feed: every saved change of the override counts.
        sequence=row.version,
    )


def schedule_spec(
    schedule: Schedule, overrides: Iterable[OverrideSpec] | None = None
) -> ScheduleSpec:
    """The schedule's spec; its overrides are ``schedule.overrides`` unless given."""
    zone = ZoneInfo(schedule.timezone)
    if schedule.is_all_day:
        duration = timedelta(days=schedule.duration_days)
    else:
        duration = timedelta(minutes=schedule.duration_minutes)
    return ScheduleSpec(
        id=schedule.id,
        timezone=schedule.timezone,
        start=schedule.starts_at.astimezone(zone),
        duration=duration,
        is_all_day=schedule.is_all_day,
        rrule=schedule.rrule,
        exdates=tuple(_exdate(value, zone) for value in schedule.exdates or ()),
        holiday_policy=schedule.holiday_policy,
        speaker_id=schedule.speaker_id,
        topic=schedule.topic,
        location=schedule.location,
        overrides=tuple(
            overrides if overrides is not None else map(override_spec, schedule.overrides)
        ),
    )


def _exdate(value: str, zone: ZoneInfo) -> datetime:
    """EXDATEs are stored as ISO strings: local wall-clock, or with an explicit offset."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
