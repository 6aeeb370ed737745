"""``expand``: a schedule's occurrences in a window. Pure: no clock, no database.

Recurrence is evaluated by python-dateutil in the schedule's wall-clock time, so a 09:00
series stays at 09:00 across DST. Then, per occurrence: EXDATE removes it, the holiday
policy may skip or shift it, and an override (keyed by the original start, the RFC 5545
RECURRENCE-ID) may cancel, move or change it. The feed and the SMS planner both read
what this returns, so the calendar and the SMS can never disagree.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule

from .rules import Recurrence, compile_rule

# A shifted occurrence never moves further than this from its original day (Spring
# Festival plus its weekends is the longest run of days off).
MAX_HOLIDAY_SHIFT = timedelta(days=15)
# How far that can move an occurrence in absolute time: the days keep the wall-clock
# time, so a DST change between the two adds its hour. A day covers any zone's.
SHIFT_REACH = MAX_HOLIDAY_SHIFT + timedelta(days=1)
_NEXT_DAY, _PREVIOUS_DAY = timedelta(days=1), timedelta(days=-1)
_MIDNIGHT, _LAST_SECOND = time(0), time(23, 59, 59)
MAX_WINDOW = timedelta(days=3660)


class Workdays(Protocol):
    def is_workday(self, day: date) -> bool: ...

    def days_off(self, first: date, last: date) -> AbstractSet[date]:
        """The days from ``first`` to ``last`` that are not working days: what
        ``is_workday`` says of each, asked once for a whole series."""
        ...


class EveryDayWorks:
    """A calendar without holidays: for schedules whose policy is ``keep``."""

    def is_workday(self, day: date) -> bool:
        return True

    def days_off(self, first: date, last: date) -> AbstractSet[date]:
        return frozenset()


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

    @cached_property
    def key(self) -> tuple[int, datetime]:
        """(schedule id, original start in UTC): what records, notes and the outbox are
        keyed by. Kept once asked for (a frozen dataclass's fields never change): the
        ledger and the reports look an occurrence up by it several times."""
        return (self.schedule_id, self.original_start.astimezone(UTC))


def expand(schedule: ScheduleSpec, window: Window, workdays: Workdays) -> list[Occurrence]:
    """Every occurrence whose actual time overlaps ``window``, sorted by start.

    Holiday-skipped and cancelled occurrences are included with their status, so callers
    can show them; ``Occurrence.is_happening`` tells which ones take place. The cost
    grows with the window, not with how long ago the series started.
    """
    zone = schedule.zone
    # Keyed by naive local wall-clock time: cheaper than converting every occurrence.
    overrides = {_local_naive(o.original_start, zone): o for o in schedule.overrides}
    excluded = {_local_naive(d, zone) for d in schedule.exdates}
    # Search a wider range so occurrences shifted by the holiday policy are found.
    reach = schedule.duration + SHIFT_REACH
    # Listed once, a holiday shift's reach wider: what resolving asks of the series
    # (is another occurrence on or before a shifted one's new day?) is then a slice.
    listed = _Originals(
        schedule, zone, window.start - reach - SHIFT_REACH, window.end + reach + SHIFT_REACH
    )
    on_rule, first = listed.between(window.start - reach, window.end + reach)
    originals = set(on_rule) if first is None else {first, *on_rule}
    originals |= _moved_in(schedule, overrides, window, originals)

    result: list[Occurrence] = []
    for local in sorted(originals - excluded):
        occurrence = _resolve(schedule, zone, local, overrides.get(local), workdays, listed)
        if occurrence.start < window.end and occurrence.end > window.start:
            result.append(occurrence)
    result.sort(key=lambda o: (o.start, o.original_start))
    return result


def deviations(schedule: ScheduleSpec, window: Window, workdays: Workdays) -> list[Occurrence]:
    """The occurrences that are not what the plain rule says, sorted by original start:
    what a feed writes as RECURRENCE-ID overrides and holiday EXDATEs.

    Plain is what a calendar client computes from DTSTART and the RRULE: an occurrence
    at its original start, lasting the schedule's duration, with its speaker, topic and
    place. Any other is a deviation: skipped or moved by the holiday policy, or changed
    by an override. Considered are the originals from ``window.start`` on that lie in
    the window or whose actual time overlaps it, as ``expand`` would resolve them;
    EXDATEs are left out (they are no occurrence at all).

    Only the originals that can deviate (an override, a day off under a policy that is
    not ``keep``) are resolved, and DTSTART: the rest of a series costs a set lookup or
    two each (the overrides, the stretch's days off), which is what makes a feed of long
    series cheap to plan.
    """
    zone = schedule.zone
    overrides = {_local_naive(o.original_start, zone): o for o in schedule.overrides}
    excluded = {_local_naive(d, zone) for d in schedule.exdates}
    # Originals up to this far after the window can be shifted into it.
    reach = schedule.duration + SHIFT_REACH
    # As in expand: listed once, a holiday shift's reach wider.
    listed = _Originals(
        schedule, zone, window.start - SHIFT_REACH, window.end + reach + SHIFT_REACH
    )
    on_rule, first = listed.between(window.start, window.end + reach)
    if schedule.holiday_policy == "keep":
        candidates = {local for local in on_rule if local in overrides}
    else:
        days_off = workdays.days_off(listed.low.date(), listed.high.date())
        candidates = {local for local in on_rule if local in overrides or local.date() in days_off}
    if first is not None:
        candidates.add(first)
    candidates |= _moved_in(schedule, overrides, window, {*on_rule, *candidates})

    result: list[Occurrence] = []
    for local in candidates - excluded:
        occurrence = _resolve(schedule, zone, local, overrides.get(local), workdays, listed)
        original = occurrence.original_start
        if original < window.start or (
            original >= window.end and not window.overlaps(occurrence.start, occurrence.end)
        ):
            continue
        if not _is_plain(schedule, zone, occurrence):
            result.append(occurrence)
    result.sort(key=lambda o: o.original_start)
    return result


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
    on_rule, first = _originals(schedule, start, end)
    return on_rule if first is None else [first, *on_rule]


def _originals(
    schedule: ScheduleSpec, start: datetime, end: datetime
) -> tuple[list[datetime], datetime | None]:
    """The original starts (naive local) from ``start`` to ``end`` (inclusive): the
    RRULE's own, DST-normalised and sorted; and DTSTART if it is in range but not one
    of them, else None (RFC 5545: DTSTART is the first occurrence even off the rule,
    unless it lies after UNTIL)."""
    return _Originals(schedule, schedule.zone, start, end).between(start, end)


class _Originals:
    """A series' original starts over a stretch of time, listed by its rule once.

    Resolving a window's occurrences asks of the series the originals in the window and,
    for each occurrence a holiday shifts, whether another one lies between its day and
    its new one (``day_between``): each answer is a slice of this list, found by
    bisection, instead of another run of the rule.
    """

    __slots__ = (
        "_excluded", "dtstart_day", "high", "low", "raw", "rule", "schedule", "starts", "zone"
    )  # fmt: skip

    def __init__(
        self, schedule: ScheduleSpec, zone: ZoneInfo, start: datetime, end: datetime
    ) -> None:
        self.schedule, self.zone = schedule, zone
        self.low, self.high = _local_naive(start, zone), _local_naive(end, zone)
        self.rule = rule = recurrence(schedule)
        # The rule's own starts, sorted, and the same DST-normalised.
        self.raw: list[datetime] = [] if rule is None else rule.between(self.low, self.high)
        self.starts = self.raw
        changing = _offset_changing_days(zone, self.low.year, self.high.year)
        if changing and self.raw:  # most zones change their offset on few days or none
            self.starts = [
                _normalise(local, zone) if local.date() in changing else local for local in self.raw
            ]
        self._excluded: set[datetime] | None = None
        self.dtstart_day = _local_naive(schedule.start, zone).date()

    def between(self, start: datetime, end: datetime) -> tuple[list[datetime], datetime | None]:
        """``_originals(schedule, start, end)``, from the list where it covers the range."""
        low, high = _local_naive(start, self.zone), _local_naive(end, self.zone)
        if low < self.low or high > self.high:
            return _Originals(self.schedule, self.zone, start, end).between(start, end)
        on_rule = self.starts[bisect_left(self.raw, low) : bisect_right(self.raw, high)]
        schedule, rule = self.schedule, self.rule
        in_rule = rule is None or rule.until is None or rule.dtstart <= rule.until
        if start <= schedule.start <= end and in_rule:
            first = _local_naive(schedule.start, self.zone)
            if first not in on_rule:
                return on_rule, first
        return on_rule, None

    def day_between(self, day: date, target: date) -> date | None:
        """The original day of another occurrence of the series that is on ``target`` or
        would be shifted there too (it lies between ``day`` and ``target``), or None.

        Of originals shifted onto one day, the one nearest to it is kept: this needs only
        the days in between, so every caller (a window, a feed's deviations) decides alike.
        """
        first, last = (day, target) if day < target else (target, day)
        low, high = datetime.combine(first, _MIDNIGHT), datetime.combine(last, _LAST_SECOND)
        dtstart: datetime | None = None
        # DTSTART is in range only if its day is (give or take a day, for an offset
        # change): far from it, the originals are a slice of the list.
        near_dtstart = (self.dtstart_day - first).days >= -1 and (self.dtstart_day - last).days <= 1
        if self.low <= low and high <= self.high and not near_dtstart:
            on_rule = self.starts[bisect_left(self.raw, low) : bisect_right(self.raw, high)]
        else:
            zone = self.zone
            start = datetime.combine(first, _MIDNIGHT, zone)
            on_rule, dtstart = self.between(start, datetime.combine(last, _LAST_SECOND, zone))
        if self._excluded is None:
            self._excluded = {_local_naive(d, self.zone) for d in self.schedule.exdates}
        excluded = self._excluded
        others = [
            local.date()
            for local in (on_rule if dtstart is None else [dtstart, *on_rule])
            if local.date() != day and local not in excluded
        ]
        if not others:
            return None
        return max(others) if target > day else min(others)


def _moved_in(
    schedule: ScheduleSpec,
    overrides: dict[datetime, OverrideSpec],
    window: Window,
    known: set[datetime],
) -> set[datetime]:
    """Originals not in ``known`` whose override moves them into the window: an
    override can move an occurrence from any distance."""
    return {
        local
        for local, override in overrides.items()
        if local not in known
        and moves_into(schedule, override, window)
        and is_original(schedule, override.original_start)
    }


def build_rule(schedule: ScheduleSpec) -> rrule | None:
    """The dateutil rule from DTSTART, in naive local wall-clock time of the schedule."""
    compiled = recurrence(schedule)
    return compiled.rule() if compiled is not None else None


def moves_into(schedule: ScheduleSpec, override: OverrideSpec, window: Window) -> bool:
    """Whether the override moves its occurrence to a time that may overlap ``window``."""
    if override.is_cancelled or override.moved_start is None:
        return False
    # An all-day end is rounded up to midnight: a day of slack is enough.
    length = (override.moved_duration or schedule.duration) + timedelta(days=1)
    return override.moved_start < window.end and override.moved_start + length > window.start


def _local_naive(instant: datetime, zone: ZoneInfo) -> datetime:
    # ``.replace(tzinfo=None)``, fold kept, without replace's costly keyword parsing.
    local = instant.astimezone(zone)
    return datetime.combine(local.date(), local.time())


def _normalise(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time skipped by DST is pushed forward, as RFC 5545 says; others stay."""
    # ZoneInfo reads only the wall-clock fields and the fold of what it is given, so
    # the naive time can be asked about directly, without making it aware first.
    if zone.utcoffset(local) == zone.utcoffset(local.replace(fold=1)):
        return local  # neither skipped nor repeated: the usual case, and cheap
    return _aware(local, zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)


@lru_cache(maxsize=256)
def _offset_changing_days(zone: ZoneInfo, first_year: int, last_year: int) -> frozenset[date]:
    """The local days from ``first_year`` to ``last_year`` that can hold a wall-clock
    time skipped by DST: those next to a change of the UTC offset between one local
    midnight and the next (the days before, of and after it, so that a change at or
    just after midnight is covered too). Empty for a zone that keeps its offset, like
    Asia/Shanghai: its times need no normalising at all."""
    day = max(date(first_year, 1, 1), date.min + timedelta(days=1)) - timedelta(days=1)
    last = min(date(last_year, 12, 31), date.max - timedelta(days=1))
    changing: set[date] = set()
    offset = zone.utcoffset(datetime.combine(day, time(0)))
    while day <= last:
        following = zone.utcoffset(datetime.combine(day + timedelta(days=1), time(0)))
        if following != offset:
            changing.update(day + timedelta(days=shift) for shift in (-1, 0, 1))
        day, offset = day + timedelta(days=1), following
    return frozenset(changing)


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    """``local.replace(tzinfo=zone)`` (fold kept), without replace's keyword parsing,
    which is most of its cost; an occurrence needs this several times."""
    return datetime.combine(local, local.time(), zone)


def _resolve(
    schedule: ScheduleSpec,
    zone: ZoneInfo,
    local: datetime,
    override: OverrideSpec | None,
    workdays: Workdays,
    listed: _Originals,
) -> Occurrence:
    original = _aware(local, zone)
    start, status, reason = _apply_holiday_policy(schedule, zone, original, workdays, listed)
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
    # Occurrence(...) sets each field through object.__setattr__, as a frozen dataclass
    # does: a third of what resolving costs. It has no __post_init__, so its fields can
    # be given at once (test_expand_basics holds them to the dataclass's own).
    occurrence: Occurrence = object.__new__(Occurrence)
    occurrence.__dict__.update(
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
        extra={},
    )
    return occurrence


def _end(start: datetime, duration: timedelta, is_all_day: bool, zone: ZoneInfo) -> datetime:
    if is_all_day:
        # Whole days in wall-clock terms: local midnight to local midnight.
        last = start.date() + timedelta(days=max(1, duration.days))
        return _normalise(datetime.combine(last, time(0)), zone).replace(tzinfo=zone)
    end = start + duration  # wall-clock arithmetic: right unless the offset changes
    if end.utcoffset() != start.utcoffset():
        end = (start.astimezone(UTC) + duration).astimezone(zone)
    return end


def _is_plain(schedule: ScheduleSpec, zone: ZoneInfo, occurrence: Occurrence) -> bool:
    """Whether an occurrence on one of the rule's starts is what the rule alone says."""
    original = occurrence.original_start
    return (
        occurrence.status == "scheduled"
        and occurrence.start == original
        and occurrence.end == _end(original, schedule.duration, schedule.is_all_day, zone)
        and occurrence.speaker_id == schedule.speaker_id
        and occurrence.topic == schedule.topic
        and occurrence.location == schedule.location
    )


def _apply_holiday_policy(
    schedule: ScheduleSpec,
    zone: ZoneInfo,
    original: datetime,
    workdays: Workdays,
    listed: _Originals,
) -> tuple[datetime, str, str]:
    policy = schedule.holiday_policy
    day = original.date()
    if policy == "keep" or workdays.is_workday(day):
        return original, "scheduled", ""
    if policy == "skip":
        return original, "holiday_skipped", f"{day.isoformat()} is not a working day"
    step = _NEXT_DAY if policy == "next_workday" else _PREVIOUS_DAY
    target = day + step
    while not workdays.is_workday(target):
        target += step
        if abs(target - day) > MAX_HOLIDAY_SHIFT:
            return original, "holiday_skipped", f"no working day near {day.isoformat()}"
    joined = listed.day_between(day, target)
    if joined is not None:
        # A series never has two occurrences on one local day.
        return original, "holiday_skipped", JOINED.format(day=day, target=target, joined=joined)
    moved = _aware(_normalise(datetime.combine(target, original.time()), zone), zone)
    return (
        moved,
        "holiday_moved",
        f"{day.isoformat()} is not a working day; moved to {target.isoformat()}",
    )


JOINED = (
    "{day} 不是工作日，顺延到的 {target} 已有本系列 {joined} 的一次活动，本次并入该日，不再另行举行"
)
