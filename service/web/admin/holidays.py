"""Holiday overrides: the admins' word on days the official data does not cover yet
(a year the State Council has not published), saved by ``service.domain.holidays``."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...context import db_session, pufa
from ...domain.common import committed
from ...domain.holidays import HolidayOverrideIn, create_holiday_override, delete_holiday_override
from ...models import HolidayOverride, utcnow
from ...occurrences.query import workday_calendar
from ...occurrences.workdays import WorkdayCalendar, coverage
from .. import messages
from ..blueprints import web_blueprint
from ..forms import FormState, posted
from ..saving import save

bp = web_blueprint("web_holidays", __name__, "/admin/holidays", admin=True)


@bp.get("/")
def index() -> ResponseReturnValue:
    return _render(FormState({"is_workday": "0"}))


@bp.post("/")
def create() -> ResponseReturnValue:
    session = db_session()
    state = posted()
    data = {
        "day": state.value("day") or None,
        "is_workday": state.value("is_workday") == "1",
        "name": state.value("name"),
    }

    def action(db: Session, valid: HolidayOverrideIn) -> object:
        return create_holiday_override(db, g.actor, valid)

    if save(session, state, HolidayOverrideIn, data, action):
        flash(messages.SAVED, "success")
        return redirect(url_for("web_holidays.index"))
    return _render(state), 400


@bp.post("/<int:override_id>/delete")
def delete(override_id: int) -> ResponseReturnValue:
    session = db_session()
    row = session.get(HolidayOverride, override_id)
    if row is None:
        abort(404)
    with committed(session):
        delete_holiday_override(session, g.actor, row, None)
    flash(messages.DELETED, "success")
    return redirect(url_for("web_holidays.index"))


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
