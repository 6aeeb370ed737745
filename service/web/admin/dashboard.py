"""The console's front page: what happens in the next two weeks and what needs a look."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...context import db_session, pufa
from ...models import Delivery, DeliveryStatus, Person, Schedule, has_reminders, utcnow
from ...occurrences.expand import Window
from ...occurrences.query import expand_all, load_schedules, workday_calendar
from ...occurrences.workdays import coverage
from ...records.leave import leave_requests
from ..blueprints import web_blueprint

bp = web_blueprint("web_admin", __name__, "/admin", admin=True)
NEEDS_ATTENTION = (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED, DeliveryStatus.UNKNOWN)
HORIZON = timedelta(days=14)


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    session = db_session()
    now = utcnow()
    schedules = load_schedules(session)
    occurrences = expand_all(schedules, Window(now, now + HORIZON), workday_calendar(session))
    recent = session.scalars(select(Delivery).order_by(Delivery.updated_at.desc()).limit(10))
    attention = session.scalars(
        select(Delivery)
        .where(Delivery.status.in_(NEEDS_ATTENTION))
        .order_by(Delivery.updated_at.desc())
        .limit(20)
    )
    counts = dict(
        session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.status.in_(NEEDS_ATTENTION))
            .group_by(Delivery.status)
        ).all()
    )
    silent = session.scalar(select(func.count()).select_from(Schedule).where(~has_reminders()))
    requests = leave_requests(session, now)
    by_id = {s.id: s for s in schedules}
    return render_template(
        "admin/dashboard.html",
        occurrences=occurrences,
        schedules=by_id,
        names=person_names(session),
        recent=list(recent),
        attention=list(attention),
        holidays=coverage(now.astimezone(pufa().settings.zone).year),
        attention_counts=[(status, counts.get(status, 0)) for status in NEEDS_ATTENTION],
        without_reminders=silent or 0,
        leave_requests=requests,
        leave_keys=[record_key(by_id.get(r.schedule_id), r.original_start_at) for r in requests],
        schedule_titles={s.id: s.title for s in schedules},
    )


def person_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Person.id, Person.name)).all())


def record_key(schedule: Schedule | None, original_start_at: datetime) -> str | None:
    """The occurrence's address on its records page (local wall-clock time)."""
    if schedule is None:
        return None
    local = original_start_at.astimezone(ZoneInfo(schedule.timezone))
    return local.replace(tzinfo=None).isoformat(timespec="minutes")
