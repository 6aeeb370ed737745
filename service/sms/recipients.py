"""Who gets a reminder rule's message for one occurrence, and why someone no longer does.

Loaded once per planning run (``Directory``) so planning thousands of people costs a few
queries, not one per person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import BindParameter, bindparam, select, union
from sqlalchemy.orm import Session, selectinload

from ..audience import audience_ids
from ..models import (
    Delivery,
    DeliveryStatus,
    Department,
    OccurrenceOverride,
    Person,
    ReminderRule,
    Schedule,
    StudyConfirmation,
    StudyItem,
    person_departments,
    schedule_departments,
    schedule_people,
)
from ..occurrences.expand import Occurrence
from .wording import join_names

# Statements are built once (building one and its cache key costs as much as running
# a small query); ``ids`` are the schedules being planned.
_IDS: BindParameter[int] = bindparam("ids", expanding=True)
_EVERYONE = select(Person)
# The people a few schedules can concern: audience, speakers, those with pending rows.
_CONCERNED = select(Person).where(
    Person.id.in_(
        union(
            select(schedule_people.c.person_id).where(schedule_people.c.schedule_id.in_(_IDS)),
            select(person_departments.c.person_id).where(
                person_departments.c.department_id.in_(
                    select(schedule_departments.c.department_id).where(
                        schedule_departments.c.schedule_id.in_(_IDS)
                    )
                )
            ),
            select(Schedule.speaker_id).where(Schedule.id.in_(_IDS)),
            select(OccurrenceOverride.speaker_id).where(OccurrenceOverride.schedule_id.in_(_IDS)),
            select(Delivery.person_id).where(
                Delivery.schedule_id.in_(_IDS), Delivery.status == DeliveryStatus.PENDING
            ),
        )
    )
)
_ITEMS = select(StudyItem)
_CONFIRMATIONS = select(StudyItem.schedule_id, StudyConfirmation.person_id).join(
    StudyConfirmation, StudyConfirmation.item_id == StudyItem.id
)
_ITEMS_OF_SCHEDULES = _ITEMS.where(StudyItem.schedule_id.in_(_IDS))
_CONFIRMATIONS_OF_SCHEDULES = _CONFIRMATIONS.where(StudyItem.schedule_id.in_(_IDS))
_HEADS = (
    select(Department)
    .where(Department.head_id.is_not(None))
    .options(selectinload(Department.members))
    .order_by(Department.id)
)


@dataclass(frozen=True)
class Recipient:
    person: Person
    # Context only this recipient's message needs (e.g. a head's list of overdue names).
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Directory:
    """People, study items and confirmations, as one planning run needs them."""

    people: dict[int, Person]
    active: list[Person]
    study_items: dict[int, StudyItem]  # by the item's deadline schedule id
    confirmed: dict[int, set[int]]  # schedule id -> ids of people who confirmed
    headed: dict[int, list[Department]]  # head's person id -> the departments they head
    _audiences: dict[int, set[int]] = field(default_factory=dict)

    def audience(self, schedule: Schedule) -> set[int]:
        if schedule.id not in self._audiences:
            self._audiences[schedule.id] = audience_ids(schedule, self.active)
        return self._audiences[schedule.id]


def load_directory(session: Session, schedules: Collection[Schedule] | None = None) -> Directory:
    """What planning ``schedules`` (loaded with their rules, audience and overrides)
    needs to know about people; ``None``: every schedule, as the clock's tick plans."""
    needs = _needs(schedules)
    if schedules is None:
        ids: dict[str, list[int]] = {}
        items_query, confirmations_query = _ITEMS, _CONFIRMATIONS
    else:
        ids = {"ids": [s.id for s in schedules]}
        items_query, confirmations_query = _ITEMS_OF_SCHEDULES, _CONFIRMATIONS_OF_SCHEDULES
    # Everyone for the tick and for schedules for everyone or with heads' summaries;
    # for a few others (an edit in a request) only the people they can concern.
    if schedules is None or {"everyone", "overdue_heads"} & needs:
        people = list(session.scalars(_EVERYONE))
    else:
        people = list(session.scalars(_CONCERNED, ids))
    confirmed: dict[int, set[int]] = defaultdict(set)
    if {"unconfirmed", "overdue_heads"} & needs:
        for schedule_id, person_id in session.execute(confirmations_query, ids):
            confirmed[schedule_id].add(person_id)
    headed: dict[int, list[Department]] = defaultdict(list)
    if "overdue_heads" in needs:
        for department in session.scalars(_HEADS):
            assert department.head_id is not None
            headed[department.head_id].append(department)
    return Directory(
        people={p.id: p for p in people},
        active=[p for p in people if p.is_active],
        study_items={item.schedule_id: item for item in session.scalars(items_query, ids)},
        confirmed=confirmed,
        headed=headed,
    )


