"""Routes of the lecture rota: ``/api/v1/schedules/{id}/rota``. Logic: workflows.rota."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import g
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, ConfigDict, Field

from ..context import db_session
from ..domain.common import Instant, committed
from ..domain.rota import MAX_WEEKS, AssignBody, GenerateBody, SwapBody
from ..models import utcnow
from ..workflows import rota
from .common import blueprint_options

bp = APIBlueprint("rota", __name__, **blueprint_options("rota"))


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SchedulePath(_In):
    schedule_id: int


class WeekPath(_In):
    schedule_id: int
    original_start: Instant = Field(description="the occurrence's original start (ISO 8601)")


class RotaQuery(_In):
    weeks: int = Field(8, ge=1, le=MAX_WEEKS)


class WeekOut(BaseModel):
    original_start: datetime
    start: datetime
    status: str
    is_happening: bool
    speaker_id: int | None
    speaker_name: str | None
    topic: str


class RotaOut(BaseModel):
    schedule_id: int
    weeks: list[WeekOut]


def _out(schedule_id: int, weeks: list[rota.RotaWeek]) -> dict[str, object]:
    out = RotaOut(
        schedule_id=schedule_id,
        weeks=[WeekOut.model_validate(w, from_attributes=True) for w in weeks],
    )
    return out.model_dump(mode="json")


def _in_zone(value: datetime, zone: str) -> datetime:
    """An original start; one without an offset is the schedule's wall-clock time."""
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone))


@bp.get("/schedules/<int:schedule_id>/rota", responses={200: RotaOut})
def get_rota(path: SchedulePath, query: RotaQuery) -> dict[str, object]:
    session = db_session()
    schedule = rota.lecture(session, path.schedule_id)
    return _out(schedule.id, rota.coming_weeks(session, schedule, utcnow(), query.weeks))


@bp.post("/schedules/<int:schedule_id>/rota", responses={200: RotaOut})
def generate_rota(path: SchedulePath, body: GenerateBody) -> dict[str, object]:
    """Fill the coming weeks round-robin; answers with the weeks that changed."""
    session = db_session()
    with committed(session):
        changed = rota.generate(
            session,
            path.schedule_id,
            pool=body.pool,
            weeks=body.weeks,
            topics=body.topics,
            overwrite=body.overwrite,
            now=utcnow(),
            actor=g.actor,
        )
    return _out(path.schedule_id, changed)


@bp.put("/schedules/<int:schedule_id>/rota/weeks/<original_start>", responses={200: WeekOut})
def assign_week(path: WeekPath, body: AssignBody) -> dict[str, object]:
    """Set one week's speaker (null clears it) and, if given, its topic."""
    session = db_session()
    schedule = rota.lecture(session, path.schedule_id)
    with committed(session):
        week = rota.assign(
            session,
            schedule.id,
            _in_zone(path.original_start, schedule.timezone),
            speaker_id=body.speaker_id,
            topic=body.topic,
            now=utcnow(),
            actor=g.actor,
        )
    return WeekOut.model_validate(week, from_attributes=True).model_dump(mode="json")


@bp.post("/schedules/<int:schedule_id>/rota/swap", responses={200: RotaOut})
def swap_weeks(path: SchedulePath, body: SwapBody) -> dict[str, object]:
    """Exchange two weeks' speakers (and topics with ``swap_topics``), both or neither."""
    session = db_session()
    schedule = rota.lecture(session, path.schedule_id)
    with committed(session):
        weeks = rota.swap(
            session,
            schedule.id,
            _in_zone(body.first, schedule.timezone),
            _in_zone(body.second, schedule.timezone),
            swap_topics=body.swap_topics,
            now=utcnow(),
            actor=g.actor,
        )
    return _out(schedule.id, weeks)
