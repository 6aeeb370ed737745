"""Checks for the API to run before anything is written.

Each raises ``Invalid`` (422) whose ``fields`` name the offending field and the reason,
so a rejected request writes nothing and tells the admin what to fix. The schedule
and override endpoints (admin API) and the occurrence endpoints use the same checks.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from ..errors import Invalid
from .expand import ScheduleSpec, Window, is_original
from .rules import FREQUENCIES, RuleError, compile_rule, first_occurrence, parse_parts

MAX_WINDOW_YEARS = 10


def _invalid(field: str, reason: str) -> Invalid:
    return Invalid(f"{field}: {reason}", fields={field: reason})


def validate_timezone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone called ``name`` (e.g. Asia/Shanghai)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise _invalid(field, f"unknown IANA timezone {name!r}") from None


def validate_rrule(text: str, start: datetime, tz: str, field: str = "rrule") -> None:
    """An RFC 5545 RRULE the engine can evaluate for a series starting at ``start``.

    Refused: bad syntax or values, FREQ finer than DAILY, COUNT or INTERVAL below 1,
    COUNT with UNTIL, an ordinal BYDAY (2MO, -1FR) outside MONTHLY/YEARLY, UNTIL
    before the start, and a rule that never produces an occurrence (e.g. Feb 30).
    """
    zone = validate_timezone(tz)
    local_start = start.astimezone(zone).replace(tzinfo=None)
    try:
        parts = parse_parts(text)
        _check_parts(parts)
        recurrence = compile_rule(text, local_start, tz)
    except RuleError as error:
        raise _invalid(field, str(error)) from None
    if recurrence.until is not None and recurrence.until < local_start:
        until = recurrence.until.isoformat(sep=" ")
        raise _invalid(field, f"UNTIL ({until} local time) is before the start")
    if first_occurrence(recurrence) is None:
        raise _invalid(field, "重复规则不会产生任何日程 the rule never produces an occurrence")


def _check_parts(parts: dict[str, str]) -> None:
    freq = parts["FREQ"]
    if freq not in FREQUENCIES:
        raise RuleError(f"FREQ must be one of {', '.join(FREQUENCIES)}, not {freq}")
    for name in ("COUNT", "INTERVAL"):
        if name in parts:
            try:
                value = int(parts[name])
            except ValueError:
                raise RuleError(f"{name} must be a whole number, not {parts[name]!r}") from None
            if value < 1:
                raise RuleError(f"{name} must be at least 1, not {value}")
    ordinal = [d for d in parts.get("BYDAY", "").split(",") if d[:-2].strip("+-").isdigit()]
    if ordinal and freq not in ("MONTHLY", "YEARLY"):
        raise RuleError(f"BYDAY={ordinal[0]} (an ordinal weekday) needs FREQ=MONTHLY or YEARLY")


def validate_start_matches_rule(text: str, start: datetime, tz: str, field: str = "start") -> None:
    """The start is itself an occurrence of the rule.

    RFC 5545 leaves the set undefined when DTSTART does not match the RRULE, and
    calendar clients disagree about it; refusing such a start keeps the feed and the SMS
    plan in agreement. Call after ``validate_rrule``.
    """
    zone = ZoneInfo(tz)
    local_start = start.astimezone(zone).replace(tzinfo=None)
    first = first_occurrence(compile_rule(text, local_start, tz))
    if first != local_start:
        hint = f"; the first one is {first.isoformat(sep=' ')}" if first else ""
        when = local_start.isoformat(sep=" ")
        raise _invalid(field, f"开始时间须是重复规则中的一次 {when} is not an occurrence{hint}")


def validate_schedule(text: str | None, start: datetime, tz: str) -> None:
    """All of the above for a schedule's timezone, start and (optional) RRULE."""
    validate_timezone(tz)
    if text:
        validate_rrule(text, start, tz)
        validate_start_matches_rule(text, start, tz)


def is_occurrence(spec: ScheduleSpec, original_start: datetime) -> bool:
    """Whether an override keyed by ``original_start`` has an occurrence to change:
    the series produces it and no EXDATE removed it."""
    if any(original_start == excluded for excluded in spec.exdates):
        return False
    return is_original(spec, original_start)


def validate_override_target(
    spec: ScheduleSpec, original_start: datetime, field: str = "original_start"
) -> None:
    if not is_occurrence(spec, original_start):
        when = original_start.astimezone(spec.zone).isoformat()
        raise _invalid(field, f"the schedule has no occurrence starting at {when}")


def validate_window(
    start: datetime, end: datetime, start_field: str = "from", end_field: str = "to"
) -> Window:
    """A query window: aware bounds, end after start, at most 10 years long."""
    if start.tzinfo is None:
        raise _invalid(start_field, "needs a timezone offset")
    if end.tzinfo is None:
        raise _invalid(end_field, "needs a timezone offset")
    if end <= start:
        raise _invalid(end_field, "must be after the start of the window")
    if end > start + relativedelta(years=MAX_WINDOW_YEARS):
        raise _invalid(end_field, f"the window is longer than {MAX_WINDOW_YEARS} years")
    return Window(start, end)
