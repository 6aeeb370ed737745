"""The lazy merge behind the occurrence listing gives one sorted expansion of the whole
window, read stretch by stretch, and resumes after a cursor with nothing lost or doubled.

Holiday moves and admin moves can put an occurrence before occurrences whose original
start is earlier; each case here puts such a move across the boundary between two
stretches, and the property test tries stretches as short as a day.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.occurrences import merge
from service.occurrences.cursor import Cursor
from service.occurrences.expand import (
    MAX_HOLIDAY_SHIFT,
    Occurrence,
    OverrideSpec,
    ScheduleSpec,
    Window,
    Workdays,
    expand,
    original_starts,
)
from service.occurrences.merge import merged
from service.occurrences.workdays import WorkdayCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkdayCalendar()


def at(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


def series(schedule_id: int, start: datetime, rule: str, **fields: object) -> ScheduleSpec:
    return ScheduleSpec(
        id=schedule_id,
        timezone="Asia/Shanghai",
        start=start,
        duration=timedelta(hours=1),
        rrule=rule,
        **fields,  # type: ignore[arg-type]
    )


def whole_listing(
    specs: Sequence[ScheduleSpec], window: Window, workdays: Workdays = CALENDAR
) -> list[Occurrence]:
    """What the listing answered before it was lazy: every schedule expanded over the
    whole window, sorted by start and schedule (stable, so by original start last)."""
    every = [o for spec in specs for o in expand(spec, window, workdays)]
    return sorted(every, key=lambda o: (o.start, o.schedule_id))


def walk(
    specs: Sequence[ScheduleSpec],
    window: Window,
    size: int,
    first_stretch: timedelta = merge.FIRST_STRETCH,
) -> Iterator[list[Occurrence]]:
    """Pages of ``size``, each begun from the previous page's cursor as text."""
    after = None
    while True:
        page = list(islice(merged(specs, window, CALENDAR, after, first_stretch), size + 1))
        yield page[:size]
        if len(page) <= size:
            return
        after = Cursor.parse(str(Cursor.of(page[size - 1]))).key


def test_holiday_moves_of_nine_days_across_a_stretch_boundary_keep_their_place() -> None:
    # 春节 2026: Feb 15–23 off; Sat Feb 14 and Tue Feb 24 worked. The stretch boundary
    # is Feb 16: the 23rd's meeting moves back over it to the 14th, the 15th's moves
    # forward over it to the 24th.
    back = series(
        1,
        at(date(2026, 1, 23), 10),
        "FREQ=MONTHLY;BYMONTHDAY=23",
        holiday_policy="previous_workday",
    )
    forward = series(
        3, at(date(2026, 1, 15), 10), "FREQ=MONTHLY;BYMONTHDAY=15", holiday_policy="next_workday"
    )
    daily = series(2, at(date(2026, 1, 20), 9), "FREQ=DAILY")
    specs = [back, forward, daily]
    window = Window(at(date(2026, 1, 20)), at(date(2026, 4, 1)))
    # Stretches of 9, 18, 36… days: Feb 16 begins the third.
    stretch = timedelta(days=9)

    listed = list(merged(specs, window, CALENDAR, first_stretch=stretch))

    assert listed == whole_listing(specs, window)
    moves = [
        (o.original_start.date(), o.start.date()) for o in listed if o.status == "holiday_moved"
    ]
    assert moves == [
        (date(2026, 2, 23), date(2026, 2, 14)),
        (date(2026, 2, 15), date(2026, 2, 24)),
        (date(2026, 3, 15), date(2026, 3, 16)),  # a Sunday
    ]
    for moved in (o for o in listed if o.status == "holiday_moved"):
        before = listed[listed.index(moved) - 1]
        assert (before.schedule_id, before.start) == (2, moved.start.replace(hour=9))


