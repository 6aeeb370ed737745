"""The work ledger (台账): what was scheduled and what happened in a date range.

Built from the same ``expand`` the feed and the SMS planner use, plus the study
confirmations and the SMS outbox, as plain tables (Chinese headers from ``labels``) that
``ledger_files`` writes as .xlsx or .csv. A table's rows are produced as they are read
(the outbox's with a streaming query), so a file can be written row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import budget
from ..domain.ledger import MAX_DAYS
from ..errors import Invalid
from ..models import Delivery, Person, ReminderRule, Schedule, StudyPlan
from ..occurrences.expand import Occurrence, Window
from ..occurrences.query import expand_all, load_schedules, workday_calendar
from ..occurrences.reasons import occurrence_reason_text
from ..sms.link_message import is_page_link_row
from ..sms.reasons import delivery_reason
from ..workflows import labels
from ..workflows.study import progress
from . import ledger_records
from .facts import day_window, delivery_conditions, gather
from .ledger_records import day_and_minute, hhmm

Cell = str | int | float
_BATCH = 1000


@dataclass(frozen=True)
class Table:
    key: str
    headers: tuple[str, ...]
    rows: Iterable[tuple[Cell, ...]]  # read once

    @property
    def title(self) -> str:
        return labels.SHEETS[self.key]


@dataclass(frozen=True)
class Ledger:
    start: date
    end: date  # inclusive
    tables: list[Table]

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def check_range(start: date, end: date) -> None:
    if end < start:
        raise Invalid(
            f"The range ends ({end}) before it starts ({start}).",
            fields={"to": "before from"},
            code="invalid_range",
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(
            f"The range {start}..{end} is longer than {MAX_DAYS} days; export one year at most.",
            fields={"to": f"more than {MAX_DAYS} days after from"},
            code="range_too_long",
        )


def occurrences_table(
    session: Session, start: date, end: date, *, zone: ZoneInfo, now: datetime
) -> Table:
    """The occurrences table (日程台账) alone, for the CSV: the schedules expanded over the
    range (a year at most) here, in one pass (dateutil walks a rule from its start, so
    pieces of the range would cost more), and each row made as it is read."""
    check_range(start, end)
    schedules = {s.id: s for s in load_schedules(session)}
    window = day_window(start, end, zone)
    occurrences = expand_all(schedules.values(), window, workday_calendar(session))
    speakers = _names(session, {o.speaker_id for o in occurrences if o.speaker_id})
    rows = _Rows(schedules, speakers, zone, now)
    return Table("occurrences", labels.HEADERS["occurrences"], rows.occurrences(occurrences))


def build(session: Session, start: date, end: date, *, zone: ZoneInfo, now: datetime) -> Ledger:
    """Every table of the ledger for the local days ``start``..``end`` inclusive."""
    check_range(start, end)
    window = day_window(start, end, zone)
    # The same facts the Word 台账 and the annual report read.
    facts = gather(session, window, zone=zone, now=now)
    schedules, occurrences = facts.schedules, facts.occurrences
    speakers = _names(session, {o.speaker_id for o in occurrences if o.speaker_id})
    rows = _Rows(schedules, speakers, zone, now)
    return Ledger(
        start,
        end,
        [
            Table("occurrences", labels.HEADERS["occurrences"], rows.occurrences(occurrences)),
            Table("lectures", labels.HEADERS["lectures"], rows.lectures(occurrences)),
            Table("campaigns", labels.HEADERS["campaigns"], rows.campaigns(occurrences)),
            Table("study", labels.HEADERS["study"], _study(session, start, end, now)),
            Table("deliveries", labels.HEADERS["deliveries"], _deliveries(session, window, zone)),
            Table("events", labels.HEADERS["events"], ledger_records.event_rows(facts)),
            Table(
                "attendance", labels.HEADERS["attendance"], ledger_records.attendance_rows(facts)
            ),
        ],
    )


class _Rows:
    def __init__(
        self,
        schedules: dict[int, Schedule],
        speakers: dict[int, str],
        zone: ZoneInfo,
        now: datetime,
    ) -> None:
        self.schedules, self.speakers, self.zone, self.now = schedules, speakers, zone, now

    def occurrences(self, occurrences: list[Occurrence]) -> Iterator[tuple[Cell, ...]]:
        # A schedule's kind, title and 站所 are the same on each of its rows.
        shown = {
            sid: (labels.KIND.get(s.kind, s.kind), s.title, _departments(s))
            for sid, s in self.schedules.items()
        }
        for o in occurrences:
            budget.check()
            kind, title, departments = shown[o.schedule_id]
            start, end = o.start.astimezone(self.zone), o.end.astimezone(self.zone)
            yield (
                start.date().isoformat(),
                labels.ALL_DAY if o.is_all_day else hhmm(start),
                _last_day(o, self.zone) if o.is_all_day else hhmm(end),
                kind,
                title,
                labels.OCCURRENCE_STATUS.get(o.status, o.status),
                self._held(o),
                self._original(o),
                self._speaker(o),
                o.topic,
                o.location,
                departments,
                occurrence_reason_text(o.reason),
            )  # fmt: skip

    def lectures(self, occurrences: list[Occurrence]) -> list[tuple[Cell, ...]]:
        return [
            (
                o.start.astimezone(self.zone).date().isoformat(),
                hhmm(o.start.astimezone(self.zone)),
                self._speaker(o),
                o.topic,
                o.location,
                labels.OCCURRENCE_STATUS.get(o.status, o.status),
                self._held(o),
            )
            for o in occurrences
            if self.schedules[o.schedule_id].kind == "lecture"
        ]

    def campaigns(self, occurrences: list[Occurrence]) -> list[tuple[Cell, ...]]:
        return [
            (
                self.schedules[o.schedule_id].title,
                o.start.astimezone(self.zone).date().isoformat(),
                _last_day(o, self.zone),
                o.location,
                _departments(self.schedules[o.schedule_id]),
                labels.OCCURRENCE_STATUS.get(o.status, o.status),
                self._held(o),
            )
            for o in occurrences
            if self.schedules[o.schedule_id].kind == "campaign"
        ]

    def _held(self, o: Occurrence) -> str:
        if not o.is_happening:
            return labels.NOT_HELD
        if o.end <= self.now:
            return labels.HELD
        return labels.UPCOMING if o.start > self.now else labels.IN_PROGRESS

    def _original(self, o: Occurrence) -> str:
        if o.original_start == o.start:
            return ""
        return day_and_minute(o.original_start.astimezone(self.zone))

    def _speaker(self, o: Occurrence) -> str:
        return self.speakers.get(o.speaker_id, "") if o.speaker_id is not None else ""


def _last_day(o: Occurrence, zone: ZoneInfo) -> str:
    """All-day DTEND is exclusive; people read the last day."""
    return (o.end.astimezone(zone).date() - timedelta(days=1)).isoformat()


def _departments(schedule: Schedule) -> str:
    if schedule.is_for_everyone:
        return labels.EVERYONE
    return labels.LIST_SEPARATOR.join(d.name for d in schedule.departments)


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    query = select(Person.id, Person.name).where(Person.id.in_(wanted))
    return dict(session.execute(query).all())


def _study(session: Session, start: date, end: date, now: datetime) -> list[tuple[Cell, ...]]:
    """Progress, as of the export, of the items of every plan whose year the range touches."""
    query = select(StudyPlan.id).where(StudyPlan.year.between(start.year, end.year))
    rows: list[tuple[Cell, ...]] = []
    for plan_id in session.scalars(query.order_by(StudyPlan.year)):
        report = progress(session, plan_id, now)
        names = {pid: person.name for pid, (person, _) in report.people.items()}
        for item in report.items:
            rows.append((
                report.plan.year,
                item.title,
                item.due_on.isoformat(),
                item.audience,
                item.confirmed,
                f"{item.rate:.0%}",
                labels.LIST_SEPARATOR.join(names.get(i, str(i)) for i in item.overdue_ids),
            ))  # fmt: skip
    return rows


def _deliveries(session: Session, window: Window, zone: ZoneInfo) -> Iterator[tuple[Cell, ...]]:
    """Reminders due in the range (``delivery_conditions``), with what became of each,
    read as plain columns (one joined query, no objects) in batches (a server-side
    cursor on PostgreSQL): a year of a county's outbox is never held at once."""
    query = (
        select(
            Delivery.due_at, Delivery.sent_at, Person.name, Delivery.schedule_id,
            Schedule.title, Delivery.notice, Delivery.occurrence_start_at, ReminderRule.name,
            Delivery.status, Delivery.error_code, Delivery.reason,
        )
        .join(Person, Delivery.person_id == Person.id)
        .outerjoin(Schedule, Delivery.schedule_id == Schedule.id)
        .outerjoin(ReminderRule, Delivery.rule_id == ReminderRule.id)
        .where(*delivery_conditions(window))
        .order_by(Delivery.due_at, Delivery.id)
        .execution_options(yield_per=_BATCH)
    )  # fmt: skip

    # A year's instants due and of occurrences repeat (a reminder for each person): each
    # is formatted once. Those sent differ by the second, so those are not kept.
    formatted: dict[datetime, str] = {}

    def local(instant: datetime) -> str:
        text = formatted.get(instant)
        if text is None:
            text = formatted[instant] = day_and_minute(instant.astimezone(zone))
        return text

    # Core rows straight from the connection: the ORM's handling of them cost more than
    # formatting them (the session's transaction, so the same snapshot and cursor).
    for row in session.connection().execute(query):
        budget.check()
        due, sent, person, schedule_id, title, notice, occurrence, rule, status, code, why = row
        page_link = is_page_link_row(schedule_id, notice)
        yield (
            local(due),
            day_and_minute(sent.astimezone(zone)) if sent else "",
            person,
            # A change notice of a deleted schedule keeps no schedule (its text names it).
            title if schedule_id is not None else "个人页面链接" if page_link else "已删除的日程",
            local(occurrence),
            # The rule's name; a row without one is a change notice, or a staff page link
            # sent from the console.
            rule if rule is not None else "个人页面链接" if page_link else "变更通知",
            labels.DELIVERY_STATUS.get(status, status),
            code or "",
            delivery_reason(why),
        )
