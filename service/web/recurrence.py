"""The human recurrence editor: "every week on Wednesday", "every year on 3 March",
"every month on the first Monday", turned into an RFC 5545 RRULE and back.

Only the shapes the editor can show are parsed back; any other RRULE is kept as
written ("custom") so editing a schedule never silently rewrites its rule. Whether
the RRULE is acceptable is still decided by the schedule service, as for the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from . import messages

PATTERNS = ("once", "weekly", "monthly", "yearly", "custom")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
NTHS = (1, 2, 3, 4, -1)
_DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")

_WEEKLY = re.compile(r"^FREQ=WEEKLY(?:;INTERVAL=(\d+))?;BYDAY=(MO|TU|WE|TH|FR|SA|SU)$")
_MONTHLY = re.compile(r"^FREQ=MONTHLY;BYDAY=(-1|[1-4])(MO|TU|WE|TH|FR|SA|SU)$")
_YEARLY = re.compile(r"^FREQ=YEARLY;BYMONTH=(\d{1,2});BYMONTHDAY=(\d{1,2})$")
_UNTIL = re.compile(r";UNTIL=(\d{8})(T\d{6}Z?)?$")


@dataclass
class Recurrence:
    pattern: str = "once"
    weekday: str = "MO"
    interval: int = 1
    nth: int = 1
    month: int = 1
    day: int = 1
    until: date | None = None
    custom: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def form_values(self) -> dict[str, Any]:
        return {
            "repeat": self.pattern,
            "repeat_weekday": self.weekday,
            "repeat_interval": str(self.interval),
            "repeat_nth": str(self.nth),
            "repeat_month": str(self.month),
            "repeat_day": str(self.day),
            "repeat_until": self.until.isoformat() if self.until else "",
            "rrule": self.custom,
        }


def to_rrule(
    r: Recurrence, zone: ZoneInfo = _DEFAULT_ZONE, *, is_all_day: bool = False
) -> str | None:
    """The RRULE for the editor's choice; None for a one-off event.

    "Until" is a day in the schedule's timezone and includes that whole day. RFC 5545
    wants UNTIL of DTSTART's type: a DATE for an all-day series; in UTC when DTSTART has
    a TZID, so for a timed one it is written as the day's last second, in UTC.
    """
    if r.pattern == "once":
        return None
    if r.pattern == "custom":
        return r.custom.strip().removeprefix("RRULE:") or None
    if r.pattern == "weekly":
        every = f";INTERVAL={r.interval}" if r.interval > 1 else ""
        text = f"FREQ=WEEKLY{every};BYDAY={r.weekday}"
    elif r.pattern == "monthly":
        text = f"FREQ=MONTHLY;BYDAY={r.nth}{r.weekday}"
    else:
        text = f"FREQ=YEARLY;BYMONTH={r.month};BYMONTHDAY={r.day}"
    if r.until is not None and is_all_day:
        text += f";UNTIL={r.until:%Y%m%d}"
    elif r.until is not None:
        last = datetime.combine(r.until, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
        text += f";UNTIL={last:%Y%m%dT%H%M%SZ}"
    return text


def from_rrule(text: str | None, zone: ZoneInfo = _DEFAULT_ZONE) -> Recurrence:
    if not text:
        return Recurrence()
    body = text.strip().removeprefix("RRULE:").upper()
    until: date | None = None
    found = _UNTIL.search(body)
    if found:
        until = _until_day(found.group(1), found.group(2) or "", zone)
        body = body[: found.start()]
    if m := _WEEKLY.match(body):
        return Recurrence("weekly", weekday=m.group(2), interval=int(m.group(1) or 1), until=until)
    if m := _MONTHLY.match(body):
        return Recurrence("monthly", weekday=m.group(2), nth=int(m.group(1)), until=until)
    if m := _YEARLY.match(body):
        return Recurrence("yearly", month=int(m.group(1)), day=int(m.group(2)), until=until)
    return Recurrence("custom", custom=text.strip())


def from_form(values: dict[str, Any]) -> Recurrence:
    """Read the editor's fields; problems go to ``errors`` keyed by form field."""
    r = Recurrence(pattern=str(values.get("repeat") or "once"))
    if r.pattern not in PATTERNS:
        r.errors["repeat"] = messages.INVALID_CHOICE
        return r
    r.weekday = str(values.get("repeat_weekday") or "MO")
    if r.pattern in ("weekly", "monthly") and r.weekday not in WEEKDAYS:
        r.errors["repeat_weekday"] = messages.INVALID_CHOICE
    r.interval = _number(values, "repeat_interval", 1, 1, 52, r.errors, r.pattern == "weekly")
    r.nth = _number(values, "repeat_nth", 1, -1, 4, r.errors, r.pattern == "monthly")
    if r.pattern == "monthly" and r.nth not in NTHS:
        r.errors["repeat_nth"] = messages.INVALID_CHOICE
    r.month = _number(values, "repeat_month", 1, 1, 12, r.errors, r.pattern == "yearly")
    r.day = _number(values, "repeat_day", 1, 1, 31, r.errors, r.pattern == "yearly")
    if r.pattern == "yearly" and not r.errors and not _day_exists(r.month, r.day):
        r.errors["repeat_day"] = messages.NO_SUCH_DAY
    raw_until = str(values.get("repeat_until") or "")
    if raw_until and r.pattern in ("weekly", "monthly", "yearly"):
        try:
            r.until = date.fromisoformat(raw_until)
        except ValueError:
            r.errors["repeat_until"] = messages.INVALID_DATE
    r.custom = str(values.get("rrule") or "")
    if r.pattern == "custom" and not r.custom.strip():
        r.errors["rrule"] = messages.REQUIRED
    return r


def _number(
    values: dict[str, Any],
    name: str,
    default: int,
    low: int,
    high: int,
    errors: dict[str, str],
    used: bool,
) -> int:
    raw = str(values.get(name) or "").strip()
    if not raw:
        return default
    try:
        number = int(raw)
    except ValueError:
        if used:
            errors[name] = messages.INVALID_INTEGER
        return default
    if used and not low <= number <= high:
        errors[name] = f"请输入 {low} 到 {high} 之间的数。"
    return number


def _until_day(day: str, clock: str, zone: ZoneInfo) -> date:
    local_day = date(int(day[:4]), int(day[4:6]), int(day[6:8]))
    if not clock.endswith("Z"):
        return local_day
    utc_clock = time(int(clock[1:3]), int(clock[3:5]), int(clock[5:7]))
    return datetime.combine(local_day, utc_clock, tzinfo=UTC).astimezone(zone).date()


def _day_exists(month: int, day: int) -> bool:
    try:
        date(2024, month, day)  # a leap year: 29 February is a real (if rare) date
    except ValueError:
        return False
    return True