def test_an_admin_move_from_a_year_later_is_listed_where_it_now_takes_place() -> None:
    lecture = series(
        1,
        at(date(2026, 1, 5), 16),
        "FREQ=WEEKLY;BYDAY=MO",
        overrides=(
            OverrideSpec(at(date(2027, 1, 4), 16), moved_start=at(date(2026, 1, 7), 8)),
            OverrideSpec(at(date(2026, 1, 12), 16), is_cancelled=True),
        ),
    )
    window = Window(at(date(2026, 1, 1)), at(date(2028, 1, 1)))

    listed = list(merged([lecture], window, CALENDAR, first_stretch=timedelta(days=1)))

    assert listed == whole_listing([lecture], window)
    assert [(o.start.date(), o.status) for o in listed[:3]] == [
        (date(2026, 1, 5), "scheduled"),
        (date(2026, 1, 7), "moved"),
        (date(2026, 1, 12), "cancelled"),
    ]


def test_occurrences_at_the_same_start_are_ordered_by_schedule_and_a_cursor_splits_them() -> None:
    specs = [series(n, at(date(2026, 3, 2), 9), "FREQ=WEEKLY") for n in (7, 3, 5)]
    window = Window(at(date(2026, 3, 1)), at(date(2026, 4, 1)))

    first = list(merged(specs, window, CALENDAR))[:2]
    assert [o.schedule_id for o in first] == [3, 5]
    second = next(merged(specs, window, CALENDAR, Cursor.of(first[-1]).key))
    assert (second.schedule_id, second.start) == (7, at(date(2026, 3, 2), 9))


def test_a_cursor_past_the_window_gives_nothing_and_one_before_it_gives_everything() -> None:
    spec = series(1, at(date(2026, 3, 2), 9), "FREQ=WEEKLY")
    window = Window(at(date(2026, 3, 1)), at(date(2026, 4, 1)))
    late = (at(date(2026, 4, 1)), 1, at(date(2026, 4, 1)))
    early = (at(date(2025, 1, 1)), 1, at(date(2025, 1, 1)))

    assert list(merged([spec], window, CALENDAR, late)) == []
    assert list(merged([spec], window, CALENDAR, early)) == whole_listing([spec], window)


def test_an_occurrence_that_began_before_the_window_is_listed_first() -> None:
    conference = ScheduleSpec(
        id=1, timezone="Asia/Shanghai", start=at(date(2026, 2, 27)),
        duration=timedelta(days=3), is_all_day=True, rrule="FREQ=MONTHLY",
    )  # fmt: skip
    window = Window(at(date(2026, 3, 1)), at(date(2026, 6, 1)))

    listed = list(merged([conference], window, CALENDAR, first_stretch=timedelta(days=1)))

    assert listed == whole_listing([conference], window)
    assert listed[0].start == at(date(2026, 2, 27))


@pytest.fixture
def expanded(monkeypatch: pytest.MonkeyPatch) -> list[Window]:
    """The windows the lazy merge asks ``expand`` for, in order."""
    windows: list[Window] = []

    def recording(spec: ScheduleSpec, window: Window, workdays: Workdays) -> list[Occurrence]:
        windows.append(window)
        return expand(spec, window, workdays)

    monkeypatch.setattr(merge, "expand", recording)
    return windows


def test_the_first_page_of_ten_years_expands_only_the_first_month_of_each_schedule(
    expanded: list[Window],
) -> None:
    specs = [series(n, at(date(2026, 1, 5), 8 + n % 10), "FREQ=WEEKLY") for n in range(1, 201)]
    window = Window(at(date(2026, 1, 1)), at(date(2036, 1, 1)))

    page = list(islice(merged(specs, window, CALENDAR), 101))

    assert page == whole_listing(specs, Window(window.start, at(date(2026, 2, 1))))[:101]
    assert len(expanded) == len(specs)
    assert {w.end - w.start for w in expanded} == {merge.FIRST_STRETCH}


def test_a_page_after_a_deep_cursor_expands_as_little_as_the_first(
    expanded: list[Window],
) -> None:
    specs = [series(n, at(date(2026, 1, 5), 8 + n % 10), "FREQ=WEEKLY") for n in range(1, 51)]
    window = Window(at(date(2026, 1, 1)), at(date(2036, 1, 1)))
    cursor = (at(date(2033, 6, 1)), 1, at(date(2033, 6, 1)))

    page = list(islice(merged(specs, window, CALENDAR, cursor), 101))

    assert page[0].start >= cursor[0] and len(page) == 101
    assert len(expanded) == len(specs)
    assert {w.start for w in expanded} == {cursor[0]}


