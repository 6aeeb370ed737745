"""The VTIMEZONE of a zone, right for every instant a feed describes.

A feed's series run on past its horizon (an RRULE without end), so the zone's
definition must too. Written as the big calendar publishers write it: the offset
changes that follow the zone's current rule become one STANDARD and one DAYLIGHT
observance with a yearly RRULE (``BYMONTH=3;BYDAY=2SU``), and only changes before that
rule took over, within the feed's range, are written one by one. RFC 5545 §3.6.5: an
observance's DTSTART is the local time *before* the change (02:00 when New York's
clocks go from 02:00 to 03:00), and each single change is its own observance.

icalendar 7.3's ``Timezone.from_tzid`` gets both wrong, and stops at the range it is
given: it writes each onset in the local time after the change (03:00) and lists
several onsets in one multi-valued RDATE, which ical.js (Thunderbird) misreads. So the
zone is written here, from zoneinfo's own transitions, instead of by icalendar.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Transitions are looked for this far past the feed's horizon, to tell the zone's
# current rule from a passing one.
_RULE_CHECK_YEARS = 10


@dataclass(frozen=True)
class Change:
    """One change of a zone's UTC offset."""

    at: datetime  # the instant, UTC
    before: timedelta
    after: timedelta
    name: str  # TZNAME after the change
    is_dst: bool

    @property
    def local_before(self) -> datetime:
        """The onset as RFC 5545 writes it: wall-clock time before the change."""
        return (self.at + self.before).replace(tzinfo=None)

    def pattern(self) -> tuple[object, ...]:
        """What a yearly RRULE keeps of this change (month, weekday of the month, time
        and offsets); equal for every change that one RRULE describes."""
        local = self.local_before
        is_last = local.day + 7 > monthrange(local.year, local.month)[1]
        nth = (local.day - 1) // 7 + 1
        return (
            self.is_dst,
            local.month,
            local.weekday(),
            -1 if is_last and nth >= 4 else nth,
            local.time(),
            self.before,
            self.after,
            self.name,
        )


def vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """The VTIMEZONE of ``tzid`` for a feed from ``first`` on, its changes checked up to
    ``last`` (and beyond, to find the zone's rule)."""
    return _vtimezone(tzid, first, last)


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, first: date, last: date) -> Timezone:
    zone = ZoneInfo(tzid)
    start = datetime.combine(first, time(0), UTC)
    end = datetime.combine(date(last.year + _RULE_CHECK_YEARS, 12, 31), time(0), UTC)
    changes = changes_between(zone, start - timedelta(days=366), end)
    component = Timezone()
    component.add("TZID", tzid)
    if not changes:
        offset = zone.utcoffset(start.replace(tzinfo=None))
        assert offset is not None
        name = zone.tzname(start.replace(tzinfo=None)) or tzid
        component.add_component(_observance(False, _onset(first), offset, offset, name))
        return component
    # From which change on every DST change follows one pattern and every standard
    # change another: that tail is the zone's current rule.
    ruled = len(changes)
    for index in range(len(changes) - 1, -1, -1):
        tail = changes[index:]
        kinds = {change.is_dst for change in tail}
        patterns = {change.pattern() for change in tail}
        if len(patterns) > len(kinds):
            break
        ruled = index
    head, tail = changes[:ruled], changes[ruled:]
    if len({change.is_dst for change in tail}) < 2 or len(tail) < 4:
        head, tail = changes, []  # no yearly rule (any more): each change on its own
    earliest = (head or tail)[0]
    if earliest.at > start:
        # What holds before the first change written: the offset it changes from.
        day_before = (earliest.at - timedelta(days=1)).astimezone(zone)
        was = day_before.tzname() or tzid
        component.add_component(
            _observance(False, _onset(first), earliest.before, earliest.before, was)
        )
    for change in head:
        local = change.local_before
        component.add_component(
            _observance(change.is_dst, local, change.before, change.after, change.name)
        )
    for is_dst in (False, True):
        kind = [change for change in tail if change.is_dst == is_dst]
        if not kind:
            continue
        onset = kind[0]
        local = onset.local_before
        nth = onset.pattern()[3]
        observance = _observance(is_dst, local, onset.before, onset.after, onset.name)
        byday = f"{nth}{_WEEKDAYS[local.weekday()]}"
        observance.add("RRULE", vRecur({"FREQ": "YEARLY", "BYMONTH": local.month, "BYDAY": byday}))
        component.add_component(observance)
    return component


def _onset(first: date) -> datetime:
    """The onset of what holds from the feed's first day: that day's start (wall-clock
    time), which keeps the VTIMEZONE as narrow as the feed."""
    return datetime.combine(first, time(0))


def _observance(
    is_dst: bool, onset: datetime, before: timedelta, after: timedelta, name: str
) -> TimezoneStandard | TimezoneDaylight:
    observance = TimezoneDaylight() if is_dst else TimezoneStandard()
    observance.add("DTSTART", onset)
    observance.add("TZOFFSETFROM", before)
    observance.add("TZOFFSETTO", after)
    observance.add("TZNAME", name)
    return observance


def changes_between(zone: ZoneInfo, start: datetime, end: datetime) -> list[Change]:
    """The offset changes of ``zone`` between two UTC instants, in order: found a week
    at a time (no zone changes its offset twice within a week), then to the second by
    halving."""
    found: list[Change] = []
    step = timedelta(days=7)
    moment = start
    offset = _offset(zone, moment)
    while moment < end:
        following = moment + step
        next_offset = _offset(zone, following)
        if next_offset != offset:
            low, high = moment, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == offset:
                    low = middle
                else:
                    high = middle
            at = high.replace(microsecond=0)
            local = at.astimezone(zone)
            dst = local.dst()
            found.append(
                Change(
                    at=at,
                    before=offset,
                    after=next_offset,
                    name=local.tzname() or zone.key,
                    is_dst=bool(dst),
                )
            )
        moment, offset = following, next_offset
    return found


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset
