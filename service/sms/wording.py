"""The few Chinese words the planner puts into message contexts, in one catalogue.

Message texts themselves live in ``templates/sms/``; these are the values that fill them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
EVERYONE = "全体干部职工"
LIST_SEPARATOR = "、"


def when(local_start: datetime, *, is_all_day: bool) -> str:
    """'12月7日（周一）16:00' for a timed occurrence, '12月4日' for an all-day one.

    ``local_start`` must already be in the schedule's own timezone: staff read the time
    of the place the event happens in.
    """
    day = f"{local_start.month}月{local_start.day}日"
    if is_all_day:
        return day
    return f"{day}（{WEEKDAYS[local_start.weekday()]}）{local_start:%H:%M}"


def join_names(names: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(names)
