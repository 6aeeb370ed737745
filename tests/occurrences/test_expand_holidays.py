"""Holiday policies over the official 2026 calendar and a provisional 2027."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.occurrences.expand import ScheduleSpec, Window, expand
from service.occurrences.workdays import WorkdayCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def weekly(day: date, policy: str, all_day: bool = False) -> ScheduleSpec:
    return ScheduleSpec(
        id=1,
        timezone="Asia/Shanghai",
        start=datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)
        + (timedelta() if all_day else timedelta(hours=16)),
        duration=timedelta(days=1) if all_day else timedelta(hours=1),
        is_all_day=all_day,
        rrule="FREQ=WEEKLY",
        holiday_policy=policy,
    )


def one(
    spec: ScheduleSpec, original: date, calendar: WorkdayCalendar | None = None
) -> tuple[date, str]:
    window = Window(
        datetime.combine(original - timedelta(days=20), datetime.min.time(), tzinfo=SHANGHAI),
        datetime.combine(original + timedelta(days=20), datetime.min.time(), tzinfo=SHANGHAI),
    )
    [occurrence] = [
        o
        for o in expand(spec, window, calendar or WorkdayCalendar())
        if o.original_start.date() == original
    ]
    return occurrence.start.date(), occurrence.status


@pytest.mark.parametrize(
    ("original", "policy", "expected"),
    [
        # 国庆节 2026: Oct 1–7 off; Sep 20 (Sun) and Oct 10 (Sat) worked.
        (date(2026, 10, 5), "next_workday", (date(2026, 10, 8), "holiday_moved")),
        (date(2026, 10, 5), "previous_workday", (date(2026, 9, 30), "holiday_moved")),
        (date(2026, 10, 5), "skip", (date(2026, 10, 5), "holiday_skipped")),
        (date(2026, 10, 5), "keep", (date(2026, 10, 5), "scheduled")),
        # 春节 2026: Feb 15–23 off; Feb 14 (Sat) and Feb 28 (Sat) worked.
        # Not to Feb 24: the Feb 23 lecture moves there too, and is nearer to it.
        (date(2026, 2, 16), "next_workday", (date(2026, 2, 16), "holiday_skipped")),
        (date(2026, 2, 23), "next_workday", (date(2026, 2, 24), "holiday_moved")),
        (date(2026, 2, 16), "previous_workday", (date(2026, 2, 14), "holiday_moved")),
        # A 调休 Saturday is a workday: a Saturday series keeps it.
        (date(2026, 10, 10), "skip", (date(2026, 10, 10), "scheduled")),
        (date(2026, 10, 10), "next_workday", (date(2026, 10, 10), "scheduled")),
        # An ordinary Saturday is not.
        (date(2026, 10, 17), "next_workday", (date(2026, 10, 19), "holiday_moved")),
        # 劳动节 2026: May 1–5 off, May 9 (Sat) worked.
        (date(2026, 5, 4), "next_workday", (date(2026, 5, 6), "holiday_moved")),
        # Provisional 2027: 国庆节 Oct 1–5 by rule, weekends off, no 调休 known.
        (date(2027, 10, 4), "next_workday", (date(2027, 10, 6), "holiday_moved")),
        (date(2027, 10, 1), "previous_workday", (date(2027, 9, 30), "holiday_moved")),
        (date(2027, 10, 4), "skip", (date(2027, 10, 4), "holiday_skipped")),
    ],
)
def test_holiday_policy_table(original: date, policy: str, expected: tuple[date, str]) -> None:
    assert one(weekly(original, policy), original) == expected


def test_an_admin_override_making_a_provisional_day_a_workday_keeps_the_lecture() -> None:
    calendar = WorkdayCalendar(overrides={date(2027, 10, 4): True})
    assert one(weekly(date(2027, 10, 4), "skip"), date(2027, 10, 4), calendar) == (
        date(2027, 10, 4),
        "scheduled",
    )


def test_an_all_day_event_moves_as_a_whole_day() -> None:
    spec = weekly(date(2026, 10, 5), "next_workday", all_day=True)
    window = Window(datetime(2026, 10, 1, tzinfo=SHANGHAI), datetime(2026, 10, 9, tzinfo=SHANGHAI))
    [moved] = [o for o in expand(spec, window, WorkdayCalendar()) if o.status == "holiday_moved"]
    assert (moved.start, moved.end) == (
        datetime(2026, 10, 8, tzinfo=SHANGHAI),
        datetime(2026, 10, 9, tzinfo=SHANGHAI),
    )


def test_a_lecture_moved_out_of_the_window_by_the_policy_is_not_in_it() -> None:
    window = Window(datetime(2026, 10, 5, tzinfo=SHANGHAI), datetime(2026, 10, 6, tzinfo=SHANGHAI))
    assert expand(weekly(date(2026, 10, 5), "next_workday"), window, WorkdayCalendar()) == []


def test_an_occurrence_shifted_fifteen_days_across_a_dst_change_is_found() -> None:
    """Fifteen days at the same wall-clock time are an hour longer across the end of
    summer time: the search must reach that far back."""
    berlin = ZoneInfo("Europe/Berlin")
    spec = ScheduleSpec(
        id=1,
        timezone="Europe/Berlin",
        # Every sixth Tuesday, so 13 October is the only one in its fifteen days off (a
        # series never has two occurrences on one day: the nearest would win).
        start=datetime(2026, 9, 1, 16, 30, tzinfo=berlin),
        duration=timedelta(hours=1),
        rrule="FREQ=WEEKLY;INTERVAL=6",
        holiday_policy="next_workday",
    )
    days_off = {date(2026, 10, 13) + timedelta(days=n): False for n in range(15)}
    # Berlin leaves summer time on 25 October: 13 October 16:30 CEST moves to
    # 28 October 16:30 CET, 15 days and 1 hour later. The window is the office's days
    # (Shanghai): it starts at 17:00 in Berlin, during that occurrence.
    window = Window(datetime(2026, 10, 29, tzinfo=SHANGHAI), datetime(2026, 11, 1, tzinfo=SHANGHAI))
    found = {o.original_start.day: o for o in expand(spec, window, WorkdayCalendar(days_off))}
    assert sorted(found) == [13]
    moved = found[13]
    assert (moved.status, moved.start) == (
        "holiday_moved",
        datetime(2026, 10, 28, 16, 30, tzinfo=berlin),
    )
