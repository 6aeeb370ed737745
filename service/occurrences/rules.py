"""RRULE text bound to a DTSTART, evaluated by python-dateutil in naive wall-clock time.

Two costs of dateutil shape this module:

* It always iterates from DTSTART, so a series started 30 years ago costs 30 years of
  iteration for every window. For a rule without COUNT we move DTSTART forward by whole
  recurrence periods (INTERVAL days, weeks, months or years) to just before the window.
  That keeps every period and its BYSETPOS selection the same, provided the values
  dateutil would derive from DTSTART (the weekday of a WEEKLY rule, the month day of a
  MONTHLY one, the time of day…) are first written into the rule explicitly. COUNT
  rules are evaluated from their real DTSTART: the count depends on everything before.
* A rule that can never match (FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30) makes dateutil
  search up to the year 9999: seconds of CPU per call. ``first_occurrence`` detects it
  cheaply (see there) and such a rule yields nothing.
* Its generic loop is slow per occurrence (docs/performance.md), and a feed enumerates
  every weekly lecture over three years. The rules of this office are nearly all plain
  DAILY or WEEKLY ones (``PlainRule``), whose occurrences are simple date arithmetic:
  those are listed directly, the same as dateutil lists them (a property test holds the
  two together), and every other rule goes to dateutil.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import product
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Parts from which dateutil derives no day defaults when any of them is present.
_DAY_PARTS = ("BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYEASTER")
# The first period after a rebased DTSTART is not a faithful one: dateutil starts the
# first week at DTSTART's weekday (so BYSETPOS picks from fewer days), and periods
# dropped by rebasing can spill past their end (BYWEEKNO weeks straddling New Year).
# So the rebased DTSTART stays a month before the search range.
_REBASE_MARGIN = timedelta(days=31)
# The Gregorian calendar, weekdays included, repeats every 400 years.
_CYCLE_YEARS = 400
_SEARCH_YEARS = 40


class RuleError(ValueError):
    """The RRULE text cannot be used; the message says why (for the API's ``fields``)."""


@dataclass(frozen=True)
class Recurrence:
    """An RRULE with its DTSTART, both in naive local wall-clock time of the schedule."""

    text: str  # normalised: upper case, dateutil's defaults explicit, UNTIL local
    dtstart: datetime
    freq: str
    interval: int
    has_count: bool
    until: datetime | None
    plain: PlainRule | None = field(default=None, compare=False)

    def rule(self, dtstart: datetime | None = None) -> rrule:
        return _rule(self.text, dtstart or self.dtstart)

    def between(self, start: datetime, end: datetime) -> list[datetime]:
        """Occurrences with ``start <= t <= end`` (naive local), cheap for any history."""
        if end < self.dtstart or first_occurrence(self) is None:
            return []
        if self.plain is not None and self.plain.serves(self.dtstart, end):
            # dateutil drops DTSTART's microseconds, so its first occurrence may be
            # earlier than DTSTART by those.
            dtstart = self.dtstart.replace(microsecond=0)
            last = end if self.until is None else min(end, self.until)
            return self.plain.between(dtstart, max(start, dtstart), last)
        return self.rule(self._rebased(start)).between(start, end, inc=True)

    def first_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after ``moment`` (naive local), or None."""
        if first_occurrence(self) is None:
            return None
        return self.rule(self._rebased(moment)).after(moment, inc=False)

    def _rebased(self, start: datetime) -> datetime:
        target = start - _REBASE_MARGIN
        if self.has_count or self.freq not in FREQUENCIES or target <= self.dtstart:
            return self.dtstart
        first, n = self.dtstart.date(), self.interval
        if self.freq == "DAILY":
            shifted = first + timedelta(days=(target.date() - first).days // n * n)
        elif self.freq == "WEEKLY":
            shifted = first + timedelta(weeks=(target.date() - first).days // (7 * n) * n)
        elif self.freq == "MONTHLY":
            months = (target.year - first.year) * 12 + target.month - first.month
            index = first.year * 12 + first.month - 1 + months // n * n
            shifted = date(index // 12, index % 12 + 1, 1)
        else:
            shifted = date(first.year + (target.year - first.year) // n * n, 1, 1)
        # Midnight of a day in the same period: explicit BYHOUR… keep the times.
        return datetime.combine(shifted, time(0))


@dataclass(frozen=True)
class PlainRule:
    """A DAILY or WEEKLY rule whose only other parts are INTERVAL, plain weekdays in
    BYDAY, the times of day, UNTIL and WKST: periods of INTERVAL days or weeks counted
    from DTSTART's (a week begins on WKST), the listed weekdays of each, at each time."""

    weekly: bool
    period: int  # days: INTERVAL, or INTERVAL weeks
    offsets: tuple[int, ...]  # days from a period's first day that can hold occurrences
    weekdays: frozenset[int]  # 0 = Monday
    times: tuple[time, ...]  # sorted, each once
    week_start: int  # WKST (WEEKLY only)

    @classmethod
    def of(cls, parts: dict[str, str]) -> PlainRule | None:
        """The plain form of a normalised rule's parts, or None if it has another part."""
        if parts["FREQ"] not in ("DAILY", "WEEKLY") or not set(parts) <= _PLAIN_PARTS:
            return None
        days = parts.get("BYDAY")
        if days is not None and not _PLAIN_DAYS.fullmatch(days):
            return None  # BYDAY=1MO and the like: dateutil's to read
        weekdays = frozenset(
            WEEKDAY_CODES.index(code) for code in (days or ",".join(WEEKDAY_CODES)).split(",")
        )
        weekly = parts["FREQ"] == "WEEKLY"
        interval = int(parts.get("INTERVAL", "1"))
        if interval > _PLAIN_MAX_INTERVAL:
            return None  # periods of centuries: dateutil's to read, without overflow
        week_start = WEEKDAY_CODES.index(parts.get("WKST", "MO"))
        clock = (parts[name].split(",") for name in ("BYHOUR", "BYMINUTE", "BYSECOND"))
        try:
            # A set: BYHOUR=9,09 is one time, as dateutil reads it.
            times = sorted({time(int(h), int(m), int(s)) for h, m, s in product(*clock)})
        except ValueError:
            return None  # a second 60 and the like: dateutil's to read
        if not weekly:
            return cls(False, interval, (0,), weekdays, tuple(times), 0)
        offsets = tuple(sorted((day - week_start) % 7 for day in weekdays))
        return cls(True, 7 * interval, offsets, weekdays, tuple(times), week_start)

    def between(self, dtstart: datetime, start: datetime, end: datetime) -> list[datetime]:
        """Occurrences with ``start <= t <= end``, for a series from ``dtstart`` (which
        ``start`` is not before), where ``serves`` says so."""
        first = dtstart.date()
        if self.weekly:  # periods begin on WKST
            first -= timedelta(days=(first.weekday() - self.week_start) % 7)
        period = self.period
        day = first + timedelta(days=(start.date() - first).days // period * period)
        step = timedelta(days=period)
        found = []
        while day <= end.date():
            for offset in self.offsets:
                moment_day = day + timedelta(days=offset)
                if moment_day.weekday() not in self.weekdays:
                    continue  # DAILY;BYDAY: not one of its days
                for at in self.times:
                    moment = datetime.combine(moment_day, at)
                    if start <= moment <= end:
                        found.append(moment)
            day += step
        return found

    @staticmethod
    def serves(dtstart: datetime, end: datetime) -> bool:
        """Whether ``between`` can list this range: its date arithmetic (a week before
        DTSTART, a period after the range) stays within the years ``date`` can hold;
        dateutil lists the rest."""
        return dtstart.year > 1 and end.year < 9999 - _PLAIN_MAX_YEARS


# INTERVAL at most this: a period of at most 1,000 weeks, under _PLAIN_MAX_YEARS years.
_PLAIN_MAX_INTERVAL = 1000
_PLAIN_MAX_YEARS = 20
_PLAIN_PARTS = {"FREQ", "INTERVAL", "BYDAY", "BYHOUR", "BYMINUTE", "BYSECOND", "UNTIL", "WKST"}
_PLAIN_DAYS = re.compile(r"(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*")


def parse_parts(text: str) -> dict[str, str]:
    """``FREQ=WEEKLY;BYDAY=MO`` -> {"FREQ": "WEEKLY", "BYDAY": "MO"}; syntax only."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    parts: dict[str, str] = {}
    for item in body.split(";"):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise RuleError(f"{item.strip()!r} is not NAME=VALUE")
        if name in parts:
            raise RuleError(f"{name} appears more than once")
        parts[name] = value
    if "FREQ" not in parts:
        raise RuleError("FREQ is missing")
    return parts


def until_local(value: str, zone: ZoneInfo) -> datetime:
    """RFC 5545 UNTIL as naive local wall-clock time of ``zone``.

    UTC (``…Z``) is converted; a floating date-time is already local; a bare date means
    the whole of that local day.
    """
    try:
        if value.endswith("Z"):
            instant = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return instant.astimezone(zone).replace(tzinfo=None)
        if "T" in value:
            return datetime.strptime(value, "%Y%m%dT%H%M%S")  # noqa: DTZ007 - wall-clock
        day = datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007 - a date
        return datetime.combine(day, time(23, 59, 59))
    except ValueError:
        raise RuleError(f"UNTIL {value!r} is not a date (YYYYMMDD) or date-time") from None


@lru_cache(maxsize=2048)
def compile_rule(text: str, dtstart: datetime, timezone: str) -> Recurrence:
    """Parse and check ``text`` for a series starting at ``dtstart`` (naive local)."""
    parts = parse_parts(text)
    until = until_local(parts["UNTIL"], ZoneInfo(timezone)) if "UNTIL" in parts else None
    if until is not None:
        parts["UNTIL"] = until.strftime("%Y%m%dT%H%M%S")
    freq = parts["FREQ"]
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("COUNT and UNTIL cannot both be given (RFC 5545)")
    if freq in FREQUENCIES:
        _write_defaults(parts, dtstart)
    normalised = ";".join(f"{name}={value}" for name, value in parts.items())
    try:
        interval = int(parts.get("INTERVAL", "1"))
        _rule(normalised, dtstart)
        if interval < 1:  # dateutil would repeat DTSTART for ever
            raise RuleError(f"INTERVAL must be at least 1, not {interval}")
    except RuleError:
        raise
    except (ValueError, TypeError, KeyError) as error:
        raise RuleError(str(error) or type(error).__name__) from None
    return Recurrence(
        text=normalised,
        dtstart=dtstart,
        freq=freq,
        interval=interval,
        has_count="COUNT" in parts,
        until=until,
        plain=PlainRule.of(parts),
    )


def _write_defaults(parts: dict[str, str], dtstart: datetime) -> None:
    """What dateutil would take from DTSTART, written into the rule (see module doc)."""
    if not any(name in parts for name in _DAY_PARTS):
        freq = parts["FREQ"]
        if freq == "YEARLY":
            parts.setdefault("BYMONTH", str(dtstart.month))
            parts["BYMONTHDAY"] = str(dtstart.day)
        elif freq == "MONTHLY":
            parts["BYMONTHDAY"] = str(dtstart.day)
        elif freq == "WEEKLY":
            parts["BYDAY"] = WEEKDAY_CODES[dtstart.weekday()]
    parts.setdefault("BYHOUR", str(dtstart.hour))
    parts.setdefault("BYMINUTE", str(dtstart.minute))
    parts.setdefault("BYSECOND", str(dtstart.second))


@lru_cache(maxsize=4096)
def _rule(text: str, dtstart: datetime) -> rrule:
    built = rrulestr(text, dtstart=dtstart)
    if not isinstance(built, rrule):  # pragma: no cover - we never ask for a set
        raise RuleError("not a single RRULE")
    return built


def first_from(text: str, local: datetime, timezone: str) -> datetime | None:
    """The first occurrence, at or after ``local`` (naive wall-clock), of a series with
    this RRULE starting "from" there; None if there is none or the rule cannot be read.
    A schedule must start on an occurrence, so this is where one meant "from" starts."""
    try:
        return first_occurrence(compile_rule(text, local, timezone))
    except RuleError:
        return None


@lru_cache(maxsize=1024)
def first_occurrence(recurrence: Recurrence) -> datetime | None:
    """The first occurrence at or after DTSTART, or None when the rule never matches.

    dateutil finds out that a rule never matches only by searching to the year 9999.
    Shifting DTSTART by a multiple of 400·INTERVAL years keeps both the calendar and
    the rule's periods the same, so we search the shifted rule near 9999, where the
    search ends after 40 to 440 years. A rule that matches less than once in 40 years
    is treated as never matching.
    """
    start = recurrence.dtstart
    step = _CYCLE_YEARS * recurrence.interval
    cycles = max(0, math.floor((9999 - _SEARCH_YEARS - start.year) / step))
    years = cycles * step
    text = ";".join(
        part for part in recurrence.text.split(";") if not part.startswith(("UNTIL=", "COUNT="))
    )
    found = next(iter(_rule(text, start.replace(year=start.year + years))), None)
    if found is None:
        return None
    first = found.replace(year=found.year - years)
    if recurrence.until is not None and first > recurrence.until:
        return None
    return first
