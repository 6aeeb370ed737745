"""Which days are working days in China: official data, a rule-based fallback, overrides.

1. An admin's holiday override for a day wins.
2. For a year the installed ``chinesecalendar`` package has published data for, its
   statutory holidays and make-up working days (调休) are used.
3. For any other year, a provisional rule: weekends and the statutory holidays the
   ``holidays`` package computes are off, and the few weekend workdays it knows of are
   worked. It cannot know future 调休 (the State Council announces them each November),
   so such years are reported as provisional by ``/healthz`` and the API.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import chinese_calendar
import holidays

from .holiday_names import chinese_name, makeup_name

log = logging.getLogger(__name__)

Source = Literal["override", "official", "provisional"]
# The years the calendar answers for (the provisional rule works for any of them).
FIRST_YEAR, LAST_YEAR = 2000, 2100
YearStatus = Literal["official", "provisional"]


@dataclass(frozen=True)
class YearData:
    """A year's days off on weekdays or weekends (holidays) and worked weekends."""

    status: YearStatus
    days_off: Mapping[dt.date, str]  # day -> Chinese name
    makeup_days: Mapping[dt.date, str]  # weekend days worked (调休) -> Chinese name


@cache
def official_years() -> range:
    """The years the installed ``chinesecalendar`` package has published data for."""
    years = sorted({day.year for day in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


def year_status(year: int) -> YearStatus:
    return "official" if year in official_years() else "provisional"


@cache
def year_data(year: int) -> YearData:
    if year in official_years():
        return YearData(
            status="official",
            days_off={
                day: chinese_name(name)
                for day, name in chinese_calendar.holidays.items()
                if day.year == year
            },
            makeup_days={
                day: makeup_name(chinese_name(name))
                for day, name in chinese_calendar.workdays.items()
                if day.year == year
            },
        )
    return _provisional(year)


@cache
def _days_off(year: int) -> frozenset[dt.date]:
    """The year's days that are not working days, before the admins' overrides: a day
    off, or a weekend day that is not a make-up day."""
    data = year_data(year)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return frozenset(
        day
        for day in days
        if day not in data.makeup_days and (day.weekday() >= 5 or day in data.days_off)
    )


def _provisional(year: int) -> YearData:
    # A year missing from a third-party table must not stop planning: weekends alone
    # are a usable, if poorer, provisional calendar.
    try:
        rules = holidays.country_holidays("CN", years=year, language="zh_CN")
    except Exception:
        log.warning("no rule-based holidays for %s; using weekends only", year)
        return YearData(status="provisional", days_off={}, makeup_days={})
    # The package's weekend workdays are a flat set across years: keep this year's.
    worked = {day for day in getattr(rules, "weekend_workdays", ()) if day.year == year}
    return YearData(
        status="provisional",
        days_off={day: str(name) for day, name in rules.items() if day.year == year},
        makeup_days={day: makeup_name("") for day in worked},
    )


class WorkdayCalendar:
    """``is_workday`` for ``expand``; ``overrides`` maps a day to True (workday) or False."""

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        names: Mapping[dt.date, str] | None = None,
    ) -> None:
        self._overrides = dict(overrides or {})
        self._names = dict(names or {})
        # Year -> its days off, overrides applied: an expansion asks about every
        # original of every series, so each answer is one set lookup.
        self._days_off: dict[int, frozenset[dt.date]] = {}
        # (first, last) -> the days off between: a feed asks it of every schedule.
        self._ranges: dict[tuple[dt.date, dt.date], frozenset[dt.date]] = {}

    def source(self, day: dt.date) -> Source:
        if day in self._overrides:
            return "override"
        return year_status(day.year)

    def is_workday(self, day: dt.date) -> bool:
        return day not in self._year_days_off(day.year)

    def days_off(self, first: dt.date, last: dt.date) -> frozenset[dt.date]:
        """The days from ``first`` to ``last`` that are not working days."""
        found = self._ranges.get((first, last))
        if found is None:
            found = self._ranges[(first, last)] = frozenset(
                day
                for year in range(first.year, last.year + 1)
                for day in self._year_days_off(year)
                if first <= day <= last
            )
        return found

    def _year_days_off(self, year: int) -> frozenset[dt.date]:
        found = self._days_off.get(year)
        if found is not None:
            return found
        days_off = _days_off(year)
        overrides = {
            day: is_workday for day, is_workday in self._overrides.items() if day.year == year
        }
        if overrides:
            worked = {day for day, is_workday in overrides.items() if is_workday}
            days_off = (days_off - worked) | (overrides.keys() - worked)
        self._days_off[year] = days_off
        return days_off

    def name(self, day: dt.date) -> str:
        """The holiday's or make-up day's name, or '' for an ordinary day."""
        if day in self._names:
            return self._names[day]
        data = year_data(day.year)
        return data.days_off.get(day) or data.makeup_days.get(day, "")

    def overridden_years(self) -> set[int]:
        return {day.year for day in self._overrides}

    def notable_days(self, year: int) -> list[dt.date]:
        """Every day off and every worked weekend of the year, and every overridden day."""
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
        return [
            day
            for day in days
            if not self.is_workday(day) or day.weekday() >= 5 or day in self._overrides
        ]


def coverage(current_year: int, overridden_years: Iterable[int] = ()) -> dict[str, Any]:
    """Which of this year and the next are covered by official data, and which years
    have admin overrides."""
    official = official_years()
    wanted = [current_year, current_year + 1]
    return {
        "official_years": [official.start, official.stop - 1],
        "provisional_years": [year for year in wanted if year not in official],
        "overridden_years": sorted(set(overridden_years)),
    }
