"""The lecture rota (每周一讲): who speaks on which week, and on what.

A week's speaker and topic live in the occurrence's override (keyed by its original
start), so the feed, the SMS plan and this rota all read the same rows through
``expand``. Every change writes an audit entry and re-plans the speaker reminders in
the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import cycle
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..errors import Conflict, Invalid, NotFound
from ..models import OccurrenceOverride, Person, Schedule
from ..occurrences.expand import SHIFT_REACH, Occurrence, Window, expand
from ..occurrences.query import load_schedules, workday_calendar
from ..occurrences.specs import schedule_spec
from ..sms.notices import notify_change
from . import replan


@dataclass(frozen=True)
class RotaWeek:
    original_start: datetime
    start: datetime
    status: str
    is_happening: bool
    speaker_id: int | None
    speaker_name: str | None
    topic: str

    def as_audit(self) -> dict[str, Any]:
        return {"speaker_id": self.speaker_id, "topic": self.topic}


def lecture(session: Session, schedule_id: int) -> Schedule:
    found = load_schedules(session, [schedule_id])
    if not found:
        raise NotFound(f"Schedule {schedule_id} does not exist.")
    schedule = found[0]
    if schedule.kind != "lecture":
        raise Invalid(
            f"Schedule {schedule_id} is a {schedule.kind!r} schedule; only lectures have a rota.",
            code="not_a_lecture",
        )
    return schedule


def coming_weeks(session: Session, schedule: Schedule, now: datetime, weeks: int) -> list[RotaWeek]:
    """Occurrences starting in the next ``weeks`` weeks, skipped and cancelled ones too."""
    window = Window(now, now + timedelta(weeks=weeks))
    occurrences = expand(schedule_spec(schedule), window, workday_calendar(session))
    return _weeks(session, [o for o in occurrences if o.start >= now])


def generate(
    session: Session,
    schedule_id: int,
    *,
    pool: Sequence[int],
    weeks: int,
    now: datetime,
    actor: str,
    topics: Sequence[str] = (),
    overwrite: bool = False,
) -> list[RotaWeek]:
    """Fill the coming weeks round-robin from ``pool``; return the weeks that changed.

    The rotation carries on after whoever in the pool spoke last (read from the
    overrides before the first week), skips inactive people and weeks that do not take
    place, and keeps weeks that already have a speaker unless ``overwrite``.
    """
    schedule = lecture(session, schedule_id)
    people = _pool(session, pool)
    active = [p for p in people if p.is_active]
    if not active:
        raise Invalid("Everyone in the pool is inactive.", fields={"pool": "no active person"})
    order = [p.id for p in people]
    last = _last_pool_speaker(schedule, set(order), before=now)
    topic_cycle = cycle(topics) if topics else None
    upcoming = coming_weeks(session, schedule, now, weeks)
    changed: dict[datetime, tuple[RotaWeek, int, str | None]] = {}
    for week in upcoming:
        if not week.is_happening:
            continue
        if week.speaker_id is not None and not overwrite:
            last = week.speaker_id if week.speaker_id in order else last
            continue
        speaker = _next_speaker(order, {p.id for p in active}, last)
        topic = next(topic_cycle) if topic_cycle else None
        changed[week.original_start] = (week, speaker, topic)
        last = speaker
    for week, speaker, topic in changed.values():
        _set_week(schedule, week.original_start, speaker, topic)
    return _commit_change(
        session, schedule, [w for w, _, _ in changed.values()], "generate", now, actor
    )


def assign(
    session: Session,
    schedule_id: int,
    original_start: datetime,
    *,
    speaker_id: int | None,
    topic: str | None,
    now: datetime,
    actor: str,
) -> RotaWeek:
    """Set one week's speaker (None clears it) and, if given, its topic."""
    schedule = lecture(session, schedule_id)
    week = _happening_week(session, schedule, original_start, "original_start")
    if speaker_id is not None:
        _active_person(session, speaker_id, "speaker_id")
    _set_week(schedule, week.original_start, speaker_id, topic)
    (after,) = _commit_change(session, schedule, [week], "assign", now, actor)
    return after


def swap(
    session: Session,
    schedule_id: int,
    first: datetime,
    second: datetime,
    *,
    swap_topics: bool,
    now: datetime,
    actor: str,
) -> list[RotaWeek]:
    """Exchange two weeks' speakers (and topics), both or neither."""
    schedule = lecture(session, schedule_id)
    if first.astimezone(UTC) == second.astimezone(UTC):
        raise Invalid("A week cannot be swapped with itself.", fields={"second": "same week"})
    a = _happening_week(session, schedule, first, "first")
    b = _happening_week(session, schedule, second, "second")
    if a.speaker_id is None and b.speaker_id is None:
        raise Invalid("Neither week has a speaker; there is nothing to swap.", code="no_speaker")
    _set_week(schedule, a.original_start, b.speaker_id, b.topic if swap_topics else None)
    _set_week(schedule, b.original_start, a.speaker_id, a.topic if swap_topics else None)
    return _commit_change(session, schedule, [a, b], "swap", now, actor)


