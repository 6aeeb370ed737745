"""月视图: every schedule's occurrences in one month, with their status and reason, so
the clerk can see at a glance what a holiday did to October."""

from __future__ import annotations

import calendar as months
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from flask import render_template, request
from flask.typing import ResponseReturnValue

from ...context import db_session, pufa
from ...occurrences.expand import Occurrence, Window
from ...occurrences.query import expand_all, load_schedules, workday_calendar
from ...occurrences.reasons import occurrence_reason
from ..blueprints import web_blueprint
from .dashboard import person_names

bp = web_blueprint("web_calendar", __name__, "/admin/calendar", admin=True)


@bp.get("/")
def month() -> ResponseReturnValue:
    zone = pufa().settings.zone
    today = datetime.now(UTC).astimezone(zone).date()
    first = _month(request.args.get("month", ""), today)
    last = date(first.year, first.month, months.monthrange(first.year, first.month)[1])
    start = datetime.combine(first, datetime.min.time(), zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
    session = db_session()
    schedules = load_schedules(session)
    occurrences = expand_all(schedules, Window(start, end), workday_calendar(session))
    by_day: dict[date, list[Occurrence]] = defaultdict(list)
    for o in occurrences:
        # A cancelled or skipped one is shown where it would have been.
        day = o.start if o.status not in ("cancelled", "holiday_skipped") else o.original_start
        local = day.astimezone(zone).date()
        if first <= local <= last:
            by_day[local].append(o)
    weeks = months.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return render_template(
        "admin/calendar.html",
        first=first,
        today=today,
        weeks=weeks,
        by_day=by_day,
        schedules={s.id: s for s in schedules},
        names=person_names(session),
        reason=occurrence_reason,
        previous=(first - timedelta(days=1)).strftime("%Y-%m"),
        following=(last + timedelta(days=1)).strftime("%Y-%m"),
        changed=[o for day in sorted(by_day) for o in by_day[day] if o.status != "scheduled"],
    )


def _month(value: str, today: date) -> date:
    """The first day of the month asked for (``2026-10``); this month if none or unreadable."""
    try:
        year, number = (int(part) for part in value.split("-"))
        if 2000 <= year <= 2100 and 1 <= number <= 12:
            return date(year, number, 1)
    except ValueError:
        pass
    return today.replace(day=1)
