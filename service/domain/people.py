"""Staff (people) and departments (站所): validation and audited changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..audit import record, snapshot
from ..errors import Conflict
from ..models import (
    Delivery,
    Department,
    Person,
    Schedule,
    person_departments,
    schedule_departments,
    utcnow,
)
from ..phones import PhoneError, normalize_mobile
from ..sms.affected import replan_people
from ..sms.optout import SmsStop, stop_sms
from .common import (
    Id,
    IdList,
    InputModel,
    Name,
    Note,
    check_version,
    existing,
    validated,
    versioned,
)

Role = Literal["staff", "head", "leader"]


class PersonIn(InputModel):
    name: Name
    mobile: str | None = None
    role: Role = "staff"
    is_active: bool = True
    is_sms_enabled: bool = True
    department_ids: IdList = Field(default_factory=list)

    @field_validator("mobile")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return normalize_mobile(value[:40])
        except PhoneError as error:
            raise ValueError(f"手机号码无效: {error}") from None


class DepartmentIn(InputModel):
    name: Name
    description: Note = ""
    head_id: Id | None = None


def person_snapshot(person: Person) -> dict[str, Any]:
    return snapshot(person, department_ids=[d.id for d in person.departments])


def _person_values(person: Person) -> dict[str, Any]:
    return {
        "name": person.name,
        "mobile": person.mobile,
        "role": person.role,
        "is_active": person.is_active,
        "is_sms_enabled": person.is_sms_enabled,
        "department_ids": [d.id for d in person.departments],
    }


def _apply_person(session: Session, person: Person, data: PersonIn) -> None:
    if data.mobile is not None:
        taken = session.scalar(
            select(Person.id).where(Person.mobile == data.mobile, Person.id != person.id)
        )
        if taken is not None:
            raise Conflict(
                f"Mobile {data.mobile} already belongs to person {taken}.",
                fields={"mobile": "already in use"},
            )
    person.name = data.name
    person.mobile = data.mobile
    person.role = data.role
    person.is_active = data.is_active
    person.is_sms_enabled = data.is_sms_enabled
    person.departments = existing(session, Department, data.department_ids, "department_ids")


def create_person(session: Session, actor: str, data: PersonIn) -> Person:
    person = _create_person(session, actor, data)
    replan_people(session, [person.id], utcnow())
    return person


def create_people(session: Session, actor: str, items: Iterable[PersonIn]) -> list[Person]:
    """Several people (an import) in the caller's transaction, each audited as
    ``create_person`` audits one, and the SMS plan re-planned once for all of them."""
    people = [_create_person(session, actor, data) for data in items]
    replan_people(session, [p.id for p in people], utcnow())
    return people


def _create_person(session: Session, actor: str, data: PersonIn) -> Person:
    person = Person()
    _apply_person(session, person, data)
    session.add(person)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        resource="person",
        resource_id=person.id,
        before=None,
        after=person_snapshot(person),
    )
    return person


def update_person(
    session: Session, actor: str, person: Person, changes: dict[str, Any], expected: int | None
) -> Person:
    check_version(person, expected)
    data = validated(PersonIn, {**_person_values(person), **changes})
    before = person_snapshot(person)
    was_active = person.is_active
    _apply_person(session, person, data)
    if was_active and not person.is_active:
        revoke_links(person)
    after = versioned(session, person, before, lambda: person_snapshot(person))
    record(
        session,
        actor=actor,
        action="update",
        resource="person",
        resource_id=person.id,
        before=before,
        after=after,
    )
    now = utcnow()
    if before["is_sms_enabled"] and not person.is_sms_enabled:
        stop_sms(session, person, SmsStop.TURNED_OFF, actor=actor, now=now)
    replan_people(session, [person.id], now)
    return person


def revoke_links(person: Person) -> None:
    """Someone who leaves loses their staff page and feed URLs for good: reactivating
    them later must not bring old links (perhaps in other hands) back to life; they get
    new ones (as revoking does in ``web.page_tokens`` and ``feeds.tokens``)."""
    person.page_token_hash = None
    person.feed_token_hash = None
    person.feed_token_seed = None


def delete_person(session: Session, actor: str, person: Person, expected: int | None) -> None:
    check_version(person, expected)
    if session.scalar(select(exists().where(Delivery.person_id == person.id))):
        raise Conflict(
            "This person has SMS history; set is_active to false instead of deleting.",
            code="in_use",
        )
    before = person_snapshot(person)
    session.delete(person)
    session.flush()
    record(
        session,
        actor=actor,
        action="delete",
        resource="person",
        resource_id=before["id"],
        before=before,
        after=None,
    )


def department_snapshot(department: Department) -> dict[str, Any]:
    return snapshot(department)


def _apply_department(session: Session, department: Department, data: DepartmentIn) -> None:
    taken = session.scalar(
        select(Department.id).where(
            func.lower(Department.name) == data.name.lower(), Department.id != department.id
        )
    )
    if taken is not None:
        raise Conflict(f"A department named {data.name!r} exists.", fields={"name": "duplicate"})
    department.name = data.name
    department.description = data.description
    head = existing(session, Person, [data.head_id] if data.head_id else [], "head_id")
    department.head = head[0] if head else None


def create_department(session: Session, actor: str, data: DepartmentIn) -> Department:
    department = Department()
    _apply_department(session, department, data)
    session.add(department)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        resource="department",
        resource_id=department.id,
        before=None,
        after=department_snapshot(department),
    )
    return department


def update_department(
    session: Session,
    actor: str,
    department: Department,
    changes: dict[str, Any],
    expected: int | None,
) -> Department:
    check_version(department, expected)
    current = {k: getattr(department, k) for k in ("name", "description", "head_id")}
    data = validated(DepartmentIn, {**current, **changes})
    before = department_snapshot(department)
    _apply_department(session, department, data)
    session.flush()
    heads = {before["head_id"], department.head_id} - {None}
    replan_people(session, [h for h in heads if h is not None], utcnow())
    record(
        session,
        actor=actor,
        action="update",
        resource="department",
        resource_id=department.id,
        before=before,
        after=department_snapshot(department),
    )
    return department


def delete_department(
    session: Session, actor: str, department: Department, expected: int | None
) -> None:
    """Refuse while people belong to it or schedules address it (409), so that nobody
    silently drops out of an audience."""
    check_version(department, expected)
    members = session.scalar(
        select(func.count()).where(person_departments.c.department_id == department.id)
    )
    schedules = session.scalar(
        select(func.count())
        .select_from(schedule_departments.join(Schedule))
        .where(schedule_departments.c.department_id == department.id)
    )
    if members or schedules:
        raise Conflict(
            f"Department {department.name} is still in use "
            f"({members} people, {schedules} schedules).",
            code="in_use",
        )
    before = department_snapshot(department)
    session.delete(department)
    session.flush()
    record(
        session,
        actor=actor,
        action="delete",
        resource="department",
        resource_id=before["id"],
        before=before,
        after=None,
    )
