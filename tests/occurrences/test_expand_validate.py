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
        ("BYDAY=MO", "缺少 FREQ"),
        ("FREQ=HOURLY", "频率须为每天、每周、每月或每年"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT：至少为 1"),
        ("FREQ=WEEKLY;COUNT=-2", "COUNT：须是正整数"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL：至少为 1"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101T000000Z", "COUNT 和 UNTIL 只能用一个"),
        ("FREQ=WEEKLY;UNTIL=20251231T000000Z", "UNTIL"),
        ("FREQ=WEEKLY;UNTIL=20260105T075959Z", "早于开始时间"),
        ("FREQ=WEEKLY;UNTIL=2026-13-01", "UNTIL"),
        ("FREQ=WEEKLY;BYDAY=2MO", "只能用于 MONTHLY 或 YEARLY"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "不会产生任何日程"),
        ("FREQ=WEEKLY;BYDAY", "应写成 名称=值"),
        ("FREQ=WEEKLY;FREQ=DAILY", "FREQ：出现了不止一次"),
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
    assert "未知时区" in caught.value.fields["timezone"]


def test_a_start_the_rule_does_not_produce_is_refused_naming_the_start() -> None:
    thursday = datetime(2026, 1, 1, 16, tzinfo=SHANGHAI)
    with pytest.raises(Invalid) as caught:
        validate_start_matches_rule("FREQ=WEEKLY;BYDAY=MO", thursday, "Asia/Shanghai")
    assert "之后的第一次是 2026-01-05 16:00" in caught.value.fields["start"]
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
