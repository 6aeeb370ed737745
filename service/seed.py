"""Load the 蟒河镇 demo data (``pufa seed --demo``).

The data live in ``demo/manghe.yaml``. Loading is idempotent: rows are matched by their
natural key (department and person name, schedule title, plan year) and only missing
ones are created. The whole file is validated before anything is written, and the
writes share one transaction, so a bad file leaves the database untouched.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from itertools import cycle
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from dateutil.rrule import rrulestr
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from .domain.schedules import NOTIFIED_KINDS
from .models import (
    Department,
    OccurrenceOverride,
    Person,
    ReminderRule,
    Schedule,
    StudyItem,
    StudyPlan,
)
from .phones import PhoneError, normalize_mobile

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "manghe.yaml"
_LEAD = re.compile(r"^(-?)(\d+)([dhm])$")


class SeedError(Exception):
    """The demo file is malformed: names the file, the entry and the reason."""


def parse_lead(text: str) -> int:
    """'7d' -> 10080 minutes before; '-1d' -> 1440 minutes after."""
    match = _LEAD.match(text.strip())
    if not match:
        raise ValueError(f"lead {text!r} must look like 7d, 2h or 30m")
    sign, amount, unit = match.groups()
    minutes = int(amount) * {"d": 1440, "h": 60, "m": 1}[unit]
    return -minutes if sign else minutes


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DepartmentIn(_Model):
    name: str = Field(min_length=1, max_length=100)
    head: str | None = None
    description: str = ""


class PersonIn(_Model):
    name: str = Field(min_length=1, max_length=100)
    mobile: str
    role: Literal["staff", "head", "leader"] = "staff"
    departments: list[str] = []
    sms: bool = True

    @field_validator("mobile")
    @classmethod
    def _e164(cls, value: str) -> str:
        try:
            return normalize_mobile(value)
        except PhoneError as error:
            raise ValueError(str(error)) from None


class RuleIn(_Model):
    name: str
    lead: str
    template: str
    recipients: Literal["audience", "speaker", "unconfirmed", "overdue_heads"] = "audience"
    routine: bool = True

    @field_validator("lead")
    @classmethod
    def _lead(cls, value: str) -> str:
        parse_lead(value)
        return value


class AudienceIn(_Model):
    everyone: bool = False
    departments: list[str] = []
    people: list[str] = []


class RotaIn(_Model):
    weeks: Annotated[int, Field(ge=1, le=520)]
    speakers: list[str] = Field(min_length=1)
    topics: list[str] = Field(min_length=1)


class ScheduleIn(_Model):
    title: str = Field(min_length=1, max_length=200)
    kind: Literal["lecture", "campaign", "deadline", "meeting"]
    description: str = ""
    location: str = ""
    start: datetime | date
    all_day: bool = False
    duration_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 60
    duration_days: Annotated[int, Field(ge=1, le=31)] = 1
    rrule: str | None = None
    holiday_policy: Literal["keep", "skip", "next_workday", "previous_workday"] = "keep"
    audience: AudienceIn
    rota: RotaIn | None = None
    rules: list[RuleIn] = []

    @field_validator("rrule")
    @classmethod
    def _rrule(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                rrulestr(value, dtstart=datetime(2026, 1, 1))  # noqa: DTZ001 - syntax only
            except (ValueError, TypeError) as error:
                raise ValueError(f"invalid RRULE: {error}") from None
        return value


class ItemIn(_Model):
    title: str
    material: str = ""
    due: date


class PlanIn(_Model):
    year: Annotated[int, Field(ge=2000, le=2100)]
    title: str
    items: list[ItemIn]


class DemoIn(_Model):
    org: str
    timezone: str = "Asia/Shanghai"
    departments: list[DepartmentIn]
    people: list[PersonIn]
    schedules: list[ScheduleIn]
    study_plans: list[PlanIn] = []
    study_rules: list[RuleIn] = []


def load_demo_file(path: Path = DEMO_FILE) -> DemoIn:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SeedError(f"{path}: cannot be read: {error}") from None
    try:
        demo = DemoIn.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = _describe_location(raw, first["loc"])
        raise SeedError(f"{path}: {where}: {first['msg']}") from None
    _check_references(path, demo)
    return demo


def _describe_location(raw: Any, loc: tuple[int | str, ...]) -> str:
    """'people[3] (孙丽).mobile' rather than a bare index path."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int):
            parts[-1] += f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            label = node.get("name") or node.get("title") if isinstance(node, dict) else None
            if label:
                parts[-1] += f" ({label})"
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "top level"


def _check_references(path: Path, demo: DemoIn) -> None:
    departments = {d.name for d in demo.departments}
    people = {p.name for p in demo.people}
    problems: list[str] = []
    for i, p in enumerate(demo.people):
        problems += [
            f"people[{i}] ({p.name}).departments: unknown department {d!r}"
            for d in p.departments
            if d not in departments
        ]
    for i, d in enumerate(demo.departments):
        if d.head and d.head not in people:
            problems.append(f"departments[{i}] ({d.name}).head: unknown person {d.head!r}")
    for i, s in enumerate(demo.schedules):
        where = f"schedules[{i}] ({s.title})"
        problems += [
            f"{where}.audience: unknown department {d!r}"
            for d in s.audience.departments
            if d not in departments
        ]
        names = s.audience.people + (s.rota.speakers if s.rota else [])
        problems += [f"{where}: unknown person {n!r}" for n in names if n not in people]
    if problems:
        raise SeedError(f"{path}: {problems[0]}")


