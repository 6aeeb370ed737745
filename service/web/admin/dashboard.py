"""The console's front page: what happens in the next two weeks and what needs a look.

It costs what it shows: the schedules come with just the overrides near the two weeks
(``occurrences.nearby``), the messages that need a look are the latest few of each
status (an index on ``status, updated_at``) and their counts stop past 10,000 as the
records list's do, and names are read for the people shown."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...context import db_session, pufa
from ...domain.deliveries import MAX_COUNTED, count_deliveries
from ...models import Delivery, DeliveryStatus, Person, Schedule, has_reminders, utcnow
from ...occurrences.expand import Window
from ...occurrences.merge import merged
from ...occurrences.nearby import schedules_for
from ...occurrences.query import workday_calendar
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
    window = Window(now, now + HORIZON)
    schedules, specs = schedules_for(session, window)
    occurrences = list(merged(specs, window, workday_calendar(session)))
    recent = list(session.scalars(select(Delivery).order_by(Delivery.updated_at.desc()).limit(10)))
    attention = latest_of(session, NEEDS_ATTENTION, 20)
    counts = {
        status: count_deliveries(session, [Delivery.status == status], exact=False)
        for status in NEEDS_ATTENTION
    }
    silent = session.scalar(select(func.count()).select_from(Schedule).where(~has_reminders()))
    requests = leave_requests(session, now)
    shown = {o.speaker_id for o in occurrences if o.speaker_id}
    shown |= {r.person_id for r in requests} | {d.person_id for d in recent + attention}
    by_id = {s.id: s for s in schedules}
    return render_template(
        "admin/dashboard.html",
        occurrences=occurrences,
        schedules=by_id,
        names=person_names(session, shown),
        recent=recent,
        attention=attention,
        holidays=coverage(now.astimezone(pufa().settings.zone).year),
        attention_counts=[(status, counts[status]) for status in NEEDS_ATTENTION],
        max_counted=MAX_COUNTED,
        without_reminders=silent or 0,
        leave_requests=requests,
        leave_keys=[record_key(by_id.get(r.schedule_id), r.original_start_at) for r in requests],
        schedule_titles={s.id: s.title for s in schedules},
    )


def latest_of(session: Session, statuses: Iterable[str], limit: int) -> list[Delivery]:
    """The ``limit`` deliveries of these statuses changed last: each status's own latest
    (read from its end of ``ix_deliveries_status_updated_at``), merged."""
    rows = [
        row
        for status in statuses
        for row in session.scalars(
            select(Delivery)
            .where(Delivery.status == status)
            .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
            .limit(limit)
        )
    ]
    return sorted(rows, key=lambda d: (d.updated_at, d.id), reverse=True)[:limit]


def person_names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    """Names of these people (of everyone without ``ids``)."""
    query = select(Person.id, Person.name)
    if ids is not None:
        query = query.where(Person.id.in_(sorted(ids)))
    return dict(session.execute(query).all())


def record_key(schedule: Schedule | None, original_start_at: datetime) -> str | None:
    """The occurrence's address on its records page (local wall-clock time)."""
    if schedule is None:
        return None
    local = original_start_at.astimezone(ZoneInfo(schedule.timezone))
    return local.replace(tzinfo=None).isoformat(timespec="minutes")
