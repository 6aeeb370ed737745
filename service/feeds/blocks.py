"""The key under which a schedule's serialised VEVENTs can be reused.

It names everything ``render._EventWriter`` and ``series.plan_series`` read: the
schedule's row version (any column change bumps it), its rules' and overrides' versions,
the holiday overrides, the speakers' names, what is personal to the feed's owner (only
whether they speak in this schedule, and their study status for it), and the feed's
range. Two feeds that would write a schedule the same way share one block: a department
and everyone who does not speak in it share the lecture.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime

from ..models import Schedule
from .content import FeedContent

# Bump when the rendering of a schedule changes (as validators.FORMAT for whole feeds).
BLOCK_FORMAT = 3


def block_key(
    content: FeedContent, schedule: Schedule, since: datetime, until: datetime
) -> Hashable:
    speakers = {schedule.speaker_id} | {o.speaker_id for o in schedule.overrides}
    speakers.discard(None)
    person_id = content.person_id
    return (
        BLOCK_FORMAT,
        schedule.id,
        schedule.version,
        tuple(sorted((r.id, r.version) for r in schedule.rules)),
        tuple(sorted((o.id, o.version) for o in schedule.overrides)),
        content.holidays_key,
        tuple(sorted((i, content.speaker_names.get(i, "")) for i in speakers if i is not None)),
        person_id if person_id in speakers else None,
        schedule.id in content.unconfirmed,
        content.confirmed_at.get(schedule.id),
        since,
        until,
    )
