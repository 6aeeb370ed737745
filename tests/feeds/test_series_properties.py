"""A feed's series plan, read the way a calendar client reads it, lists exactly the
occurrences the occurrence engine expands.

``plan_series`` writes a schedule as one master VEVENT (DTSTART, RRULE, EXDATE) and one
RECURRENCE-ID override per occurrence that differs from the plain rule. The promise
(series.py): from ``since`` up to the horizon ``until``, a client expanding that master
and its overrides sees what ``expand`` gives, holiday-skipped occurrences left out (they
are EXDATEs): same starts, same ends, same cancellations. And an override is written only
for an occurrence that really differs from what the master alone gives.

The client is recurring-ical-events, reading the plan written as iCalendar text the way
render.py writes it (TZID date-times; VALUE=DATE for all-day schedules). Days off are
weekends plus random holiday runs, with random worked weekend days (调休).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from service.feeds.series import SeriesPlan, plan_series
from service.occurrences.expand import (
    OverrideSpec,
    ScheduleSpec,
    Window,
    build_rule,
    expand,
    original_starts,
)

ZONES = ["Asia/Shanghai", "Europe/Berlin", "UTC", "America/New_York"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
POLICIES = ["keep", "skip", "next_workday", "previous_workday"]
UID = "series@pufa.test"

# (start in UTC, end in UTC, is cancelled)
Seen = Counter[tuple[datetime, datetime, bool]]


@dataclass(frozen=True)
class DaysOff:
    """Weekends and ``holidays`` are off, except the worked weekend days ``makeup``."""

    holidays: frozenset[date] = frozenset()
    makeup: frozenset[date] = frozenset()

    def is_workday(self, day: date) -> bool:
        if day in self.makeup:
            return True
        return day not in self.holidays and day.weekday() < 5

    def days_off(self, first: date, last: date) -> frozenset[date]:
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        return frozenset(day for day in days if not self.is_workday(day))


@dataclass(frozen=True)
class Case:
    spec: ScheduleSpec
    since: datetime
    until: datetime
    workdays: DaysOff


# -- strategies ----------------------------------------------------------------------------


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 3))}")
    if freq == "WEEKLY" and draw(st.integers(0, 3)):
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))
        parts.append("BYDAY=" + ",".join(days))
    elif freq == "MONTHLY":
        choice = draw(st.integers(0, 2))
        if choice == 1:
            ordinal = draw(st.sampled_from([1, 2, 3, -1]))
            parts.append(f"BYDAY={ordinal}{draw(st.sampled_from(DAYS))}")
        elif choice == 2:
            parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 10, 15, 28, 31, -1]))}")
    elif freq == "DAILY" and draw(st.integers(0, 3)) == 0:
        parts.append("BYDAY=MO,TU,WE,TH,FR")
    return ";".join(parts)


def _instants(
    since: datetime, until: datetime, zone: ZoneInfo, all_day: bool
) -> st.SearchStrategy[datetime]:
    """Instants in [since, until): quarter hours, or midnights in ``zone`` for all-day
    events."""
    quarters = int((until - since).total_seconds()) // 900
    instants = st.integers(0, quarters - 1).map(lambda n: since + timedelta(minutes=15 * n))
    if all_day:
        return instants.map(lambda t: datetime.combine(t.astimezone(zone).date(), time(0), zone))
    return instants.map(lambda t: t.astimezone(UTC))


def _originals(spec: ScheduleSpec, start: datetime, end: datetime) -> list[datetime]:
    return original_starts(spec, start, end) if end > start else []


@st.composite
def cases(draw: st.DrawFn, all_day: bool = False) -> Case:
    zone_name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(zone_name)
    first_day = draw(st.dates(date(2022, 1, 1), date(2028, 12, 31)))
    if all_day:
        start = datetime.combine(first_day, time(0), tzinfo=zone)
        duration = timedelta(days=draw(st.integers(1, 3)))
    else:
        clock = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
        # Normalised: a wall-clock time skipped by DST is pushed forward, as expand does.
        start = datetime.combine(first_day, clock, tzinfo=zone).astimezone(UTC).astimezone(zone)
        duration = timedelta(minutes=draw(st.integers(1, 20)) * 15)
    rule = draw(rules())
    bound = draw(st.integers(0, 5))
    if bound == 1:
        rule += f";COUNT={draw(st.integers(1, 200))}"
    elif bound == 2:
        last = start + timedelta(days=draw(st.integers(0, 900)))
        rule += ";UNTIL=" + (
            last.strftime("%Y%m%d") if all_day else last.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        )
    spec = ScheduleSpec(
        id=7,
        timezone=zone_name,
        start=start,
        duration=duration,
        is_all_day=all_day,
        rrule=rule,
        holiday_policy=draw(st.sampled_from(POLICIES)),
        speaker_id=3,
        topic="topic",
        location="room",
    )

    # The feed's range around the series: 12 months back and 2 years ahead in the real
    # feed; here any range from a day to two years, starting anywhere near DTSTART.
    since_day = first_day + timedelta(days=draw(st.integers(-60, 500)))
    # Midnight in the schedule's zone or, as in the real feed, in the office's.
    office = draw(st.sampled_from([zone, ZoneInfo("Asia/Shanghai")]))
    since = datetime.combine(since_day, time(0), tzinfo=office)
    if not all_day and draw(st.booleans()):
        since += timedelta(minutes=15 * draw(st.integers(0, 95)))
    until = since + timedelta(days=draw(st.one_of(st.integers(1, 60), st.integers(60, 730))))
    span = (until.date() - since.date()).days

    # Days off: holiday runs (sometimes longer than the 15 days a policy may shift) and
    # worked weekend days, around the range.
    holidays: set[date] = set()
    for offset, length in draw(
        st.lists(
            st.tuples(
                st.integers(-40, span + 40),
                st.one_of(st.integers(1, 9), st.integers(10, 20)),
            ),
            max_size=8,
        )
    ):
        first = since.date() + timedelta(days=offset)
        holidays.update(first + timedelta(days=i) for i in range(length))
    makeup = set()
    for offset in draw(st.lists(st.integers(-40, span + 40), max_size=6)):
        near_day = since.date() + timedelta(days=offset)
        saturday = near_day + timedelta(days=(5 - near_day.weekday()) % 7)
        makeup.add(saturday + timedelta(days=draw(st.integers(0, 1))))
    workdays = DaysOff(frozenset(holidays), frozenset(makeup - holidays))

    # Real originals: in the range, at its edges, far before it and far after it.
    second, days_40, days_800 = timedelta(seconds=1), timedelta(days=40), timedelta(days=800)
    pools = {
        "inside": _originals(spec, since, until - second),
        "edge": _originals(spec, since - days_40, since - second)
        + _originals(spec, until, until + days_40),
        "before": _originals(spec, since - days_800, since - days_40),
        "after": _originals(spec, until + days_40, until + days_800),
    }
    near = pools["inside"] + pools["edge"]
    exdates: list[datetime] = []
    if near:
        exdates = draw(st.lists(st.sampled_from(near), max_size=4, unique=True))

    overrides: dict[datetime, OverrideSpec] = {}
    names = [name for name in ("inside", "inside", "edge", "before", "after") if pools[name]]
    for _ in range(draw(st.integers(0, 6)) if names else 0):
        name = draw(st.sampled_from(names))
        original = draw(st.sampled_from(pools[name]))
        kind = draw(
            st.sampled_from(
                ["move", "cancel", "change", "move_in", "move_out", "nothing"]
                if name in ("inside", "edge")
                else ["move_in", "move_in", "cancel"]
            )
        )
        override = OverrideSpec(original_start=original)
        if kind == "cancel":
            override = replace(override, is_cancelled=True)
        elif kind == "move":
            shift = timedelta(
                days=draw(st.integers(-20, 20)),
                minutes=0 if all_day else 15 * draw(st.integers(-40, 40)),
            )
            moved = original + shift
            if not all_day:
                moved = moved.astimezone(UTC)
            override = replace(override, moved_start=moved)
        elif kind == "move_in":
            override = replace(override, moved_start=draw(_instants(since, until, zone, all_day)))
        elif kind == "move_out":
            far = timedelta(days=draw(st.sampled_from([-900, -400, 400, 900])))
            override = replace(override, moved_start=original + far)
        elif kind == "change":
            override = replace(
                override,
                speaker_id=draw(st.sampled_from([None, 3, 4])),
                topic=draw(st.sampled_from([None, "topic", "other"])),
                location=draw(st.sampled_from([None, "room", "hall"])),
            )
        if kind in ("move", "move_in", "move_out") and draw(st.integers(0, 3)) == 0:
            days, minutes = (1, 0) if all_day else (0, 15)
            override = replace(
                override,
                moved_duration=timedelta(
                    days=days * draw(st.integers(1, 2)), minutes=minutes * draw(st.integers(1, 8))
                ),
            )
        overrides[original] = override
    spec = replace(spec, exdates=tuple(exdates), overrides=tuple(overrides.values()))
    return Case(spec=spec, since=since, until=until, workdays=workdays)


# -- the feed, as a client reads it ----------------------------------------------------------


def _value(spec: ScheduleSpec, instant: datetime) -> str:
    """``;PARAMS:VALUE`` as render.py writes it."""
    local = instant.astimezone(spec.zone)
    if spec.is_all_day:
        return ";VALUE=DATE:" + local.strftime("%Y%m%d")
    if spec.timezone == "UTC":
        return ":" + local.strftime("%Y%m%dT%H%M%SZ")
    return f";TZID={spec.timezone}:" + local.strftime("%Y%m%dT%H%M%S")


def feed_text(plan: SeriesPlan, *, overrides: bool = True) -> str:
    assert plan.rrule is not None
    spec = plan.spec
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//pufa//test//",
        "BEGIN:VEVENT",
        f"UID:{UID}",
        "DTSTART" + _value(spec, plan.start),
        "DTEND" + _value(spec, plan.end),
        "RRULE:" + plan.rrule.to_ical().decode(),  # type: ignore[no-untyped-call]
        *("EXDATE" + _value(spec, d) for d in (plan.exdates if overrides else ())),
        "SUMMARY:plain",
        "END:VEVENT",
    ]
    for occurrence in plan.overrides if overrides else ():
        lines += [
            "BEGIN:VEVENT",
            f"UID:{UID}",
            "RECURRENCE-ID" + _value(spec, occurrence.original_start),
            "DTSTART" + _value(spec, occurrence.start),
            "DTEND" + _value(spec, occurrence.end),
            "SUMMARY:" + ("cancelled" if occurrence.status == "cancelled" else "override"),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def _utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)


def client_sees(plan: SeriesPlan | None, window: Window) -> Seen:
    """What a client lists in ``window``. An occurrence of the master lasts the master's
    exact duration (RFC 5545 3.8.5.3, "the same exact duration"): recurring-ical-events
    adds it in wall-clock time instead, which differs for an occurrence spanning a DST
    change, so its end is taken from its start here."""
    if plan is None:
        return Counter()
    calendar = icalendar.Calendar.from_ical(feed_text(plan))
    zone = plan.spec.zone
    seen: Seen = Counter()
    # All-day dates are floating: ask in the schedule's zone, whose days the engine uses.
    span = window.start.astimezone(zone), window.end.astimezone(zone)
    for found in recurring_ical_events.of(calendar).between(*span):
        start, end = _utc(found["DTSTART"].dt, zone), _utc(found["DTEND"].dt, zone)
        summary = str(found["SUMMARY"])
        if summary == "plain" and not plan.spec.is_all_day:
            end = start + (plan.end - plan.start)
        seen[(start, end, summary == "cancelled")] += 1
    return seen


def engine_says(case: Case, window: Window) -> Seen:
    return Counter(
        (o.start.astimezone(UTC), o.end.astimezone(UTC), o.status == "cancelled")
        for o in expand(case.spec, window, case.workdays)
        if o.status != "holiday_skipped"
    )


def master_starts(plan: SeriesPlan, start: datetime, end: datetime) -> set[datetime]:
    """The master's own starts (no EXDATE, no override) in [start, end], per the client."""
    calendar = icalendar.Calendar.from_ical(feed_text(plan, overrides=False))
    found = recurring_ical_events.of(calendar).between(start, end + timedelta(seconds=1))
    return {_utc(e["DTSTART"].dt, plan.spec.zone) for e in found}


