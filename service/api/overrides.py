"""Routes: one occurrence's override, and a schedule's reminder rules.

``/schedules/{id}/occurrences/{original_start}`` is addressed by the occurrence's
original start (RFC 5545 RECURRENCE-ID), local to the schedule or with an offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field
from sqlalchemy import select

from ..context import db_session
from ..domain import overrides as admin
from ..domain.common import Id, InputModel, Instant, Name, committed, get_or_404
from ..domain.overrides import ONE_YEAR, OverrideIn, Recipients, RuleIn
from ..errors import NotFound
from ..models import OccurrenceOverride, ReminderRule, Schedule
from .common import (
    IfMatch,
    OutModel,
    actor,
    answer,
    blueprint_options,
    expected_version,
    no_content,
)

bp = APIBlueprint("overrides", __name__, **blueprint_options("overrides"))


class OverrideOut(OutModel):
    id: int
    schedule_id: int
    original_start: datetime = Field(description="Original local start (RECURRENCE-ID)")
    original_start_at: datetime
    is_cancelled: bool
    moved_start_at: datetime | None
    moved_duration_minutes: int | None
    speaker_id: int | None
    topic: str | None
    location: str | None
    note: str
    version: int

    @classmethod
    def of_override(cls, row: OccurrenceOverride, schedule: Schedule) -> OverrideOut:
        zone = ZoneInfo(schedule.timezone)
        return cls.of(row, original_start=row.original_start_at.astimezone(zone))


class OverridesOut(BaseModel):
    items: list[OverrideOut]


class SchedulePath(BaseModel):
    schedule_id: Id


class OccurrencePath(BaseModel):
    schedule_id: Id
    original_start: Instant = Field(description="e.g. 2026-01-12T16:00 (local) or with offset")


def _override(path: OccurrencePath) -> tuple[Schedule, datetime, OccurrenceOverride | None]:
    session = db_session()
    schedule = get_or_404(session, Schedule, path.schedule_id, "Schedule")
    original_at = admin.original_start_at(schedule, path.original_start)
    return schedule, original_at, admin.find_override(session, schedule, original_at)


@bp.get("/schedules/<int:schedule_id>/overrides", responses={200: OverridesOut})
def list_overrides(path: SchedulePath) -> Response:
    """Every changed occurrence of a schedule, by original start."""
    session = db_session()
    schedule = get_or_404(session, Schedule, path.schedule_id, "Schedule")
    rows = session.scalars(
        select(OccurrenceOverride)
        .where(OccurrenceOverride.schedule_id == schedule.id)
        .order_by(OccurrenceOverride.original_start_at)
    )
    return answer(OverridesOut(items=[OverrideOut.of_override(r, schedule) for r in rows]))


@bp.get("/schedules/<int:schedule_id>/occurrences/<original_start>", responses={200: OverrideOut})
def get_override(path: OccurrencePath) -> Response:
    """The override of one occurrence (404 when the occurrence is unchanged)."""
    schedule, _at, row = _override(path)
    if row is None:
        raise NotFound("This occurrence has no override.")
    return answer(OverrideOut.of_override(row, schedule), row=row)


@bp.put(
    "/schedules/<int:schedule_id>/occurrences/<original_start>",
    responses={200: OverrideOut, 201: OverrideOut},
)
def put_override(path: OccurrencePath, body: OverrideIn, header: IfMatch) -> Response:
    """Cancel, move, or change speaker, topic or place of one occurrence. Creating needs
    no If-Match; replacing an existing override does (428 / 412)."""
    with committed(db_session()) as session:
        schedule, original_at, row = _override(path)
        expected = expected_version() if row is not None else None
        row, created = admin.put_override(session, actor(), schedule, original_at, body, expected)
    return answer(OverrideOut.of_override(row, schedule), 201 if created else 200, row=row)


@bp.delete("/schedules/<int:schedule_id>/occurrences/<original_start>", responses={204: None})
def delete_override(path: OccurrencePath, header: IfMatch) -> Response:
    """Restore the occurrence to what the series says."""
    with committed(db_session()) as session:
        _schedule, _at, row = _override(path)
        if row is None:
            raise NotFound("This occurrence has no override.")
        admin.delete_override(session, actor(), row, expected_version())
    return no_content()


class RuleOut(OutModel):
    id: int
    schedule_id: int
    name: str
    lead_minutes: int
    template: str
    recipients: str
    is_routine: bool
    window_minutes: int | None
    is_enabled: bool
    version: int


class RulesOut(BaseModel):
    items: list[RuleOut]


class RulePatch(InputModel):
    name: Name | None = None
    lead_minutes: Annotated[int, Field(ge=-ONE_YEAR, le=ONE_YEAR)] | None = None
    template: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,100}$")] | None = None
    recipients: Recipients | None = None
    is_routine: bool | None = None
    window_minutes: Annotated[int, Field(ge=1, le=ONE_YEAR)] | None = None
    is_enabled: bool | None = None


class RulePath(BaseModel):
    schedule_id: Id
    rule_id: Id


def _rule(path: RulePath) -> ReminderRule:
    rule = db_session().get(ReminderRule, path.rule_id)
    if rule is None or rule.schedule_id != path.schedule_id:
        raise NotFound(f"Schedule {path.schedule_id} has no reminder rule {path.rule_id}.")
    return rule


@bp.get("/schedules/<int:schedule_id>/rules", responses={200: RulesOut})
def list_rules(path: SchedulePath) -> Response:
    schedule = get_or_404(db_session(), Schedule, path.schedule_id, "Schedule")
    return answer(RulesOut(items=[RuleOut.of(r) for r in schedule.rules]))


@bp.post("/schedules/<int:schedule_id>/rules", responses={201: RuleOut})
def create_rule(path: SchedulePath, body: RuleIn) -> Response:
    """Add a reminder: lead time, SMS template and recipients."""
    with committed(db_session()) as session:
        schedule = get_or_404(session, Schedule, path.schedule_id, "Schedule")
        rule = admin.create_rule(session, actor(), schedule, body)
    location = f"/api/v1/schedules/{schedule.id}/rules/{rule.id}"
    return answer(RuleOut.of(rule), 201, row=rule, location=location)


@bp.get("/schedules/<int:schedule_id>/rules/<int:rule_id>", responses={200: RuleOut})
def get_rule(path: RulePath) -> Response:
    rule = _rule(path)
    return answer(RuleOut.of(rule), row=rule)


@bp.patch("/schedules/<int:schedule_id>/rules/<int:rule_id>", responses={200: RuleOut})
def update_rule(path: RulePath, body: RulePatch, header: IfMatch) -> Response:
    with committed(db_session()) as session:
        rule = _rule(path)
        changes = body.model_dump(exclude_unset=True)
        admin.update_rule(session, actor(), rule, changes, expected_version())
    return answer(RuleOut.of(rule), row=rule)


@bp.delete("/schedules/<int:schedule_id>/rules/<int:rule_id>", responses={204: None})
def delete_rule(path: RulePath, header: IfMatch) -> Response:
    with committed(db_session()) as session:
        admin.delete_rule(session, actor(), _rule(path), expected_version())
    return no_content()
