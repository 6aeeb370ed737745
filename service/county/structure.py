"""The county's standing data: 站所, staff, schedules with their rules and overrides,
and the study plans. Rows are written with explicit ids into an empty database."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, update

from ..models import (
    Department,
    OccurrenceOverride,
    Person,
    ReminderRule,
    Schedule,
    StudyItem,
    StudyPlan,
    person_departments,
    schedule_departments,
)
from ..occurrences.expand import ScheduleSpec, original_starts
from . import words
from .bulk import insert_rows, table_of

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")
LECTURE_RULES = (
    ("讲座前一天提醒", 1440, "lecture_audience", "audience"),
    ("主讲人一周前提醒", 10080, "lecture_speaker", "speaker"),
    ("主讲人前一天提醒", 1440, "lecture_speaker", "speaker"),
)
MEETING_RULES = (("会议前一天提醒", 1440, "meeting_audience", "audience"),)
MEETING_SOON = ("会议前两小时提醒", 120, "meeting_audience", "audience")
CAMPAIGN_RULES = (
    ("宣传日准备提醒", 10080, "campaign_prepare", "audience"),
    ("宣传日前一天提醒", 1440, "campaign_day_before", "audience"),
)
STUDY_RULES = (
    ("学法截止前一周提醒", 10080, "study_deadline", "unconfirmed"),
    ("学法截止前一天提醒", 1440, "study_deadline", "unconfirmed"),
    ("学法逾期通报", -1440, "study_overdue", "overdue_heads"),
)


@dataclass
class Built:
    """What the history needs to know of the standing data."""

    members: dict[int, list[int]] = field(default_factory=dict)  # department -> people
    active: list[int] = field(default_factory=list)
    lectures: list[int] = field(default_factory=list)
    # (study item id, its due day)
    study_items: list[tuple[int, date]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class Writer:
    """Collects the rows of each table, then writes them in batches."""

    def __init__(self, rng: random.Random, zone: ZoneInfo, since: datetime, until: datetime):
        self.rng, self.zone, self.since, self.until = rng, zone, since, until
        self.stamp = since  # created_at / updated_at of the standing rows
        self.schedules: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self.rules: list[dict[str, Any]] = []
        self.overrides: list[dict[str, Any]] = []

    def schedule(
        self, *, audience: list[int], rules: tuple[tuple[str, int, str, str], ...], **values: Any
    ) -> int:
        sid = len(self.schedules) + 1
        row = {
            "id": sid, "kind": "meeting", "description": "", "location": "",
            "timezone": self.zone.key, "is_all_day": False, "duration_minutes": 60,
            "duration_days": 1, "rrule": None, "exdates": [], "holiday_policy": "keep",
            "is_for_everyone": False, "speaker_id": None, "topic": "", "change_notices": False,
            "created_at": self.stamp, "updated_at": self.stamp, "version": 1,
        }  # fmt: skip
        row.update(values)
        self.schedules.append(row)
        self.links += [{"schedule_id": sid, "department_id": d} for d in audience]
        for name, lead, template, recipients in rules:
            self.rules.append(
                {
                    "id": len(self.rules) + 1, "schedule_id": sid, "name": name,
                    "lead_minutes": lead, "template": template, "recipients": recipients,
                    "is_routine": lead > 600, "window_minutes": None, "is_enabled": True,
                    "options": {}, "created_at": self.stamp, "updated_at": self.stamp,
                    "version": 1,
                }
            )  # fmt: skip
        return sid

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, self.zone).astimezone(UTC)

    def originals(self, row: dict[str, Any], until: datetime) -> list[datetime]:
        spec = ScheduleSpec(
            id=row["id"],
            timezone=row["timezone"],
            start=row["starts_at"].astimezone(self.zone),
            duration=timedelta(minutes=row["duration_minutes"]),
            rrule=row["rrule"],
        )
        return original_starts(spec, spec.start, until)

    def override(self, sid: int, original: datetime, **values: Any) -> None:
        row = {
            "schedule_id": sid, "original_start_at": original.astimezone(UTC),
            "is_cancelled": False, "moved_start_at": None, "moved_duration_minutes": None,
            "speaker_id": None, "topic": None, "location": None, "note": "",
            "created_at": self.stamp, "updated_at": self.stamp, "version": 1,
        }  # fmt: skip
        row.update(values)
        self.overrides.append(row)


def department_name(index: int) -> str:
    return words.TOWNSHIPS[index // len(words.OFFICES)] + words.OFFICES[index % len(words.OFFICES)]


def build_directory(conn: Connection, w: Writer, departments: int, people: int) -> Built:
    rng, built = w.rng, Built()
    stamp = {"created_at": w.stamp, "updated_at": w.stamp, "version": 1}
    insert_rows(
        conn,
        table_of(Department),
        [
            {"id": d + 1, "name": department_name(d), "description": "", "head_id": None, **stamp}
            for d in range(departments)
        ],
    )
    person_rows, memberships = [], []
    for p in range(people):
        department = p % departments + 1
        is_head = p < departments
        built.members.setdefault(department, []).append(p + 1)
        is_active = is_head or rng.random() > 0.01
        if is_active:
            built.active.append(p + 1)
        given = "".join(rng.choice(words.GIVEN) for _ in range(rng.choice((1, 2, 2))))
        person_rows.append(
            {
                "id": p + 1, "name": rng.choice(words.SURNAMES) + given,
                # The demo's block of obviously made-up numbers: +86 139 0000 xxxx.
                "mobile": f"+86139{p + 1:08d}", "role": "head" if is_head else "staff",
                "is_active": is_active, "is_sms_enabled": rng.random() > 0.03,
                "is_sms_opted_out": False, **stamp,
            }
        )  # fmt: skip
        memberships.append({"person_id": p + 1, "department_id": department})
        town = (department - 1) // len(words.OFFICES)
        second = town * len(words.OFFICES) + rng.randrange(len(words.OFFICES)) + 1
        if not is_head and rng.random() < 0.05 and second != department and second <= departments:
            memberships.append({"person_id": p + 1, "department_id": second})
            built.members.setdefault(second, []).append(p + 1)
    insert_rows(conn, table_of(Person), person_rows)
    insert_rows(conn, person_departments, memberships)
    for d in range(departments):
        conn.execute(update(Department).where(Department.id == d + 1).values(head_id=d + 1))
    built.counts.update(departments=departments, people=people)
    return built


def build_schedules(conn: Connection, w: Writer, built: Built, schedules: int, years: int) -> None:
    departments = len(built.members)
    towns = -(-departments // len(words.OFFICES))
    items_per_year = len(words.STUDY_DUE) if schedules >= 100 else 2
    plans = [w.until.astimezone(w.zone).year - years + 1 + n for n in range(years)]
    fixed = departments + towns * len(words.CAMPAIGNS) + items_per_year * len(plans)
    if schedules < fixed:
        raise ValueError(f"{schedules} schedules cannot hold the {fixed} the county needs")
    first_day = w.since.astimezone(w.zone).date()
    _lectures(w, built, first_day)
    _campaigns(w, towns, departments, first_day)
    study = _study(w, plans, items_per_year)
    rest = schedules - fixed
    monthly = rest * 6 // 10
    for n in range(monthly):
        _monthly_meeting(w, built, n, first_day)
    for n in range(rest - monthly):
        _one_off(w, built, n)
    insert_rows(conn, table_of(Schedule), w.schedules)
    insert_rows(conn, schedule_departments, [link for link in w.links if link["department_id"]])
    insert_rows(conn, table_of(ReminderRule), w.rules)
    insert_rows(conn, table_of(OccurrenceOverride), w.overrides)
    insert_rows(conn, table_of(StudyPlan), study[0])
    insert_rows(conn, table_of(StudyItem), study[1])
    built.study_items = [(row["id"], row["due_on"]) for row in study[1]]
    built.counts.update(
        schedules=len(w.schedules), reminder_rules=len(w.rules), overrides=len(w.overrides)
    )


def _lectures(w: Writer, built: Built, first_day: date) -> None:
    rng, horizon = w.rng, w.until + timedelta(weeks=12)
    for d, members in sorted(built.members.items()):
        weekday = (d - 1) % len(WEEKDAYS)
        day = first_day + timedelta(days=(weekday - first_day.weekday()) % 7)
        name = department_name(d - 1)
        room = name[:3] + rng.choice(words.ROOMS)
        sid = w.schedule(
            audience=[d], rules=LECTURE_RULES, kind="lecture", title=f"{name}每周一讲",
            description="以讲促学，以学促干。每周一位干部主讲法律或业务知识。", location=room,
            starts_at=w.local(day, time(16, 0)), rrule=f"FREQ=WEEKLY;BYDAY={WEEKDAYS[weekday]}",
            holiday_policy="next_workday", speaker_id=members[0], topic=words.TOPICS[d % 16],
            change_notices=True,
        )  # fmt: skip
        built.lectures.append(sid)
        for original in w.originals(w.schedules[-1], horizon):
            change: dict[str, Any] = {
                "speaker_id": rng.choice(members),
                "topic": rng.choice(words.TOPICS),
            }
            draw = rng.random()
            if draw < 0.02:
                change = {"is_cancelled": True, "note": "与县里会议冲突，本周暂停"}
            elif draw < 0.05:
                change["moved_start_at"] = (original + timedelta(days=1)).astimezone(UTC)
                change["note"] = "调至次日同一时间"
            elif draw < 0.07:
                change["location"] = name[:3] + "党群服务中心"
            w.override(sid, original, **change)


def _campaigns(w: Writer, towns: int, departments: int, first_day: date) -> None:
    for town in range(towns):
        offices = [town * len(words.OFFICES) + k + 1 for k in range(len(words.OFFICES))]
        offices = [d for d in offices if d <= departments]
        for title, month, day, days in words.CAMPAIGNS:
            start = date(first_day.year, month, day)
            audience = w.rng.sample(offices, min(len(offices), w.rng.randint(2, 4)))
            w.schedule(
                audience=audience, rules=CAMPAIGN_RULES, kind="campaign",
                title=f"{words.TOWNSHIPS[town]}{title}",
                location=f"{words.TOWNSHIPS[town]}集市广场",
                starts_at=w.local(start, time(0)), is_all_day=True, duration_days=days,
                rrule=f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}",
            )  # fmt: skip


def _study(
    w: Writer, plans: list[int], per_year: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    plan_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    for year in plans:
        plan_id = len(plan_rows) + 1
        plan_rows.append(
            {"id": plan_id, "year": year, "title": f"全县 {year} 年度学法计划", "is_closed": False,
             "created_at": w.stamp, "updated_at": w.stamp, "version": 1}
        )  # fmt: skip
        for month, day in words.STUDY_DUE[-per_year:]:
            topic = words.TOPICS[len(item_rows) % len(words.TOPICS)]
            due = date(year, month, day)
            sid = w.schedule(
                audience=[], rules=STUDY_RULES, kind="deadline",
                title=f"学法截止：{topic}（{year}）",
                description=f"《{topic}》学习笔记", starts_at=w.local(due, time(0)),
                is_all_day=True, is_for_everyone=True,
            )  # fmt: skip
            item_rows.append(
                {"id": len(item_rows) + 1, "plan_id": plan_id, "title": topic,
                 "material": f"《{topic}》学习笔记", "due_on": due, "schedule_id": sid,
                 "created_at": w.stamp, "updated_at": w.stamp, "version": 1}
            )  # fmt: skip
    return plan_rows, item_rows


def _audience(w: Writer, built: Built, most: int) -> list[int]:
    departments = sorted(built.members)
    first = w.rng.choice(departments)
    town = [d for d in departments if (d - 1) // 5 == (first - 1) // 5 and d != first]
    return [first, *w.rng.sample(town, min(len(town), w.rng.randint(0, most - 1)))]


def _monthly_meeting(w: Writer, built: Built, n: int, first_day: date) -> None:
    rng = w.rng
    audience = _audience(w, built, 3)
    town = words.TOWNSHIPS[(audience[0] - 1) // 5]
    day = first_day + timedelta(days=rng.randrange(60))
    week, weekday = rng.randint(1, 4), rng.choice(WEEKDAYS)
    rules = MEETING_RULES + ((MEETING_SOON,) if n % 4 else ())
    sid = w.schedule(
        audience=audience, rules=rules, kind="meeting",
        title=f"{town}{words.MEETINGS[n % len(words.MEETINGS)]}（{n + 1}）",
        location=town + rng.choice(words.ROOMS), duration_minutes=90,
        starts_at=w.local(day, time(rng.choice((9, 14)), rng.choice((0, 30)))),
        rrule=f"FREQ=MONTHLY;BYDAY={week}{weekday}", holiday_policy="next_workday",
        change_notices=True,
    )  # fmt: skip
    for original in w.originals(w.schedules[-1], w.until + timedelta(days=90)):
        draw = rng.random()
        if draw < 0.03:
            w.override(sid, original, is_cancelled=True, note="改为书面传达")
        elif draw < 0.08:
            moved = original + timedelta(days=rng.choice((1, 2)))
            w.override(sid, original, moved_start_at=moved.astimezone(UTC), note="领导下村，顺延")
        elif draw < 0.10:
            w.override(sid, original, location=town + "党群服务中心")


def _one_off(w: Writer, built: Built, n: int) -> None:
    rng = w.rng
    audience = _audience(w, built, 2)
    town = words.TOWNSHIPS[(audience[0] - 1) // 5]
    span = (w.until - w.since).days + 90
    day = (w.since + timedelta(days=rng.randrange(span))).astimezone(w.zone).date()
    w.schedule(
        audience=audience, rules=MEETING_RULES, kind="meeting",
        title=f"{town}{words.ONE_OFF[n % len(words.ONE_OFF)]}",
        location=town + rng.choice(words.ROOMS), duration_minutes=120,
        starts_at=w.local(day, time(rng.choice((9, 10, 14, 15)))),
    )  # fmt: skip


__all__ = ["Built", "Writer", "build_directory", "build_schedules", "department_name"]