def is_on_rule(spec: ScheduleSpec, instant: datetime) -> bool:
    """Whether the RRULE alone (without DTSTART's special place) gives ``instant``."""
    rule = build_rule(spec)
    assert rule is not None
    local = instant.astimezone(spec.zone).replace(tzinfo=None)
    return rule.after(local, inc=True) == local


def _label(case: Case) -> None:
    """Show that the interesting cases really occur (hypothesis' statistics)."""
    plan = plan_series(case.spec, case.since, case.until, case.workdays)
    if plan is not None:
        event(f"overrides written: {min(len(plan.overrides), 5)}")
    if case.spec.start >= case.since and not is_on_rule(case.spec, case.spec.start):
        event("DTSTART off the rule, in range")
    occurrences = expand(case.spec, Window(case.since, case.until), case.workdays)
    statuses = Counter(o.status for o in occurrences)
    for status in ("holiday_moved", "holiday_skipped", "moved", "cancelled"):
        if statuses[status]:
            event(f"has {status}")
    if any(o.status == "moved" and o.original_start >= case.until for o in occurrences):
        event("moved in from beyond until")
    if any(o.status == "moved" and o.original_start < case.since for o in occurrences):
        event("moved in from before since")
    if any(o.original_start != o.start and o.is_happening for o in occurrences):
        event("has an occurrence off its original start")
    count = len(occurrences)
    event("occurrences in range: " + ("0" if not count else "1-9" if count < 10 else "10+"))


