"""A VEVENT as plain values (``VEvent``), and its bytes written straight from them.

Building an icalendar ``Event`` per occurrence and serialising it costs the feed most of
its rendering time: a component per event, a typed value per property, a content line
made and checked per property. Yet a schedule's events repeat most of their lines (UID,
DTSTAMP, SEQUENCE, often the place and the description), and the rest are instants.
``VEventWriter`` writes each distinct line once, with icalendar's own value types, and
an instant as ``vDatetime`` would write it, so the bytes are ``Event.to_ical()``'s: the
event made from the same values with ``Component.add`` (``tests/feeds/test_vevent.py``
compares the two on varied events, and ``tests/feeds/test_content.py`` on whole feeds).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache
from typing import NamedTuple

from icalendar import Alarm, vDatetime, vDDDLists, vInt, vRecur

# vText.to_ical's escaping, without making a vText (and its Parameters) per text; the
# public name is deprecated, and icalendar points its own code at this one.
from icalendar.parser.string import _escape_char

from .ical_writer import IcalWriter, begin_end, finish_line

# Event.to_ical writes properties in this order (Event.canonical_order, then the others
# alphabetically; test_vevent holds it to icalendar's), then the VALARMs.
ORDER = (
    "SUMMARY",
    "DTSTART",
    "DTEND",
    "DTSTAMP",
    "UID",
    "RECURRENCE-ID",
    "SEQUENCE",
    "RRULE",
    "EXDATE",
    "DESCRIPTION",
    "LAST-MODIFIED",
    "LOCATION",
    "TRANSP",
)
_BEGIN, _END = begin_end("VEVENT")


class VEvent(NamedTuple):
    """What one VEVENT says. Instants are aware; an all-day event's are DATEs
    (written ``VALUE=DATE``). Empty texts and None are left out."""

    uid: str
    summary: str
    start: date | datetime
    end: date | datetime
    stamp: datetime  # DTSTAMP and LAST-MODIFIED, written in UTC
    sequence: int
    description: str = ""
    location: str = ""
    is_transparent: bool = False
    recurrence_id: date | datetime | None = None
    rrule: vRecur | None = None
    exdates: vDDDLists | None = None
    alarms: tuple[Alarm, ...] = ()  # shared between events: each is written once


class VEventWriter:
    """Writes VEvents, remembering the lines it wrote: keep one per batch of events
    (a schedule's), not longer."""

    def __init__(self) -> None:
        self._ical = IcalWriter()
        self._texts: dict[tuple[str, str], bytes] = {}
        self._stamps: dict[datetime, tuple[bytes, bytes]] = {}
        self._sequences: dict[int, bytes] = {}
        self._days: dict[date, str] = {}
        self._clocks: dict[time, str] = {}
        self._alarms: dict[int, tuple[Alarm, bytes]] = {}

    def write(self, event: VEvent) -> bytes:
        """The bytes of the icalendar ``Event`` made of ``event``'s values."""
        text, when = self._text, self._when
        stamp, last_modified = self._stamp(event.stamp)
        lines = [
            _BEGIN,
            text("SUMMARY", event.summary),
            when("DTSTART", event.start),
            when("DTEND", event.end),
            stamp,
            text("UID", event.uid),
        ]
        if event.recurrence_id is not None:
            lines.append(when("RECURRENCE-ID", event.recurrence_id))
        lines.append(self._sequence(event.sequence))
        if event.rrule is not None:
            lines.append(self._ical.value_line("RRULE", event.rrule))
        if event.exdates is not None:
            lines.append(self._ical.value_line("EXDATE", event.exdates))
        if event.description:
            lines.append(text("DESCRIPTION", event.description))
        lines.append(last_modified)
        if event.location:
            lines.append(text("LOCATION", event.location))
        if event.is_transparent:
            lines.append(text("TRANSP", "TRANSPARENT"))
        for alarm in event.alarms:
            lines.append(self._alarm(alarm))
        lines.append(_END)
        return b"".join(lines)

    def _text(self, name: str, value: str) -> bytes:
        line = self._texts.get((name, value))
        if line is None:
            # vText's own escaping; its bytes read back as IcalWriter reads them: a
            # leading byte-order mark dropped (utf-8-sig).
            text = _escape_char(value).removeprefix("\ufeff")
            line = self._texts[(name, value)] = finish_line(f"{name}:{text}")
        return line

    def _stamp(self, stamp: datetime) -> tuple[bytes, bytes]:
        lines = self._stamps.get(stamp)
        if lines is None:
            utc = stamp.astimezone(UTC)
            text = f"{self._wall(utc)}Z"
            lines = self._stamps[stamp] = (
                finish_line(f"DTSTAMP:{text}"),
                finish_line(f"LAST-MODIFIED:{text}"),
            )
        return lines

    def _sequence(self, sequence: int) -> bytes:
        line = self._sequences.get(sequence)
        if line is None:
            line = self._sequences[sequence] = self._ical.value_line("SEQUENCE", vInt(sequence))
        return line

    def _when(self, name: str, value: date | datetime) -> bytes:
        if not isinstance(value, datetime):
            return finish_line(f"{name};VALUE=DATE:{self._day(value)}")
        prefix = _prefix(name, value.tzinfo)
        if prefix is None:
            return finish_line(f"{name}:{self._wall(value)}Z")
        return finish_line(prefix + self._wall(value))

    def _wall(self, value: datetime) -> str:
        """vDatetime's text of the wall-clock time, without its "Z"."""
        clock = value.time()
        text = self._clocks.get(clock)
        if text is None:
            text = self._clocks[clock] = f"T{clock.hour:02}{clock.minute:02}{clock.second:02}"
        return self._day(value.date()) + text

    def _day(self, day: date) -> str:
        # Numbers formatted with widths are most of the cost of writing an instant, and
        # a schedule's instants share their days (start, end, RECURRENCE-ID) and times.
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = f"{day.year:04}{day.month:02}{day.day:02}"
        return text

    def _alarm(self, alarm: Alarm) -> bytes:
        done = self._alarms.get(id(alarm))
        if done is None:
            done = self._alarms[id(alarm)] = (alarm, self._ical.to_ical(alarm))
        return done[1]


@lru_cache(maxsize=256)
def _prefix(name: str, zone: tzinfo | None) -> str | None:
    """What a datetime in ``zone`` is written after ("DTSTART;TZID=Asia/Shanghai:"), as
    vDatetime writes it; None for UTC and its equivalents, written with a "Z" and no
    TZID. icalendar reads the TZID off the zone alone (``tzid_from_tzinfo``), so any
    instant tells it, and a feed's thousands of instants are in one or two zones."""
    assert zone is not None, "a feed's instants are aware"
    params = vDatetime(datetime(2000, 1, 1, tzinfo=zone)).params
    if params.is_utc() or "TZID" not in params:
        return None
    return f"{name};{params.to_ical(sorted=True).decode()}:"
