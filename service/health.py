"""``GET /healthz``: is this process able to do its job, and what should an operator know."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from . import migrate
from .context import db_session
from .models import ClockHeartbeat, HolidayOverride, utcnow
from .occurrences.workdays import coverage

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    body: dict[str, Any] = {"status": "ok", "warnings": []}
    try:
        session = db_session()
        session.execute(text("SELECT 1"))
        body["database"] = "ok"
        body["migrations"] = _migrations(migrate.current_revision(session.connection()), body)
        body["clock"] = _clock(session.scalar(select(func.max(ClockHeartbeat.ticked_at))))
        overridden = {day.year for day in session.scalars(select(HolidayOverride.day))}
    except SQLAlchemyError as error:
        body.update(status="unavailable", database="unreachable", reason=type(error).__name__)
        return jsonify(body), 503
    cover = coverage(utcnow().year, overridden)
    body["holidays"] = cover
    for year in cover["provisional_years"]:
        adjusted = " and admin overrides" if year in overridden else ""
        body["warnings"].append(
            f"official holiday data missing for {year}: using rule-based provisional days"
            f"{adjusted}; enter the State Council's 调休 as holiday overrides"
        )
    if body["warnings"]:
        body["status"] = "degraded"
    return jsonify(body), 200


def _migrations(current: str | None, body: dict[str, Any]) -> dict[str, Any]:
    head = migrate.head_revision()
    if current != head:
        body["warnings"].append(f"database at migration {current}, code expects {head}")
    return {"current": current, "head": head, "is_current": current == head}


def _clock(last_tick_at: datetime | None) -> dict[str, Any]:
    if last_tick_at is None:
        return {"last_tick_at": None, "age_seconds": None}
    return {
        "last_tick_at": last_tick_at.isoformat(),
        "age_seconds": round((utcnow() - last_tick_at).total_seconds(), 1),
    }
