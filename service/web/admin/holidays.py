"""Holiday overrides: the admins' word on days the official data does not cover yet
(a year the State Council has not published), saved by ``service.domain.holidays``."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask import flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ...context import db_session, pufa
from ...domain.common import committed
from ...domain.holidays import HolidayOverrideIn, create_holiday_override
from ...errors import Conflict
from ...models import HolidayOverride, utcnow
from ...occurrences.query import workday_calendar
from ...occurrences.workdays import WorkdayCalendar, coverage
from .. import messages
from ..blueprints import web_blueprint
from ..forms import FormState, posted, validate

bp = web_blueprint("web_holidays", __name__, "/admin/holidays", admin=True)
# The longest official holiday (春节) is nine days; a month allows for local closures.
MAX_RANGE_DAYS = 31


@bp.get("/")
def index() -> ResponseReturnValue:
    return _render(FormState({"is_workday": "0", "makeup_day": ["", "", ""]}))


@bp.post("/")
def create() -> ResponseReturnValue:
    """A holiday as the State Council announces it: a range of days off (or one day)
    plus the weekend days worked in exchange (调休), all saved together or none."""
    session = db_session()
    state = posted("makeup_day")
    is_workday = state.value("is_workday") == "1"
    name = str(state.value("name"))
    first = _day(state, "day", required=True)
    last = _day(state, "last_day") or first
    makeup = [d for i, _ in enumerate(state.value("makeup_day")) if (d := _makeup(state, i))]
    days: list[tuple[date, bool, str]] = []
    if first is not None and last is not None:
        if last < first:
            state.add("last_day", messages.service_reason("before from"))
        elif (last - first).days >= MAX_RANGE_DAYS:
            state.add("last_day", messages.HOLIDAY_RANGE_TOO_LONG.format(days=MAX_RANGE_DAYS))
        else:
            days = [
                (first + timedelta(days=n), is_workday, name)
                for n in range((last - first).days + 1)
            ]
    for day in makeup:
        if any(day == d for d, _, _ in days):
            state.add("makeup_day", messages.MAKEUP_INSIDE_RANGE.format(day=day.isoformat()))
        days.append((day, True, f"{name}调休上班" if name and not is_workday else name))
    valid = []
    for day, workday, label in days if state.is_valid else []:
        data = {"day": day.isoformat(), "is_workday": workday, "name": label}
        checked = validate(HolidayOverrideIn, data, state)
        if checked is not None:
            valid.append(checked)
    if not state.is_valid:
        return _render(state), 400
    try:
        with committed(session):
            for item in valid:
                create_holiday_override(session, g.actor, item)
    except Conflict as error:
        taken = re.match(r"(\d{4}-\d{2}-\d{2})", error.message)
        state.add("day", messages.HOLIDAY_DAY_TAKEN.format(day=taken.group(1) if taken else ""))
        return _render(state), 400
    flash(messages.HOLIDAYS_SAVED.format(count=len(valid)), "success")
    return redirect(url_for("web_holidays.index"))


def _day(state: FormState, field: str, *, required: bool = False) -> date | None:
    raw = str(state.value(field))
    if not raw:
        if required:
            state.add(field, messages.REQUIRED)
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        state.add(field, messages.INVALID_DATE)
        return None


def _makeup(state: FormState, index: int) -> date | None:
    raw = str(state.value("makeup_day")[index]).strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        state.add("makeup_day", messages.INVALID_DATE)
        return None


def _render(state: FormState) -> str:
    session = db_session()
    year = utcnow().astimezone(pufa().settings.zone).year
    cover = coverage(year)
    calendar = workday_calendar(session)
    provisional = {y: _days_off(calendar, y) for y in cover["provisional_years"]}
    overrides = session.scalars(select(HolidayOverride).order_by(HolidayOverride.day))
    return render_template(
        "admin/holidays.html",
        form=state,
        cover=cover,
        provisional=provisional,
        overrides=list(overrides),
    )


def _days_off(calendar: WorkdayCalendar, year: int) -> list[tuple[date, str, bool]]:
    """Weekdays off and weekends worked in a provisional year, as the engine sees them
    now (rule-based days plus the overrides): what the admins should check."""
    days: list[tuple[date, str, bool]] = []
    day = date(year, 1, 1)
    while day.year == year:
        is_workday = calendar.is_workday(day)
        if (day.weekday() < 5) != is_workday:
            days.append((day, calendar.name(day), is_workday))
        day += timedelta(days=1)
    return days
