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
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate, product, repeat
from operator import add
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from .rfc5545 import RuleError, split_parts, until_local

__all__ = ["Recurrence", "RuleError", "compile_rule", "first_from", "first_occurrence"]

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
        # dateutil drops DTSTART's microseconds, so its first occurrence may be
        # earlier than DTSTART by those (and still inside a range ending before it).
        if end < self.dtstart.replace(microsecond=0) or first_occurrence(self) is None:
            return []
        if self.plain is not None and self.plain.serves(self.dtstart, end):
            dtstart = self.dtstart.replace(microsecond=0)
            last = end if self.until is None else min(end, self.until)
            return self.plain.between(dtstart, max(start, dtstart), last)
        return self.rule(self._rebased(start)).between(start, end, inc=True)

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
        periods = (end.date() - day).days // period + 1
        if periods <= 0:
            return []
        step = timedelta(days=period)
        # A DAILY rule with BYDAY lists only its weekdays; a WEEKLY rule's offsets are
        # its weekdays already.
        picks_days = not self.weekly and len(self.weekdays) < 7
        found: list[datetime] = []
        # Each offset and time of a period recurs once a period: an arithmetic series,
        # summed in C rather than built day by day. Only the first and the last period
        # can hold times outside the range, so each series is cut by bisection.
        for offset in self.offsets:
            moment_day = day + timedelta(days=offset)
            if picks_days and period % 7 == 0 and moment_day.weekday() not in self.weekdays:
                continue  # every period falls on the same weekday, and not one of its days
            for at in self.times:
                first_moment = datetime.combine(moment_day, at)
                series: list[datetime] = list(
                    accumulate(repeat(step, periods - 1), add, initial=first_moment)
                )
                found += series[bisect_left(series, start) : bisect_right(series, end)]
        if picks_days and period % 7:
            found = [moment for moment in found if moment.weekday() in self.weekdays]
        if len(self.offsets) * len(self.times) > 1:
            found.sort()  # the series interleave: a week's days, a day's times
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
    return split_parts(text)


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
        _read_as_rfc5545(parts, dtstart)
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


def _read_as_rfc5545(parts: dict[str, str], dtstart: datetime) -> None:
    """Rewrite, for dateutil, the parts it reads otherwise than RFC 5545 and the
    calendar clients (libical, ical.js) do.

    * ``FREQ=YEARLY;BYMONTHDAY=…`` without BYMONTH: dateutil takes the days of every
      month; RFC 5545 takes the month from DTSTART, as it does any part not given.
    * ``BYDAY`` mixing ordinal and plain weekdays (``3MO,WE``): dateutil keeps only the
      days that are both; RFC 5545 means either. A plain weekday is every ordinal one
      of its month (1…5) or, in a YEARLY rule without BYMONTH, of its year (1…53).
    """
    freq = parts["FREQ"]
    alone = not any(name in parts for name in ("BYMONTH", "BYYEARDAY", "BYWEEKNO"))
    if freq == "YEARLY" and "BYMONTHDAY" in parts and alone:
        parts["BYMONTH"] = str(dtstart.month)
    days = parts.get("BYDAY", "").split(",")
    ordinal = [d for d in days if d[:-2]]
    if freq in ("MONTHLY", "YEARLY") and ordinal and len(ordinal) < len(days):
        weeks = 5 if freq == "MONTHLY" or "BYMONTH" in parts else 53
        spread = [f"{n}{d}" for d in days if not d[:-2] for n in range(1, weeks + 1)]
        parts["BYDAY"] = ",".join(ordinal + spread)


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
    text = ";".join(
        part for part in recurrence.text.split(";") if not part.startswith(("UNTIL=", "COUNT="))
    )
    if _never_in_sample(text, recurrence.freq, start):
        return None
    found = _shifted_first(text, start, recurrence.interval)
    if found is None:
        return None
    years = found[1]
    first = found[0].replace(year=found[0].year - years)
    if recurrence.until is not None and first > recurrence.until:
        return None
    return first


def _shifted_first(text: str, start: datetime, interval: int) -> tuple[datetime, int] | None:
    """The first occurrence of the rule from ``start`` shifted near 9999 (see
    ``first_occurrence``), and the number of years shifted."""
    step = _CYCLE_YEARS * interval
    cycles = max(0, math.floor((9999 - _SEARCH_YEARS - start.year) / step))
    years = cycles * step
    found = next(iter(_rule(text, start.replace(year=start.year + years))), None)
    return None if found is None else (found, years)


def _never_in_sample(text: str, freq: str, start: datetime) -> bool:
    """Whether a rule surely never occurs, told from a sample of years instead
    of dateutil's search of 400 years (a step a day or a month: up to a second).

    Every month of 9971-9999 has each shape a month can have (its number, length and
    the weekday of its 1st), and each year each shape a year can have (leap or not, the
    weekday of January 1st), and what a MONTHLY or YEARLY period holds depends on its
    shape alone. A DAILY rule holds the days of the YEARLY one with the same parts.
    The engine's text has every default taken from DTSTART written out, so only the
    time of day is taken from ``start``. (dateutil stops at the year 9999, not at an
    UNTIL, when a rule yields nothing: hence those years.)"""
    if freq == "WEEKLY":
        return False  # a week holds every weekday: such a rule occurs soon enough
    parts = dict(part.split("=", 1) for part in text.split(";"))
    # A rule of INTERVAL n holds some of the periods of the same rule of INTERVAL 1:
    # if that one never occurs, neither does this one.
    parts.pop("INTERVAL", None)
    if freq == "DAILY":
        if not any(name in parts for name in ("BYMONTHDAY", "BYDAY", "BYYEARDAY")):
            return False  # every day or month holds an occurrence
        parts["FREQ"] = "YEARLY"
    sample = ";".join(f"{name}={value}" for name, value in parts.items())
    return next(iter(_rule(sample, datetime.combine(_SAMPLE_START, start.time()))), None) is None


_SAMPLE_START = date(9971, 1, 1)


def next_after(text: str, local_start: datetime, timezone: str, after: datetime) -> datetime | None:
    """The first original start (naive local) after ``after`` of the series with this
    stored RRULE from ``local_start``, read as RFC 5545 reads it; None if none is left.
    For the write layer, which must not read stored rules with dateutil itself (a stored
    UNTIL is in UTC, and dateutil's reading differs from RFC 5545's)."""
    found: datetime | None = compile_rule(text, local_start, timezone).rule().after(after)
    return found


def is_rule_occurrence(text: str, local_start: datetime, timezone: str, local: datetime) -> bool:
    """Whether ``local`` (naive wall-clock) is an original start of the series with this
    stored RRULE from ``local_start`` (DTSTART counts), read as RFC 5545 reads it."""
    if local == local_start:
        return True
    second = timedelta(seconds=1)
    rule = compile_rule(text, local_start, timezone).rule()
    return bool(rule.between(local - second, local + second))
