"""Re-planning what one change affects, inside the change's own transaction.

Every write that can change what should be sent (a schedule, occurrence, rule, holiday
override, person, study item or confirmation, rota) calls one of these before it
commits, so the outbox holds, at every moment, what the data says should be sent: the
planner retracts pending rows with a reason, re-times or re-renders them, and inserts
new ones. The re-plan is strict: if it fails, the request fails and rolls back whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, Select, or_, select, union
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from ..models import (
    Delivery,
    DeliveryStatus,
    Department,
    OccurrenceOverride,
    ReminderRule,
    Schedule,
    person_departments,
    schedule_departments,
    schedule_people,
)
from .planner import DEFAULT_HORIZON, PlanResult, plan_deliveries

_COLLECTIONS = ("overrides", "rules", "departments", "people")


def horizon() -> timedelta:
    """The clock's planning horizon, so a request plans exactly as far as a tick does."""
    if has_app_context():
        state = current_app.extensions.get("pufa")
        if state is not None:
            return timedelta(hours=state.settings.plan_horizon_hours)
    return DEFAULT_HORIZON


def replan_schedules(session: Session, schedule_ids: Iterable[int], now: datetime) -> PlanResult:
    """Bring the pending rows of these schedules in line with the data, now."""
    ids = sorted(set(schedule_ids))
    if not ids:
        return PlanResult()
    session.flush()
    # A row added or deleted by its id (an override, a rule) is not in the collections
    # the request already loaded: read them again.
    for schedule_id in ids:
        loaded = session.identity_map.get(identity_key(Schedule, schedule_id))
        if loaded is not None:
            session.expire(loaded, _COLLECTIONS)
    return plan_deliveries(session, now, horizon=horizon(), schedule_ids=ids, strict=True)


def replan_people(session: Session, person_ids: Iterable[int], now: datetime) -> PlanResult:
    """Re-plan every schedule that may send to these people (a person's flags, number,
    departments or headship changed)."""
    return replan_schedules(session, schedules_of_people(session, person_ids), now)


def replan_holiday_moves(session: Session, now: datetime) -> PlanResult:
    """A day became a holiday or a workday: re-plan the series a holiday can move."""
    ids = session.scalars(
        select(Schedule.id).where(Schedule.holiday_policy != "keep", _has_rules())
    )
    return replan_schedules(session, ids, now)


def schedules_of_people(session: Session, person_ids: Iterable[int]) -> set[int]:
    """Schedules that may send to these people, or that hold a pending row for them."""
    people = sorted(set(person_ids))
    if not people:
        return set()
    their_departments = select(person_departments.c.department_id).where(
        person_departments.c.person_id.in_(people)
    )
    headed = select(Department.id).where(Department.head_id.in_(people))
    queries: list[Select[Any]] = [
        select(Schedule.id).where(
            _has_rules(),
            or_(Schedule.is_for_everyone, Schedule.speaker_id.in_(people)),
        ),
        select(schedule_departments.c.schedule_id).where(
            or_(
                schedule_departments.c.department_id.in_(their_departments),
                schedule_departments.c.department_id.in_(headed),
            )
        ),
        select(schedule_people.c.schedule_id).where(schedule_people.c.person_id.in_(people)),
        select(OccurrenceOverride.schedule_id).where(OccurrenceOverride.speaker_id.in_(people)),
        select(Delivery.schedule_id).where(
            Delivery.person_id.in_(people), Delivery.status == DeliveryStatus.PENDING
        ),
    ]
    return set(session.scalars(union(*queries)))


def _has_rules() -> ColumnElement[bool]:
    return Schedule.id.in_(select(ReminderRule.schedule_id).where(ReminderRule.is_enabled))
