"""Which days are working days in China: official data, a rule-based fallback, overrides.

1. An admin's holiday override for a day wins.
2. For a year the installed ``chinesecalendar`` package has published data for, its
   statutory holidays and make-up working days (调休) are used.
3. For any other year, a provisional rule: weekends and the statutory holidays the
   ``holidays`` package computes by rule are off; nothing is a make-up day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

import chinese_calendar
import holidays

Source = Literal["override", "official", "provisional"]


@cache
def official_years() -> range:
    """The years the installed ``chinesecalendar`` package has published data for."""
    years = sorted({day.year for day in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


@cache
def _rule_based_holidays(year: int) -> Mapping[dt.date, str]:
    return dict(holidays.country_holidays("CN", years=year, language="zh_CN"))


class WorkdayCalendar:
    """``is_workday`` for ``expand``; ``overrides`` maps a day to True (workday) or False."""

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        names: Mapping[dt.date, str] | None = None,
    ) -> None:
        self._overrides = dict(overrides or {})
        self._names = dict(names or {})

    def source(self, day: dt.date) -> Source:
        if day in self._overrides:
            return "override"
        return "official" if day.year in official_years() else "provisional"

    def is_workday(self, day: dt.date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        if day.year in official_years():
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5 and day not in _rule_based_holidays(day.year)

    def name(self, day: dt.date) -> str:
        """The holiday's name, or '' for an ordinary day."""
        if day in self._names:
            return self._names[day]
        if day.year in official_years():
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            return str(name or "") if is_holiday or chinese_calendar.is_in_lieu(day) else ""
        return _rule_based_holidays(day.year).get(day, "")


def coverage(current_year: int) -> dict[str, Any]:
    """Which of this year and the next are covered by official data."""
    official = official_years()
    wanted = [current_year, current_year + 1]
    return {
        "official_years": [official.start, official.stop - 1],
        "provisional_years": [year for year in wanted if year not in official],
    }
