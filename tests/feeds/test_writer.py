"""The feed's serialiser writes exactly what icalendar's ``Component.to_ical`` writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import (
    Alarm,
    Calendar,
    Event,
    Timezone,
    vCalAddress,
    vDate,
    vDatetime,
    vDDDLists,
    vDuration,
    vInt,
    vRecur,
    vText,
)
from icalendar.parser.string import _foldline

from service.feeds.fast.ical_writer import IcalWriter, _fold

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONG_CHINESE = "关于《中华人民共和国民法典》合同编的专题讲座，第三讲：违约责任；主讲人：张三\\李四"
# Escapes, newlines and multi-byte text at and around the 75-octet fold boundary.
TEXTS = [
    "",
    "短",
    "a" * 66,  # SUMMARY:… of 74, 75 and 76 octets
    "a" * 67,
    "a" * 68,
    "a" * 200,
    LONG_CHINESE,
    LONG_CHINESE * 4,
    "第一行\n第二行,逗号;分号\\反斜杠\n" * 3,
    "x" * 63 + "\\" + "y" * 30,
    "x" * 64 + ";" + "y" * 30,
    "^" * 100,
    "\\" * 100,
    "混合 mixed 文本 🎉🎉🎉 emoji 😀" * 5,
    "\ufeffstarts with a byte-order mark",
    "é" * 80,
]


def _alarm(text: str, minutes: int) -> Alarm:
    alarm = Alarm()
    alarm.add("ACTION", vText("DISPLAY"))
    alarm.add("DESCRIPTION", vText(text))
    alarm.add("TRIGGER", vDuration(timedelta(minutes=-minutes)))
    return alarm


def _event(summary: str, description: str, *, all_day: bool, shared: Alarm) -> Event:
    start = datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)
    event = Event()
    event.add("UID", vText("schedule-7@pufa"))
    stamp = vDatetime(datetime(2026, 1, 5, 8, 0, 1, tzinfo=UTC))
    event.add("DTSTAMP", stamp)
    event.add("LAST-MODIFIED", stamp)
    event.add("SEQUENCE", vInt(12))
    if all_day:
        event.add("DTSTART", vDate(start.date(), params={"VALUE": "DATE"}))
        event.add("DTEND", vDate(date(2026, 3, 4), params={"VALUE": "DATE"}))
        event.add("EXDATE", vDDDLists([date(2026, 3, 9), date(2026, 3, 16)]))
        event.add("TRANSP", vText("TRANSPARENT"))
    else:
        event.add("DTSTART", vDatetime(start))
        event.add("DTEND", vDatetime(start + timedelta(hours=2)))
        event.add("EXDATE", vDDDLists([start + timedelta(weeks=n) for n in range(1, 30)]))
        event.add("RECURRENCE-ID", vDatetime(start + timedelta(weeks=3)))
    event.add("RRULE", vRecur.from_ical("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20271231T155959Z"))
    event.add("SUMMARY", vText(summary))
    event.add("DESCRIPTION", vText(description))
    event.add("LOCATION", vText("司法所二楼会议室, 302; 东侧"))
    # Untyped values and parameters, as icalendar infers and quotes them.
    event.add("CATEGORIES", ["讲座", "普法"])
    event.add("X-PUFA-NOTE", description.replace("\n", " "))
    event.add(
        "ORGANIZER",
        vCalAddress("mailto:office@example.org"),
        parameters={"CN": 'Office: "Legal" 司法所', "ROLE": "CHAIR"},
    )
    event.add_component(shared)
    event.add_component(_alarm(summary, -15))
    event.add_component(shared)
    return event


@pytest.mark.parametrize("all_day", [False, True])
@pytest.mark.parametrize("text", TEXTS)
def test_events_are_written_as_icalendar_writes_them(text: str, all_day: bool) -> None:
    shared = _alarm(f"提醒：{text}", 30)
    events = [
        _event(text, f"{LONG_CHINESE}\n{text}", all_day=all_day, shared=shared),
        _event(f"[已取消]{text}", text, all_day=all_day, shared=shared),
    ]
    writer = IcalWriter()
    for event in events:
        assert writer.to_ical(event) == event.to_ical()


def test_a_calendar_with_timezones_is_written_as_icalendar_writes_it() -> None:
    calendar = Calendar()
    calendar.add("PRODID", "-//Pufa//Pufa Feeds 1.0//ZH")
    calendar.add("VERSION", "2.0")
    calendar.add("X-WR-CALDESC", LONG_CHINESE * 2)
    calendar.add(
        "REFRESH-INTERVAL", vDuration(timedelta(hours=1)), parameters={"VALUE": "DURATION"}
    )
    for tzid in ("Asia/Shanghai", "Europe/Berlin"):
        calendar.add_component(
            Timezone.from_tzid(tzid, first_date=date(2025, 1, 1), last_date=date(2028, 1, 1))
        )
    calendar.add_component(_event(LONG_CHINESE, LONG_CHINESE, all_day=False, shared=_alarm("x", 5)))
    assert IcalWriter().to_ical(calendar) == calendar.to_ical()


def test_a_value_icalendar_refuses_is_refused() -> None:
    event = Event()
    event.add("X-PUFA-NOTE", "an untyped X- value keeps its\nnewline")
    with pytest.raises(AssertionError):
        event.to_ical()
    with pytest.raises(AssertionError):
        IcalWriter().to_ical(event)


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.integers(min_value=0, max_value=80),
    text=st.text(
        alphabet=st.sampled_from(list('ab ,;:\\^\n"é中文🎉')) | st.characters(codec="utf-8"),
        max_size=300,
    ),
)
def test_any_text_is_folded_as_icalendar_folds_it(prefix: int, text: str) -> None:
    event = Event()
    event.add("SUMMARY", vText("s" * prefix + text))
    event.add("X-RAW", vText(text), parameters={"X-P": "v" * prefix})
    assert IcalWriter().to_ical(event) == event.to_ical()


@settings(max_examples=1000, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("a\\^é中🎉"))
        | st.characters(codec="utf-8", exclude_characters="\n"),
        min_size=70,
        max_size=400,
    )
)
def test_long_lines_are_cut_where_icalendar_cuts_them(line: str) -> None:
    assert _fold(line.encode()) == _foldline(line).encode()
