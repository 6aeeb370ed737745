"""Copy a study plan to the next year for admins to edit (学法计划 year roll-over).

Each item's date moves by one calendar year (Feb 29 becomes Feb 28) and gets a new
deadline schedule with the same audience and reminder rules. Per-occurrence overrides
are not copied: they belong to last year's dates. Campaign days recur by RRULE and need
nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..errors import Conflict
from ..models import ReminderRule, Schedule, StudyItem, StudyPlan
from ..occurrences.rules import first_from
from .study import plan_with_items

ONE_YEAR = relativedelta(years=1)  # relativedelta clamps Feb 29 to Feb 28


def shift_date(day: date) -> date:
    shifted: date = day + ONE_YEAR
    return shifted


def rollover(session: Session, plan_id: int, *, now: datetime, actor: str) -> StudyPlan:
    plan = plan_with_items(session, plan_id)
    year = plan.year + 1
    if session.scalars(select(StudyPlan.id).where(StudyPlan.year == year)).first() is not None:
        raise Conflict(
            f"A {year} study plan already exists; edit it instead of rolling over.",
            fields={"year": str(year)},
            code="plan_exists",
        )
    new = StudyPlan(year=year, title=_next_year_text(plan.title, plan.year))
    for item in plan.items:
        new.items.append(
            StudyItem(
                title=item.title,
                material=item.material,
                due_on=shift_date(item.due_on),
                schedule=_copy_schedule(item.schedule, plan.year),
            )
        )
    try:
        with session.begin_nested():  # a concurrent roll-over loses on the unique year
            session.add(new)
    except IntegrityError:
        raise Conflict(f"A {year} study plan already exists.", code="plan_exists") from None
    audit.record(
        session,
        actor=actor,
        action="rollover",
        resource="study_plan",
        resource_id=new.id,
        before={"from_plan_id": plan.id, "year": plan.year},
        after={"year": year, "items": [i.title for i in new.items]},
        now=now,
    )
    session.flush()
    return new


def _next_year_text(text: str, year: int) -> str:
    return text.replace(str(year), str(year + 1))


def _copy_schedule(old: Schedule, year: int) -> Schedule:
    zone = old.timezone
    # Shift the wall-clock start, so an all-day deadline stays at local midnight; a
    # series starts at its first occurrence from there (a year on, a Monday is not).
    local = old.starts_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None) + ONE_YEAR
    if old.rrule:
        local = first_from(old.rrule, local, zone) or local
    return Schedule(
        kind=old.kind,
        title=_next_year_text(old.title, year),
        description=old.description,
        location=old.location,
        timezone=zone,
        starts_at=local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC),
        is_all_day=old.is_all_day,
        duration_minutes=old.duration_minutes,
        duration_days=old.duration_days,
        rrule=old.rrule,
        holiday_policy=old.holiday_policy,
        is_for_everyone=old.is_for_everyone,
        speaker_id=old.speaker_id,
        topic=old.topic,
        departments=list(old.departments),
        people=list(old.people),
        rules=[
            ReminderRule(
                name=r.name,
                lead_minutes=r.lead_minutes,
                template=r.template,
                recipients=r.recipients,
                is_routine=r.is_routine,
                window_minutes=r.window_minutes,
                is_enabled=r.is_enabled,
                options=dict(r.options or {}),
            )
            for r in old.rules
        ],
    )
