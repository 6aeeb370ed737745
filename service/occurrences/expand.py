"""``expand``: a schedule's occurrences in a window. Pure: no clock, no database.

Recurrence is evaluated by python-dateutil in the schedule's wall-clock time, so a 09:00
series stays at 09:00 across DST. Then, per occurrence: EXDATE removes it, the holiday
policy may skip or shift it, and an override (keyed by the original start, the RFC 5545
RECURRENCE-ID) may cancel, move or change it. The feed and the SMS planner both read
what this returns, so the calendar and the SMS can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule

from .rules import Recurrence, compile_rule

# A shifted occurrence never moves further than this from its original day (Spring
# Festival plus its weekends is the longest run of days off).
MAX_HOLIDAY_SHIFT = timedelta(days=15)
MAX_WINDOW = timedelta(days=3660)


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
    can show them; ``Occurrence.is_happening`` tells which ones take place. The cost
    grows with the window, not with how long ago the series started.
    """
    return expand_with_rule(schedule, window, workdays)[0]


def expand_with_rule(
    schedule: ScheduleSpec, window: Window, workdays: Workdays
) -> tuple[list[Occurrence], list[datetime]]:
    """``expand``, and the plain rule's starts it was computed from.

    The second list is what dateutil gives for the RRULE alone (naive local wall-clock
    time, before DST normalising, DTSTART, EXDATE, holidays and overrides) at least
    from ``window.start`` minus the schedule's duration and ``MAX_HOLIDAY_SHIFT`` to
    ``window.end`` plus as much; empty for a single event. A caller comparing the
    occurrences with the plain rule (the feed) reads it instead of enumerating the rule
    a second time, which costs as much as the rest of the expansion.
    """
    zone = schedule.zone
    # Keyed by naive local wall-clock time: cheaper than converting every occurrence.
    overrides = {_local_naive(o.original_start, zone): o for o in schedule.overrides}
    excluded = {_local_naive(d, zone) for d in schedule.exdates}
    # Search a wider range so occurrences shifted by the holiday policy are found.
    reach = schedule.duration + MAX_HOLIDAY_SHIFT
    search_start, search_end = window.start - reach, window.end + reach
    rule_starts = _rule_starts(schedule, search_start, search_end)
    originals = set(_with_dtstart(schedule, search_start, search_end, rule_starts))
    for local, override in overrides.items():
        # An override can move an occurrence from any distance into the window.
        if (
            local not in originals
            and _moves_into(schedule, override, window)
            and is_original(schedule, override.original_start)
        ):
            originals.add(local)

    result: list[Occurrence] = []
    for local in sorted(originals):
        if local in excluded:
            continue
        occurrence = _resolve(schedule, zone, local, overrides.get(local), workdays)
        if occurrence.start < window.end and occurrence.end > window.start:
            result.append(occurrence)
    result.sort(key=lambda o: (o.start, o.original_start))
    return result, rule_starts


def recurrence(schedule: ScheduleSpec) -> Recurrence | None:
    """The schedule's compiled RRULE (cached), or None for a single event.

    Raises ``RuleError`` for a rule that cannot be evaluated.
    """
    if not schedule.rrule:
        return None
    return compile_rule(
        schedule.rrule, _local_naive(schedule.start, schedule.zone), schedule.timezone
    )


def original_starts(schedule: ScheduleSpec, start: datetime, end: datetime) -> list[datetime]:
    """Original starts (aware, in the schedule's zone) with ``start <= t <= end``,
    before EXDATE and overrides.

    DTSTART is always the first occurrence (RFC 5545), even when the rule does not match
    it, unless it lies after UNTIL; calendar clients reading the feed do the same.
    """
    zone = schedule.zone
    return [_aware(local, zone) for local in _local_originals(schedule, start, end)]


def is_original(schedule: ScheduleSpec, original_start: datetime) -> bool:
    """Whether the series has an occurrence that originally starts at this instant
    (EXDATE not considered)."""
    day = timedelta(days=1)
    candidates = original_starts(schedule, original_start - day, original_start + day)
    return any(candidate == original_start for candidate in candidates)


def _local_originals(schedule: ScheduleSpec, start: datetime, end: datetime) -> list[datetime]:
    return _with_dtstart(schedule, start, end, _rule_starts(schedule, start, end))


def _rule_starts(schedule: ScheduleSpec, start: datetime, end: datetime) -> list[datetime]:
    """The RRULE's own occurrences from ``start`` to ``end`` (inclusive), naive local."""
    rule = recurrence(schedule)
    if rule is None:
        return []
    zone = schedule.zone
    return rule.between(_local_naive(start, zone), _local_naive(end, zone))


def _with_dtstart(
    schedule: ScheduleSpec, start: datetime, end: datetime, rule_starts: list[datetime]
) -> list[datetime]:
    """The original starts (naive local) from the rule's: DST-normalised, and DTSTART."""
    zone = schedule.zone
    rule = recurrence(schedule)
    found = [_normalise(local, zone) for local in rule_starts]
    in_rule = rule is None or rule.until is None or rule.dtstart <= rule.until
    if start <= schedule.start <= end and in_rule:
        first = _local_naive(schedule.start, zone)
        if first not in found:
            found.insert(0, first)
    return found


def build_rule(schedule: ScheduleSpec) -> rrule | None:
    """The dateutil rule from DTSTART, in naive local wall-clock time of the schedule."""
    compiled = recurrence(schedule)
    return compiled.rule() if compiled is not None else None


def _moves_into(schedule: ScheduleSpec, override: OverrideSpec, window: Window) -> bool:
    if override.is_cancelled or override.moved_start is None:
        return False
    # An all-day end is rounded up to midnight: a day of slack is enough.
    length = (override.moved_duration or schedule.duration) + timedelta(days=1)
    return override.moved_start < window.end and override.moved_start + length > window.start


def _local_naive(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _normalise(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time skipped by DST is pushed forward, as RFC 5545 says; others stay."""
    # ZoneInfo reads only the wall-clock fields and the fold of what it is given, so
    # the naive time can be asked about directly, without making it aware first.
    if zone.utcoffset(local) == zone.utcoffset(local.replace(fold=1)):
        return local  # neither skipped nor repeated: the usual case, and cheap
    return _aware(local, zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    """``local.replace(tzinfo=zone)`` (fold kept), at a fifth of its cost: replace's
    keyword parsing is most of it, and an occurrence needs this several times."""
    return datetime.combine(local, local.time(), zone)


def _resolve(
    schedule: ScheduleSpec,
    zone: ZoneInfo,
    local: datetime,
    override: OverrideSpec | None,
    workdays: Workdays,
) -> Occurrence:
    original = _aware(local, zone)
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
        return _normalise(datetime.combine(last, time(0)), zone).replace(tzinfo=zone)
    end = start + duration  # wall-clock arithmetic: right unless the offset changes
    if end.utcoffset() != start.utcoffset():
        end = (start.astimezone(UTC) + duration).astimezone(zone)
    return end


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
    moved = _normalise(datetime.combine(target, original.time()), zone).replace(tzinfo=zone)
    return (
        moved,
        "holiday_moved",
        f"{day.isoformat()} is not a working day; moved to {target.isoformat()}",
    )
