"""The console's front page: what happens in the next two weeks and what needs a look."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...context import db_session, pufa
from ...models import Delivery, DeliveryStatus, Person, utcnow
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
    return render_template(
        "admin/dashboard.html",
        occurrences=occurrences,
        schedules={s.id: s for s in schedules},
        names=person_names(session),
        recent=list(recent),
        attention=list(attention),
        holidays=coverage(now.astimezone(pufa().settings.zone).year),
        leave_requests=leave_requests(session, now),
        schedule_titles={s.id: s.title for s in schedules},
    )


def person_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Person.id, Person.name)).all())
