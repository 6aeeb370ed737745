"""``GET /api/v1/occurrences``: the expanded plan, as staff and the SMS planner see it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, ConfigDict, Field

from ..context import db_session, pufa
from ..domain.common import Id, plausible_day
from ..errors import Invalid
from ..models import utcnow
from ..occurrences.cursor import Cursor
from ..occurrences.expand import Occurrence
from ..occurrences.listing import Filters, Listing, Page, list_occurrences, window_for
from .common import blueprint_options

bp = APIBlueprint("occurrences", __name__, **blueprint_options("occurrences"))


class OccurrenceQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str | None = Field(
        None,
        alias="from",
        description="Start of the window: a date (local midnight) or an ISO date-time. "
        "Default: today.",
    )
    to: str | None = Field(
        None,
        description="End of the window: a date (inclusive) or an ISO date-time "
        "(exclusive). Default: 31 days after the start. At most 10 years.",
    )
    schedule_id: Id | None = None
    person_id: Id | None = Field(None, description="Schedules whose audience has them")
    department_id: Id | None = None
    kind: Literal["lecture", "campaign", "deadline", "meeting"] | None = None
    after: str | None = Field(
        None,
        max_length=100,
        description="Cursor: begin right after this occurrence. Pass back the previous "
        "answer's `next` as it is (`<start>|<schedule id>|<original start>`, instants in "
        "UTC). Every page then costs about what the first one does. Not with `page`.",
    )
    page: int = Field(
        1,
        ge=1,
        description="Page number, counted from the window's start. A deep page costs more "
        "than the first (the pages before it are computed and passed over): walk a long "
        "window with `after` instead.",
    )
    per_page: int = Field(100, ge=1, le=500)
    count: bool = Field(
        False,
        description="Compute `total` exactly, whatever the page: this expands the whole "
        "window, so it costs what the window holds, not what the page holds.",
    )


class ScheduleRef(BaseModel):
    id: int
    title: str
    kind: str


class SpeakerRef(BaseModel):
    id: int
    name: str


class OccurrenceOut(BaseModel):
    schedule: ScheduleRef
    original_start: datetime
    start: datetime
    end: datetime
    all_day: bool
    status: Literal["scheduled", "moved", "cancelled", "holiday_skipped", "holiday_moved"]
    is_happening: bool
    speaker: SpeakerRef | None
    topic: str
    location: str
    reason: str


class OccurrencePage(BaseModel):
    start: datetime
    end: datetime
    page: int
    per_page: int
    total: int | None = Field(
        description="How many occurrences the window holds: always with `count=true`; "
        "without it only when this page reaches the end of the window and was asked "
        "for by `page` (then it is known for free), else null."
    )
    next: str | None = Field(
        description="Cursor for the following page (pass it as `after`); null on the last."
    )
    items: list[OccurrenceOut]


@bp.get("/occurrences", responses={200: OccurrencePage})
def get_occurrences(query: OccurrenceQuery) -> dict[str, object]:
    """Occurrences of the matching schedules in the window, sorted by start (then
    schedule id, then original start). A page costs what it holds: walk a long window
    with `after` (each answer's `next`), not deep `page` numbers."""
    zone = pufa().settings.zone
    start, end = _when(query.from_, "from"), _when(query.to, "to")
    window = window_for(start, end, zone, utcnow().astimezone(zone).date())
    filters = Filters(query.schedule_id, query.person_id, query.department_id, query.kind)
    listing = list_occurrences(db_session(), window, filters, _page(query))
    page = OccurrencePage(
        start=window.start,
        end=window.end,
        page=query.page,
        per_page=query.per_page,
        total=listing.total,
        next=str(listing.next) if listing.next is not None else None,
        items=[_out(o, listing) for o in listing.occurrences],
    )
    return page.model_dump(mode="json")


def _page(query: OccurrenceQuery) -> Page:
    after = Cursor.parse(query.after) if query.after is not None else None
    if after is not None and query.page != 1:
        reason = "give either a cursor (after) or a page number, not both"
        raise Invalid(reason, fields={"after": reason, "page": reason})
    return Page(query.per_page, query.page, after, query.count)


def _when(value: str | None, field: str) -> date | datetime | None:
    """A date (YYYY-MM-DD) or an ISO 8601 date-time, else 422 naming the field."""
    if value is None:
        return None
    try:
        when = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        reason = "must be a date (YYYY-MM-DD) or an ISO 8601 date-time"
        raise Invalid(f"{field}: {reason}", fields={field: reason}) from None
    try:
        plausible_day(when.date() if isinstance(when, datetime) else when)
    except ValueError as error:
        raise Invalid(f"{field}: {error}", fields={field: str(error)}) from None
    return when


def _out(occurrence: Occurrence, listing: Listing) -> OccurrenceOut:
    schedule = listing.schedules[occurrence.schedule_id]
    speaker = listing.speakers.get(occurrence.speaker_id or 0)
    return OccurrenceOut(
        schedule=ScheduleRef(id=schedule.id, title=schedule.title, kind=schedule.kind),
        original_start=occurrence.original_start,
        start=occurrence.start,
        end=occurrence.end,
        all_day=occurrence.is_all_day,
        status=occurrence.status,  # type: ignore[arg-type]
        is_happening=occurrence.is_happening,
        speaker=SpeakerRef(id=speaker.id, name=speaker.name) if speaker else None,
        topic=occurrence.topic,
        location=occurrence.location,
        reason=occurrence.reason,
    )
