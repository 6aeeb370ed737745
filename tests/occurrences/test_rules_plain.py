"""Plain DAILY and WEEKLY rules are listed by date arithmetic (``PlainRule``), every
other rule by dateutil: for the rules both can read, the two give the same starts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from service.occurrences.rules import compile_rule

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def plain_rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        # Multiples of 7 too: a DAILY rule every 7 or 14 days is still counted in days.
        parts.append(f"INTERVAL={draw(st.integers(1, 30))}")
    if draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=4, unique=True))
        parts.append("BYDAY=" + ",".join(days))
    if draw(st.booleans()):
        # Repeats too (BYHOUR=9,9 or 9,09 is one time), as a client may write them.
        hours = draw(st.lists(st.integers(0, 23), min_size=1, max_size=3))
        parts.append("BYHOUR=" + ",".join(f"{h:0{draw(st.integers(1, 2))}}" for h in hours))
    if draw(st.booleans()):
        parts.append(f"BYMINUTE={draw(st.sampled_from([0, 30, 59]))}")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(DAYS))}")
    if draw(st.booleans()):
        until = draw(st.datetimes(datetime(2019, 1, 1), datetime(2031, 1, 1)))
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%S}")
    return ";".join(parts)


# With microseconds sometimes: dateutil drops DTSTART's.
starts = st.datetimes(datetime(2018, 1, 1), datetime(2030, 1, 1)).map(
    lambda moment: moment if moment.microsecond % 2 else moment.replace(microsecond=0)
)


@settings(max_examples=400, deadline=None)
@given(
    rule=plain_rules(),
    dtstart=starts,
    window_start=starts,
    days=st.integers(0, 800),
)
# A range that ends between DTSTART without its microseconds and DTSTART itself.
@example(
    rule="FREQ=DAILY",
    dtstart=datetime(2018, 1, 5, 0, 0, 0, 1),
    window_start=datetime(2018, 1, 1),
    days=4,
)
def test_a_plain_rule_lists_what_dateutil_lists(
    rule: str, dtstart: datetime, window_start: datetime, days: int
) -> None:
    recurrence = compile_rule(rule, dtstart, "Asia/Shanghai")
    assert recurrence.plain is not None, rule
    window_end = window_start + timedelta(days=days)
    expected = recurrence.rule().between(window_start, window_end, inc=True)
    assert recurrence.between(window_start, window_end) == expected


def test_the_office_lecture_every_monday_at_nine() -> None:
    recurrence = compile_rule("FREQ=WEEKLY;BYDAY=MO", datetime(2026, 3, 2, 9), "Asia/Shanghai")
    assert recurrence.plain is not None
    found = recurrence.between(datetime(2026, 3, 1), datetime(2026, 3, 23, 9))
    assert found == [datetime(2026, 3, day, 9) for day in (2, 9, 16, 23)]


def test_every_other_week_counts_weeks_from_wkst() -> None:
    # DTSTART is a Sunday. Weeks starting Monday: the Sunday ends week 0, so the next
    # Sunday is in week 1 (skipped); weeks starting Sunday: it begins week 0.
    sunday = datetime(2026, 3, 1, 9)
    monday_weeks = compile_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,MO", sunday, "UTC")
    sunday_weeks = compile_rule("FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,MO;WKST=SU", sunday, "UTC")
    window = (sunday, sunday + timedelta(days=16))
    assert [d.day for d in monday_weeks.between(*window)] == [1, 9, 15]
    assert [d.day for d in sunday_weeks.between(*window)] == [1, 2, 15, 16]


def test_every_seven_days_keeps_the_weekday_of_its_start() -> None:
    wednesday = datetime(2026, 3, 4, 9)
    every_seven = compile_rule("FREQ=DAILY;INTERVAL=7", wednesday, "UTC")
    every_fortnight = compile_rule("FREQ=DAILY;INTERVAL=14;BYDAY=WE", wednesday, "UTC")
    window = (wednesday, datetime(2026, 4, 1, 9))
    assert [d.day for d in every_seven.between(*window)] == [4, 11, 18, 25, 1]
    assert [d.date() for d in every_fortnight.between(*window)] == [
        date(2026, 3, 4),
        date(2026, 3, 18),
        date(2026, 4, 1),
    ]


@pytest.mark.parametrize(
    ("rule", "dtstart", "window"),
    [
        ("FREQ=DAILY", datetime(9999, 12, 1, 9), (datetime(9999, 12, 1), datetime(9999, 12, 31))),
        (
            "FREQ=WEEKLY;INTERVAL=1000",
            datetime(2026, 3, 2, 9),
            (datetime(9990, 1, 1), datetime(9999, 1, 1)),
        ),
        (
            "FREQ=DAILY;INTERVAL=3000000",
            datetime(2026, 3, 4, 9),
            (datetime(2026, 1, 1), datetime(2027, 1, 1)),
        ),
    ],
)
def test_the_calendar_edges_and_huge_intervals_are_listed_as_dateutil_lists_them(
    rule: str, dtstart: datetime, window: tuple[datetime, datetime]
) -> None:
    recurrence = compile_rule(rule, dtstart, "UTC")
    assert recurrence.between(*window) == recurrence.rule().between(*window, inc=True)


def test_other_rules_are_left_to_dateutil() -> None:
    start = datetime(2026, 3, 2, 9)
    for rule in (
        "FREQ=MONTHLY;BYDAY=1MO",
        "FREQ=WEEKLY;BYDAY=MO,TU;BYSETPOS=1",
        "FREQ=WEEKLY;COUNT=3",
        "FREQ=DAILY;BYMONTH=3",
        "FREQ=HOURLY",
    ):
        assert compile_rule(rule, start, "UTC").plain is None, rule
