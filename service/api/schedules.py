"""Routes: /api/v1/schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from flask import Response, current_app, g, request
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field

from ..context import db_session
from ..domain import schedules as admin
from ..domain.common import (
    Day,
    Id,
    IdList,
    InputModel,
    Label,
    Line,
    LongText,
    Title,
    When,
    committed,
    get_or_404,
)
from ..domain.queries import ScheduleFilter, find_schedules, schedule_values
from ..domain.schedules import HolidayPolicy, Kind, ScheduleIn
from ..errors import Invalid
from ..feeds.fast.cache import LruCache
from ..models import Schedule
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

bp = APIBlueprint("schedules", __name__, **blueprint_options("schedules"))
# Pages of the list kept per web process (``_kept_pages``): at most 100 schedules each.
_KEPT_PAGES = 256


class ScheduleOut(OutModel):
    id: int
    kind: str
    title: str
    description: str
    location: str
    timezone: str
    start: datetime = Field(description="First start, with the offset of `timezone`")
    starts_at: datetime = Field(description="First start in UTC")
    is_all_day: bool
    duration_minutes: int
    duration_days: int
    rrule: str | None
    exdates: list[str] = Field(description="Excluded local wall-clock starts")
    holiday_policy: str
    is_for_everyone: bool
    department_ids: list[int]
    person_ids: list[int]
    speaker_id: int | None
    topic: str
    change_notices: bool = Field(
        description="People already reminded get a 变更通知 when an occurrence changes"
    )
    has_reminders: bool = Field(
        description="Some reminder rule is enabled; false: nobody gets an SMS about it"
    )
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of_schedule(cls, schedule: Schedule) -> ScheduleOut:
        return cls.of(
            schedule,
            start=local_start_of(schedule.starts_at, schedule.timezone),
            department_ids=sorted(d.id for d in schedule.departments),
            person_ids=sorted(p.id for p in schedule.people),
        )


def local_start_of(starts_at: datetime, timezone: str) -> datetime:
    """``start``: the first start with the offset of the schedule's timezone."""
    return starts_at.astimezone(ZoneInfo(timezone))


class SchedulePatch(InputModel):
    """Only the fields given change; the result is validated as a whole."""

    kind: Kind | None = None
    title: Title | None = None
    description: LongText | None = None
    location: Line | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    start: When | None = None
    is_all_day: bool | None = None
    duration_minutes: Annotated[int, Field(ge=1, le=admin.MAX_MINUTES)] | None = None
    duration_days: Annotated[int, Field(ge=1, le=366)] | None = None
    end: When | None = None
    rrule: Annotated[str, Field(max_length=500)] | None = None
    exdates: Annotated[list[When], Field(max_length=500)] | None = None
    holiday_policy: HolidayPolicy | None = None
    is_for_everyone: bool | None = None
    department_ids: IdList | None = None
    person_ids: IdList | None = None
    speaker_id: Id | None = None
    topic: Line | None = None
    change_notices: bool | None = None


class SchedulesQuery(PageQuery):
    kind: Kind | None = None
    department_id: Id | None = Field(default=None, description="Addressed to this department")
    person_id: Id | None = Field(
        default=None, description="In the audience (everyone, directly or by department) or speaker"
    )
    q: Label | None = Field(default=None, description="Part of title, description, place, topic")
    from_date: Day | None = Field(default=None, description="Has an occurrence on or after")
    to_date: Day | None = Field(default=None, description="Has an occurrence on or before")


class SchedulesPage(PageMeta):
    items: list[ScheduleOut]


class SchedulePath(BaseModel):
    schedule_id: Id


def _kept_pages() -> LruCache[bytes]:
    """Pages of the list as sent, each under the change mark it was read at and its
    query: any write to the tables a page is made of (schedules, their audiences and
    rules, people, departments) changes the mark (database triggers, ``models.changes``),
    after which the page is no longer asked for and falls out. Each web process has its
    own, as it has its feeds'."""
    pages: LruCache[bytes] | None = current_app.extensions.get("pufa_schedule_pages")
    if pages is None:  # the process's first list: made once, not on every request
        pages = current_app.extensions.setdefault("pufa_schedule_pages", LruCache(_KEPT_PAGES))
    return pages


@bp.get("/schedules", responses={200: SchedulesPage})
def list_schedules(query: SchedulesQuery) -> Response:
    """Schedules, filtered by kind, department, person, text and date range."""
    if query.from_date and query.to_date and query.to_date < query.from_date:
        raise Invalid("to_date is before from_date.", fields={"to_date": "before from_date"})
    # A page depends on its query and the rows alone (not on the caller or the time), so
    # one asked for again with nothing changed is sent as it was.
    mark = g.get("change_mark")
    key = (mark, request.query_string)
    if mark is not None and (kept := _kept_pages().get(key)) is not None:
        return Response(kept, 200, mimetype="application/json")
    where = ScheduleFilter(
        kind=query.kind,
        department_id=query.department_id,
        person_id=query.person_id,
        q=query.q,
        from_date=query.from_date,
        to_date=query.to_date,
    )
    rows, total = find_schedules(db_session(), query.window, where)
    items = schedule_values(rows)
    for item in items:
        item["start"] = local_start_of(item["starts_at"], item["timezone"])
    # Validated as one page, in one call into pydantic rather than one per schedule.
    page = {"items": items, "total": total, "page": query.page, "per_page": query.per_page}
    response = answer(SchedulesPage.model_validate(page))
    if mark is not None:
        _kept_pages().put(key, response.get_data())
    return response


@bp.post("/schedules", responses={201: ScheduleOut})
def create_schedule(body: ScheduleIn) -> Response:
    """Create a schedule. Times are local to `timezone`; RRULE, timezone and referenced
    ids are checked (422 names the field)."""
    with committed(db_session()) as session:
        row = admin.create_schedule(session, actor(), body)
    location = f"/api/v1/schedules/{row.id}"
    return answer(ScheduleOut.of_schedule(row), 201, row=row, location=location)


@bp.get("/schedules/<int:schedule_id>", responses={200: ScheduleOut})
def get_schedule(path: SchedulePath) -> Response:
    row = get_or_404(db_session(), Schedule, path.schedule_id, "Schedule")
    return answer(ScheduleOut.of_schedule(row), row=row)


@bp.patch("/schedules/<int:schedule_id>", responses={200: ScheduleOut})
def update_schedule(path: SchedulePath, body: SchedulePatch, header: IfMatch) -> Response:
    """Change a schedule; needs If-Match (428 without, 412 if someone changed it first)."""
    with committed(db_session()) as session:
        row = get_or_404(session, Schedule, path.schedule_id, "Schedule")
        changes = body.model_dump(exclude_unset=True)
        admin.update_schedule(session, actor(), row, changes, expected_version())
    return answer(ScheduleOut.of_schedule(row), row=row)


@bp.delete("/schedules/<int:schedule_id>", responses={204: None})
def delete_schedule(path: SchedulePath, header: IfMatch) -> Response:
    """Delete a schedule with its overrides and rules (a study deadline: 409)."""
    with committed(db_session()) as session:
        row = get_or_404(session, Schedule, path.schedule_id, "Schedule")
        admin.delete_schedule(session, actor(), row, expected_version())
    return no_content()
