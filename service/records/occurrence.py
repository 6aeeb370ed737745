"""Finding the one occurrence a record is about, and whether it can take one now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ..domain.overrides import MAX_MOVE
from ..errors import Conflict, Invalid, NotFound
from ..models import Schedule
from ..occurrences.expand import Occurrence, Window
from ..occurrences.query import expand_all, load_schedules, workday_calendar
from ..occurrences.specs import schedule_spec
from ..occurrences.validate import is_occurrence
from . import texts

RECORDED_KINDS = frozenset({"lecture", "meeting", "campaign"})


@dataclass(frozen=True)
class Target:
    """An occurrence as ``expand`` resolves it, with its schedule row."""

    schedule: Schedule
    occurrence: Occurrence

    @property
    def original_at(self) -> datetime:
        return self.occurrence.original_start.astimezone(UTC)

    @property
    def key(self) -> tuple[int, datetime]:
        return (self.schedule.id, self.original_at)


def find(session: Session, schedule_id: int, original_start: datetime) -> Target:
    """The occurrence of ``schedule_id`` whose original start is ``original_start`` (local
    to the schedule when naive). 404 for an unknown schedule; 422 for a kind that keeps
    no records or a time that is no occurrence of the series."""
    found = load_schedules(session, [schedule_id])
    if not found:
        raise NotFound(texts.NO_SCHEDULE.format(id=schedule_id), code="no_schedule")
    schedule = found[0]
    if schedule.kind not in RECORDED_KINDS:
        raise Invalid(texts.NOT_RECORDED_KIND, fields={"schedule_id": "kind"}, code="not_recorded")
    zone = ZoneInfo(schedule.timezone)
    local = original_start.astimezone(zone) if original_start.tzinfo else original_start
    naive = local.replace(tzinfo=None)
    invalid = Invalid(
        texts.NOT_AN_OCCURRENCE.format(when=naive.isoformat(sep=" ", timespec="minutes")),
        fields={"original_start": "not an occurrence of this schedule"},
        code="not_an_occurrence",
    )
    original = naive.replace(tzinfo=zone)
    if not is_occurrence(schedule_spec(schedule), original):
        raise invalid
    # An override may have moved it up to MAX_MOVE away; the window must still hold it.
    reach = MAX_MOVE + timedelta(days=2)
    window = Window(original - reach, original + reach)
    for occurrence in expand_all([schedule], window, workday_calendar(session)):
        if occurrence.original_start == original:
            return Target(schedule, occurrence)
    raise invalid  # excluded from the series (EXDATE)


def require_held(target: Target, now: datetime) -> None:
    """Attendance is taken for an occurrence that takes place and has begun: 409 else."""
    if not target.occurrence.is_happening:
        raise Conflict(texts.CANCELLED, code="occurrence_cancelled")
    if target.occurrence.start > now:
        raise Conflict(texts.NOT_STARTED, code="occurrence_in_future")
