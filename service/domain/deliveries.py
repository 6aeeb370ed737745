"""What asks for the outbox: filters of the deliveries list and of the SMS preview, and
the list itself, a page at a time (the API and the console's 短信记录 read the same)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import LoaderOption

from ..models import STATUSES, Delivery
from .common import Id, plausible_day

Status = Literal[STATUSES]  # type: ignore[valid-type]


def _iso_only(value: object) -> object:
    # pydantic would read "0.5" as a Unix time; the API promises ISO 8601 only.
    if not isinstance(value, str) or not _ISO.fullmatch(value):
        raise ValueError(
            "must be an ISO 8601 date-time with an offset, e.g. 2026-12-06T16:00+08:00"
        )
    return value


def _plausible(value: datetime) -> datetime:
    # Past the calendar's edge, the UTC conversion on the way to the query overflows.
    plausible_day(value.date())
    return value


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_only), AfterValidator(_plausible)]


# Counting every match costs what the matches number: past this many the count stops.
MAX_COUNTED = 10_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DeliveriesQuery(Strict):
    status: Status | None = None
    person_id: Id | None = None
    schedule_id: Id | None = None
    due_from: Instant | None = Field(None, alias="from", description="due_at >= this")
    due_to: Instant | None = Field(None, alias="to", description="due_at < this")
    page: Annotated[int, Field(ge=1, le=100_000)] = Field(
        1,
        description="Page number, counted from the newest. A deep page costs what the pages "
        "before it cost (the database passes over their rows): walk with `after` instead.",
    )
    per_page: Annotated[int, Field(ge=1, le=500)] = 50
    after: str | None = Field(
        None,
        max_length=100,
        description="Cursor: begin right after this delivery. Pass back the previous "
        "answer's `next` as it is (`<due_at in UTC>|<id>`, e.g. "
        "`2026-12-07T08:00:00Z|1234`). Every page then costs what the first one does. "
        "Not with `page`.",
    )
    count: bool = Field(
        False,
        description=f"Count every match for `total`, however many (that costs what the "
        f"matches number). Without it the count stops past {MAX_COUNTED:,}.",
    )

    @field_validator("after")
    @classmethod
    def _cursor(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if info.data.get("page", 1) != 1:
            raise ValueError("give either a cursor (after) or a page number, not both")
        Cursor.parse(value)
        return value


class PreviewQuery(Strict):
    days: Annotated[int, Field(ge=1, le=31)] = 7
    limit: Annotated[int, Field(ge=0, le=1000, description="items listed; totals count all")] = 200


@dataclass(frozen=True)
class Cursor:
    """Where a page of the deliveries list ends: its last row's ``due_at`` and ``id``,
    the list's order (newest first). Written ``<due_at in UTC>|<id>``."""

    due_at: datetime
    id: int

    def __str__(self) -> str:
        return f"{self.due_at.astimezone(UTC).isoformat().replace('+00:00', 'Z')}|{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        due_at, _, row_id = text.partition("|")
        try:
            when = datetime.fromisoformat(due_at)
        except ValueError:
            when = None
        if when is None or when.tzinfo is None or not row_id.isdigit() or int(row_id) < 1:
            raise ValueError(
                "must be a cursor as an answer's next gives it: <due_at in UTC>|<id>, "
                "e.g. 2026-12-07T08:00:00Z|1234"
            )
        plausible_day(when.date())
        return cls(when, int(row_id))


@dataclass(frozen=True)
class Listing:
    """One page of the list. ``total`` is None when no exact count was asked for and the
    matches are more than ``total_over`` (the count stopped there)."""

    rows: list[Delivery]
    next: Cursor | None
    total: int | None
    total_over: int | None = None


def deliveries_page(
    session: Session, query: DeliveriesQuery, load: Sequence[LoaderOption] = ()
) -> Listing:
    """A page of the outbox, newest first (``due_at DESC, id DESC``: the indexes of
    0018_delivery_lists serve it whole and by status, person or schedule), read from the
    cursor (``after``) or the page number; the page and the count read what they show."""
    conditions = _conditions(query)
    page = select(Delivery).where(*conditions).options(*load)
    if query.after is not None:
        after = Cursor.parse(query.after)
        # The first term bounds the index range; the second passes over the rows due at
        # the cursor's instant up to and including the cursor's own.
        page = page.where(
            Delivery.due_at <= after.due_at,
            or_(Delivery.due_at < after.due_at, Delivery.id < after.id),
        )
    else:
        page = page.offset((query.page - 1) * query.per_page)
    rows = list(
        session.scalars(
            page.order_by(Delivery.due_at.desc(), Delivery.id.desc()).limit(query.per_page + 1)
        )
    )
    more = len(rows) > query.per_page
    del rows[query.per_page :]
    following = Cursor(rows[-1].due_at, rows[-1].id) if more else None
    if not more and query.after is None and query.page == 1:
        return Listing(rows, None, len(rows))  # the first page holds every match
    total = count_deliveries(session, conditions, query.count)
    return Listing(rows, following, total, MAX_COUNTED if total is None else None)


def count_deliveries(session: Session, conditions: list[Any], exact: bool) -> int | None:
    """How many rows match: exactly if asked, else only up to ``MAX_COUNTED`` (None past)."""
    if exact:
        return session.scalar(select(func.count()).select_from(Delivery).where(*conditions))
    matches = select(Delivery.id).where(*conditions).limit(MAX_COUNTED + 1).subquery()
    counted = session.scalar(select(func.count()).select_from(matches)) or 0
    return counted if counted <= MAX_COUNTED else None


def _conditions(query: DeliveriesQuery) -> list[Any]:
    conditions: list[Any] = []
    if query.status is not None:
        conditions.append(Delivery.status == query.status)
    if query.person_id is not None:
        conditions.append(Delivery.person_id == query.person_id)
    if query.schedule_id is not None:
        conditions.append(Delivery.schedule_id == query.schedule_id)
    if query.due_from is not None:
        conditions.append(Delivery.due_at >= query.due_from)
    if query.due_to is not None:
        conditions.append(Delivery.due_at < query.due_to)
    return conditions
