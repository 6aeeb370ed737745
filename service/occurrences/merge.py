"""Occurrences of many schedules in one order, computed only as far as they are read.

A page of a long listing needs its first items only, but sorting every schedule's
expansion of the window costs the whole window. Here each schedule is expanded one
stretch at a time, by ``expand`` itself over a sub-window (so overrides, EXDATE and the
holiday policy mean exactly what they mean in a feed and in the SMS plan), and the
schedules' streams are merged lazily with ``heapq.merge``.

Why a stretch can be handed out before the next one is computed: ``expand`` over
[a, b) returns, sorted, every occurrence whose actual time overlaps it, wherever its
original start is. It looks for originals the schedule's duration plus ``SHIFT_REACH``
(the furthest a holiday policy moves one) on either side, and at every override that
moves one from any distance. Of that answer a stretch yields the occurrences that start
in [a, b) (the first stretch also those that began before the window and overlap it):
each occurrence is yielded once, by the stretch holding its start, and the stretches
follow one another. ``tests/occurrences/test_merge.py`` holds this to one sorted
expansion of the whole window.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import dropwhile

from .. import budget
from .expand import Occurrence, ScheduleSpec, Window, Workdays, expand

# A month of a weekly series is a few occurrences; each further stretch is twice as
# long, so a sparse series (a yearly campaign day) is found in a few steps and a
# stream never expands more than twice what is read of it.
FIRST_STRETCH = timedelta(days=31)

SortKey = tuple[datetime, int, datetime]


def sort_key(occurrence: Occurrence) -> SortKey:
    """The listing's order: by start, then schedule, then original start. No two
    occurrences share all three (a series has one occurrence per original start)."""
    return (occurrence.start, occurrence.schedule_id, occurrence.original_start)


def in_order(
    schedule: ScheduleSpec,
    window: Window,
    workdays: Workdays,
    first_stretch: timedelta = FIRST_STRETCH,
) -> Iterator[Occurrence]:
    """``expand(schedule, window, workdays)``, one stretch of the window at a time.
    Stops with ``BudgetExceeded`` when the request's time budget runs out."""
    low, stretch = window.start, first_stretch
    while low < window.end:
        high = min(low + stretch, window.end)
        budget.check()
        for occurrence in expand(schedule, Window(low, high), workdays):
            if low == window.start or occurrence.start >= low:
                yield occurrence
        low, stretch = high, stretch * 2


def merged(
    schedules: Iterable[ScheduleSpec],
    window: Window,
    workdays: Workdays,
    after: SortKey | None = None,
    first_stretch: timedelta = FIRST_STRETCH,
) -> Iterator[Occurrence]:
    """The occurrences of all ``schedules`` overlapping ``window``, in ``sort_key``
    order, the same as sorting their expansions; with ``after``, only those past it.

    Resuming after a key costs what the first page costs: the streams begin at the
    key's start, not at the window's.
    """
    if after is not None:
        if after[0] >= window.end:
            return iter(())
        if after[0] > window.start:
            # Anything past the key starts at or after the key's start, so overlaps this.
            window = Window(after[0], window.end)
    streams = [in_order(spec, window, workdays, first_stretch) for spec in schedules]
    occurrences = heapq.merge(*streams, key=sort_key)
    if after is None:
        return occurrences
    return dropwhile(lambda occurrence: sort_key(occurrence) <= after, occurrences)
