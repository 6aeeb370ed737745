"""The study plan (学法计划) and its items; each item owns a ``deadline`` schedule.

An item's deadline is an all-day schedule on ``due_on`` in the office's timezone,
addressed to everyone unless an audience is given (as ``service/seed.py`` does), so the
feeds and reminders treat it like any other schedule.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import record, snapshot
from ..errors import Conflict
from ..models import Schedule, StudyItem, StudyPlan, utcnow
from ..sms.affected import replan_schedules
from ..sms.series_change import after_edit, before_edit, notify_deleted
from .common import (
    Day,
    IdList,
    InputModel,
    LongText,
    Title,
    check_version,
    validated,
    versioned,
)
from .schedules import ScheduleIn, add_default_rules, apply_schedule, schedule_snapshot


class PlanIn(InputModel):
    year: Annotated[int, Field(ge=2000, le=2100)]
    title: Title
    is_closed: bool = False


class ItemIn(InputModel):
    title: Title
    material: LongText = ""
    due_on: Day
    is_for_everyone: bool = Field(
        default=True, description="Everyone must study it; false addresses only the ids given."
    )
    department_ids: IdList = Field(default_factory=list)
    person_ids: IdList = Field(default_factory=list)


def _check_year(session: Session, plan: StudyPlan, year: int) -> None:
    taken = session.scalar(
        select(StudyPlan.id).where(StudyPlan.year == year, StudyPlan.id != plan.id)
    )
    if taken is not None:
        raise Conflict(f"There is already a plan for {year}.", fields={"year": "duplicate"})


def create_plan(session: Session, actor: str, data: PlanIn) -> StudyPlan:
    plan = StudyPlan(**data.model_dump())
    _check_year(session, plan, data.year)
    session.add(plan)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        resource="study_plan",
        resource_id=plan.id,
        before=None,
        after=snapshot(plan),
    )
    return plan


def update_plan(
    session: Session, actor: str, plan: StudyPlan, changes: dict[str, Any], expected: int | None
) -> StudyPlan:
    check_version(plan, expected)
    current = {"year": plan.year, "title": plan.title, "is_closed": plan.is_closed}
    data = validated(PlanIn, {**current, **changes})
    _check_year(session, plan, data.year)
    before = snapshot(plan)
    for key, value in data.model_dump().items():
        setattr(plan, key, value)
    session.flush()
    record(
        session,
        actor=actor,
        action="update",
        resource="study_plan",
        resource_id=plan.id,
        before=before,
        after=snapshot(plan),
    )
    return plan


def delete_plan(session: Session, actor: str, plan: StudyPlan, expected: int | None) -> None:
    """Delete the plan, its items and their deadline schedules."""
    check_version(plan, expected)
    for item in list(plan.items):
        delete_item(session, actor, item, None)
    session.expire(plan, ["items"])  # gone already; the plan must not cascade to them again
    before = snapshot(plan)
    session.delete(plan)
    session.flush()
    record(
        session,
        actor=actor,
        action="delete",
        resource="study_plan",
        resource_id=before["id"],
        before=before,
        after=None,
    )


def _deadline(
    plan: StudyPlan, data: ItemIn, timezone: str, change_notices: bool | None = None
) -> ScheduleIn:
    """The item's deadline schedule; ``change_notices`` None gives a new one the kind's
    default (off for deadlines), an edit keeps what the schedule has."""
    return ScheduleIn(
        change_notices=change_notices,
        kind="deadline",
        title=f"学法截止：{data.title}（{plan.year}）"[:200],
        description=data.material,
        timezone=timezone,
        start=data.due_on,
        is_all_day=True,
        is_for_everyone=data.is_for_everyone,
        department_ids=data.department_ids,
        person_ids=data.person_ids,
    )


def item_snapshot(item: StudyItem) -> dict[str, Any]:
    return snapshot(item, deadline=schedule_snapshot(item.schedule))


def create_item(
    session: Session, actor: str, plan: StudyPlan, data: ItemIn, timezone: str
) -> StudyItem:
    schedule = Schedule()
    apply_schedule(session, schedule, _deadline(plan, data, timezone))
    item = StudyItem(title=data.title, material=data.material, due_on=data.due_on)
    item.schedule = schedule
    plan.items.append(item)
    session.add(item)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        resource="study_item",
        resource_id=item.id,
        before=None,
        after=item_snapshot(item),
    )
    add_default_rules(session, actor, schedule)
    replan_schedules(session, [schedule.id], utcnow())
    return item


def _item_values(item: StudyItem) -> dict[str, Any]:
    schedule = item.schedule
    return {
        "title": item.title,
        "material": item.material,
        "due_on": item.due_on,
        "is_for_everyone": schedule.is_for_everyone,
        "department_ids": [d.id for d in schedule.departments],
        "person_ids": [p.id for p in schedule.people],
    }


def update_item(
    session: Session, actor: str, item: StudyItem, changes: dict[str, Any], expected: int | None
) -> StudyItem:
    """Change the item and keep its deadline schedule in step (title, day, audience);
    the schedule's own reminder rules and timezone stay as they are."""
    check_version(item, expected)
    data = validated(ItemIn, {**_item_values(item), **changes})
    now = utcnow()
    series = before_edit(item.schedule)
    before = item_snapshot(item)
    schedule_before = schedule_snapshot(item.schedule)
    item.title, item.material, item.due_on = data.title, data.material, data.due_on
    schedule = item.schedule
    deadline = _deadline(item.plan, data, schedule.timezone, schedule.change_notices)
    apply_schedule(session, schedule, deadline)
    versioned(session, item.schedule, schedule_before, lambda: schedule_snapshot(item.schedule))
    after = versioned(session, item, before, lambda: item_snapshot(item))
    record(
        session,
        actor=actor,
        action="update",
        resource="study_item",
        resource_id=item.id,
        before=before,
        after=after,
    )
    after_edit(session, schedule, series, now)
    replan_schedules(session, [item.schedule_id], now)
    return item


def delete_item(session: Session, actor: str, item: StudyItem, expected: int | None) -> None:
    check_version(item, expected)
    before = item_snapshot(item)
    schedule = item.schedule
    notify_deleted(session, schedule, utcnow())
    session.delete(item)
    session.flush()
    session.delete(schedule)
    session.flush()
    record(
        session,
        actor=actor,
        action="delete",
        resource="study_item",
        resource_id=before["id"],
        before=before,
        after=None,
    )
