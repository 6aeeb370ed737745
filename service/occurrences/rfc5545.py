"""What Pufa accepts as an RRULE, and the one form in which it stores and publishes it.

The feed is read by Apple Calendar, Thunderbird (ical.js), Outlook and libical, the API
and the SMS plan by python-dateutil: a rule is accepted only where all of them list the
same occurrences. So this module accepts every RFC 5545 spelling of a rule (names in
any case, a trailing ``;``, ``UNTIL`` as a date, a local or a UTC date-time) and writes
it back in one canonical form (upper case, ``UNTIL`` in UTC for a timed series, a date
for an all-day one), and it refuses, naming the part, every rule that RFC 5545 forbids,
that calendar clients read differently, or that would flood the SMS plan.
docs/recurrence.md lists the classes; ``RuleError.kind`` names them.

Where dateutil's own reading differs from RFC 5545 but the rule is sound, the engine
(``rules.compile_rule``) rewrites the rule for dateutil; the stored text stays RFC 5545.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# The rule parts of RFC 5545 §3.3.10.
PARTS = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
# A series of more occurrences than this is not an office's schedule, and dateutil
# would have to count them all for every query.
MAX_COUNT = 5000
MAX_INTERVAL = 1000
MAX_PER_DAY = 24
# What the schedules table holds (schedules.rrule).
MAX_LENGTH = 500
# (lowest, highest) absolute value; zero is never allowed.
_RANGES = {
    "BYMINUTE": (0, 59),
    "BYHOUR": (0, 23),
    "BYMONTHDAY": (1, 31),
    "BYYEARDAY": (1, 366),
    "BYWEEKNO": (1, 53),
    "BYMONTH": (1, 12),
    "BYSETPOS": (1, 366),
}
_SIGNED = {"BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS"}
_DAY = re.compile(r"([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_NUMBER = re.compile(r"[+-]?\d{1,6}")
_UNTIL = re.compile(r"(\d{8})(T(\d{6})(Z?))?")

KINDS = {
    "syntax": "写法不对",
    "unknown_part": "不是 RFC 5545 的规则部分",
    "frequency": "频率须为每天、每周、每月或每年",
    "bysecond": "不支持按秒重复",
    "all_day_time": "全天日程不能指定时刻",
    "forbidden": "RFC 5545 不允许这样组合",
    "clients_disagree": "各日历软件对这种写法理解不一",
    "range": "取值超出范围",
    "too_many": "次数过多",
    "timezone": "不是有效的时区",
    "dst_gap": "时刻因夏令时不存在",
    "never": "不会产生任何日程",
    "until": "结束日期不对",
    "not_occurrence": "开始时间不是规则中的一次",
}


class RuleError(ValueError):
    """A rule Pufa refuses. ``part`` is the rule part at fault (``BYDAY``…), ``kind``
    one of ``KINDS``, and the message, in Chinese, names both."""

    def __init__(self, message: str, *, part: str = "RRULE", kind: str = "syntax") -> None:
        super().__init__(message)
        self.part = part
        self.kind = kind


def _refuse(kind: str, part: str, detail: str) -> RuleError:
    return RuleError(f"{part}：{detail}（{KINDS[kind]}）", part=part, kind=kind)


@dataclass(frozen=True)
class CheckedRule:
    """A rule that passed ``check_rule``: its canonical text and parsed parts."""

    text: str
    parts: dict[str, str]


def split_parts(text: str) -> dict[str, str]:
    """``freq=weekly;byday=mo;`` -> {"FREQ": "WEEKLY", "BYDAY": "MO"}: names and values
    upper case, empty items (a trailing ``;``) skipped. Syntax only."""
    body = text.strip()
    if body[:6].upper() == "RRULE:":
        body = body[6:]
    if any(c in body for c in "\r\n:"):
        raise _refuse("syntax", "RRULE", "只写一行规则本身，例如 FREQ=WEEKLY;BYDAY=MO")
    parts: dict[str, str] = {}
    for item in body.split(";"):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise _refuse("syntax", name or "RRULE", f"“{item.strip()}”应写成 名称=值")
        if name in parts:
            raise _refuse("syntax", name, "出现了不止一次")
        parts[name] = value
    if "FREQ" not in parts:
        raise _refuse("syntax", "FREQ", "缺少 FREQ")
    return parts


def check_rule(text: str, local_start: datetime, timezone: str, *, is_all_day: bool) -> CheckedRule:
    """Check ``text`` for a series starting at ``local_start`` (naive wall-clock time of
    ``timezone``; local midnight of the first day when ``is_all_day``) and return its
    canonical form. Raises ``RuleError`` naming the part at fault.

    Checks the rule alone; whether it ever occurs and whether the start is one of its
    occurrences are ``validate``'s (they need the engine).
    """
    parts = split_parts(text)
    unknown = [name for name in parts if name not in PARTS]
    if unknown:
        raise _refuse("unknown_part", unknown[0], "Pufa 只接受 RFC 5545 定义的规则部分")
    freq = parts["FREQ"]
    if freq not in FREQUENCIES:
        if freq in ("HOURLY", "MINUTELY", "SECONDLY"):
            raise _refuse("frequency", "FREQ", f"{freq} 比每天更密")
        raise _refuse("frequency", "FREQ", f"不认识 {freq}")
    if "BYSECOND" in parts:
        raise _refuse("bysecond", "BYSECOND", "日程的时刻只到分钟")
    if is_all_day:
        for name in ("BYHOUR", "BYMINUTE"):
            if name in parts:
                raise _refuse("all_day_time", name, "全天日程按日期重复")
    for name in ("COUNT", "INTERVAL"):
        if name in parts:
            _check_positive(name, parts[name], MAX_COUNT if name == "COUNT" else MAX_INTERVAL)
    if "COUNT" in parts and "UNTIL" in parts:
        raise _refuse("forbidden", "COUNT", "COUNT 和 UNTIL 只能用一个")
    lists = {name: parts[name].split(",") for name in _RANGES if name in parts}
    for name, values in lists.items():
        _check_numbers(name, values)
    days = _parse_days(parts["BYDAY"]) if "BYDAY" in parts else []
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        raise _refuse("range", "WKST", f"{parts['WKST']} 不是星期几")
    _check_combinations(parts, days)
    per_day = len(lists.get("BYHOUR", [0])) * len(lists.get("BYMINUTE", [0]))
    if per_day > MAX_PER_DAY:
        part = "BYMINUTE" if "BYMINUTE" in lists else "BYHOUR"
        raise _refuse("too_many", part, f"一天最多 {MAX_PER_DAY} 次，这条规则一天 {per_day} 次")
    if "UNTIL" in parts:
        parts["UNTIL"] = canonical_until(parts["UNTIL"], ZoneInfo(timezone), is_all_day=is_all_day)
    _spell_out(parts, days, local_start)
    # The parts stay in the order they were given: only their spelling is canonical.
    text = ";".join(f"{k}={v}" for k, v in parts.items())
    if len(text) > MAX_LENGTH:
        raise _refuse("too_many", "BYDAY", f"写成各软件一致的形式后超过 {MAX_LENGTH} 个字符")
    return CheckedRule(text, parts)


def _spell_out(parts: dict[str, str], days: list[tuple[int, str]], local_start: datetime) -> None:
    """Write what readers of the feed take differently from the rule in the form all of
    them read alike (libical, ical.js, and python-dateutil behind many Python readers):

    * ``FREQ=YEARLY;BYMONTHDAY=…`` without BYMONTH: RFC 5545 takes the month from
      DTSTART, as any part not given; dateutil takes every month. BYMONTH is written.
    * ``BYDAY`` mixing ordinal and plain weekdays (``3MO,WE``): RFC 5545 means either;
      dateutil only days that are both. A plain weekday is written as each of its
      ordinals in the month (1…5) or, in a YEARLY rule without BYMONTH, the year (1…53).
    """
    freq = parts["FREQ"]
    others = ("BYMONTH", "BYYEARDAY", "BYWEEKNO")
    if freq == "YEARLY" and "BYMONTHDAY" in parts and not any(n in parts for n in others):
        parts["BYMONTH"] = str(local_start.month)
    ordinals = [f"{n:+d}{code}".lstrip("+") for n, code in days if n]
    if freq in ("MONTHLY", "YEARLY") and ordinals and len(ordinals) < len(days):
        weeks = 5 if freq == "MONTHLY" or "BYMONTH" in parts else 53
        plain = [code for n, code in days if not n]
        spread = [f"{week}{code}" for code in plain for week in range(1, weeks + 1)]
        parts["BYDAY"] = ",".join(ordinals + spread)


def _check_positive(name: str, value: str, highest: int) -> None:
    if not value.isdigit():
        raise _refuse("range", name, f"须是正整数，不是 {value}")
    number = int(value)
    if number < 1:
        raise _refuse("range", name, f"至少为 1，不是 {number}")
    if number > highest:
        raise _refuse("too_many", name, f"最大 {highest}，不是 {number}")


def _check_numbers(name: str, values: list[str]) -> None:
    lowest, highest = _RANGES[name]
    for value in values:
        if not _NUMBER.fullmatch(value):
            raise _refuse("range", name, f"“{value}”不是整数")
        number = int(value)
        if name not in _SIGNED and value[0] in "+-":
            raise _refuse("range", name, f"不能带正负号：{value}")
        if not lowest <= abs(number) <= highest:
            sign = "±" if name in _SIGNED else ""
            raise _refuse("range", name, f"{value} 超出 {sign}{lowest}…{sign}{highest}")


def _parse_days(value: str) -> list[tuple[int, str]]:
    """``1MO,-1FR,WE`` -> [(1, "MO"), (-1, "FR"), (0, "WE")]."""
    days = []
    for item in value.split(","):
        match = _DAY.fullmatch(item)
        if match is None:
            raise _refuse("range", "BYDAY", f"“{item}”不是星期几（MO…SU，可带序号如 1MO、-1FR）")
        sign, number, code = match.groups()
        n = int(number) if number else 0
        if number is not None and n == 0:
            raise _refuse("range", "BYDAY", f"{item} 的序号不能为 0")
        days.append((-n if sign == "-" else n, code))
    return days


def _check_combinations(parts: dict[str, str], days: list[tuple[int, str]]) -> None:
    freq = parts["FREQ"]
    # What RFC 5545 §3.3.10 forbids.
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise _refuse("forbidden", "BYWEEKNO", "只能用于 FREQ=YEARLY")
    if "BYYEARDAY" in parts and freq != "YEARLY":
        raise _refuse("forbidden", "BYYEARDAY", "不能用于 DAILY、WEEKLY 或 MONTHLY")
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise _refuse("forbidden", "BYMONTHDAY", "不能用于 FREQ=WEEKLY")
    ordinals = [(n, code) for n, code in days if n]
    if ordinals and freq not in ("MONTHLY", "YEARLY"):
        raise _refuse("forbidden", "BYDAY", "带序号的星期（如 1MO）只能用于 MONTHLY 或 YEARLY")
    if ordinals and "BYWEEKNO" in parts:
        raise _refuse("forbidden", "BYDAY", "带序号的星期不能与 BYWEEKNO 同用")
    if "BYSETPOS" in parts and not any(
        name in parts for name in PARTS if name.startswith("BY") and name != "BYSETPOS"
    ):
        raise _refuse("forbidden", "BYSETPOS", "须与另一个 BYxxx 部分同用")
    # Allowed by RFC 5545, but read otherwise by a calendar client the feed serves
    # (ical.js 2.2.1, Thunderbird's), so a feed reader would see other dates.
    if "BYWEEKNO" in parts:
        raise _refuse("clients_disagree", "BYWEEKNO", "Thunderbird（ical.js）按周号重复时日期有误")
    if "BYSETPOS" in parts and freq not in ("MONTHLY", "YEARLY"):
        raise _refuse("clients_disagree", "BYSETPOS", "只接受 MONTHLY 或 YEARLY 中的 BYSETPOS")
    if "BYSETPOS" in parts and any("," in parts.get(name, "") for name in ("BYHOUR", "BYMINUTE")):
        raise _refuse("clients_disagree", "BYSETPOS", "不能与一天多个时刻同用")
    if "BYYEARDAY" in parts and "BYMONTH" in parts:
        raise _refuse("clients_disagree", "BYYEARDAY", "不能与 BYMONTH 同用")
    if (
        freq == "YEARLY"
        and days
        and "BYMONTHDAY" in parts
        and not any(name in parts for name in ("BYMONTH", "BYYEARDAY"))
    ):
        # ical.js takes every month then, and DTSTART's month without BYDAY.
        raise _refuse("clients_disagree", "BYMONTHDAY", "与 BYDAY 同用时须写明 BYMONTH")
    if freq == "YEARLY" and not any(
        name in parts for name in ("BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYDAY")
    ):
        for name in ("BYHOUR", "BYMINUTE"):
            if "," in parts.get(name, ""):
                detail = "每年一天多次时须写明 BYMONTH 和 BYMONTHDAY"
                raise _refuse("clients_disagree", name, detail)
    # A number of weeks a month or year cannot have: never an occurrence there.
    limit = 5 if freq == "MONTHLY" or "BYMONTH" in parts else 53
    for n, code in ordinals:
        if abs(n) > limit:
            raise _refuse("range", "BYDAY", f"{n:+d}{code} 超出 ±{limit}")


def canonical_until(value: str, zone: ZoneInfo, *, is_all_day: bool) -> str:
    """UNTIL as RFC 5545 wants it next to DTSTART: a DATE for an all-day series, a UTC
    date-time for a timed one (its DTSTART has a TZID). A date UNTIL of a timed series
    means the end of that local day, a floating one local wall-clock time."""
    moment = until_local(value, zone)
    if is_all_day:
        return moment.date().strftime("%Y%m%d")
    instant = datetime.combine(moment, moment.time(), zone).astimezone(UTC)
    return instant.strftime("%Y%m%dT%H%M%SZ")


def until_local(value: str, zone: ZoneInfo) -> datetime:
    """RFC 5545 UNTIL as naive local wall-clock time of ``zone``: a UTC date-time is
    converted, a floating one is local already, a date means the whole local day."""
    match = _UNTIL.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        day = datetime.strptime(match.group(1), "%Y%m%d").date()  # noqa: DTZ007 - a date
        if match.group(2) is None:
            return datetime.combine(day, time(23, 59, 59))
        clock = datetime.strptime(match.group(3), "%H%M%S").time()  # noqa: DTZ007
        local = datetime.combine(day, clock)
        if match.group(4):
            return local.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        return local
    except (ValueError, OverflowError):
        raise _refuse(
            "until", "UNTIL", f"“{value}”不是日期（YYYYMMDD）或时刻（YYYYMMDDTHHMMSSZ）"
        ) from None


def check_timezone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; a folder of tzdata (``America``), a file that is not a
    zone or anything else is a ``RuleError`` of kind ``timezone``."""
    try:
        # ZoneInfo opens what the name points at: a tzdata folder is an OSError.
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        message = f"未知时区“{name}”（须是 IANA 时区，例如 Asia/Shanghai）"
        raise RuleError(message, part="timezone", kind="timezone") from None


def dst_gap(local: datetime, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The local wall-clock times skipped by a change to daylight saving time that
    hold ``local``, as [first, end); None when ``local`` exists."""
    if _exists(local, zone):
        return None
    first = local.replace(second=0, microsecond=0)
    for _ in range(24 * 60):  # no zone skips a whole day
        earlier = first - timedelta(minutes=1)
        if _exists(earlier, zone):
            break
        first = earlier
    end = first
    while not _exists(end, zone):
        end += timedelta(minutes=1)
    return first, end


def _exists(local: datetime, zone: ZoneInfo) -> bool:
    aware = datetime.combine(local.date(), local.time(), zone)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == local.replace(tzinfo=None, fold=0)
