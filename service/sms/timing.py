"""When a reminder is due: the one answer the SMS plan, the preview and the feed's
alarms share.

A timed occurrence is reminded ``lead`` before its start. An all-day occurrence has no
time to count back from (its start is local midnight), so it is reminded at a local time
of day (the rule's ``options["at"]``, else 09:00) on the day the lead lands on: a lead
of one day is 09:00 the day before, never midnight.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ..models import ReminderRule
from .defaults import parse_at

ALL_DAY_AT = time(9, 0)
# How far an all-day reminder's due time can lie from start - lead (the time of day).
ALL_DAY_SLACK = timedelta(days=1)
_SOME_MIDNIGHT = datetime(2001, 1, 1)  # noqa: DTZ001 - wall-clock arithmetic only


def time_of_day(rule: ReminderRule) -> time:
    at = (rule.options or {}).get("at")
    return parse_at(at) if isinstance(at, str) else ALL_DAY_AT


def due_at(rule: ReminderRule, start: datetime, *, is_all_day: bool) -> datetime:
    """The instant the reminder for an occurrence starting at ``start`` (aware, in the
    schedule's timezone) is due, in the same timezone."""
    lead = timedelta(minutes=rule.lead_minutes)
    if not is_all_day:
        return start - lead
    day = _landing_day(start.replace(tzinfo=None), lead)
    return datetime.combine(day, time_of_day(rule), tzinfo=start.tzinfo)


def alarm_offset(rule: ReminderRule, *, is_all_day: bool) -> timedelta:
    """The same due time relative to the event's start, for a VALARM's TRIGGER."""
    lead = timedelta(minutes=rule.lead_minutes)
    if not is_all_day:
        return -lead
    day = _landing_day(_SOME_MIDNIGHT, lead)
    return datetime.combine(day, time_of_day(rule)) - _SOME_MIDNIGHT


def _landing_day(local_start: datetime, lead: timedelta) -> date:
    return (local_start - lead).date()
