"""From the occurrence engine's expansion to what a feed writes for one schedule.

A series is one master VEVENT (DTSTART + RRULE + EXDATE) and one RECURRENCE-ID override
per occurrence that differs from the plain rule. Which ones differ is not guessed: the
occurrence engine's ``deviations`` resolves them with the code ``expand`` uses, and
compares each with what the plain rule (the master, as a client expands it) gives for
the same original start. So the feed shows exactly what the SMS planner sees.

Bounds: the master starts at the first occurrence from which one can land in the shown
range, ``since`` on (12 months back, not the whole history): a holiday shift's reach
before ``since``, or earlier for an occurrence an admin moved into the range from
further back, and at DTSTART if that is later. Overrides and holiday EXDATEs are written
for occurrences up to ``until`` (a horizon, two years ahead); beyond it the plain rule
stands. Explicit EXDATEs of the schedule are always written. The one exception to
"exactly what expand lists": an occurrence moved into the range from more than about
seven years before it (the API allows moves of a year), which is logged and left out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule
from icalendar import vRecur

from ..occurrences.expand import (
    MAX_WINDOW,
    SHIFT_REACH,
    Occurrence,
    ScheduleSpec,
    Window,
    Workdays,
    build_rule,
    deviations,
    expand,
    is_original,
    moves_into,
    recurrence,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeriesPlan:
    """One schedule as the feed writes it. ``rrule`` is None for a single event, whose
    only occurrence is ``single`` (already moved or cancelled as expand says)."""

    spec: ScheduleSpec
    start: datetime  # DTSTART, aware in the schedule's timezone
    end: datetime  # DTEND of the master
    rrule: vRecur | None
    exdates: tuple[datetime, ...]  # aware, in the schedule's timezone
    overrides: tuple[Occurrence, ...]  # occurrences that differ from the plain rule
    single: Occurrence | None = None


def plan_series(
    spec: ScheduleSpec, since: datetime, until: datetime, workdays: Workdays
) -> SeriesPlan | None:
    """The schedule as master + overrides, or None if nothing of it is left to show."""
    rule = build_rule(spec)
    if rule is None:
        return _plan_single(spec, since, workdays)
    zone = spec.zone
    # Start the master early enough that an occurrence shifted forward by a holiday into
    # the shown range still belongs to it, and one an admin moved into it from further
    # back too (rare: that schedule shows more history).
    lower = since - SHIFT_REACH - spec.duration
    shown = Window(since, max(until, since + timedelta(days=1)))
    moved_in = [
        o.original_start
        for o in spec.overrides
        if moves_into(spec, o, shown) and is_original(spec, o.original_start)
    ]
    lower = min([lower, *moved_in])
    # What one window can hold: farther than that, one occurrence must not take the
    # whole schedule out of the feed (Window refuses more than 10 years).
    reach_limit = shown.end - MAX_WINDOW + timedelta(days=1)
    if lower < reach_limit:
        log.warning(
            "an occurrence moved from too far back is left out of feeds",
            extra={"schedule_id": spec.id, "original_start": lower.isoformat()},
        )
        lower = reach_limit
    if lower <= spec.start:
        # DTSTART is the first occurrence, as RFC 5545 and expand have it, even if the
        # rule does not produce it (a start the API now refuses); unless after UNTIL.
        compiled = recurrence(spec)
        assert compiled is not None
        past_until = compiled.until is not None and compiled.dtstart > compiled.until
        first_local: datetime | None = None if past_until else compiled.dtstart
    else:
        first_local = rule.after(_local(lower, zone), inc=True)
    if first_local is None:
        return None  # the series ended before the shown range
    start = _wall(first_local, zone)
    # Originals from the master's start; where they land, from the shown range's start
    # (a series starting within it can have occurrences moved to before its DTSTART).
    window_start = min(start, since)
    window = Window(window_start, max(until, window_start + timedelta(days=1)))
    excluded = {d.astimezone(UTC) for d in spec.exdates}
    exdates = {d for d in excluded if d >= start}
    overrides: list[Occurrence] = []
    for occurrence in deviations(spec, window, workdays):
        if occurrence.status == "holiday_skipped":
            exdates.add(occurrence.key[1])
        else:
            overrides.append(occurrence)
    return SeriesPlan(
        spec=spec,
        start=start,
        end=_plain_end(spec, start),
        rrule=_feed_rule(spec, rule, first_local),
        exdates=tuple(d.astimezone(zone) for d in sorted(exdates)),
        overrides=tuple(overrides),
    )


def _plan_single(spec: ScheduleSpec, since: datetime, workdays: Workdays) -> SeriesPlan | None:
    occurrence = _find(spec, spec.start, workdays)
    if occurrence is None or occurrence.status == "holiday_skipped" or occurrence.end <= since:
        return None
    return SeriesPlan(
        spec=spec,
        start=occurrence.start,
        end=occurrence.end,
        rrule=None,
        exdates=(),
        overrides=(),
        single=occurrence,
    )


def _find(spec: ScheduleSpec, original: datetime, workdays: Workdays) -> Occurrence | None:
    """The actual occurrence of this original start, wherever it was moved."""
    key = (spec.id, original.astimezone(UTC))
    reach = spec.duration + SHIFT_REACH
    windows = [Window(original - reach, original + reach)]
    windows += [
        Window(o.moved_start - reach, o.moved_start + reach)
        for o in spec.overrides
        if o.moved_start is not None and o.original_start == original
    ]
    for window in windows:
        for occurrence in expand(spec, window, workdays):
            if occurrence.key == key:
                return occurrence
    return None


def _feed_rule(spec: ScheduleSpec, rule: rrule, first_local: datetime) -> vRecur:
    """The stored RRULE, rewritten for a master starting at ``first_local``.

    RFC 5545: with a DTSTART in a TZID, UNTIL must be in UTC; with a DATE DTSTART it must
    be a DATE. A COUNT no longer holds once DTSTART moved forward, so it becomes the
    UNTIL of the last occurrence.
    """
    assert spec.rrule is not None
    recur: vRecur = vRecur.from_ical(spec.rrule.removeprefix("RRULE:"))
    zone = spec.zone
    last: datetime | None = None
    if "COUNT" in recur and first_local != next(iter(rule), None):
        last = list(rule)[-1]
        del recur["COUNT"]
    elif "UNTIL" in recur:
        last = _until_local(recur["UNTIL"][0], zone)
    if last is not None:
        recur["UNTIL"] = [last.date() if spec.is_all_day else _wall(last, zone).astimezone(UTC)]
    return recur


def _until_local(value: date | datetime, zone: ZoneInfo) -> datetime:
    """UNTIL as local wall-clock time, read the way ``expand`` reads it."""
    if isinstance(value, datetime):
        return _local(value, zone) if value.tzinfo else value
    return datetime.combine(value, time(23, 59, 59))


def _plain_end(spec: ScheduleSpec, start: datetime) -> datetime:
    if spec.is_all_day:
        last = start.date() + timedelta(days=max(1, spec.duration.days))
        return _wall(datetime.combine(last, time(0)), spec.zone)
    return (start.astimezone(UTC) + spec.duration).astimezone(spec.zone)


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _wall(local: datetime, zone: ZoneInfo) -> datetime:
    """Wall-clock time in ``zone``; a time skipped by DST moves forward, as in expand."""
    return _instant(local, zone).astimezone(zone)


def _instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``_wall(local, zone)``. (``combine`` is
    ``local.replace(tzinfo=zone)`` without replace's costly keyword parsing.)"""
    return datetime.combine(local, local.time(), zone).astimezone(UTC)
