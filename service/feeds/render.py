"""The iCalendar bytes of a feed (RFC 5545, RFC 7986), written with icalendar.

Nothing here reads the clock or the database: the same content and the same ``now`` give
byte-identical output, because every DTSTAMP comes from a row's update time and every
UID from a row's id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from icalendar import Alarm, Calendar, vDDDLists, vDuration, vText

from ..models import OccurrenceOverride, ReminderRule, Schedule
from ..occurrences.expand import Occurrence
from ..occurrences.specs import schedule_spec
from ..sms.timing import alarm_offset
from . import texts
from .content import FeedContent
from .fast.blocks import block_key
from .fast.cache import ByteCache
from .fast.ical_writer import IcalWriter
from .fast.vevent import VEvent, VEventWriter
from .series import SeriesPlan, plan_series
from .vtimezone import vtimezone

log = logging.getLogger(__name__)

PRODID = "-//Pufa//Pufa Feeds 1.0//ZH"
# Clients poll at most this often (RFC 7986 REFRESH-INTERVAL; X-PUBLISHED-TTL for Outlook).
REFRESH = timedelta(hours=1)
HISTORY = relativedelta(months=12)
# Overrides and holiday EXDATEs are written this far ahead; beyond, the plain rule stands.
HORIZON = relativedelta(years=2)
_END = b"END:VCALENDAR\r\n"


@dataclass(frozen=True)
class FeedRange:
    since: datetime  # local midnight, 12 months before today
    until: datetime  # local midnight, two years after today

    @classmethod
    def around(cls, now: datetime, zone: ZoneInfo) -> FeedRange:
        """Whole local days, so that the feed changes at most once a day by itself."""
        midnight = day_start(now, zone)
        return cls(since=midnight - HISTORY, until=midnight + HORIZON)


def day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Local midnight of ``now``'s day: the feed's content is fixed for the whole day."""
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def render_feed(
    content: FeedContent, now: datetime, timezone: str, blocks: ByteCache | None = None
) -> bytes:
    """The whole calendar; ``timezone`` is the office's (X-WR-TIMEZONE).

    ``blocks`` keeps each schedule's serialised VEVENTs under a key of everything they
    are made of (``block_key``), so a schedule is written once and shared by every feed
    that shows it the same way; the bytes are the same as without it.
    """
    feed_range = FeedRange.around(now, ZoneInfo(timezone))
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("NAME", content.calendar_name)
    calendar.add("X-WR-CALNAME", content.calendar_name)
    calendar.add("X-WR-CALDESC", texts.CALENDAR_DESCRIPTION)
    calendar.add("X-WR-TIMEZONE", timezone)
    # icalendar's refresh_interval shortcut drops VALUE=DURATION, which RFC 7986 requires,
    # and a bare timedelta for an X- property serialises as "1:00:00": set both by hand.
    calendar.add("REFRESH-INTERVAL", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))

    tzids = {timezone}
    parts: list[bytes] = []
    for schedule in content.schedules:
        key = block_key(content, schedule, feed_range.since, feed_range.until)
        block = blocks.get(key) if blocks is not None else None
        if block is None:
            block = _schedule_block(content, schedule, feed_range)
            if blocks is not None:
                blocks.put(key, block)
        if block and not schedule.is_all_day:
            tzids.add(schedule.timezone)
        parts.append(block)
    for tzid in sorted(tzids):
        calendar.add_component(
            vtimezone(tzid, feed_range.since.date() - timedelta(days=31), feed_range.until.date())
        )
    # The VEVENTs go where Calendar.to_ical would put them: after the VTIMEZONEs, before
    # the end; Component.to_ical of each is exactly the lines the whole would hold.
    head = IcalWriter().to_ical(calendar)
    assert head.endswith(_END)
    return head[: -len(_END)] + b"".join(parts) + _END


