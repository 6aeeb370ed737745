"""RRULE features, overrides and time zones, one case each."""

from __future__ import annotations

import gc
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from service.occurrences.expand import EveryDayWorks, OverrideSpec, ScheduleSpec, Window, expand

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def series(rule: str, start: datetime, **extra: Any) -> ScheduleSpec:
    return ScheduleSpec(
        id=7,
        timezone=str(start.tzinfo),
        start=start,
        duration=timedelta(hours=1),
        rrule=rule,
        **extra,
    )


def days(spec: ScheduleSpec, start: date, end: date) -> list[date]:
    zone = spec.zone
    window = Window(
        datetime.combine(start, datetime.min.time(), tzinfo=zone),
        datetime.combine(end, datetime.min.time(), tzinfo=zone),
    )
    return [o.start.date() for o in expand(spec, window, EveryDayWorks()) if o.is_happening]


def test_feb_29_yearly_happens_only_in_leap_years() -> None:
    spec = series("FREQ=YEARLY", datetime(2024, 2, 29, 9, tzinfo=SHANGHAI))
    assert days(spec, date(2024, 1, 1), date(2033, 1, 1)) == [
        date(2024, 2, 29),
        date(2028, 2, 29),
        date(2032, 2, 29),
    ]


def test_last_friday_of_the_month() -> None:
    spec = series("FREQ=MONTHLY;BYDAY=-1FR", datetime(2026, 1, 30, 15, tzinfo=SHANGHAI))
    assert days(spec, date(2026, 1, 1), date(2026, 5, 1)) == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
        date(2026, 4, 24),
    ]


def test_second_monday_every_other_month_with_count() -> None:
    spec = series(
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=2MO;COUNT=3", datetime(2026, 1, 12, 9, tzinfo=SHANGHAI)
    )
    assert days(spec, date(2026, 1, 1), date(2027, 1, 1)) == [
        date(2026, 1, 12),
        date(2026, 3, 9),
        date(2026, 5, 11),
    ]


def test_last_workday_of_the_month_with_bysetpos() -> None:
    spec = series(
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", datetime(2026, 1, 30, 17, tzinfo=SHANGHAI)
    )
    assert days(spec, date(2026, 1, 1), date(2026, 6, 1)) == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 29),
    ]


def test_count_counts_original_occurrences_whatever_overrides_do() -> None:
    start = datetime(2026, 3, 2, 16, tzinfo=SHANGHAI)
    overrides = (
        OverrideSpec(original_start=start + timedelta(weeks=1), is_cancelled=True),
        OverrideSpec(
            original_start=start + timedelta(weeks=2), moved_start=start + timedelta(weeks=10)
        ),
    )
    spec = series("FREQ=WEEKLY;COUNT=4", start, overrides=overrides)
    window = Window(start, start + timedelta(weeks=20))
    occurrences = expand(spec, window, EveryDayWorks())
    assert len(occurrences) == 4  # cancelled and moved ones still count
    assert [o.status for o in occurrences] == ["scheduled", "cancelled", "scheduled", "moved"]
    assert occurrences[-1].start == start + timedelta(weeks=10)


def test_until_in_utc_for_a_shanghai_series_includes_the_last_local_occurrence() -> None:
    # 2026-03-30 16:00 Shanghai is 08:00 UTC: UNTIL at exactly that instant includes it.
    spec = series("FREQ=WEEKLY;UNTIL=20260330T080000Z", datetime(2026, 3, 2, 16, tzinfo=SHANGHAI))
    assert days(spec, date(2026, 3, 1), date(2026, 5, 1))[-1] == date(2026, 3, 30)
    earlier = series(
        "FREQ=WEEKLY;UNTIL=20260330T075959Z", datetime(2026, 3, 2, 16, tzinfo=SHANGHAI)
    )
    assert days(earlier, date(2026, 3, 1), date(2026, 5, 1))[-1] == date(2026, 3, 23)


def test_a_date_only_until_includes_that_whole_local_day() -> None:
    spec = series("FREQ=DAILY;UNTIL=20260305", datetime(2026, 3, 1, 23, tzinfo=SHANGHAI))
    assert days(spec, date(2026, 3, 1), date(2026, 4, 1))[-1] == date(2026, 3, 5)


def test_wkst_changes_which_weeks_an_every_other_week_rule_picks() -> None:
    start = datetime(1997, 8, 5, 9, tzinfo=UTC)  # the RFC 5545 example
    monday = series("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", start)
    sunday = series("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", start)
    assert [d.day for d in days(monday, date(1997, 8, 1), date(1997, 9, 1))] == [5, 10, 19, 24]
    assert [d.day for d in days(sunday, date(1997, 8, 1), date(1997, 9, 1))] == [5, 17, 19, 31]