def _needs(schedules: Collection[Schedule] | None) -> set[str]:
    """The kinds of recipients these schedules' rules (enabled or not: a disabled one's
    pending rows are explained) name, and ``everyone`` if one is for everyone."""
    if schedules is None:
        return {"everyone", "audience", "speaker", "unconfirmed", "overdue_heads"}
    needs = {rule.recipients for schedule in schedules for rule in schedule.rules}
    if any(schedule.is_for_everyone for schedule in schedules):
        needs.add("everyone")
    return needs


def recipients(
    rule: ReminderRule, schedule: Schedule, occurrence: Occurrence, directory: Directory
) -> list[Recipient]:
    """The people this rule's message goes to for this occurrence, sorted by id."""
    audience = directory.audience(schedule)
    if rule.recipients == "speaker":
        speaker = directory.people.get(occurrence.speaker_id or -1)
        chosen = [Recipient(speaker)] if speaker is not None else []
    elif rule.recipients == "unconfirmed":
        done = directory.confirmed.get(schedule.id, set())
        chosen = [Recipient(directory.people[i]) for i in sorted(audience - done)]
    elif rule.recipients == "overdue_heads":
        chosen = _overdue_heads(schedule, audience, directory)
    else:
        chosen = [Recipient(directory.people[i]) for i in sorted(audience)]
    return [r for r in chosen if r.person.can_receive_sms]


def _overdue_heads(schedule: Schedule, audience: set[int], directory: Directory) -> list[Recipient]:
    """One summary per department head, naming the members who have not confirmed."""
    overdue = audience - directory.confirmed.get(schedule.id, set())
    result: list[Recipient] = []
    for head_id, departments in sorted(directory.headed.items()):
        head = directory.people.get(head_id)
        if head is None:
            continue
        late = sorted({m.id for d in departments for m in d.members if m.id in overdue})
        if late:
            names = join_names(directory.people[i].name for i in late)
            headed = join_names(d.name for d in departments)
            result.append(Recipient(head, {"overdue_names": names, "departments": headed}))
    return result


def why_not(
    person: Person | None, rule: ReminderRule, schedule: Schedule, directory: Directory
) -> str:
    """Why a person who had a planned message no longer gets it (for the ``reason``)."""
    if person is None:
        return "recipient was deleted"
    if not person.is_active:
        return "recipient is no longer active"
    if person.is_sms_opted_out:
        return "recipient opted out of SMS"
    if not person.is_sms_enabled:
        return "recipient turned SMS off"
    if person.mobile is None:
        return "recipient has no mobile number"
    if rule.recipients == "speaker":
        return "recipient is no longer the speaker"
    if rule.recipients == "unconfirmed" and person.id in directory.confirmed.get(schedule.id, ()):
        return "recipient confirmed the study item"
    if rule.recipients == "overdue_heads":
        return "nobody in the recipient's departments is overdue any more"
    return "recipient is no longer in the audience"
