"""What asks for the work ledger (台账): a range of local days."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .common import Day

# A year, leap day included: the ledger is exported a year at a time at most.
MAX_DAYS = 366


class RangeQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    start: Day = Field(alias="from", description="first local day, e.g. 2026-01-01")
    end: Day = Field(alias="to", description=f"last local day; at most {MAX_DAYS} days")
