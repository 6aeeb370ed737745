"""Which days are working days in China: official data, a rule-based fallback, overrides."""

from __future__ import annotations

from typing import Any

import chinese_calendar


def official_years() -> range:
    """The years the installed ``chinesecalendar`` package has published data for."""
    years = sorted({day.year for day in chinese_calendar.holidays})
    return range(years[0], years[-1] + 1)


def coverage(current_year: int) -> dict[str, Any]:
    """Which of this year and the next are covered by official data."""
    official = official_years()
    wanted = [current_year, current_year + 1]
    return {
        "official_years": [official.start, official.stop - 1],
        "provisional_years": [year for year in wanted if year not in official],
    }
