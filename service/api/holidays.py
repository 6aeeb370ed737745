"""Routes: /api/v1/holiday-overrides, an admin's word on a day over the published calendar."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field

from ..context import db_session
from ..domain import holidays
from ..domain.common import Day, Id, InputModel, Label, committed, get_or_404
from ..domain.holidays import HolidayOverrideIn
from ..domain.queries import find_holiday_overrides
from ..models import HolidayOverride
from .common import (
    IfMatch,
    OutModel,
    PageMeta,
    PageQuery,
    actor,
    answer,
    blueprint_options,
    expected_version,
    no_content,
)

bp = APIBlueprint("holidays", __name__, **blueprint_options("administration"))


class HolidayOverrideOut(OutModel):
    id: int
    day: date
    is_workday: bool
    name: str
    version: int
    created_at: datetime
    updated_at: datetime


class HolidayOverridePatch(InputModel):
    day: Day | None = None
    is_workday: bool | None = None
    name: Label | None = None


class HolidayQuery(PageQuery):
    year: int | None = Field(default=None, ge=2000, le=2100)
    from_date: Day | None = None
    to_date: Day | None = None


class HolidayPage(PageMeta):
    items: list[HolidayOverrideOut]


class HolidayPath(BaseModel):
    override_id: Id


@bp.get("/holiday-overrides", responses={200: HolidayPage})
def list_holiday_overrides(query: HolidayQuery) -> Response:
    from_date, to_date = query.from_date, query.to_date
    if query.year is not None:
        from_date, to_date = date(query.year, 1, 1), date(query.year, 12, 31)
    rows, total = find_holiday_overrides(
        db_session(), query.window, from_date=from_date, to_date=to_date
    )
    items = [HolidayOverrideOut.of(r) for r in rows]
    return answer(HolidayPage(items=items, total=total, page=query.page, per_page=query.per_page))


@bp.post("/holiday-overrides", responses={201: HolidayOverrideOut})
def create_holiday_override(body: HolidayOverrideIn) -> Response:
    """Declare a day a holiday (is_workday false) or a make-up workday (调休, true).
    Wins over the published data; one per day (409 otherwise)."""
    with committed(db_session()) as session:
        row = holidays.create_holiday_override(session, actor(), body)
    location = f"/api/v1/holiday-overrides/{row.id}"
    return answer(HolidayOverrideOut.of(row), 201, row=row, location=location)


@bp.get("/holiday-overrides/<int:override_id>", responses={200: HolidayOverrideOut})
def get_holiday_override(path: HolidayPath) -> Response:
    row = get_or_404(db_session(), HolidayOverride, path.override_id, "Holiday override")
    return answer(HolidayOverrideOut.of(row), row=row)


@bp.patch("/holiday-overrides/<int:override_id>", responses={200: HolidayOverrideOut})
def update_holiday_override(
    path: HolidayPath, body: HolidayOverridePatch, header: IfMatch
) -> Response:
    with committed(db_session()) as session:
        row = get_or_404(session, HolidayOverride, path.override_id, "Holiday override")
        changes = body.model_dump(exclude_unset=True)
        holidays.update_holiday_override(session, actor(), row, changes, expected_version())
    return answer(HolidayOverrideOut.of(row), row=row)


@bp.delete("/holiday-overrides/<int:override_id>", responses={204: None})
def delete_holiday_override(path: HolidayPath, header: IfMatch) -> Response:
    with committed(db_session()) as session:
        row = get_or_404(session, HolidayOverride, path.override_id, "Holiday override")
        holidays.delete_holiday_override(session, actor(), row, expected_version())
    return no_content()
