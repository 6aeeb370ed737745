"""A whole series edited (a schedule's start, timezone, rule, EXDATEs, holiday policy or
speaker) or deleted: the people already reminded of an upcoming occurrence hear what
changed for it, as they would for a change of that one occurrence.

A new start time, timezone or rule gives a series' occurrences new original starts (the
RFC 5545 RECURRENCE-ID, which keys their outbox rows). Each upcoming occurrence that has
rows is followed across the edit: to the occurrence with the same original start, or
else to the nearest new one within a week (a lecture moved from Monday 16:00 to 18:00,
or to Tuesday, is that week's lecture, moved). An occurrence with no counterpart (an
EXDATE, a rule that no longer lists its day) is no longer happening: 取消.

Each one somebody was already reminded of is compared before and after, and a move, a
cancellation or a new speaker is told exactly as a change of that one occurrence would
be (``notices.notify_change``: the same text, the same key, once per change and person).
Its rows then move to its new original start, so the plan treats it as one moved
occurrence: nothing already sent is sent again, and pending reminders are re-timed.
Where the series sends no notices, the rows stay where they are and the plan reminds
people afresh of the occurrence under its new original start, naming its new time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session

from ..models import Delivery, Schedule
from ..occurrences.expand import Occurrence, ScheduleSpec, Window, Workdays, expand
from ..occurrences.query import workday_calendar
from ..occurrences.specs import schedule_spec
from .notices import REMINDED, notify_change

# An admin can move one occurrence by up to a year (``domain.overrides.MAX_MOVE``), so a
# row of an occurrence that originally started up to a year ago may be of one to come.
_LOOK_BACK = timedelta(days=366)
# How far an edit can carry an occurrence and still be "that week's" occurrence, moved.
_FOLLOW = timedelta(days=7)
# A holiday shift moves an occurrence by at most 16 days (``expand.SHIFT_REACH``).
_MARGIN = timedelta(days=17) + _FOLLOW


@dataclass(frozen=True)
class Known:
    """An occurrence as its outbox rows know it: under their original start."""

    original_start: datetime  # UTC
    start: datetime
    is_happening: bool
    speaker_id: int | None


@dataclass(frozen=True)
class Before:
    """A series as it stood before an edit: what ``expand`` needs of it."""

    spec: ScheduleSpec


@dataclass(frozen=True)
class _Rows:
    """The upcoming occurrences of a series that have outbox rows, as ``spec`` has them."""

    occurrences: tuple[Known, ...]
    reminded: frozenset[datetime]  # original starts someone was reminded of
    expanded: frozenset[datetime]  # every original start near them


def before_edit(schedule: Schedule) -> Before:
    """Take this before changing the schedule; give it to ``after_edit`` after."""
    return Before(schedule_spec(schedule))


def after_edit(session: Session, schedule: Schedule, before: Before, now: datetime) -> int:
    """Follow each occurrence across the edit (the schedule as it is now): notices to
    those reminded of it, its rows under its new original start. How many notices."""
    after = schedule_spec(schedule)
    if _timing(after) == _timing(before.spec):
        return 0  # the same occurrences at the same times with the same speakers
    if not schedule.change_notices:
        # Nobody is told: the plan reminds them again of each occurrence that has a
        # new original start, which names its new time.
        return 0
    workdays = workday_calendar(session)
    rows = _rows(session, before.spec, workdays, now)
    if not rows.occurrences:
        return 0
    originals = [known.original_start for known in rows.occurrences]
    followed = _follow(_expand(after, originals, workdays), rows)
    told: set[tuple[int, datetime, bool]] = set()
    written = 0
    for was in rows.occurrences:
        now_is = followed.get(was.original_start)
        if was.original_start in rows.reminded:
            news = _gone(was) if now_is is None else _known(was.original_start, now_is)
            written += notify_change(session, schedule, was, news, "", now, told=told)
    moves = {
        was.original_start: now_is.original_start.astimezone(UTC)
        for was in rows.occurrences
        if (now_is := followed.get(was.original_start)) is not None
        and now_is.original_start != was.original_start
    }
    _carry_rows(session, schedule.id, moves, now)
    return written


def notify_deleted(session: Session, schedule: Schedule, now: datetime) -> int:
    """Before a schedule is deleted: each upcoming occurrence people were reminded of is
    cancelled. The notices belong to no schedule, so they outlive its deletion (its own
    outbox rows go with it: ON DELETE CASCADE)."""
    if not schedule.change_notices:
        return 0
    rows = _rows(session, schedule_spec(schedule), workday_calendar(session), now)
    told: set[tuple[int, datetime, bool]] = set()
    written = 0
    for was in rows.occurrences:
        if was.original_start in rows.reminded:
            written += notify_change(
                session, schedule, was, _gone(was), "", now, told=told, outlives_schedule=True
            )
    return written


def _timing(spec: ScheduleSpec) -> ScheduleSpec:
    """What decides a series' occurrences, their starts and speakers (not its topic,
    place or duration, which no notice reports)."""
    return replace(spec, topic="", location="", duration=timedelta(0))


def _rows(session: Session, spec: ScheduleSpec, workdays: Workdays, now: datetime) -> _Rows:
    was_reminded = func.max(
        case((and_(Delivery.rule_id.is_not(None), Delivery.status.in_(REMINDED)), 1), else_=0)
    )
    found = session.execute(
        select(Delivery.original_start_at, was_reminded)
        .where(
            Delivery.schedule_id == spec.id,
            Delivery.original_start_at >= now - _LOOK_BACK,
        )
        .group_by(Delivery.original_start_at)
        .order_by(Delivery.original_start_at)
    ).all()
    if not found:
        return _Rows((), frozenset(), frozenset())
    originals = [original for original, _ in found]
    exact = {o.original_start.astimezone(UTC): o for o in _expand(spec, originals, workdays)}
    known = [_known(original, exact[original]) for original in originals if original in exact]
    return _Rows(
        occurrences=tuple(k for k in known if k.start > now),
        reminded=frozenset(original for original, reminded in found if reminded),
        expanded=frozenset(exact),
    )


def _expand(spec: ScheduleSpec, originals: list[datetime], workdays: Workdays) -> list[Occurrence]:
    """The occurrences around these original starts, wherever overrides moved them."""
    wanted = set(originals)
    moved = [o.moved_start for o in spec.overrides if o.original_start in wanted]
    points = [*originals, *(start for start in moved if start is not None)]
    window = Window(min(points) - _MARGIN, max(points) + _MARGIN)
    return expand(spec, window, workdays)


def _follow(after: list[Occurrence], before: _Rows) -> dict[datetime, Occurrence]:
    """Where each occurrence went: the same original start, else the nearest new
    occurrence within a week, each new one taken once, nearest pairs first."""
    by_original = {o.original_start.astimezone(UTC): o for o in after}
    found = {
        k.original_start: by_original[k.original_start]
        for k in before.occurrences
        if k.original_start in by_original
    }
    new = [o for key, o in by_original.items() if key not in before.expanded]
    pairs = sorted(
        (abs(o.original_start - known.original_start), i, j)
        for i, known in enumerate(before.occurrences)
        if known.original_start not in found
        for j, o in enumerate(new)
        if abs(o.original_start - known.original_start) <= _FOLLOW
    )
    taken: set[int] = set()
    for _, i, j in pairs:
        original = before.occurrences[i].original_start
        if original not in found and j not in taken:
            found[original] = new[j]
            taken.add(j)
    return found


def _carry_rows(
    session: Session, schedule_id: int, moves: dict[datetime, datetime], now: datetime
) -> None:
    """Move the outbox rows of each occurrence to its new original start; a row whose
    twin is already there (from an earlier edit) stays where it is."""
    if not moves:
        return
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.original_start_at,
            Delivery.rule_id,
            Delivery.person_id,
            Delivery.notice,
        ).where(
            Delivery.schedule_id == schedule_id,
            Delivery.original_start_at.in_([*moves, *moves.values()]),
        )
    ).all()
    there = {(r.original_start_at, r.rule_id, r.person_id, r.notice) for r in rows}
    for old, new in moves.items():
        ids = [
            r.id
            for r in rows
            if r.original_start_at == old and (new, r.rule_id, r.person_id, r.notice) not in there
        ]
        if ids:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(original_start_at=new, updated_at=now)
                .execution_options(synchronize_session=False)
            )


def _known(original: datetime, occurrence: Occurrence) -> Known:
    return Known(original, occurrence.start, occurrence.is_happening, occurrence.speaker_id)


def _gone(was: Known) -> Known:
    return Known(was.original_start, was.start, is_happening=False, speaker_id=None)