def _schedule_block(content: FeedContent, schedule: Schedule, feed_range: FeedRange) -> bytes:
    try:
        spec = schedule_spec(schedule)
        plan = plan_series(spec, feed_range.since, feed_range.until, content.workdays)
        if plan is None:
            return b""
        # One writer for the schedule's events: the lines they share are written once.
        writer = VEventWriter()
        return b"".join(writer.write(e) for e in _EventWriter(content, schedule).events(plan))
    except Exception:
        # One broken row (say, an RRULE no client could read) must not take everyone's
        # calendar down: leave that schedule out, loudly. Fixing the row bumps its
        # version, and with it every validator that showed it.
        log.exception("schedule left out of a feed", extra={"schedule_id": schedule.id})
        return b""


class _EventWriter:
    """The VEVENTs of one schedule, as seen by the feed's owner."""

    def __init__(self, content: FeedContent, schedule: Schedule) -> None:
        self.content = content
        self.person_id = content.person_id
        # What every event of the schedule reads, read off the row once (each read of
        # an ORM attribute is a Python call).
        self.is_lecture = schedule.kind == "lecture"
        self.title = schedule.title
        self.description = schedule.description
        self.version = schedule.version
        self.is_all_day = schedule.is_all_day
        self.is_to_study = schedule.id in content.unconfirmed
        self.uid = f"schedule-{schedule.id}@pufa"
        rules = sorted(
            (r for r in schedule.rules if r.is_enabled), key=lambda r: (-r.lead_minutes, r.id)
        )
        # The rules whose VALARMs an event shows, by whether the owner speaks in it.
        self.alarm_rules = {
            is_mine: [r for r in rules if self._alarm_concerns_owner(r, is_mine=is_mine)]
            for is_mine in (False, True)
        }
        self.rows = {o.original_start_at: o for o in schedule.overrides}
        stamps = [schedule.updated_at] + [r.updated_at for r in schedule.rules]
        confirmed = content.confirmed_at.get(schedule.id)
        if confirmed is not None:
            stamps.append(confirmed)
        self.stamp = max(stamps)
        # Events with the same summary have the same VALARMs: build them once and share
        # them (VEventWriter writes a shared one once).
        self.alarms: dict[tuple[bool, str], tuple[Alarm, ...]] = {}

    def events(self, plan: SeriesPlan) -> list[VEvent]:
        if plan.single is not None:
            return [self._event(plan.single, sequence=self.version)]
        master = self._vevent(
            start=plan.start,
            end=plan.end,
            sequence=self.version,
            stamp=self.stamp,
            speaker_id=plan.spec.speaker_id,
            topic=plan.spec.topic,
            location=plan.spec.location,
            is_cancelled=False,
            note="",
        )
        master = master._replace(
            rrule=plan.rrule, exdates=self._exdates(plan.exdates) if plan.exdates else None
        )
        result = [master]
        for occurrence in plan.overrides:
            # Above the master's SEQUENCE, and rising with every saved change of the override.
            sequence = self.version + max(1, occurrence.sequence)
            recurrence_id = self._when(occurrence.original_start)
            result.append(self._event(occurrence, sequence=sequence, recurrence_id=recurrence_id))
        return result

    def _event(
        self, occurrence: Occurrence, *, sequence: int, recurrence_id: date | None = None
    ) -> VEvent:
        row = self.rows.get(occurrence.original_start.astimezone(UTC))
        stamp = max(self.stamp, row.updated_at) if row is not None else self.stamp
        return self._vevent(
            start=occurrence.start,
            end=occurrence.end,
            sequence=sequence,
            stamp=stamp,
            speaker_id=occurrence.speaker_id,
            topic=occurrence.topic,
            location=occurrence.location,
            is_cancelled=occurrence.status == "cancelled",
            note=self._note(occurrence, row),
            recurrence_id=recurrence_id,
        )

    def _vevent(
        self,
        *,
        start: datetime,
        end: datetime,
        sequence: int,
        stamp: datetime,
        speaker_id: int | None,
        topic: str,
        location: str,
        is_cancelled: bool,
        note: str,
        recurrence_id: date | None = None,
    ) -> VEvent:
        speaker = self.content.speaker_names.get(speaker_id, "") if speaker_id else ""
        is_mine = self.person_id is not None and speaker_id == self.person_id
        summary = self._summary(speaker, topic, is_mine=is_mine)
        if is_cancelled:
            # Not STATUS:CANCELLED: Google Calendar deletes those, and staff should see it.
            summary = texts.CANCELLED + summary
        return VEvent(
            uid=self.uid,
            summary=summary,
            start=self._when(start),
            end=self._when(end),
            stamp=stamp,
            sequence=sequence,
            description=self._description(speaker, topic, note),
            location=location,
            is_transparent=self.is_all_day or is_cancelled,
            recurrence_id=recurrence_id,
            alarms=() if is_cancelled else self._alarms(summary, is_mine=is_mine),
        )

    def _alarms(self, summary: str, *, is_mine: bool) -> tuple[Alarm, ...]:
        alarms = self.alarms.get((is_mine, summary))
        if alarms is None:
            alarms = self.alarms[(is_mine, summary)] = tuple(
                _alarm(rule, summary, self.is_all_day) for rule in self.alarm_rules[is_mine]
            )
        return alarms

    def _summary(self, speaker: str, topic: str, *, is_mine: bool) -> str:
        if self.is_lecture or speaker or topic:
            summary = texts.lecture_summary(self.title, speaker, topic)
        else:
            summary = self.title
        if is_mine:
            summary = texts.MY_LECTURE + summary
        if self.is_to_study:
            summary = texts.TO_STUDY + summary
        return summary

    def _description(self, speaker: str, topic: str, note: str) -> str:
        lines = [self.description]
        if speaker:
            lines.append(texts.speaker_line(speaker))
        if topic:
            lines.append(texts.topic_line(topic))
        lines.append(note)
        return "\n".join(line for line in lines if line)

    def _note(self, occurrence: Occurrence, row: OccurrenceOverride | None) -> str:
        note = row.note if row is not None else ""
        original = occurrence.original_start.date()
        if occurrence.status == "cancelled":
            return texts.cancelled_line(note)
        if occurrence.status == "moved":
            return texts.moved_line(original, note)
        if occurrence.status == "holiday_moved":
            return texts.holiday_moved_line(original, occurrence.start.date())
        return note

    def _alarm_concerns_owner(self, rule: ReminderRule, *, is_mine: bool) -> bool:
        # Heads' overdue notices are about other people's confirmations: not a feed alarm.
        return (
            rule.recipients == "audience"
            or (rule.recipients == "speaker" and is_mine)
            or (rule.recipients == "unconfirmed" and self.is_to_study)
        )

    def _exdates(self, values: tuple[datetime, ...]) -> vDDDLists:
        """EXDATE typed like DTSTART (RFC 5545 §3.8.5.1): an all-day series' values are
        DATEs, and say so (VALUE=DATE: vobject refuses the feed and ical.js drops the
        event without it; icalendar's vDDDLists does not add it), timed ones keep the
        schedule's TZID."""
        typed = vDDDLists([self._when(d) for d in values])
        if self.is_all_day:
            typed.params["VALUE"] = "DATE"
        return typed

    def _when(self, value: datetime) -> date | datetime:
        """All-day values are DATEs (VALUE=DATE); timed ones keep the schedule's TZID."""
        return value.date() if self.is_all_day else value


def _alarm(rule: ReminderRule, summary: str, is_all_day: bool) -> Alarm:
    alarm = Alarm()
    alarm.add("ACTION", vText("DISPLAY"))
    alarm.add("DESCRIPTION", vText(texts.alarm_text(rule.name, summary)))
    # Relative to DTSTART, at the SMS's own due time (an all-day event's at its time of
    # day, not midnight); a reminder after the start gives a positive trigger.
    alarm.add("TRIGGER", vDuration(alarm_offset(rule, is_all_day=is_all_day)))
    return alarm