def _length(start: datetime, end: datetime, spec: ScheduleSpec) -> timedelta:
    """Exact for timed events; in days of the calendar for all-day ones."""
    if spec.is_all_day:
        return timedelta(days=(end.astimezone(spec.zone).date() - start.date()).days)
    return end - start


def check(case: Case) -> None:
    """The promise, for one case."""
    plan = plan_series(case.spec, case.since, case.until, case.workdays)
    window = Window(case.since, case.until)
    assert client_sees(plan, window) == engine_says(case, window)

    if plan is None or not plan.overrides:
        return
    spec = plan.spec
    plain_length = _length(plan.start, plan.end, spec)
    for occurrence in plan.overrides:
        assert not (
            occurrence.status == "scheduled"
            and occurrence.start == occurrence.original_start
            and _length(occurrence.start, occurrence.end, spec) == plain_length
            and (occurrence.speaker_id, occurrence.topic, occurrence.location)
            == (spec.speaker_id, spec.topic, spec.location)
        ), f"an override that changes nothing: {occurrence}"
    # Every RECURRENCE-ID names one of the master's own occurrences, not an EXDATE.
    originals = sorted(o.original_start for o in plan.overrides)
    own = master_starts(plan, originals[0], originals[-1])
    assert {o.astimezone(UTC) for o in originals} <= own
    assert not {o.astimezone(UTC) for o in originals} & {d.astimezone(UTC) for d in plan.exdates}


