"""What a feed shows, loaded from the database in a few queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..audience import concerns
from ..models import (
    Department,
    HolidayOverride,
    Person,
    Schedule,
    StudyConfirmation,
    StudyItem,
)
from ..occurrences.query import load_schedules, workday_calendar
from ..occurrences.workdays import WorkdayCalendar
from . import texts

OwnerKind = Literal["person", "department"]


@dataclass(frozen=True)
class FeedOwner:
    """Whose feed a token opens."""

    kind: OwnerKind
    id: int


@dataclass
class FeedContent:
    owner: FeedOwner
    calendar_name: str
    schedules: list[Schedule]
    workdays: WorkdayCalendar
    speaker_names: dict[int, str] = field(default_factory=dict)
    # Deadline schedules of study items: whether this person still has to confirm them,
    # and when they confirmed (a confirmation changes the event's title, so its DTSTAMP).
    unconfirmed: frozenset[int] = frozenset()
    confirmed_at: dict[int, datetime] = field(default_factory=dict)
    # The admins' holiday overrides, as a value: part of every schedule block's key.
    holidays_key: tuple[tuple[date, bool], ...] = ()

    @property
    def person_id(self) -> int | None:
        """Set for a personal feed: what is personal (【我主讲】, 【待学习】, speaker and
        study alarms) shows only there, never in a department's feed."""
        return self.owner.id if self.owner.kind == "person" else None


def load_content(session: Session, owner: FeedOwner) -> FeedContent | None:
    """The feed's content, or None when its owner is gone or no longer active."""
    if owner.kind == "person":
        person = session.get(Person, owner.id, options=[selectinload(Person.departments)])
        if person is None or not person.is_active:
            return None
        schedules = [s for s in load_schedules(session) if concerns(s, person)]
        name = person.name
    else:
        department = session.get(Department, owner.id)
        if department is None:
            return None
        schedules = [
            s
            for s in load_schedules(session)
            if s.is_for_everyone or any(d.id == department.id for d in s.departments)
        ]
        name = department.name
    holidays = session.execute(
        select(HolidayOverride.day, HolidayOverride.is_workday).order_by(HolidayOverride.day)
    )
    content = FeedContent(
        owner=owner,
        calendar_name=texts.calendar_name(name),
        schedules=schedules,
        workdays=workday_calendar(session),
        speaker_names=_speaker_names(session, schedules),
        holidays_key=tuple((day, is_workday) for day, is_workday in holidays),
    )
    if owner.kind == "person":
        _add_study_status(session, content)
    return content


def _speaker_names(session: Session, schedules: list[Schedule]) -> dict[int, str]:
    ids = {s.speaker_id for s in schedules} | {o.speaker_id for s in schedules for o in s.overrides}
    ids.discard(None)
    if not ids:
        return {}
    # Names only: a feed never carries a phone number.
    rows = session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    return {person_id: name for person_id, name in rows}


def _add_study_status(session: Session, content: FeedContent) -> None:
    schedule_ids = [s.id for s in content.schedules if s.kind == "deadline"]
    if not schedule_ids:
        return
    rows = session.execute(
        select(StudyItem.id, StudyItem.schedule_id).where(StudyItem.schedule_id.in_(schedule_ids))
    )
    items = {item_id: schedule_id for item_id, schedule_id in rows}
    confirmed = session.execute(
        select(StudyConfirmation.item_id, StudyConfirmation.confirmed_at).where(
            StudyConfirmation.person_id == content.owner.id,
            StudyConfirmation.item_id.in_(list(items)),
        )
    )
    content.confirmed_at = {items[item_id]: at for item_id, at in confirmed}
    content.unconfirmed = frozenset(set(items.values()) - set(content.confirmed_at))