def _weeks(session: Session, occurrences: list[Occurrence]) -> list[RotaWeek]:
    ids = {o.speaker_id for o in occurrences if o.speaker_id is not None}
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
    return [
        RotaWeek(
            original_start=o.original_start,
            start=o.start,
            status=o.status,
            is_happening=o.is_happening,
            speaker_id=o.speaker_id,
            speaker_name=names.get(o.speaker_id) if o.speaker_id is not None else None,
            topic=o.topic,
        )
        for o in occurrences
    ]


def find_occurrence(
    session: Session, schedule: Schedule, original_start: datetime
) -> Occurrence | None:
    """The occurrence whose RECURRENCE-ID is ``original_start``, wherever it was moved."""
    key = original_start.astimezone(UTC)
    spec = schedule_spec(schedule)
    reach = SHIFT_REACH + spec.duration
    low, high = key, key
    for override in schedule.overrides:
        if override.original_start_at == key and override.moved_start_at is not None:
            low, high = min(low, override.moved_start_at), max(high, override.moved_start_at)
    window = Window(low - reach, high + reach)
    for occurrence in expand(spec, window, workday_calendar(session)):
        if occurrence.original_start.astimezone(UTC) == key:
            return occurrence
    return None


def _happening_week(
    session: Session, schedule: Schedule, original_start: datetime, field: str
) -> RotaWeek:
    occurrence = find_occurrence(session, schedule, original_start)
    if occurrence is None:
        raise NotFound(
            f"Schedule {schedule.id} has no occurrence starting {original_start.isoformat()}.",
            fields={field: "no such week"},
            code="no_such_occurrence",
        )
    if not occurrence.is_happening:
        raise Conflict(
            f"The week of {original_start.isoformat()} does not take place "
            f"({occurrence.status}); it cannot get a speaker.",
            fields={field: occurrence.status},
            code="occurrence_not_happening",
        )
    (week,) = _weeks(session, [occurrence])
    return week


def _active_person(session: Session, person_id: int, field: str) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise Invalid(f"Person {person_id} does not exist.", fields={field: "unknown person"})
    if not person.is_active:
        raise Invalid(
            f"{person.name} (person {person_id}) is inactive and cannot speak.",
            fields={field: "inactive person"},
            code="person_inactive",
        )
    return person


def _pool(session: Session, pool: Sequence[int]) -> list[Person]:
    if len(set(pool)) != len(pool):
        raise Invalid("The pool names someone twice.", fields={"pool": "duplicate person"})
    found = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(pool)))}
    missing = [i for i in pool if i not in found]
    if missing:
        raise Invalid(f"Unknown people in the pool: {missing}.", fields={"pool": "unknown person"})
    return [found[i] for i in pool]


def _last_pool_speaker(schedule: Schedule, pool: set[int], *, before: datetime) -> int | None:
    past = [
        o
        for o in schedule.overrides
        if o.speaker_id in pool and not o.is_cancelled and o.original_start_at < before
    ]
    return max(past, key=lambda o: o.original_start_at).speaker_id if past else None


def _next_speaker(order: list[int], active: set[int], last: int | None) -> int:
    start = order.index(last) + 1 if last in order else 0
    for step in range(len(order)):
        candidate = order[(start + step) % len(order)]
        if candidate in active:
            return candidate
    raise AssertionError("the pool has an active person")  # checked by the caller


def _set_week(
    schedule: Schedule, original_start: datetime, speaker_id: int | None, topic: str | None
) -> None:
    key = original_start.astimezone(UTC)
    override = next((o for o in schedule.overrides if o.original_start_at == key), None)
    if override is None:
        override = OccurrenceOverride(original_start_at=key)
        schedule.overrides.append(override)
    override.speaker_id = speaker_id
    if topic is not None:
        override.topic = topic


def _commit_change(
    session: Session,
    schedule: Schedule,
    before: list[RotaWeek],
    action: str,
    now: datetime,
    actor: str,
) -> list[RotaWeek]:
    """Flush, audit, retract reminders of speakers who lost a week, re-plan."""
    session.flush()
    after = [_reread(session, schedule, week.original_start) for week in before]
    if after:
        audit.record(
            session,
            actor=actor,
            action=f"rota_{action}",
            resource="schedule",
            resource_id=schedule.id,
            before={w.original_start.isoformat(): w.as_audit() for w in before},
            after={w.original_start.isoformat(): w.as_audit() for w in after},
            now=now,
        )
        replan.retract_pending(
            session,
            schedule_id=schedule.id,
            recipients="speaker",
            reason=f"rota {action}: no longer the speaker",
            now=now,
            original_starts={w.original_start.astimezone(UTC): w.speaker_id for w in after},
        )
        for was, now_is in zip(before, after, strict=True):
            notify_change(session, schedule, was, now_is, "", now)
        replan.replan_schedule(session, schedule.id, now)
        session.flush()
    return after


def _reread(session: Session, schedule: Schedule, original_start: datetime) -> RotaWeek:
    occurrence = find_occurrence(session, schedule, original_start)
    assert occurrence is not None  # it existed a moment ago in this transaction
    (week,) = _weeks(session, [occurrence])
    return week
