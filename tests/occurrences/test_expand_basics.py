"""The occurrence engine's core cases; the property tests live in test_expand_properties."""

from dataclasses import fields
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from service.occurrences.expand import (
    EveryDayWorks,
    Occurrence,
    OverrideSpec,
    ScheduleSpec,
    Window,
    expand,
)
from service.occurrences.workdays import WorkdayCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def monday_lecture(policy: str = "next_workday", **extra: Any) -> ScheduleSpec:
    return ScheduleSpec(
        id=1,
        timezone="Asia/Shanghai",
        start=datetime(2026, 1, 5, 16, tzinfo=SHANGHAI),
        duration=timedelta(hours=1),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        holiday_policy=policy,
        **extra,
    )


def october_2026() -> Window:
    return Window(datetime(2026, 10, 1, tzinfo=SHANGHAI), datetime(2026, 10, 15, tzinfo=SHANGHAI))


def test_national_day_lecture_moves_to_the_next_workday() -> None:
    occurrences = expand(monday_lecture("next_workday"), october_2026(), WorkdayCalendar())
    moved = occurrences[0]
    assert moved.original_start == datetime(2026, 10, 5, 16, tzinfo=SHANGHAI)
    assert moved.start == datetime(2026, 10, 8, 16, tzinfo=SHANGHAI)
    assert moved.status == "holiday_moved"
    assert "2026-10-05" in moved.reason


def test_resolved_occurrences_are_built_as_the_dataclass_builds_them() -> None:
    # expand gives each field at once instead of calling Occurrence(...): the same
    # fields, equal to an occurrence made by the constructor from the same values.
    topic = OverrideSpec(original_start=datetime(2026, 10, 12, 16, tzinfo=SHANGHAI), topic="宪法")
    for occurrence in expand(monday_lecture(overrides=(topic,)), october_2026(), WorkdayCalendar()):
        values = {field.name: getattr(occurrence, field.name) for field in fields(Occurrence)}
        assert vars(occurrence).keys() == values.keys()
        assert Occurrence(**values) == occurrence
        assert repr(Occurrence(**values)) == repr(occurrence)


def test_skipped_lecture_stays_visible_but_does_not_happen() -> None:
    occurrences = expand(monday_lecture("skip"), october_2026(), WorkdayCalendar())
    assert [(o.start.date(), o.status) for o in occurrences] == [
        (date(2026, 10, 5), "holiday_skipped"),
        (date(2026, 10, 12), "scheduled"),
    ]
    assert not occurrences[0].is_happening


def test_an_override_cancels_one_occurrence_and_keeps_the_rest() -> None:
    cancelled = OverrideSpec(
        original_start=datetime(2026, 10, 12, 16, tzinfo=SHANGHAI), is_cancelled=True
    )
    schedule = monday_lecture("keep", overrides=(cancelled,))
    statuses = [o.status for o in expand(schedule, october_2026(), EveryDayWorks())]
    assert statuses == ["scheduled", "cancelled"]


def test_an_occurrence_moved_into_the_window_from_far_away_appears() -> None:
    moved = OverrideSpec(
        original_start=datetime(2026, 12, 7, 16, tzinfo=SHANGHAI),
        moved_start=datetime(2026, 10, 14, 9, tzinfo=SHANGHAI),
        topic="民法典",
    )
    schedule = monday_lecture("keep", overrides=(moved,))
    occurrences = expand(schedule, october_2026(), EveryDayWorks())
    assert occurrences[-1].start == datetime(2026, 10, 14, 9, tzinfo=SHANGHAI)
    assert occurrences[-1].status == "moved"
    assert occurrences[-1].topic == "民法典"


def test_constitution_week_is_one_multi_day_all_day_event() -> None:
    week = ScheduleSpec(
        id=2,
        timezone="Asia/Shanghai",
        start=datetime(2026, 12, 1, tzinfo=SHANGHAI),
        duration=timedelta(days=7),
        is_all_day=True,
        rrule="FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=1",
    )
    window = Window(datetime(2026, 12, 3, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI))
    [occurrence] = expand(week, window, EveryDayWorks())
    assert occurrence.is_all_day
    assert (occurrence.start.date(), occurrence.end.date()) == (
        date(2026, 12, 1),
        date(2026, 12, 8),
    )


def test_berlin_morning_series_keeps_its_wall_clock_time_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    series = ScheduleSpec(
        id=3,
        timezone="Europe/Berlin",
        start=datetime(2026, 3, 20, 9, tzinfo=berlin),
        duration=timedelta(hours=1),
        rrule="FREQ=DAILY;COUNT=20",
    )
    window = Window(datetime(2026, 3, 1, tzinfo=berlin), datetime(2026, 5, 1, tzinfo=berlin))
    occurrences = expand(series, window, EveryDayWorks())
    assert len(occurrences) == 20
    assert {o.start.astimezone(berlin).hour for o in occurrences} == {9}
    assert {o.start.utcoffset() for o in occurrences} == {timedelta(hours=1), timedelta(hours=2)}