def test_exdate_removes_one_occurrence() -> None:
    start = datetime(2026, 3, 2, 16, tzinfo=SHANGHAI)
    spec = series("FREQ=WEEKLY", start, exdates=(start + timedelta(weeks=1),))
    assert days(spec, date(2026, 3, 1), date(2026, 3, 20)) == [date(2026, 3, 2), date(2026, 3, 16)]


def test_an_occurrence_moved_out_of_the_window_leaves_it() -> None:
    start = datetime(2026, 3, 2, 16, tzinfo=SHANGHAI)
    moved = OverrideSpec(
        original_start=start + timedelta(weeks=1), moved_start=start + timedelta(weeks=30)
    )
    spec = series("FREQ=WEEKLY", start, overrides=(moved,))
    assert days(spec, date(2026, 3, 1), date(2026, 3, 20)) == [date(2026, 3, 2), date(2026, 3, 16)]


def test_berlin_0900_stays_0900_through_both_dst_changes() -> None:
    spec = series("FREQ=WEEKLY;BYDAY=MO", datetime(2026, 1, 5, 9, tzinfo=BERLIN))
    window = Window(datetime(2026, 1, 1, tzinfo=BERLIN), datetime(2027, 1, 1, tzinfo=BERLIN))
    occurrences = expand(spec, window, EveryDayWorks())
    assert {(o.start.hour, o.start.minute) for o in occurrences} == {(9, 0)}
    assert {o.start.astimezone(UTC).hour for o in occurrences} == {7, 8}
    assert all(o.end - o.start == timedelta(hours=1) for o in occurrences)


def test_a_series_started_30_years_ago_costs_about_what_a_new_one_costs() -> None:
    """Expansion follows the window, not the history (dateutil alone iterates from DTSTART)."""
    window = Window(datetime(2026, 1, 1, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI))
    old = series("FREQ=DAILY", datetime(1996, 1, 1, 9, tzinfo=SHANGHAI))
    new = series("FREQ=DAILY", datetime(2025, 1, 1, 9, tzinfo=SHANGHAI))
    assert (
        len(expand(old, window, EveryDayWorks()))
        == len(expand(new, window, EveryDayWorks()))
        == 365
    )

    def cost(spec: ScheduleSpec) -> float:
        gc.collect()  # a full collection of the whole suite's heap is no cost of expand's
        gc.disable()
        try:
            began = time.thread_time()
            for _ in range(5):
                expand(spec, window, EveryDayWorks())
            return time.thread_time() - began
        finally:
            gc.enable()

    # Loose bound (this thread's CPU time: other threads of the suite, a fake server say,
    # do not count; not a benchmark): 30 years of daily iteration would be ~30×.
    assert cost(old) < 3 * cost(new) + 0.05


def test_a_rule_that_can_never_match_yields_only_its_start_and_quickly() -> None:
    spec = series("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", datetime(2026, 1, 1, 9, tzinfo=SHANGHAI))
    window = Window(datetime(2026, 1, 1, tzinfo=SHANGHAI), datetime(2030, 1, 1, tzinfo=SHANGHAI))
    began = time.thread_time()
    assert [o.start.date() for o in expand(spec, window, EveryDayWorks())] == [date(2026, 1, 1)]
    assert time.thread_time() - began < 3  # dateutil alone takes longer to give up


@pytest.mark.parametrize(
    ("zone", "first", "skipped_day", "moved"),
    [
        # Berlin skips 02:00-03:00 on 29 March 2026.
        ("Europe/Berlin", datetime(2026, 3, 27, 2, 30), 29, (3, 30)),
        # Santiago skips 00:00-01:00 on 6 September 2026: the change starts a day.
        ("America/Santiago", datetime(2026, 9, 4, 0, 30), 6, (1, 30)),
    ],
)
def test_a_time_dst_skips_moves_forward_by_the_gap(
    zone: str, first: datetime, skipped_day: int, moved: tuple[int, int]
) -> None:
    tz = ZoneInfo(zone)
    spec = series("FREQ=DAILY", first.replace(tzinfo=tz))
    window = Window(
        first.replace(hour=0, minute=0, tzinfo=tz), first.replace(tzinfo=tz) + timedelta(days=4)
    )
    starts = {
        o.start.day: (o.start.hour, o.start.minute) for o in expand(spec, window, EveryDayWorks())
    }
    usual = (first.hour, first.minute)
    assert starts == {
        day: moved if day == skipped_day else usual for day in range(first.day, first.day + 4)
    }
