"""搜索: one box for schedules (title, place, topic, description), their changed weeks
(topic, place, reason) and people (name, the last digits of a mobile, 站所)."""

from __future__ import annotations

import re
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import selectinload

from ...context import db_session
from ...models import Department, OccurrenceOverride, Person, Schedule
from ..blueprints import web_blueprint

bp = web_blueprint("web_search", __name__, "/admin/search", admin=True)
LIMIT = 50
_LIKE_SPECIAL = re.compile(r"([\\%_])")


@bp.get("/")
def index() -> ResponseReturnValue:
    text = " ".join(request.args.get("q", "").split())[:100]
    schedules: list[Schedule] = []
    weeks: list[OccurrenceOverride] = []
    people: list[Person] = []
    if text:
        session = db_session()
        pattern = "%" + _LIKE_SPECIAL.sub(r"\\\1", text) + "%"

        def like(column: Any) -> ColumnElement[bool]:
            return cast(ColumnElement[bool], column.ilike(pattern, escape="\\"))

        schedules = list(
            session.scalars(
                select(Schedule)
                .where(
                    or_(
                        like(Schedule.title),
                        like(Schedule.location),
                        like(Schedule.topic),
                        like(Schedule.description),
                    )
                )
                .order_by(Schedule.title)
                .limit(LIMIT)
            )
        )
        weeks = list(
            session.scalars(
                select(OccurrenceOverride)
                .where(
                    or_(
                        like(OccurrenceOverride.topic),
                        like(OccurrenceOverride.location),
                        like(OccurrenceOverride.note),
                    )
                )
                .options(selectinload(OccurrenceOverride.schedule))
                .order_by(OccurrenceOverride.original_start_at)
                .limit(LIMIT)
            )
        )
        digits = re.sub(r"\D", "", text)
        conditions: list[ColumnElement[bool]] = [
            like(Person.name),
            Person.departments.any(like(Department.name)),
        ]
        if len(digits) >= 4:
            conditions.append(Person.mobile.endswith(digits[-8:]))
        people = list(
            session.scalars(
                select(Person)
                .where(or_(*conditions))
                .options(selectinload(Person.departments))
                .order_by(Person.name)
                .limit(LIMIT)
            )
        )
    return render_template(
        "admin/search.html",
        q=text,
        schedules=schedules,
        weeks=weeks,
        people=people,
        zone_of=lambda schedule: ZoneInfo(schedule.timezone),
    )
