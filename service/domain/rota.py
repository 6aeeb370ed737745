"""What an admin sends to change the lecture rota (API and console alike)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .common import Id, Instant, Line

# Two years of weekly lectures: the furthest the rota is listed or filled ahead.
MAX_WEEKS = 104


class _In(BaseModel):
    # Not strict, unlike InputModel: the console posts the same bodies as form text.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GenerateBody(_In):
    pool: list[Id] = Field(min_length=1, description="person ids, in speaking order")
    weeks: int = Field(ge=1, le=MAX_WEEKS)
    topics: list[Line] = Field(default=[], description="cycled over the filled weeks")
    overwrite: bool = Field(False, description="also replace weeks that have a speaker")


class AssignBody(_In):
    speaker_id: Id | None
    topic: Line | None = Field(None, description="omit to keep the topic")


class SwapBody(_In):
    first: Instant = Field(description="original start of one week")
    second: Instant = Field(description="original start of the other week")
    swap_topics: bool = False
