"""What asks for the outbox: filters of the deliveries list and of the SMS preview."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from ..models import STATUSES
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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DeliveriesQuery(Strict):
    status: Status | None = None
    person_id: Id | None = None
    schedule_id: Id | None = None
    due_from: Instant | None = Field(None, alias="from", description="due_at >= this")
    due_to: Instant | None = Field(None, alias="to", description="due_at < this")
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=500)] = 50


class PreviewQuery(Strict):
    days: Annotated[int, Field(ge=1, le=31)] = 7
    limit: Annotated[int, Field(ge=0, le=1000, description="items listed; totals count all")] = 200
