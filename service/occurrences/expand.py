"""``expand``: a schedule's occurrences in a window. Pure: no clock, no database.

Recurrence is evaluated by python-dateutil in the schedule's wall-clock time, so a 09:00
series stays at 09:00 across DST. Then, per occurrence: EXDATE removes it, the holiday
policy may skip or shift it, and an override (keyed by the original start, the RFC 5545
RECURRENCE-ID) may cancel, move or change it. The feed and the SMS planner both read
what this returns, so the calendar and the SMS can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

# A shifted occurrence never moves further than this from its original day (Spring
# Festival plus its weekends is the longest run of days off).
MAX_HOLIDAY_SHIFT = timedelta(days=15)
MAX_WINDOW = timedelta(days=3660)
_UNTIL = re.compile(r"UNTIL=(\d{8}(?:T\d{6}Z?)?)", re.IGNORECASE)


class Workdays(Protocol):
    def is_workday(self, day: date) -> bool: ...


class EveryDayWorks:
    """A calendar without holidays: for schedules whose policy is ``keep``."""

    def is_workday(self, day: date) -> bool:
        return True


@dataclass(frozen=True)
class OverrideSpec:
    original_start: datetime  # aware
    is_cancelled: bool = False
    moved_start: datetime | None = None
    moved_duration: timedelta | None = None
    speaker_id: int | None = None
    topic: str | None = None
    location: str | None = None
    note: str = ""
    sequence: int = 1


@dataclass(frozen=True)
class ScheduleSpec:
    """What ``expand`` needs of a schedule: plain values, no ORM session."""

    id: int
    timezone: str
    start: datetime  # aware; for all-day schedules, local midnight of the first day
    duration: timedelta
    is_all_day: bool = False
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()  # aware original starts
    holiday_policy: str = "keep"
    speaker_id: int | None = None
    topic: str = ""
    location: str = ""
    overrides: tuple[OverrideSpec, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("window end must be after its start")
        if self.end - self.start > MAX_WINDOW:
            raise ValueError("window is longer than 10 years")

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return start < self.end and end > self.start


@dataclass(frozen=True)
class Occurrence:
    schedule_id: int
    original_start: datetime  # the RECURRENCE-ID, aware in the schedule's timezone
    start: datetime  # aware in the schedule's timezone
    end: datetime
    is_all_day: bool
    status: str  # scheduled | moved | cancelled | holiday_skipped | holiday_moved
    speaker_id: int | None = None
    topic: str = ""
    location: str = ""
    reason: str = ""
    sequence: int = 0
    is_overridden: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_happening(self) -> bool:
        """Takes place (possibly moved): reminders are planned for it."""
        return self.status in ("scheduled", "moved", "holiday_moved")

    @property
    def key(self) -> tuple[int, datetime]:
        return (self.schedule_id, self.original_start.astimezone(UTC))


def expand(schedule: ScheduleSpec, window: Window, workdays: Workdays) -> list[Occurrence]:
    """Every occurrence whose actual time overlaps ``window``, sorted by start.

    Holiday-skipped and cancelled occurrences are included with their status, so callers
    can show them; ``Occurrence.is_happening`` tells which ones take place.
    """
    zone = schedule.zone
    overrides = {o.original_start.astimezone(UTC): o for o in schedule.overrides}
    excluded = {d.astimezone(UTC) for d in schedule.exdates}
    # Search a wider range so occurrences shifted or moved into the window are found.
    reach = schedule.duration + MAX_HOLIDAY_SHIFT
    rule = build_rule(schedule)
    originals = set(_originals(schedule, rule, window.start - reach, window.end + reach))
    elsewhere = [key for key in overrides if key not in originals]
    if elsewhere:  # overrides that may move an occurrence from far away into the window
        valid = set(
            _originals(schedule, rule, min(elsewhere), max(elsewhere) + timedelta(seconds=1))
        )
        originals |= valid.intersection(elsewhere)

    result: list[Occurrence] = []
    for original in sorted(originals):
        if original in excluded:
            continue
        occurrence = _resolve(schedule, zone, original, overrides.get(original), workdays)
        if window.overlaps(occurrence.start, occurrence.end):
            result.append(occurrence)
    result.sort(key=lambda o: (o.start, o.original_start))
    return result


def _local_naive(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    """Wall-clock time in ``zone``; a time skipped by DST is pushed forward (fold=0)."""
    aware = local.replace(tzinfo=zone)
    # Round-trip through UTC normalises non-existent local times.
    return aware.astimezone(UTC).astimezone(zone)


def build_rule(schedule: ScheduleSpec) -> rrule | None:
    if not schedule.rrule:
        return None
    zone = schedule.zone
    text = _UNTIL.sub(lambda m: "UNTIL=" + _until_local(m.group(1), zone), schedule.rrule)
    built = rrulestr(text, dtstart=_local_naive(schedule.start, zone), forceset=False)
    assert isinstance(built, rrule)
    return built


def _until_local(value: str, zone: ZoneInfo) -> str:
    """RFC 5545 UNTIL in UTC (…Z) becomes local wall-clock, as dateutil's naive
    evaluation needs; a date or floating value is already local."""
    if value.upper().endswith("Z"):
        instant = datetime.strptime(value.upper(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return _local_naive(instant, zone).strftime("%Y%m%dT%H%M%S")
    if "T" not in value.upper():
        return value + "T235959"
    return value


def _originals(
    schedule: ScheduleSpec, rule: rrule | None, start: datetime, end: datetime
) -> Iterable[datetime]:
    if rule is None:
        if start <= schedule.start < end:
            yield schedule.start.astimezone(UTC)
        return
    zone = schedule.zone
    local_start, local_end = _local_naive(start, zone), _local_naive(end, zone)
    for local in rule.between(local_start, local_end, inc=True):
        yield _aware(local, zone).astimezone(UTC)


def _resolve(
    schedule: ScheduleSpec,
    zone: ZoneInfo,
    original_utc: datetime,
    override: OverrideSpec | None,
    workdays: Workdays,
) -> Occurrence:
    original = original_utc.astimezone(zone)
    start, status, reason = _apply_holiday_policy(schedule, original, workdays)
    duration = schedule.duration
    speaker_id, topic, location = schedule.speaker_id, schedule.topic, schedule.location
    sequence = 0
    if override is not None:
        sequence = override.sequence
        speaker_id = override.speaker_id if override.speaker_id is not None else speaker_id
        topic = override.topic if override.topic is not None else topic
        location = override.location if override.location is not None else location
        if override.moved_duration is not None:
            duration = override.moved_duration
        if override.is_cancelled:
            status, reason = "cancelled", override.note or "cancelled by an admin"
        elif override.moved_start is not None:
            start = override.moved_start.astimezone(zone)
            status, reason = "moved", override.note or "moved by an admin"
    end = _end(start, duration, schedule.is_all_day, zone)
    return Occurrence(
        schedule_id=schedule.id,
        original_start=original,
        start=start,
        end=end,
        is_all_day=schedule.is_all_day,
        status=status,
        speaker_id=speaker_id,
        topic=topic,
        location=location,
        reason=reason,
        sequence=sequence,
        is_overridden=override is not None,
    )


def _end(start: datetime, duration: timedelta, is_all_day: bool, zone: ZoneInfo) -> datetime:
    if is_all_day:
        # Whole days in wall-clock terms: local midnight to local midnight.
        last = start.date() + timedelta(days=max(1, duration.days))
        return _aware(datetime.combine(last, time(0)), zone)
    return (start.astimezone(UTC) + duration).astimezone(zone)


def _apply_holiday_policy(
    schedule: ScheduleSpec, original: datetime, workdays: Workdays
) -> tuple[datetime, str, str]:
    policy = schedule.holiday_policy
    day = original.date()
    if policy == "keep" or workdays.is_workday(day):
        return original, "scheduled", ""
    if policy == "skip":
        return original, "holiday_skipped", f"{day.isoformat()} is not a working day"
    step = timedelta(days=1 if policy == "next_workday" else -1)
    target = day + step
    while not workdays.is_workday(target):
        target += step
        if abs(target - day) > MAX_HOLIDAY_SHIFT:
            return original, "holiday_skipped", f"no working day near {day.isoformat()}"
    zone = schedule.zone
    moved = _aware(datetime.combine(target, original.timetz().replace(tzinfo=None)), zone)
    return (
        moved,
        "holiday_moved",
        f"{day.isoformat()} is not a working day; moved to {target.isoformat()}",
    )
