"""A small township for SMS tests: people, departments, schedules and rules in a few lines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.context import Pufa
from service.models import (
    Delivery,
    Department,
    OccurrenceOverride,
    Person,
    ReminderRule,
    Schedule,
    StudyConfirmation,
    StudyItem,
    StudyPlan,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


class World:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._numbers = 0

    def person(self, name: str, *departments: Department, **flags: object) -> Person:
        self._numbers += 1
        mobile = flags.pop("mobile", f"+86139{self._numbers:08d}")
        person = Person(name=name, mobile=mobile, departments=list(departments), **flags)
        self.session.add(person)
        self.session.flush()
        return person

    def department(self, name: str, head: Person | None = None) -> Department:
        department = Department(name=name, head=head)
        self.session.add(department)
        self.session.flush()
        return department

    def lecture(
        self,
        speaker: Person | None = None,
        topic: str = "宪法",
        start: datetime | None = None,
        **extra: object,
    ) -> Schedule:
        schedule = Schedule(
            kind="lecture",
            title="机关职工每周一讲",
            location="镇政府三楼会议室",
            starts_at=(start or local(2026, 11, 2, 16)).astimezone(UTC),
            duration_minutes=60,
            rrule="FREQ=WEEKLY;BYDAY=MO",
            is_for_everyone=True,
            speaker=speaker,
            topic=topic,
            **extra,
        )
        self.session.add(schedule)
        self.session.flush()
        return schedule

    def campaign(self, *departments: Department) -> Schedule:
        schedule = Schedule(
            kind="campaign",
            title="12·4 国家宪法日宣传",
            location="蟒河镇集市广场",
            starts_at=local(2026, 12, 4).astimezone(UTC),
            is_all_day=True,
            rrule="FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=4",
            departments=list(departments),
        )
        self.session.add(schedule)
        self.session.flush()
        return schedule

    def study_item(self, title: str, due: date) -> StudyItem:
        plan = StudyPlan(year=due.year, title=f"{due.year} 学法计划")
        deadline = Schedule(
            kind="deadline",
            title=f"学法截止：{title}",
            starts_at=datetime(due.year, due.month, due.day, tzinfo=SHANGHAI).astimezone(UTC),
            is_all_day=True,
            is_for_everyone=True,
        )
        item = StudyItem(title=title, due_on=due, schedule=deadline)
        plan.items.append(item)
        self.session.add(plan)
        self.session.flush()
        return item

    def confirm(self, item: StudyItem, person: Person) -> None:
        self.session.add(StudyConfirmation(item_id=item.id, person_id=person.id))
        self.session.flush()

    def rule(
        self,
        schedule: Schedule,
        lead_minutes: int,
        template: str,
        recipients: str = "audience",
        **extra: object,
    ) -> ReminderRule:
        rule = ReminderRule(
            schedule_id=schedule.id,
            name=f"{template} {lead_minutes}",
            lead_minutes=lead_minutes,
            template=template,
            recipients=recipients,
            **extra,
        )
        self.session.add(rule)
        self.session.flush()
        return rule

    def override(self, schedule: Schedule, original: datetime, **changes: object) -> None:
        self.session.add(
            OccurrenceOverride(
                schedule_id=schedule.id, original_start_at=original.astimezone(UTC), **changes
            )
        )
        self.session.flush()

    def delivery(self, **fields: object) -> Delivery:
        """A bare outbox row, for dispatcher tests that need no schedule semantics."""
        row = Delivery(**fields)
        self.session.add(row)
        self.session.flush()
        return row


def outbox(
    world: World,
    count: int,
    due_at: datetime,
    useful_until: datetime,
    *,
    is_routine: bool = True,
    body: str = "【蟒河镇普法】测试提醒",
) -> list[Delivery]:
    """``count`` pending messages to one person, due at ``due_at``: for dispatcher tests."""
    person = world.person("周伟")
    schedule = world.lecture()
    rule = world.rule(schedule, 1440, "lecture_audience", is_routine=is_routine)
    rows = [
        Delivery(
            schedule_id=schedule.id,
            original_start_at=useful_until + timedelta(seconds=i),
            rule_id=rule.id,
            person_id=person.id,
            due_at=due_at,
            useful_until=useful_until,
            occurrence_start_at=useful_until,
            to=person.mobile or "",
            body=body,
            segments=1,
        )
        for i in range(count)
    ]
    world.session.add_all(rows)
    world.session.commit()
    return rows


def reminded_of_a_lecture(session: Session, now: datetime) -> dict[str, int]:
    """A Monday-16:00 lecture with a day-before audience reminder, planned at ``now``:
    周伟 was reminded (sent); 郑洁's reminder is still pending. For change-notice tests."""
    from service.sms.planner import plan_deliveries  # the planner imports much; only here

    world = World(session)
    zhou, zheng = world.person("周伟"), world.person("郑洁")
    lecture = world.lecture(change_notices=True)
    world.rule(lecture, 1440, "lecture_audience")
    plan_deliveries(session, now.astimezone(UTC))
    session.execute(update(Delivery).where(Delivery.person_id == zhou.id).values(status="sent"))
    return {"zhou": zhou.id, "zheng": zheng.id, "lecture": lecture.id}


def change_notices(state: Pufa) -> list[Delivery]:
    """The outbox's change notices (rows without a rule), oldest first, detached."""
    with state.db.sessions() as session:
        query = select(Delivery).where(Delivery.rule_id.is_(None)).order_by(Delivery.id)
        found = list(session.scalars(query))
        session.expunge_all()
        return found
