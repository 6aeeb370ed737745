"""The workday calendar: official data, the provisional fallback, admin overrides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from service.occurrences.workdays import WorkdayCalendar, coverage, official_years, year_status


def test_2026_national_day_is_off_and_its_weekend_make_up_days_are_worked() -> None:
    calendar = WorkdayCalendar()
    assert not calendar.is_workday(date(2026, 10, 5))  # Monday inside 国庆节
    assert calendar.is_workday(date(2026, 10, 10))  # Saturday, 调休
    assert calendar.is_workday(date(2026, 9, 20))  # Sunday, 调休
    assert calendar.name(date(2026, 10, 5)) == "国庆节"
    assert calendar.name(date(2026, 10, 10)) == "国庆节（调休上班）"
    assert calendar.source(date(2026, 10, 5)) == "official"


def test_official_names_are_chinese() -> None:
    calendar = WorkdayCalendar()
    assert [calendar.name(date(2026, m, d)) for m, d in [(1, 1), (2, 17), (4, 5), (5, 1)]] == [
        "元旦",
        "春节",
        "清明节",
        "劳动节",
    ]
    assert calendar.name(date(2026, 6, 19)) == "端午节"
    assert calendar.name(date(2026, 9, 25)) == "中秋节"
    assert calendar.name(date(2026, 3, 3)) == ""


def test_a_year_without_official_data_is_provisional_weekends_and_statutory_days() -> None:
    calendar = WorkdayCalendar()
    assert 2027 not in official_years()
    assert year_status(2027) == "provisional"
    assert calendar.source(date(2027, 10, 1)) == "provisional"
    assert not calendar.is_workday(date(2027, 10, 1))  # 国庆节
    assert calendar.name(date(2027, 10, 1)) == "国庆节"
    assert not calendar.is_workday(date(2027, 2, 6))  # 春节
    assert not calendar.is_workday(date(2027, 3, 6))  # an ordinary Saturday
    assert calendar.is_workday(date(2027, 3, 8))  # an ordinary Monday


def test_admin_overrides_win_over_official_and_provisional_days() -> None:
    calendar = WorkdayCalendar(
        overrides={date(2027, 9, 26): True, date(2026, 3, 9): False},
        names={date(2027, 9, 26): "国庆节（调休上班）", date(2026, 3, 9): "临时休息"},
    )
    assert calendar.is_workday(date(2027, 9, 26))  # a Sunday made a workday
    assert not calendar.is_workday(date(2026, 3, 9))
    assert calendar.source(date(2027, 9, 26)) == "override"
    assert calendar.name(date(2026, 3, 9)) == "临时休息"
    assert calendar.overridden_years() == {2026, 2027}


@pytest.mark.parametrize("year", [2000, 2001, 2003, 2004, 2026, 2027, 2050, 2099, 2100])
def test_every_year_from_2000_to_2100_answers_without_crashing(year: int) -> None:
    calendar = WorkdayCalendar()
    days = calendar.notable_days(year)
    assert len(days) >= 104  # at least the weekends
    first = date(year, 1, 1)
    for n in range(366 if year % 4 == 0 else 365):
        day = first + timedelta(days=n)
        calendar.is_workday(day)
        calendar.name(day)


def test_all_years_2000_to_2100_have_a_status() -> None:
    statuses = {year_status(y) for y in range(2000, 2101)}
    assert statuses == {"official", "provisional"}
    assert year_status(2003) == "provisional"  # before chinesecalendar's data


def test_coverage_names_official_provisional_and_overridden_years() -> None:
    report = coverage(2026, overridden_years=[2027, 2027])
    assert report["official_years"][0] == 2004
    assert report["official_years"][1] >= 2026
    assert report["provisional_years"] == [2027]
    assert report["overridden_years"] == [2027]


def test_the_days_off_of_a_stretch_are_the_days_that_are_not_workdays() -> None:
    calendar = WorkdayCalendar(overrides={date(2026, 10, 10): False, date(2027, 1, 2): True})
    first, last = date(2026, 9, 15), date(2027, 2, 28)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert calendar.days_off(first, last) == {day for day in days if not calendar.is_workday(day)}
    assert date(2026, 10, 10) in calendar.days_off(first, last)  # a make-up day, overridden
    assert date(2027, 1, 2) not in calendar.days_off(first, last)  # a Saturday, overridden