# -- the property ------------------------------------------------------------------------------


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=st.one_of(cases(), cases(all_day=True)))
def test_a_client_reading_the_series_plan_sees_exactly_what_expand_gives(case: Case) -> None:
    # Printed on failure: with the schemathesis pytest plugin loaded, Hypothesis' own
    # "Failing test case" shows an empty ``case=``.
    note(repr(case))
    _label(case)
    check(case)


# -- the awkward cases, one by one ---------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def series(
    start: datetime,
    rule: str = "FREQ=WEEKLY",
    policy: str = "keep",
    overrides: tuple[OverrideSpec, ...] = (),
) -> ScheduleSpec:
    return ScheduleSpec(
        id=7,
        timezone=str(start.tzinfo),
        start=start,
        duration=timedelta(minutes=90),
        rrule=rule,
        holiday_policy=policy,
        overrides=overrides,
    )


def starts_seen(case: Case) -> set[datetime]:
    plan = plan_series(case.spec, case.since, case.until, case.workdays)
    return {start for start, _end, _c in client_sees(plan, Window(case.since, case.until))}


def one_moved(
    first: datetime, original: datetime, moved_to: datetime, since: datetime, until: datetime
) -> Case:
    """A weekly series from ``first`` whose ``original`` occurrence an admin moved to
    ``moved_to``, shown from ``since`` to ``until``; no days off."""
    spec = series(first, overrides=(OverrideSpec(original_start=original, moved_start=moved_to),))
    return Case(spec, since, until, DaysOff())


