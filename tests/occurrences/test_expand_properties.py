"""``expand`` agrees with an independent expander for random rules, windows and zones.

The reference is recurring-ical-events reading the same rule from an iCalendar VEVENT:
what a subscribed calendar client would compute from the feed. Policy ``keep`` and no
holidays, so only recurrence, time zones, EXDATE and windows are compared.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from service.occurrences.expand import EveryDayWorks, ScheduleSpec, Window, expand, recurrence
from service.occurrences.rfc5545 import RuleError, check_rule
from service.occurrences.rules import first_occurrence

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC", "Australia/Sydney"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
DURATION = timedelta(minutes=45)


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 4))}")
    if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        ordinal = draw(st.sampled_from([-1, 1, 2, 3, 4, -2]))
        parts.append(f"BYDAY={ordinal}{draw(st.sampled_from(DAYS))}")
    elif draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))
        parts.append("BYDAY=" + ",".join(days))
        if len(days) > 1 and freq != "DAILY" and draw(st.booleans()):
            parts.append(f"BYSETPOS={draw(st.sampled_from([1, -1, 2]))}")
    if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 13, 15, 28, 29, 30, 31, -1]))}")
    if freq != "WEEKLY" and draw(st.booleans()):
        months = draw(st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True))
        parts.append("BYMONTH=" + ",".join(map(str, sorted(months))))
    if freq == "WEEKLY" and draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(['MO', 'SU', 'WE']))}")
    return ";".join(parts)


def _ical(spec: ScheduleSpec, rule: str) -> icalendar.Calendar:
    def stamp(value: datetime) -> str:
        if spec.timezone == "UTC":
            return ":" + value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f";TZID={spec.timezone}:" + value.strftime("%Y%m%dT%H%M%S")

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//pufa//test//",
        "BEGIN:VEVENT",
        "UID:series@pufa.test",
        "DTSTART" + stamp(spec.start),
        "DTEND" + stamp(spec.start + DURATION),
        "RRULE:" + rule,
        *("EXDATE" + stamp(d) for d in spec.exdates),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return icalendar.Calendar.from_ical("\r\n".join(lines) + "\r\n")


def _reference(spec: ScheduleSpec, rule: str, window: Window) -> list[datetime]:
    events = recurring_ical_events.of(_ical(spec, rule)).between(window.start, window.end)
    return sorted(event["DTSTART"].dt.astimezone(UTC) for event in events)


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    rule=rules(),
    zone_name=st.sampled_from(ZONES),
    start=st.datetimes(datetime(1996, 1, 1), datetime(2030, 12, 31)),
    until=st.one_of(st.none(), st.integers(0, 3000), st.integers(1, 60).map(lambda n: -n)),
    offset_days=st.one_of(st.integers(-60, 400), st.integers(-400, 12 * 365)),
    length_days=st.integers(1, 800),
    data=st.data(),
)
def test_expand_agrees_with_recurring_ical_events(
    rule: str,
    zone_name: str,
    start: datetime,
    until: int | None,
    offset_days: int,
    length_days: int,
    data: st.DataObject,
) -> None:
    zone = ZoneInfo(zone_name)
    dtstart = start.replace(minute=start.minute // 15 * 15, second=0, microsecond=0, tzinfo=zone)
    if until is not None and until >= 0:
        # UNTIL in UTC, as RFC 5545 requires for a zoned DTSTART; sometimes exactly on
        # an occurrence, sometimes between two.
        rule += ";UNTIL=" + (dtstart + timedelta(days=until)).astimezone(UTC).strftime(
            "%Y%m%dT%H%M%SZ"
        )
    elif until is not None:
        rule += f";COUNT={-until}"
    try:
        # What Pufa stores: the canonical text, which every reader reads alike.
        local = dtstart.replace(tzinfo=None)
        rule = check_rule(rule, local, zone_name, is_all_day=False).text
    except RuleError:
        assume(False)
    spec = ScheduleSpec(id=1, timezone=zone_name, start=dtstart, duration=DURATION, rrule=rule)
    compiled = recurrence(spec)
    assert compiled is not None
    assume(first_occurrence(compiled) is not None)  # the reference would search to 9999
    window_start = dtstart + timedelta(days=offset_days)
    window = Window(window_start, window_start + timedelta(days=length_days))

    expected = _reference(spec, rule, window)
    if expected:
        excluded = data.draw(st.lists(st.sampled_from(expected), max_size=3, unique=True))
        spec = replace(spec, exdates=tuple(d.astimezone(zone) for d in excluded))
        expected = _reference(spec, rule, window)
    event(f"occurrences in window: {'10+' if len(expected) >= 10 else len(expected)}")

    occurrences = expand(spec, window, EveryDayWorks())
    assert [o.original_start.astimezone(UTC) for o in occurrences] == expected
    assert all(o.start == o.original_start and o.status == "scheduled" for o in occurrences)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    rule=rules(),
    start=st.datetimes(datetime(1990, 1, 1), datetime(2030, 12, 31)),
    offset_days=st.integers(0, 40 * 365),
    length_days=st.integers(1, 400),
)
def test_a_window_far_from_the_start_sees_what_iterating_from_the_start_sees(
    rule: str, start: datetime, offset_days: int, length_days: int
) -> None:
    """The rebased evaluation (cheap for old series) equals dateutil from DTSTART."""
    spec = ScheduleSpec(
        id=1, timezone="UTC", start=start.replace(tzinfo=UTC), duration=DURATION, rrule=rule
    )
    compiled = recurrence(spec)
    assert compiled is not None
    assume(first_occurrence(compiled) is not None)
    low = compiled.dtstart + timedelta(days=offset_days)
    high = low + timedelta(days=length_days)
    assert compiled.between(low, high) == compiled.rule().between(low, high, inc=True)
