"""The workday calendar: ``GET /api/v1/workdays?year=``.

The admins' holiday overrides are edited through ``/api/v1/holiday-overrides``
(service/api/holidays.py); they win over official and provisional data here.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field

from ..context import db_session
from ..occurrences.query import workday_calendar
from ..occurrences.workdays import FIRST_YEAR, LAST_YEAR, WorkdayCalendar, year_status
from .common import blueprint_options

bp = APIBlueprint("workdays", __name__, **blueprint_options("workdays"))


DayKind = Literal["weekend", "holiday", "makeup_workday", "workday"]


class YearQuery(BaseModel):
    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)


class DayOut(BaseModel):
    date: date
    is_workday: bool
    kind: DayKind
    source: Literal["official", "provisional", "override"]
    name: str


class YearOut(BaseModel):
    year: int
    status: Literal["official", "provisional"]
    overridden_days: int
    days: list[DayOut]


@bp.get("/workdays", responses={200: YearOut})
def get_workdays(query: YearQuery) -> dict[str, Any]:
    """Every day off and every worked weekend (调休) of the year, with where it comes from."""
    calendar = workday_calendar(db_session())
    days = [
        DayOut(
            date=day,
            is_workday=calendar.is_workday(day),
            kind=_kind(calendar, day),
            source=calendar.source(day),
            name=calendar.name(day),
        )
        for day in calendar.notable_days(query.year)
    ]
    overridden = sum(1 for d in days if d.source == "override")
    out = YearOut(
        year=query.year, status=year_status(query.year), overridden_days=overridden, days=days
    )
    return out.model_dump(mode="json")


def _kind(calendar: WorkdayCalendar, day: date) -> DayKind:
    weekend = day.weekday() >= 5
    if calendar.is_workday(day):
        return "makeup_workday" if weekend else "workday"
    # An unnamed weekend day off is an ordinary weekend, not a holiday.
    return "weekend" if weekend and not calendar.name(day) else "holiday"