def test_an_occurrence_moved_from_beyond_the_horizon_into_the_range_is_shown() -> None:
    moved_to = datetime(2026, 5, 6, 14, tzinfo=SHANGHAI)
    case = one_moved(
        datetime(2026, 1, 5, 9, tzinfo=SHANGHAI),
        datetime(2027, 3, 1, 9, tzinfo=SHANGHAI),  # far beyond until
        moved_to,
        datetime(2026, 3, 2, tzinfo=SHANGHAI),
        datetime(2026, 9, 7, tzinfo=SHANGHAI),
    )
    check(case)
    assert moved_to in starts_seen(case)


def test_an_occurrence_moved_out_of_the_range_is_not_shown_at_its_original_time() -> None:
    original = datetime(2026, 4, 6, 9, tzinfo=SHANGHAI)
    case = one_moved(
        datetime(2026, 1, 5, 9, tzinfo=SHANGHAI),
        original,
        datetime(2027, 6, 1, 9, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=SHANGHAI),
        datetime(2026, 9, 7, tzinfo=SHANGHAI),
    )
    check(case)
    assert original not in starts_seen(case)
    assert datetime(2026, 4, 13, 9, tzinfo=SHANGHAI) in starts_seen(case)


def test_next_workday_across_a_run_of_days_off_and_a_dst_change() -> None:
    # Wednesdays 19:00 in Berlin; 25 March to 3 April 2026 off, Berlin moves to summer
    # time on 29 March: the Wednesday nearer to it moves to Monday 6 April, 19:00 CEST,
    # and the other is skipped (a series never has two occurrences on one day).
    holidays = frozenset(date(2026, 3, 25) + timedelta(days=i) for i in range(10))
    spec = series(datetime(2026, 1, 7, 19, tzinfo=BERLIN), policy="next_workday")
    case = Case(
        spec,
        datetime(2026, 3, 1, tzinfo=BERLIN),
        datetime(2026, 6, 1, tzinfo=BERLIN),
        DaysOff(holidays=holidays),
    )
    check(case)
    plan = plan_series(case.spec, case.since, case.until, case.workdays)
    seen = client_sees(plan, Window(case.since, case.until))
    monday = datetime(2026, 4, 6, 17, tzinfo=UTC)
    assert seen[(monday, monday + timedelta(minutes=90), False)] == 1


def test_a_dtstart_off_the_rule_is_the_first_occurrence_in_the_feed_too() -> None:
    # RFC 5545: DTSTART is the first occurrence even when the rule does not match it,
    # and expand says so; a Monday start of a Wednesday series.
    monday = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
    spec = series(monday, rule="FREQ=WEEKLY;BYDAY=WE")
    case = Case(
        spec,
        datetime(2026, 2, 1, tzinfo=SHANGHAI),
        datetime(2026, 6, 1, tzinfo=SHANGHAI),
        DaysOff(),
    )
    assert monday in {o.start for o in expand(spec, Window(case.since, case.until), DaysOff())}
    check(case)


