"""The SMS preview grouped as a clerk reads it: by occurrence, then by distinct text,
each text with its recipients and the time it will really go out.

The send time after quiet hours is ``outbox.quiet_hours_end``: the function the
dispatcher uses to hold routine messages, so the preview cannot disagree with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ...logs import mask_phone
from ...settings import QuietHours
from ...sms.desired import Key, Planned
from ...sms.outbox import quiet_hours_end
from ...workflows.labels import SMS_TEMPLATE

# At most this many texts are shown (totals count everything).
MAX_TEXTS = 300


@dataclass(frozen=True)
class Recipient:
    name: str
    mobile: str  # masked
    status: str | None  # the outbox row's status, if already planned


@dataclass
class TextGroup:
    """One distinct text of one occurrence and rule, sent at one time."""

    template: str
    template_name: str
    body: str
    segments: int
    due_at: datetime
    send_at: datetime | None  # None: held by quiet hours past its usefulness, never sent
    is_routine: bool
    is_held: bool  # quiet hours move it to ``send_at``
    recipients: list[Recipient] = field(default_factory=list)

    @property
    def billed(self) -> int:
        return self.segments * len(self.recipients)


@dataclass
class OccurrenceGroup:
    schedule_id: int
    title: str
    start: datetime
    texts: list[TextGroup] = field(default_factory=list)

    @property
    def recipients(self) -> int:
        return sum(len(t.recipients) for t in self.texts)


def send_time(
    planned: Planned, now: datetime, quiet: QuietHours, zone: ZoneInfo
) -> datetime | None:
    """When the dispatcher will really send ``planned``: at its due time (or now, if
    that has passed), a routine message held to the end of quiet hours, and None when
    it stops being useful before they end (the outbox expires it)."""
    due = max(planned.due_at, now)
    if not planned.is_routine:
        return due
    end = quiet_hours_end(due, quiet, zone)
    if end is None:
        return due
    return end if planned.useful_until > end else None


def group(
    planned: Iterable[Planned],
    titles: Mapping[int, str],
    existing: Mapping[Key, str],
    *,
    now: datetime,
    quiet: QuietHours,
    zone: ZoneInfo,
) -> list[OccurrenceGroup]:
    occurrences: dict[tuple[int, datetime], OccurrenceGroup] = {}
    texts: dict[tuple[int, datetime, str, str, datetime], TextGroup] = {}
    for p in planned:
        slot = (p.schedule_id, p.original_start_at)
        occurrence = occurrences.get(slot)
        if occurrence is None:
            occurrence = OccurrenceGroup(
                p.schedule_id, titles.get(p.schedule_id, ""), p.occurrence_start_at
            )
            occurrences[slot] = occurrence
        text_key = (*slot, p.template, p.body, p.due_at)
        text = texts.get(text_key)
        if text is None:
            send_at = send_time(p, now, quiet, zone)
            text = TextGroup(
                template=p.template,
                template_name=SMS_TEMPLATE.get(p.template, p.template),
                body=p.body,
                segments=p.segments,
                due_at=p.due_at,
                send_at=send_at,
                is_routine=p.is_routine,
                is_held=send_at is not None and send_at != max(p.due_at, now),
            )
            texts[text_key] = text
            occurrence.texts.append(text)
        text.recipients.append(Recipient(p.person_name, mask_phone(p.to), existing.get(p.key)))
    result = sorted(occurrences.values(), key=lambda o: (o.start, o.title, o.schedule_id))
    for occurrence in result:
        occurrence.texts.sort(key=lambda t: (t.send_at or t.due_at, t.template, t.body))
        for text in occurrence.texts:
            text.recipients.sort(key=lambda r: r.name)
    return result


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
