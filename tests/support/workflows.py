"""Arrangements shared by the workflow tests (rota, study, ledger): the demo township,
look-ups by name, and outbox rows as the planner would have written them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.context import Pufa
from service.models import Delivery, Person, ReminderRule, Schedule, StudyItem, StudyPlan
from service.seed import load_demo_file, seed

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in the township."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def seed_demo(state: Pufa) -> None:
    """The demo township, its people there since the start of its year (study progress
    counts a person only for deadlines after they joined)."""
    with state.db.transaction() as session:
        seed(session, load_demo_file())
        for someone in session.scalars(select(Person)):
            someone.created_at = datetime(2026, 1, 1, tzinfo=UTC)


def person(session: Session, name: str) -> Person:
    return session.scalars(select(Person).where(Person.name == name)).one()


def lecture(session: Session) -> Schedule:
    return session.scalars(select(Schedule).where(Schedule.kind == "lecture")).one()


def item(session: Session, year: int, title: str) -> StudyItem:
    query = select(StudyItem).join(StudyPlan).where(StudyPlan.year == year)
    return session.scalars(query.where(StudyItem.title == title)).one()


def rule(schedule: Schedule, recipients: str, lead_minutes: int | None = None) -> ReminderRule:
    return next(
        r
        for r in schedule.rules
        if r.recipients == recipients and lead_minutes in (None, r.lead_minutes)
    )


def pending_delivery(
    session: Session,
    schedule: Schedule,
    reminder: ReminderRule,
    who: Person,
    original_start: datetime,
    status: str = "pending",
) -> Delivery:
    """An outbox row as the planner writes it."""
    due = original_start - timedelta(minutes=reminder.lead_minutes)
    row = Delivery(
        schedule_id=schedule.id,
        original_start_at=original_start.astimezone(UTC),
        rule_id=reminder.id,
        person_id=who.id,
        status=status,
        due_at=due,
        useful_until=original_start,
        occurrence_start_at=original_start,
        to=who.mobile or "",
        body="提醒",
        segments=1,
    )
    session.add(row)
    return row


def statuses(session: Session, rows: list[Delivery]) -> list[str]:
    session.expire_all()
    return [session.get_one(Delivery, r.id).status for r in rows]
