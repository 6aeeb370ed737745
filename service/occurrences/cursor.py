"""The ``after`` cursor of the occurrence listing: where the previous page ended.

It is ``<start>|<schedule id>|<original start>`` of the last occurrence shown, both
instants in UTC (``2026-12-07T08:00:00Z|12|2026-12-07T08:00:00Z``): the listing's sort
key, so the next page begins right after it with no duplicate and no gap, even if
occurrences before it changed in between. Clients pass back what ``next`` said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import Invalid
from ..models import MAX_ID
from .expand import Occurrence
from .merge import SortKey

FIELD = "after"
SHAPE = "<start>|<schedule id>|<original start> (UTC, as the previous page's next gave it)"


@dataclass(frozen=True)
class Cursor:
    start: datetime  # aware
    schedule_id: int
    original_start: datetime  # aware

    @classmethod
    def of(cls, occurrence: Occurrence) -> Cursor:
        return cls(occurrence.start, occurrence.schedule_id, occurrence.original_start)

    @property
    def key(self) -> SortKey:
        return (self.start, self.schedule_id, self.original_start)

    def __str__(self) -> str:
        return f"{_stamp(self.start)}|{self.schedule_id}|{_stamp(self.original_start)}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor ``text`` names, or 422 naming ``after`` and what is wrong."""
        parts = text.split("|")
        if len(parts) != 3:
            raise _invalid(f"must have three parts: {SHAPE}")
        start, schedule_id, original_start = parts
        if not schedule_id.isascii() or not schedule_id.isdigit():
            raise _invalid(f"the schedule id {schedule_id!r} is not a number: {SHAPE}")
        number = int(schedule_id)
        if not 1 <= number <= MAX_ID:
            raise _invalid(f"the schedule id {number} is out of range")
        return cls(_instant(start, "start"), number, _instant(original_start, "original start"))


def _stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _instant(text: str, part: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise _invalid(f"the {part} {text!r} is not an ISO 8601 date-time: {SHAPE}") from None
    if instant.tzinfo is None:
        raise _invalid(f"the {part} {text!r} needs a timezone (Z or an offset)")
    try:
        return instant.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-05:00
        raise _invalid(f"the {part} {text!r} is beyond the dates there are") from None


def _invalid(reason: str) -> Invalid:
    return Invalid(f"{FIELD}: {reason}", fields={FIELD: reason})
