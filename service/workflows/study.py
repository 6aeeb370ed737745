"""The study plan (学法计划): confirmations with study notes, progress, and escalation.

An item is due at the end of its ``due_on`` day in its deadline schedule's timezone; a
person in the item's audience who has not confirmed by then is overdue, and the day after
each department head hears who in their department is (the ``overdue_heads`` rule).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..audience import active_people, audience_ids
from ..errors import Conflict, Invalid, NotFound
from ..models import Department, Person, Schedule, StudyConfirmation, StudyItem, StudyPlan
from . import labels, replan


def deadline_passed_at(item: StudyItem) -> datetime:
    """The instant the item becomes overdue: midnight after ``due_on``, local time."""
    zone = ZoneInfo(item.schedule.timezone)
    return datetime.combine(item.due_on + timedelta(days=1), time(0), tzinfo=zone)


def confirm(
    session: Session,
    item_id: int,
    *,
    person_id: int,
    note: str,
    now: datetime,
    actor: str,
) -> StudyConfirmation:
    """Record that ``person_id`` studied the item; withdraw their pending reminders."""
    item = session.get(StudyItem, item_id, options=[selectinload(StudyItem.plan)])
    if item is None:
        raise NotFound(f"Study item {item_id} does not exist.")
    if item.plan.is_closed:
        raise Conflict(
            f"The {item.plan.year} study plan is closed; confirmations are no longer taken.",
            code="plan_closed",
        )
    person = session.get(Person, person_id)
    if person is None:
        raise Invalid(f"Person {person_id} does not exist.", fields={"person_id": "unknown"})
    if not person.is_active:
        raise Invalid(
            f"{person.name} is inactive.", fields={"person_id": "inactive"}, code="person_inactive"
        )
    if person.id not in audience_ids(item.schedule, active_people(session)):
        raise Invalid(
            f"“{item.title}” is not in {person.name}'s study plan.",
            fields={"person_id": "not in the item's audience"},
            code="not_in_audience",
        )
    if _confirmation(session, item.id, person.id) is not None:
        raise Conflict(
            f"{person.name} has already confirmed “{item.title}”.", code="already_confirmed"
        )
    confirmation = StudyConfirmation(
        item_id=item.id, person_id=person.id, confirmed_at=now, note=note
    )
    try:
        with session.begin_nested():  # a concurrent confirmation loses on the unique key
            session.add(confirmation)
    except IntegrityError:
        raise Conflict(
            f"{person.name} has already confirmed “{item.title}”.", code="already_confirmed"
        ) from None
    audit.record(
        session,
        actor=actor,
        action="confirm",
        resource="study_item",
        resource_id=item.id,
        before=None,
        after={"person_id": person.id, "note": note, "confirmed_at": now.isoformat()},
        now=now,
    )
    replan.retract_pending(
        session,
        schedule_id=item.schedule_id,
        recipients="unconfirmed",
        person_id=person.id,
        reason="confirmed: study item completed",
        now=now,
    )
    replan.replan_schedule(session, item.schedule_id, now)
    session.flush()
    return confirmation


def unconfirm(
    session: Session,
    item_id: int,
    *,
    person_id: int,
    now: datetime,
    zone: ZoneInfo,
    actor: str,
) -> StudyItem:
    """Withdraw ``person_id``'s confirmation of the item, only on the (local) day it was
    made: a slip of the finger is undone, the record of an earlier day stays. Their
    reminders come back with the re-plan."""
    item = session.get(StudyItem, item_id, options=[selectinload(StudyItem.plan)])
    if item is None:
        raise NotFound(f"Study item {item_id} does not exist.")
    confirmation = _confirmation(session, item.id, person_id)
    if confirmation is None:
        raise Conflict(f"“{item.title}” is not confirmed.", code="not_confirmed")
    if confirmation.confirmed_at.astimezone(zone).date() != now.astimezone(zone).date():
        raise Conflict(
            f"“{item.title}” was confirmed on an earlier day; it can no longer be undone.",
            code="undo_too_late",
        )
    before = {
        "person_id": person_id,
        "note": confirmation.note,
        "confirmed_at": confirmation.confirmed_at.isoformat(),
    }
    session.delete(confirmation)
    audit.record(
        session,
        actor=actor,
        action="unconfirm",
        resource="study_item",
        resource_id=item.id,
        before=before,
        after=None,
        now=now,
    )
    session.flush()
    replan.replan_schedule(session, item.schedule_id, now)
    session.flush()
    return item


def _confirmation(session: Session, item_id: int, person_id: int) -> StudyConfirmation | None:
    query = select(StudyConfirmation).where(
        StudyConfirmation.item_id == item_id, StudyConfirmation.person_id == person_id
    )
    return session.scalars(query).first()


@dataclass(frozen=True)
class ItemProgress:
    item_id: int
    title: str
    due_on: date
    is_past_deadline: bool
    audience: int
    confirmed: int
    overdue_ids: tuple[int, ...]

    @property
    def rate(self) -> float:
        return round(self.confirmed / self.audience, 4) if self.audience else 1.0


@dataclass
class Tally:
    """Person × item pairs of one person or department."""

    assigned: int = 0
    confirmed: int = 0
    overdue: list[str] = field(default_factory=list)  # item titles or "name: title"

    @property
    def rate(self) -> float:
        return round(self.confirmed / self.assigned, 4) if self.assigned else 1.0


@dataclass(frozen=True)
class PlanProgress:
    plan: StudyPlan
    as_of: datetime
    items: list[ItemProgress]
    people: dict[int, tuple[Person, Tally]]
    departments: dict[int, tuple[Department, Tally]]
    unassigned: Tally = field(default_factory=Tally)  # people in no department


def plan_with_items(session: Session, plan_id: int) -> StudyPlan:
    query = (
        select(StudyPlan)
        .where(StudyPlan.id == plan_id)
        .options(
            selectinload(StudyPlan.items).selectinload(StudyItem.confirmations),
            selectinload(StudyPlan.items)
            .selectinload(StudyItem.schedule)
            .selectinload(Schedule.departments),
            selectinload(StudyPlan.items)
            .selectinload(StudyItem.schedule)
            .selectinload(Schedule.people),
        )
    )
    plan = session.scalars(query).first()
    if plan is None:
        raise NotFound(f"Study plan {plan_id} does not exist.")
    return plan


def progress(session: Session, plan_id: int, now: datetime) -> PlanProgress:
    """Who has confirmed what, per item, per person and per department, as of ``now``."""
    plan = plan_with_items(session, plan_id)
    everyone = active_people(session)
    by_id = {p.id: p for p in everyone}
    people: dict[int, tuple[Person, Tally]] = {}
    departments: dict[int, tuple[Department, Tally]] = {}
    items: list[ItemProgress] = []
    unassigned = Tally()
    for item in plan.items:
        # Someone added after a deadline was never asked to meet it.
        deadline = deadline_passed_at(item)
        audience = {
            pid for pid in audience_ids(item.schedule, everyone) if by_id[pid].created_at < deadline
        }
        confirmed = {c.person_id for c in item.confirmations} & audience
        is_past = now >= deadline
        overdue = sorted(audience - confirmed) if is_past else []
        items.append(
            ItemProgress(
                item.id, item.title, item.due_on, is_past, len(audience), len(confirmed),
                tuple(overdue),
            )
        )  # fmt: skip
        for person_id in sorted(audience):
            person = by_id[person_id]
            tallies = [people.setdefault(person_id, (person, Tally()))[1]]
            tallies += [departments.setdefault(d.id, (d, Tally()))[1] for d in person.departments]
            if not person.departments:
                tallies.append(unassigned)
            for n, tally in enumerate(tallies):
                tally.assigned += 1
                tally.confirmed += person_id in confirmed
                if person_id in overdue:
                    entry = labels.PERSON_ITEM.format(person=person.name, item=item.title)
                    tally.overdue.append(item.title if n == 0 else entry)
    return PlanProgress(plan, now, items, people, departments, unassigned)


def overdue_by_head(session: Session, item: StudyItem, now: datetime) -> dict[int, list[str]]:
    """Department head id -> names of their department's people overdue on ``item``.

    Empty before the deadline has passed. A person in two departments is reported to
    both heads; each head appears once however many of their people are overdue, so the
    ``overdue_heads`` rule sends one summary per head per item.
    """
    if now < deadline_passed_at(item):
        return {}
    everyone = active_people(session)
    confirmed = {c.person_id for c in item.confirmations}
    late = [p for p in everyone if p.id in audience_ids(item.schedule, everyone) - confirmed]
    active_ids = {p.id for p in everyone}
    result: dict[int, set[str]] = defaultdict(set)
    for person in late:
        for department in person.departments:
            if department.head_id is not None and department.head_id in active_ids:
                result[department.head_id].add(person.name)
    return {head: sorted(names) for head, names in sorted(result.items())}
