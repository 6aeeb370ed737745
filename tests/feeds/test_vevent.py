"""``VEventWriter`` writes exactly what icalendar writes for the same event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Alarm, Event, vDDDLists, vDuration, vRecur, vText
from icalendar.caselessdict import canonsort_keys

from service.feeds.fast.vevent import ORDER, VEvent, VEventWriter
from tests.support.feeds import icalendar_event

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC", "Etc/UTC", "GMT"]
LONG = "关于《中华人民共和国民法典》合同编的专题讲座，第三讲：违约责任；主讲人：张三\\李四"
# Escapes, line breaks, a byte-order mark and multi-byte text around the 75-octet fold.
TEXTS = st.text(
    alphabet=st.sampled_from(list('ab ,;:\\^\n\r"é中文🎉\ufeffN')) | st.characters(codec="utf-8"),
    max_size=120,
) | st.sampled_from(["", "a" * 66, "a" * 67, LONG, LONG * 3, "\ufeff以讲促学", "x\\Ny"])


def _alarm(text: str, minutes: int) -> Alarm:
    alarm = Alarm()
    alarm.add("ACTION", vText("DISPLAY"))
    alarm.add("DESCRIPTION", vText(text))
    alarm.add("TRIGGER", vDuration(timedelta(minutes=-minutes)))
    return alarm


SHARED_ALARMS = (_alarm("提前一天：每周一讲", 1440), _alarm("提前两小时：每周一讲", 120))


@st.composite
def vevents(draw: st.DrawFn) -> VEvent:
    is_all_day = draw(st.booleans())
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    moment = draw(st.datetimes(datetime(1900, 1, 1), datetime(2200, 12, 31)))
    start = moment.replace(tzinfo=zone, fold=draw(st.sampled_from([0, 1])))
    end = start + draw(st.timedeltas(timedelta(0), timedelta(days=3)))

    def when(value: datetime) -> date | datetime:
        return value.date() if is_all_day else value

    is_master = draw(st.booleans())
    exdates = None
    if is_master and draw(st.booleans()):
        weeks = draw(st.lists(st.integers(1, 200), min_size=1, max_size=30, unique=True))
        exdates = vDDDLists([when(start + timedelta(weeks=n)) for n in sorted(weeks)])
        if is_all_day:
            exdates.params["VALUE"] = "DATE"
    stamp_zone = draw(st.sampled_from([UTC, zone]))
    stamp = draw(st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1))).replace(
        tzinfo=stamp_zone
    )
    return VEvent(
        uid=f"schedule-{draw(st.integers(1, 10**6))}@pufa",
        summary=draw(TEXTS),
        start=when(start),
        end=when(end),
        stamp=stamp,
        sequence=draw(st.integers(0, 10**6)),
        description=draw(TEXTS),
        location=draw(TEXTS),
        is_transparent=draw(st.booleans()),
        recurrence_id=None if is_master else when(start - timedelta(days=draw(st.integers(0, 9)))),
        rrule=vRecur.from_ical("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20271231T155959Z")
        if is_master
        else None,
        exdates=exdates,
        alarms=draw(st.sampled_from([(), SHARED_ALARMS[:1], SHARED_ALARMS])),
    )


def test_properties_are_written_in_icalendars_order() -> None:
    assert canonsort_keys(list(reversed(ORDER)), Event.canonical_order) == list(ORDER)


@settings(max_examples=200, deadline=None)
@given(st.lists(vevents(), min_size=1, max_size=6))
def test_events_are_written_as_icalendar_writes_them(batch: list[VEvent]) -> None:
    # One writer for the batch, as for a schedule's events: what it remembers of one
    # event (a line, an alarm) is right for the next.
    writer = VEventWriter()
    for event in batch:
        assert writer.write(event) == icalendar_event(event).to_ical()


def test_a_schedules_events_share_lines_and_alarms_yet_each_is_whole() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    first = datetime(2026, 6, 1, 9, tzinfo=shanghai)
    master = VEvent(
        uid="schedule-1@pufa",
        summary="机关职工每周一讲",
        start=first,
        end=first + timedelta(hours=1),
        stamp=datetime(2026, 5, 20, 8, tzinfo=UTC),
        sequence=3,
        description="以讲促学，以学促干。",
        location="镇政府三楼会议室",
        rrule=vRecur.from_ical("FREQ=WEEKLY"),
        alarms=SHARED_ALARMS,
    )
    moved = master._replace(
        summary=f"{master.summary}：宪法（孙丽主讲）",
        start=first + timedelta(weeks=2, days=1),
        end=first + timedelta(weeks=2, days=1, hours=1),
        sequence=4,
        recurrence_id=first + timedelta(weeks=2),
        rrule=None,
    )
    writer = VEventWriter()
    written = [writer.write(event) for event in (master, moved, master)]
    assert written == [icalendar_event(e).to_ical() for e in (master, moved, master)]
    assert written[0] == written[2]
    assert b"RECURRENCE-ID;TZID=Asia/Shanghai:20260615T090000\r\n" in written[1]
    assert written[1].count(b"BEGIN:VALARM") == 2


def test_utc_instants_are_written_with_a_z_and_no_tzid() -> None:
    start = datetime(2026, 11, 27, 9)
    for zone in (UTC, ZoneInfo("UTC"), ZoneInfo("Etc/UTC")):
        event = VEvent(
            uid="schedule-2@pufa",
            summary="值班",
            start=start.replace(tzinfo=zone),
            end=(start + timedelta(hours=1)).replace(tzinfo=zone),
            stamp=datetime(2026, 11, 1, tzinfo=UTC),
            sequence=0,
        )
        written = VEventWriter().write(event)
        assert b"DTSTART:20261127T090000Z\r\n" in written
        assert b"DTEND:20261127T100000Z\r\n" in written
        assert b"TZID" not in written
