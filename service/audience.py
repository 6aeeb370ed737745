"""Who a schedule concerns: everyone, its departments' members, and named people."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .models import Department, Person, Schedule


def audience_ids(schedule: Schedule, everyone: Iterable[Person]) -> set[int]:
    """Ids of the active people a schedule concerns. ``everyone`` is the active staff."""
    if schedule.is_for_everyone:
        return {p.id for p in everyone if p.is_active}
    ids = {p.id for p in schedule.people if p.is_active}
    for department in schedule.departments:
        ids |= {p.id for p in department.members if p.is_active}
    return ids


def active_people(session: Session) -> list[Person]:
    query = (
        select(Person)
        .where(Person.is_active.is_(True))
        .options(selectinload(Person.departments))
        .order_by(Person.id)
    )
    return list(session.scalars(query))


def concerns(schedule: Schedule, person: Person) -> bool:
    """Whether a schedule is in this person's audience."""
    if not person.is_active:
        return False
    if schedule.is_for_everyone or person in schedule.people:
        return True
    mine = {d.id for d in person.departments}
    return any(d.id in mine for d in schedule.departments)


def department_schedules(session: Session, department: Department) -> list[Schedule]:
    """Schedules whose audience includes the department (or everyone)."""
    schedules = session.scalars(select(Schedule).order_by(Schedule.id))
    return [s for s in schedules if s.is_for_everyone or department in s.departments]