def test_an_occurrence_moved_from_before_the_shown_range_into_it_is_shown() -> None:
    moved_to = datetime(2026, 5, 6, 14, tzinfo=SHANGHAI)
    case = one_moved(
        datetime(2024, 1, 1, 9, tzinfo=SHANGHAI),
        datetime(2024, 6, 3, 9, tzinfo=SHANGHAI),  # two years before since
        moved_to,
        datetime(2026, 1, 1, tzinfo=SHANGHAI),
        datetime(2027, 1, 1, tzinfo=SHANGHAI),
    )
    check(case)
    assert moved_to in starts_seen(case)


def test_an_occurrence_moved_from_beyond_the_horizon_to_before_the_series_start_is_shown() -> None:
    # The series starts in June; one of its occurrences after the horizon is moved to
    # May, into the shown range but before the master's DTSTART.
    moved_to = datetime(2026, 5, 20, 14, tzinfo=SHANGHAI)
    case = one_moved(
        datetime(2026, 6, 1, 9, tzinfo=SHANGHAI),
        datetime(2027, 6, 7, 9, tzinfo=SHANGHAI),
        moved_to,
        datetime(2026, 1, 1, tzinfo=SHANGHAI),
        datetime(2027, 1, 1, tzinfo=SHANGHAI),
    )
    check(case)
    assert moved_to in starts_seen(case)


def test_an_occurrence_after_the_horizon_shifted_back_before_the_series_start_is_shown() -> None:
    # Daily from Saturday 1 January 2022, previous_workday, 31 December off: the
    # occurrences of 1 and 2 January both move to Thursday 30 December, before the
    # master's DTSTART; the one of 2 January lies at the horizon.
    spec = series(
        datetime(2022, 1, 1, 9, tzinfo=SHANGHAI), rule="FREQ=DAILY", policy="previous_workday"
    )
    case = Case(
        spec,
        datetime(2021, 12, 20, tzinfo=SHANGHAI),
        datetime(2022, 1, 2, tzinfo=SHANGHAI),
        DaysOff(holidays=frozenset({date(2021, 12, 31)})),
    )
    check(case)


def test_an_occurrence_moved_further_than_a_window_reaches_leaves_the_series_shown() -> None:
    # From twelve years before the range: further than one expansion window reaches
    # (10 years). That one occurrence is not in the feed; the series still is.
    moved_to = datetime(2026, 5, 6, 14, tzinfo=SHANGHAI)
    case = one_moved(
        datetime(2014, 1, 6, 9, tzinfo=SHANGHAI),
        datetime(2014, 6, 2, 9, tzinfo=SHANGHAI),
        moved_to,
        datetime(2026, 1, 1, tzinfo=SHANGHAI),
        datetime(2027, 1, 1, tzinfo=SHANGHAI),
    )
    seen = starts_seen(case)
    assert datetime(2026, 5, 4, 9, tzinfo=SHANGHAI) in seen
    assert len(seen) == 52


def test_an_occurrence_shifted_fifteen_days_across_a_dst_change_into_the_range_is_shown() -> None:
    # Berlin Tuesdays 16:30 for 90 minutes; 13–27 October 2026 off; the range starts at
    # 17:30 in Berlin on 28 October. 13 October 16:30 CEST moves to 28 October 16:30
    # CET, 15 days and an hour later, and overlaps the range's start.
    holidays = frozenset(date(2026, 10, 13) + timedelta(days=i) for i in range(15))
    spec = series(
        datetime(2026, 9, 1, 16, 30, tzinfo=BERLIN), rule="FREQ=WEEKLY", policy="next_workday"
    )
    case = Case(
        spec,
        datetime(2026, 10, 29, 0, 30, tzinfo=SHANGHAI),
        datetime(2026, 12, 31, tzinfo=SHANGHAI),
        DaysOff(holidays=holidays),
    )
    check(case)
    moved = datetime(2026, 10, 28, 16, 30, tzinfo=BERLIN)
    assert starts_seen(case) >= {moved}
