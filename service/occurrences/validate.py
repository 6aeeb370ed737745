"""Checks for the API to run before anything is written.

Each raises ``Invalid`` (422) whose ``fields`` name the offending field and the reason,
so a rejected request writes nothing and tells the admin what to fix. The schedule
and override endpoints (admin API) and the occurrence endpoints use the same checks.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from ..errors import Invalid
from .expand import ScheduleSpec, Window, is_original
from .rfc5545 import RuleError, check_rule, check_timezone, dst_gap
from .rules import compile_rule, first_from, first_occurrence

MAX_WINDOW_YEARS = 10


def _invalid(field: str, reason: str) -> Invalid:
    return Invalid(f"{field}: {reason}", fields={field: reason})


def validate_timezone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone called ``name`` (e.g. Asia/Shanghai); not a tzdata folder."""
    try:
        return check_timezone(name)
    except RuleError as error:
        raise _invalid(field, str(error)) from None


def _local(start: datetime, zone: ZoneInfo) -> datetime:
    """Naive wall-clock time in ``zone``: an aware start is converted, a naive one is
    taken as local already."""
    return start.astimezone(zone).replace(tzinfo=None) if start.tzinfo else start


def validate_rrule(
    text: str, start: datetime, tz: str, field: str = "rrule", *, is_all_day: bool = False
) -> str:
    """The RRULE's canonical text, for a series starting at ``start`` (aware, or naive
    local wall-clock time of ``tz``): the text to store and publish.

    Refused (422 on ``field``, in Chinese, naming the rule part): anything
    ``rfc5545.check_rule`` refuses, UNTIL before the start, and a rule that never
    produces an occurrence (e.g. Feb 30).
    """
    zone = validate_timezone(tz)
    local_start = _local(start, zone)
    try:
        checked = check_rule(text, local_start, tz, is_all_day=is_all_day)
        recurrence = compile_rule(checked.text, local_start, tz)
    except RuleError as error:
        raise _invalid(field, str(error)) from None
    if recurrence.until is not None and recurrence.until < local_start:
        until = recurrence.until.isoformat(sep=" ")
        raise _invalid(field, f"UNTIL：{until}（当地时间）早于开始时间（结束日期不对）")
    if first_occurrence(recurrence) is None:
        raise _invalid(field, "这条规则不会产生任何日程（不会产生任何日程）")
    return checked.text


def validate_start(
    text: str | None, start: datetime, tz: str, field: str = "start", *, is_all_day: bool = False
) -> None:
    """The start exists on the local clock (not in a daylight-saving gap) and, for a
    series, is itself an occurrence of the (canonical) rule ``text``.

    RFC 5545 leaves the set undefined when DTSTART does not match the RRULE, and
    calendar clients disagree about it; refusing such a start keeps the feed and the SMS
    plan in agreement. The 422 names the first occurrence after the start, which is
    then accepted as a start. Call after ``validate_rrule``.
    """
    zone = validate_timezone(tz)
    local_start = _local(start, zone)
    when = local_start.isoformat(sep=" ", timespec="minutes")
    if not is_all_day:
        gap = dst_gap(local_start, zone)
        if gap is not None:
            first, end = (moment.strftime("%H:%M") for moment in gap)
            raise _invalid(
                field,
                f"{when} 在 {tz} 因夏令时跳过的 {first} 至 {end} 之间，这一时刻不存在"
                "（时刻因夏令时不存在）",
            )
    if not text:
        return
    first_one = first_from(text, local_start, tz)
    if first_one != local_start:
        hint = ""
        if first_one is not None:
            shown = _shown(first_one, is_all_day=is_all_day)
            hint = f"；之后的第一次是 {shown}"
        shown_start = _shown(local_start, is_all_day=is_all_day)
        raise _invalid(field, f"开始时间 {shown_start} 不是重复规则中的一次{hint}")


def _shown(local: datetime, *, is_all_day: bool) -> str:
    return local.date().isoformat() if is_all_day else local.isoformat(sep=" ", timespec="minutes")


def validate_start_matches_rule(text: str, start: datetime, tz: str, field: str = "start") -> None:
    """``validate_start`` for a timed series (kept for its callers)."""
    validate_start(text, start, tz, field)


def validate_schedule(
    text: str | None, start: datetime, tz: str, *, is_all_day: bool = False
) -> str | None:
    """All of the above for a schedule's timezone, start and (optional) RRULE; returns
    the RRULE's canonical text (None without one), which is what must be stored."""
    validate_timezone(tz)
    canonical = None
    if text:
        canonical = validate_rrule(text, start, tz, is_all_day=is_all_day)
    validate_start(canonical, start, tz, is_all_day=is_all_day)
    return canonical


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