def test_no_holiday_moves_an_occurrence_further_than_the_merge_looks() -> None:
    """The stretches look ``MAX_HOLIDAY_SHIFT`` (plus a day and the duration) beyond
    their ends: every run of days off in the calendar data must be shorter."""
    day, run, longest = date(2004, 1, 1), 0, 0
    while day < date(2031, 1, 1):
        run = 0 if CALENDAR.is_workday(day) else run + 1
        longest = max(longest, run)
        day += timedelta(days=1)
    assert 0 < longest < MAX_HOLIDAY_SHIFT.days


RULES = [
    "FREQ=WEEKLY;BYDAY=MO",
    "FREQ=WEEKLY;BYDAY=SA,SU",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=MONTHLY;BYMONTHDAY=23",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=YEARLY",
    None,
]
POLICIES = ["keep", "skip", "next_workday", "previous_workday"]


@st.composite
def schedules(draw: st.DrawFn, schedule_id: int) -> ScheduleSpec:
    is_all_day = draw(st.booleans())
    day = draw(st.dates(date(2025, 6, 1), date(2027, 6, 1)))
    start = at(day, 0 if is_all_day else draw(st.integers(0, 23)))
    duration = (
        timedelta(days=draw(st.integers(1, 3)))
        if is_all_day
        else timedelta(minutes=draw(st.sampled_from([30, 60, 600, 2000])))
    )
    spec = ScheduleSpec(
        id=schedule_id,
        timezone="Asia/Shanghai",
        start=start,
        duration=duration,
        is_all_day=is_all_day,
        rrule=draw(st.sampled_from(RULES)),
        holiday_policy=draw(st.sampled_from(POLICIES)),
    )
    originals = original_starts(spec, start, start + timedelta(days=900))
    picked = draw(st.lists(st.sampled_from(originals), max_size=6, unique=True))
    overrides, exdates = [], []
    for original in picked:
        change = draw(st.sampled_from(["cancel", "move", "topic", "exdate"]))
        if change == "exdate":
            exdates.append(original)
        elif change == "cancel":
            overrides.append(OverrideSpec(original, is_cancelled=True))
        elif change == "move":
            shift = timedelta(hours=draw(st.integers(-24 * 366, 24 * 366)))
            overrides.append(OverrideSpec(original, moved_start=original + shift))
        else:
            overrides.append(OverrideSpec(original, topic="民法典"))
    return ScheduleSpec(
        **{**spec.__dict__, "overrides": tuple(overrides), "exdates": tuple(exdates)}
    )


@st.composite
def listings(draw: st.DrawFn) -> tuple[list[ScheduleSpec], Window, int, timedelta]:
    count = draw(st.integers(1, 4))
    specs = [draw(schedules(n)) for n in draw(st.permutations(range(1, count + 1)))]
    if count > 1 and draw(st.booleans()):  # same-start occurrences of two schedules
        specs[1] = ScheduleSpec(**{**specs[1].__dict__, "start": specs[0].start})
    first = draw(st.dates(date(2025, 9, 1), date(2027, 9, 1)))
    days = draw(st.integers(1, 900))
    window = Window(at(first), at(first + timedelta(days=days)))
    size = draw(st.integers(1, 40))
    stretch = timedelta(days=draw(st.integers(1, 40)), hours=draw(st.integers(0, 23)))
    return specs, window, size, stretch


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(listings())
def test_walking_with_the_cursor_gives_exactly_the_whole_listing(
    case: tuple[list[ScheduleSpec], Window, int, timedelta],
) -> None:
    specs, window, size, stretch = case
    expected = whole_listing(specs, window)

    assert list(merged(specs, window, CALENDAR, first_stretch=stretch)) == expected
    walked = [o for page in walk(specs, window, size, stretch) for o in page]
    assert walked == expected