def _check_no_clash(demo: DemoIn, people: dict[str, Person]) -> None:
    """Refuse, before anything is written, a demo person whose name is missing but whose
    mobile someone already has: typically a demo person renamed since the last load.
    Matching by name would create them again, and the mobile is unique."""
    holders = {p.mobile: p.name for p in people.values() if p.mobile}
    for p in demo.people:
        holder = holders.get(p.mobile) if p.mobile else None
        if p.name not in people and holder is not None:
            raise SeedError(
                f"demo person {p.name!r} has mobile ***{(p.mobile or '')[-4:]}, which "
                f"{holder!r} already has (renamed since the last load?); nothing was written"
            )


def seed(session: Session, demo: DemoIn) -> dict[str, int]:
    """Create what is missing; return how many rows of each kind were created."""
    zone = ZoneInfo(demo.timezone)
    created = {"departments": 0, "people": 0, "schedules": 0, "study_plans": 0}

    departments = {d.name: d for d in session.scalars(select(Department))}
    for d in demo.departments:
        if d.name not in departments:
            departments[d.name] = Department(name=d.name, description=d.description)
            session.add(departments[d.name])
            created["departments"] += 1

    people = {p.name: p for p in session.scalars(select(Person))}
    _check_no_clash(demo, people)
    for p in demo.people:
        if p.name not in people:
            people[p.name] = Person(
                name=p.name,
                mobile=p.mobile,
                role=p.role,
                is_sms_enabled=p.sms,
                departments=[departments[d] for d in p.departments],
            )
            session.add(people[p.name])
            created["people"] += 1
    session.flush()
    for d in demo.departments:
        if d.head and departments[d.name].head_id is None:
            departments[d.name].head = people[d.head]

    existing = set(session.scalars(select(Schedule.title)))
    for s in demo.schedules:
        if s.title in existing:
            continue
        schedule = _schedule(s, zone, departments, people)
        session.add(schedule)
        session.flush()
        if s.rota:
            _seed_rota(session, schedule, s.rota, zone, people)
        created["schedules"] += 1

    years = set(session.scalars(select(StudyPlan.year)))
    for plan_in in demo.study_plans:
        if plan_in.year in years:
            continue
        plan = StudyPlan(year=plan_in.year, title=plan_in.title)
        for item_in in plan_in.items:
            deadline = ScheduleIn(
                title=f"学法截止：{item_in.title}（{plan_in.year}）",
                kind="deadline",
                description=item_in.material,
                start=item_in.due,
                all_day=True,
                audience=AudienceIn(everyone=True),
                rules=demo.study_rules,
            )
            plan.items.append(
                StudyItem(
                    title=item_in.title,
                    material=item_in.material,
                    due_on=item_in.due,
                    schedule=_schedule(deadline, zone, departments, people),
                )
            )
        session.add(plan)
        created["study_plans"] += 1
    session.flush()
    return created


def _schedule(
    s: ScheduleIn,
    zone: ZoneInfo,
    departments: dict[str, Department],
    people: dict[str, Person],
) -> Schedule:
    if isinstance(s.start, datetime):
        local_start = s.start.replace(tzinfo=zone)
    else:
        local_start = datetime.combine(s.start, time(0), tzinfo=zone)
    return Schedule(
        kind=s.kind,
        title=s.title,
        description=s.description,
        location=s.location,
        timezone=zone.key,
        starts_at=local_start.astimezone(UTC),
        is_all_day=s.all_day,
        duration_minutes=s.duration_minutes,
        duration_days=s.duration_days,
        rrule=s.rrule,
        holiday_policy=s.holiday_policy,
        # As a schedule made through the API or the console: notices on where the kind
        # has them by default (lectures and meetings).
        change_notices=s.kind in NOTIFIED_KINDS,
        is_for_everyone=s.audience.everyone,
        departments=[departments[d] for d in s.audience.departments],
        people=[people[p] for p in s.audience.people],
        rules=[
            ReminderRule(
                name=r.name,
                lead_minutes=parse_lead(r.lead),
                template=r.template,
                recipients=r.recipients,
                is_routine=r.routine,
            )
            for r in s.rules
        ],
    )


def _seed_rota(
    session: Session,
    schedule: Schedule,
    rota: RotaIn,
    zone: ZoneInfo,
    people: dict[str, Person],
) -> None:
    """Give the first ``rota.weeks`` occurrences a speaker and topic, round-robin."""
    assert schedule.rrule
    local_start = schedule.starts_at.astimezone(zone).replace(tzinfo=None)
    starts = rrulestr(schedule.rrule, dtstart=local_start)
    speakers, topics = cycle(rota.speakers), cycle(rota.topics)
    for index, local in enumerate(starts):
        if index >= rota.weeks:
            break
        session.add(
            OccurrenceOverride(
                schedule_id=schedule.id,
                original_start_at=local.replace(tzinfo=zone).astimezone(UTC),
                speaker=people[next(speakers)],
                topic=next(topics),
            )
        )
