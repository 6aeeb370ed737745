"""Validation helpers: each bad input names its field and the reason."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.errors import Invalid
from service.occurrences.expand import OverrideSpec, ScheduleSpec
from service.occurrences.validate import (
    is_occurrence,
    validate_override_target,
    validate_rrule,
    validate_schedule,
    validate_start_matches_rule,
    validate_timezone,
    validate_window,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 1, 5, 16, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("BYDAY=MO", "FREQ is missing"),
        ("FREQ=HOURLY", "FREQ must be one of"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT must be at least 1"),
        ("FREQ=WEEKLY;COUNT=-2", "COUNT must be at least 1"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be at least 1"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101T000000Z", "COUNT and UNTIL"),
        ("FREQ=WEEKLY;UNTIL=20251231T000000Z", "UNTIL"),
        ("FREQ=WEEKLY;UNTIL=20260105T075959Z", "before the start"),
        ("FREQ=WEEKLY;UNTIL=2026-13-01", "UNTIL"),
        ("FREQ=WEEKLY;BYDAY=2MO", "needs FREQ=MONTHLY or YEARLY"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never produces an occurrence"),
        ("FREQ=WEEKLY;BYDAY", "NAME=VALUE"),
        ("FREQ=WEEKLY;FREQ=DAILY", "more than once"),
    ],
)
def test_bad_rules_are_refused_naming_the_rrule_field(rule: str, reason: str) -> None:
    with pytest.raises(Invalid) as caught:
        validate_rrule(rule, MONDAY, "Asia/Shanghai")
    assert list(caught.value.fields) == ["rrule"]
    assert reason in caught.value.fields["rrule"]


def test_good_rules_pass() -> None:
    for rule in (
        "FREQ=WEEKLY;BYDAY=MO",
        "RRULE:freq=weekly;until=20260105T080000Z",
        "FREQ=MONTHLY;BYDAY=1MO",
    ):
        validate_rrule(rule, MONDAY, "Asia/Shanghai")


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "Asia/Shanghai "])
def test_unknown_timezones_are_refused(name: str) -> None:
    with pytest.raises(Invalid) as caught:
        validate_timezone(name)
    assert "unknown IANA timezone" in caught.value.fields["timezone"]


def test_a_start_the_rule_does_not_produce_is_refused_naming_the_start() -> None:
    thursday = datetime(2026, 1, 1, 16, tzinfo=SHANGHAI)
    with pytest.raises(Invalid) as caught:
        validate_start_matches_rule("FREQ=WEEKLY;BYDAY=MO", thursday, "Asia/Shanghai")
    assert "2026-01-05 16:00:00" in caught.value.fields["start"]
    validate_schedule("FREQ=WEEKLY;BYDAY=MO", MONDAY, "Asia/Shanghai")
    validate_schedule(None, thursday, "Asia/Shanghai")


def test_overrides_must_target_an_existing_occurrence() -> None:
    spec = ScheduleSpec(
        id=1,
        timezone="Asia/Shanghai",
        start=MONDAY,
        duration=timedelta(hours=1),
        rrule="FREQ=WEEKLY;COUNT=10",
        exdates=(MONDAY + timedelta(weeks=2),),
        overrides=(OverrideSpec(original_start=MONDAY, topic="宪法"),),
    )
    assert is_occurrence(spec, MONDAY + timedelta(weeks=9))
    assert is_occurrence(spec, (MONDAY + timedelta(weeks=1)).astimezone(ZoneInfo("UTC")))
    assert not is_occurrence(spec, MONDAY + timedelta(weeks=10))  # beyond COUNT
    assert not is_occurrence(spec, MONDAY + timedelta(weeks=2))  # excluded
    assert not is_occurrence(spec, MONDAY + timedelta(hours=1))  # not a start
    with pytest.raises(Invalid) as caught:
        validate_override_target(spec, MONDAY + timedelta(days=1))
    assert "no occurrence" in caught.value.fields["original_start"]


def test_windows_longer_than_ten_years_are_refused_naming_the_end() -> None:
    start = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    validate_window(start, start.replace(year=2036))
    with pytest.raises(Invalid) as caught:
        validate_window(start, start.replace(year=2036) + timedelta(days=1))
    assert "10 years" in caught.value.fields["to"]
    with pytest.raises(Invalid):
        validate_window(start, start)
