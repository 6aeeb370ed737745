"""The recurrence editor writes the RRULE an admin means, and reads it back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import islice

import pytest
from dateutil.rrule import rrulestr

from service.web.recurrence import Recurrence, from_form, from_rrule, to_rrule


@pytest.mark.parametrize(
    ("form", "rrule"),
    [
        ({"repeat": "once"}, None),
        ({"repeat": "weekly", "repeat_weekday": "WE"}, "FREQ=WEEKLY;BYDAY=WE"),
        (
            {"repeat": "weekly", "repeat_weekday": "FR", "repeat_interval": "2"},
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR",
        ),
        (
            {"repeat": "monthly", "repeat_nth": "1", "repeat_weekday": "MO"},
            "FREQ=MONTHLY;BYDAY=1MO",
        ),
        (
            {"repeat": "monthly", "repeat_nth": "-1", "repeat_weekday": "FR"},
            "FREQ=MONTHLY;BYDAY=-1FR",
        ),
        (
            {"repeat": "yearly", "repeat_month": "3", "repeat_day": "8"},
            "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=8",
        ),
        (
            {
                "repeat": "yearly",
                "repeat_month": "12",
                "repeat_day": "4",
                "repeat_until": "2030-12-31",
            },
            "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=4;UNTIL=20301231T155959Z",
        ),
        ({"repeat": "custom", "rrule": "FREQ=DAILY;COUNT=5"}, "FREQ=DAILY;COUNT=5"),
    ],
)
def test_the_editor_writes_the_rrule_and_reads_it_back(
    form: dict[str, str], rrule: str | None
) -> None:
    recurrence = from_form(form)
    assert recurrence.errors == {}
    assert to_rrule(recurrence) == rrule
    assert to_rrule(from_rrule(rrule)) == rrule
    if rrule:
        rrulestr(rrule, dtstart=datetime(2026, 1, 5, 9, tzinfo=UTC))  # dateutil accepts it


def test_a_weekly_wednesday_lecture_falls_on_wednesdays() -> None:
    rule = rrulestr(
        to_rrule(from_form({"repeat": "weekly", "repeat_weekday": "WE"})) or "",
        dtstart=datetime(2026, 3, 2, 9),
    )
    assert [d.weekday() for d in islice(rule, 3)] == [2, 2, 2]


def test_the_first_monday_of_every_month() -> None:
    text = to_rrule(from_form({"repeat": "monthly", "repeat_nth": "1", "repeat_weekday": "MO"}))
    rule = rrulestr(text or "", dtstart=datetime(2026, 1, 1, 9))
    assert [d.date() for d in islice(rule, 2)] == [date(2026, 1, 5), date(2026, 2, 2)]


def test_an_rrule_the_editor_cannot_show_is_kept_verbatim() -> None:
    text = "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"
    recurrence = from_rrule(text)
    assert recurrence.pattern == "custom" and to_rrule(recurrence) == text


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"repeat": "yearly", "repeat_month": "2", "repeat_day": "30"}, "repeat_day"),
        ({"repeat": "yearly", "repeat_month": "13", "repeat_day": "1"}, "repeat_month"),
        ({"repeat": "weekly", "repeat_weekday": "XX"}, "repeat_weekday"),
        ({"repeat": "weekly", "repeat_weekday": "MO", "repeat_interval": "abc"}, "repeat_interval"),
        ({"repeat": "monthly", "repeat_weekday": "MO", "repeat_nth": "5"}, "repeat_nth"),
        ({"repeat": "weekly", "repeat_weekday": "MO", "repeat_until": "31/12"}, "repeat_until"),
        ({"repeat": "custom", "rrule": ""}, "rrule"),
        ({"repeat": "hourly"}, "repeat"),
    ],
)
def test_bad_editor_input_is_flagged_on_its_field(form: dict[str, str], field: str) -> None:
    assert field in from_form(form).errors


def test_form_values_round_trip() -> None:
    recurrence = Recurrence("monthly", weekday="TH", nth=-1)
    assert from_form(recurrence.form_values()) == recurrence
