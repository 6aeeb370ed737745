"""The workday calendar (``GET /api/v1/workdays``) and the admins' holiday overrides.

Writes carry optimistic concurrency: every row has a ``version``, sent as the ETag; PUT
and DELETE need ``If-Match`` (428 without it, 412 when stale), so two admins editing the
same day cannot silently overwrite each other. Every write leaves an audit entry.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from flask import Response, g, jsonify, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import extract, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..app import db_session
from ..errors import Conflict, NotFound, PreconditionFailed, PreconditionRequired
from ..models import AuditEntry, HolidayOverride
from ..occurrences.query import workday_calendar
from ..occurrences.workdays import WorkdayCalendar, year_status
from . import SECURITY

bp = APIBlueprint(
    "workdays",
    __name__,
    url_prefix="/api/v1",
    abp_security=SECURITY,
    abp_tags=[Tag(name="workdays", description="Holidays, 调休 and admin overrides")],
)
FIRST_YEAR, LAST_YEAR = 2000, 2100
RESOURCE = "holiday_override"


class YearQuery(BaseModel):
    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)


class OptionalYearQuery(BaseModel):
    year: int | None = Field(None, ge=FIRST_YEAR, le=LAST_YEAR)


DayKind = Literal["weekend", "holiday", "makeup_workday", "workday"]


class DayOut(BaseModel):
    date: date
    is_workday: bool
    kind: DayKind
    source: Literal["official", "provisional", "override"]
    name: str


class YearOut(BaseModel):
    year: int
    status: Literal["official", "provisional"]
    overridden_days: int
    days: list[DayOut]


class OverrideIn(BaseModel):
    day: date
    is_workday: bool
    name: str = Field("", max_length=100)

    @field_validator("day")
    @classmethod
    def _in_range(cls, value: date) -> date:
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"must be in the years {FIRST_YEAR}–{LAST_YEAR}")
        return value


class OverrideOut(OverrideIn):
    id: int
    version: int


class OverridePath(BaseModel):
    override_id: int


@bp.get("/workdays", responses={200: YearOut})
def get_workdays(query: YearQuery) -> dict[str, Any]:
    """Every day off and every worked weekend (调休) of the year, with where it comes from."""
    calendar = workday_calendar(db_session())
    days = [
        DayOut(
            date=day,
            is_workday=calendar.is_workday(day),
            kind=_kind(calendar, day),
            source=calendar.source(day),
            name=calendar.name(day),
        )
        for day in calendar.notable_days(query.year)
    ]
    overridden = sum(1 for d in days if d.source == "override")
    out = YearOut(
        year=query.year, status=year_status(query.year), overridden_days=overridden, days=days
    )
    return out.model_dump(mode="json")


@bp.get("/holiday-overrides", responses={200: OverrideOut})
def list_overrides(query: OptionalYearQuery) -> dict[str, Any]:
    statement = select(HolidayOverride).order_by(HolidayOverride.day)
    if query.year is not None:
        statement = statement.where(extract("year", HolidayOverride.day) == query.year)
    rows = db_session().scalars(statement)
    return {"items": [_out(row).model_dump(mode="json") for row in rows]}


@bp.get("/holiday-overrides/<int:override_id>", responses={200: OverrideOut})
def get_override(path: OverridePath) -> Response:
    return _respond(_find(db_session(), path.override_id))


@bp.post("/holiday-overrides", responses={201: OverrideOut})
def create_override(body: OverrideIn) -> Response:
    session = db_session()
    _refuse_duplicate(session, body.day)
    row = HolidayOverride(day=body.day, is_workday=body.is_workday, name=body.name)
    session.add(row)
    _commit(session, row, "create", before=None)
    response = _respond(row, status=201)
    response.headers["Location"] = f"/api/v1/holiday-overrides/{row.id}"
    return response


@bp.put("/holiday-overrides/<int:override_id>", responses={200: OverrideOut})
def update_override(path: OverridePath, body: OverrideIn) -> Response:
    session = db_session()
    row = _find(session, path.override_id)
    _check_if_match(row)
    if body.day != row.day:
        _refuse_duplicate(session, body.day)
    before = _snapshot(row)
    row.day, row.is_workday, row.name = body.day, body.is_workday, body.name
    _commit(session, row, "update", before=before)
    return _respond(row)


@bp.delete("/holiday-overrides/<int:override_id>", responses={204: None})
def delete_override(path: OverridePath) -> Response:
    session = db_session()
    row = _find(session, path.override_id)
    _check_if_match(row)
    before = _snapshot(row)
    session.delete(row)
    _commit(session, row, "delete", before=before, deleted=True)
    return Response(status=204)


def _kind(calendar: WorkdayCalendar, day: date) -> DayKind:
    weekend = day.weekday() >= 5
    if calendar.is_workday(day):
        return "makeup_workday" if weekend else "workday"
    # An unnamed weekend day off is an ordinary weekend, not a holiday.
    return "weekend" if weekend and not calendar.name(day) else "holiday"


def _find(session: Session, override_id: int) -> HolidayOverride:
    row = session.get(HolidayOverride, override_id)
    if row is None:
        raise NotFound(f"There is no holiday override with id {override_id}.")
    return row


def _refuse_duplicate(session: Session, day: date) -> None:
    if session.scalar(select(HolidayOverride.id).where(HolidayOverride.day == day)):
        raise Conflict(
            f"{day.isoformat()} already has an override; change that one instead.",
            fields={"day": "already overridden"},
        )


def _etag(row: HolidayOverride) -> str:
    return f'"{row.version}"'


def _check_if_match(row: HolidayOverride) -> None:
    header = request.headers.get("If-Match")
    if header is None:
        raise PreconditionRequired(
            "Send If-Match with the ETag you read, so a concurrent change is not lost.",
            fields={"If-Match": "required"},
        )
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in tags and _etag(row) not in tags:
        raise PreconditionFailed(
            "The holiday override changed since you read it; read it again.",
            fields={"If-Match": f"stale; current ETag is {_etag(row)}"},
        )


def _commit(
    session: Session,
    row: HolidayOverride,
    action: str,
    before: dict[str, Any] | None,
    deleted: bool = False,
) -> None:
    try:
        session.flush()  # assigns the id and bumps the version before the audit entry
        session.add(
            AuditEntry(
                actor=g.actor,
                action=action,
                resource=RESOURCE,
                resource_id=str(row.id),
                before=before,
                after=None if deleted else _snapshot(row),
            )
        )
        session.commit()
    except StaleDataError:
        session.rollback()
        raise PreconditionFailed("The holiday override changed meanwhile; read it again.") from None
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "That day already has an override.", fields={"day": "already overridden"}
        ) from None


def _snapshot(row: HolidayOverride) -> dict[str, Any]:
    return _out(row).model_dump(mode="json")


def _out(row: HolidayOverride) -> OverrideOut:
    return OverrideOut(
        id=row.id, day=row.day, is_workday=row.is_workday, name=row.name, version=row.version
    )


def _respond(row: HolidayOverride, status: int = 200) -> Response:
    response = jsonify(_snapshot(row))
    response.status_code = status
    response.headers["ETag"] = _etag(row)
    return response
