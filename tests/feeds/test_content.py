"""What a feed says: RFC 5545 / RFC 7986 structure and the office's conventions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask.testing import FlaskClient
from icalendar import Event
from sqlalchemy import select

from service.context import Pufa
from service.feeds import render
from service.feeds.content import FeedOwner, OwnerKind, load_content
from service.feeds.fast.cache import ByteCache
from service.feeds.render import render_feed
from service.models import Department, OccurrenceOverride, Person, StudyConfirmation, StudyItem
from service.settings import Settings
from tests.support.feeds import (
    NOW,
    IcalendarsOwnWriter,
    add_schedule,
    department,
    events,
    fetch,
    master,
    overrides,
    parse,
    person,
    prop,
    schedule,
    seed_demo,
    token_for,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LECTURE = "schedule-1@pufa"


pytestmark = pytest.mark.usefixtures("feed_day")


@pytest.fixture
def demo(pufa_state: Pufa, feed_day: None) -> None:
    seed_demo(pufa_state)


def feed_of(client: FlaskClient, state: Pufa, settings: Settings, name: str) -> bytes:
    model = Department if name in ("司法所", "党政办", "妇联") else Person
    response = fetch(client, token_for(state, settings, model, name))
    assert response.status_code == 200
    body: bytes = response.get_data()
    return body


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def by_recurrence_id(calendar_events: list[Event], when: datetime | date) -> Event:
    [found] = [e for e in calendar_events if prop(e, "RECURRENCE-ID").dt == when]
    return found


def summaries(calendar_events: list[Event]) -> list[str]:
    return [str(e["SUMMARY"]) for e in calendar_events]


@pytest.mark.usefixtures("demo")
def test_calendar_properties_are_exactly_as_rfc_7986_and_clients_want(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    body = feed_of(client, pufa_state, settings, "孙丽")
    lines = body.decode().split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    for line in (
        "VERSION:2.0",
        "PRODID:-//Pufa//Pufa Feeds 1.0//ZH",
        "METHOD:PUBLISH",
        "CALSCALE:GREGORIAN",
        "NAME:蟒河镇普法 · 孙丽",
        "X-WR-CALNAME:蟒河镇普法 · 孙丽",
        "X-WR-TIMEZONE:Asia/Shanghai",
        # icalendar's shortcuts write "REFRESH-INTERVAL:PT1H" and "X-PUBLISHED-TTL:1:00:00".
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ):
        assert line in lines
    assert len(body) < 100_000


@pytest.mark.usefixtures("demo")
def test_every_tzid_used_has_a_narrow_vtimezone(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    with pufa_state.db.transaction() as session:
        add_schedule(
            session,
            title="柏林交流会",
            timezone="Europe/Berlin",
            starts_at=datetime(2026, 3, 2, 9, tzinfo=berlin),
            rrule="FREQ=MONTHLY;BYDAY=1MO",
        )
    calendar = parse(feed_of(client, pufa_state, settings, "孙丽"))
    assert calendar.get_missing_tzids() == set()
    assert sorted(tz.tz_name for tz in calendar.timezones) == ["Asia/Shanghai", "Europe/Berlin"]
    for timezone in calendar.timezones:
        onsets = [prop(sub, "DTSTART").dt for sub in timezone.subcomponents]
        # From the change in force when the feed's range begins (12 months back), not
        # from 1970.
        assert min(onsets).year in (2024, 2025)
    berlin_zone = next(tz for tz in calendar.timezones if tz.tz_name == "Europe/Berlin")
    rules = {
        sub.name: (sub["RRULE"].to_ical(), prop(sub, "DTSTART").dt.time().isoformat())
        for sub in berlin_zone.subcomponents
    }
    # Yearly rules, so the zone is right past the horizon too; each onset is the local
    # time before the change (RFC 5545 §3.6.5).
    assert rules == {
        "STANDARD": (b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "03:00:00"),
        "DAYLIGHT": (b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "02:00:00"),
    }


@pytest.mark.usefixtures("demo")
def test_the_lecture_is_one_series_and_each_rota_week_an_override(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    calendar = parse(feed_of(client, pufa_state, settings, "郑洁"))
    series = master(calendar, LECTURE)
    assert series["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    assert series["DTSTART"].to_ical() == b"20260105T160000"
    assert series["DTSTART"].params["TZID"] == "Asia/Shanghai"
    week = by_recurrence_id(overrides(calendar, LECTURE), shanghai(2026, 12, 7, 16))
    # The rota goes round-robin from 5 Jan: 7 Dec is week 48, so speaker 48 % 12 = 0
    # (孙丽) and topic 48 % 10 = 8 (反有组织犯罪法).
    assert str(week["SUMMARY"]) == "机关职工每周一讲：反有组织犯罪法（孙丽主讲）"
    assert prop(week, "SEQUENCE") > prop(series, "SEQUENCE")
    assert week["UID"] == series["UID"]
    assert "主讲人：孙丽" in str(week["DESCRIPTION"])


@pytest.mark.usefixtures("demo")
def test_my_speaking_weeks_stand_out_and_carry_the_speaker_alarms(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    calendar = parse(feed_of(client, pufa_state, settings, "孙丽"))
    weeks = overrides(calendar, LECTURE)
    mine = [e for e in weeks if str(e["SUMMARY"]).startswith("【我主讲】")]
    assert [prop(e, "RECURRENCE-ID").dt.date() for e in mine[:3]] == [
        date(2026, 1, 5),
        date(2026, 3, 30),
        date(2026, 6, 22),
    ]
    assert all("孙丽主讲" in str(e["SUMMARY"]) for e in mine)
    week_before = timedelta(days=-7)
    for event in weeks:
        triggers = [prop(alarm, "TRIGGER").dt for alarm in event.walk("VALARM")]
        if event in mine:
            assert sorted(triggers) == [week_before, timedelta(days=-1), timedelta(days=-1)]
        else:
            assert triggers == [timedelta(days=-1)]  # the audience's reminder only


@pytest.mark.usefixtures("demo")
def test_a_holiday_moved_lecture_is_an_override_at_its_new_time(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    calendar = parse(feed_of(client, pufa_state, settings, "郑洁"))
    moved = by_recurrence_id(overrides(calendar, LECTURE), shanghai(2026, 10, 5, 16))
    assert prop(moved, "DTSTART").dt == shanghai(2026, 10, 8, 16)
    assert prop(moved, "DTEND").dt == shanghai(2026, 10, 8, 17)
    assert "2026-10-05 为非工作日，调整至 2026-10-08" in str(moved["DESCRIPTION"])


@pytest.mark.usefixtures("demo")
def test_a_holiday_skipped_occurrence_is_an_exdate(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    with pufa_state.db.transaction() as session:
        meeting = add_schedule(
            session,
            title="周一例会",
            starts_at=shanghai(2026, 9, 7, 9).astimezone(UTC),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            holiday_policy="skip",
            exdates=["2026-12-14T09:00:00"],
        )
        uid = f"schedule-{meeting.id}@pufa"
    calendar = parse(feed_of(client, pufa_state, settings, "孙丽"))
    series = master(calendar, uid)
    excluded = {d.dt for exdate in [prop(series, "EXDATE")] for d in exdate.dts}
    assert shanghai(2026, 10, 5, 9) in excluded  # National Day holiday
    assert shanghai(2026, 12, 14, 9) in excluded  # the schedule's own EXDATE
    assert shanghai(2026, 10, 12, 9) not in excluded
    assert overrides(calendar, uid) == []


@pytest.mark.usefixtures("demo")
def test_a_cancelled_lecture_stays_visible_with_a_cancelled_title_and_no_alarm(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    with pufa_state.db.transaction() as session:
        row = session.scalar(
            select(OccurrenceOverride).where(
                OccurrenceOverride.original_start_at == shanghai(2026, 12, 14, 16)
            )
        )
        assert row is not None
        row.is_cancelled = True
        row.note = "与县普法考试冲突"
    body = feed_of(client, pufa_state, settings, "郑洁")
    assert b"STATUS:CANCELLED" not in body
    cancelled = by_recurrence_id(overrides(parse(body), LECTURE), shanghai(2026, 12, 14, 16))
    assert str(cancelled["SUMMARY"]).startswith("【已取消】机关职工每周一讲：")
    assert "与县普法考试冲突" in str(cancelled["DESCRIPTION"])
    assert cancelled.walk("VALARM") == []
    assert cancelled["SEQUENCE"] == 1 + 2  # schedule version 1, override now at version 2


@pytest.mark.usefixtures("demo")
def test_constitution_week_is_all_day_over_seven_days_with_an_exclusive_end(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    with pufa_state.db.sessions() as session:
        uid = f"schedule-{schedule(session, '宪法宣传周').id}@pufa"
    body = feed_of(client, pufa_state, settings, "李法明")
    series = master(parse(body), uid)
    assert series["DTSTART"].to_ical() == b"20261201"
    assert series["DTSTART"].params["VALUE"] == "DATE"
    assert series["DTEND"].to_ical() == b"20261208"
    assert series["RRULE"].to_ical() == b"FREQ=YEARLY;BYMONTHDAY=1;BYMONTH=12"
    assert series["TRANSP"] == "TRANSPARENT"
    # At 09:00 a week before, as the SMS: -7 days + 9 hours from midnight.
    assert [prop(a, "TRIGGER").dt for a in series.walk("VALARM")] == [timedelta(days=-7, hours=9)]


@pytest.mark.usefixtures("demo")
def test_unconfirmed_study_deadlines_stand_out_until_confirmed(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    before = summaries(events(parse(feed_of(client, pufa_state, settings, "孙丽"))))
    assert "【待学习】学法截止：禁毒法（2026）" in before
    with pufa_state.db.transaction() as session:
        item = session.scalar(select(StudyItem).where(StudyItem.title == "禁毒法"))
        assert item is not None
        session.add(StudyConfirmation(item_id=item.id, person_id=person(session, "孙丽").id))
    calendar = parse(feed_of(client, pufa_state, settings, "孙丽"))
    [deadline] = [e for e in events(calendar) if "禁毒法（2026）" in str(e["SUMMARY"])]
    assert str(deadline["SUMMARY"]) == "学法截止：禁毒法（2026）"
    assert deadline.walk("VALARM") == []  # the study reminders go to the unconfirmed only
    assert deadline["DTSTART"].to_ical() == b"20261215"
    assert deadline["DTEND"].to_ical() == b"20261216"
    assert "RRULE" not in deadline


@pytest.mark.usefixtures("demo")
def test_a_department_feed_has_nothing_personal(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    body = feed_of(client, pufa_state, settings, "党政办")
    text = body.decode()
    assert "NAME:蟒河镇普法 · 党政办" in text
    assert "【我主讲】" not in text and "【待学习】" not in text
    assert "孙丽主讲" in text  # who speaks is public; that it is "me" is not
    lecture_alarms = {
        prop(alarm, "TRIGGER").dt
        for e in events(parse(body), LECTURE)
        for alarm in e.walk("VALARM")
    }
    assert lecture_alarms == {timedelta(days=-1)}  # the audience's, no speaker's


@pytest.mark.usefixtures("demo")
def test_no_phone_number_is_in_any_feed(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    with pufa_state.db.sessions() as session:
        people = [(p.name, p.mobile) for p in session.scalars(select(Person))]
    for name, mobile in people:
        body = feed_of(client, pufa_state, settings, name).decode()
        unfolded = body.replace("\r\n ", "")
        assert mobile and mobile not in unfolded and mobile[3:] not in unfolded
        assert not re.search(r"1[3-9]\d{9}", unfolded), name


@pytest.mark.usefixtures("demo")
def test_unchanged_data_renders_to_identical_bytes(pufa_state: Pufa, settings: Settings) -> None:
    renders = []
    for _ in range(2):  # two sessions, nothing cached between them
        with pufa_state.db.sessions() as session:
            content = load_content(session, FeedOwner("person", person(session, "孙丽").id))
            assert content is not None
            renders.append(render_feed(content, NOW, settings.timezone))
    assert renders[0] == renders[1]
    later = NOW + timedelta(hours=5)  # the same local day
    with time_machine.travel(later, tick=False), pufa_state.db.sessions() as session:
        content = load_content(session, FeedOwner("person", person(session, "孙丽").id))
        assert content is not None
        assert render_feed(content, later, settings.timezone) == renders[0]


@pytest.mark.usefixtures("demo")
def test_every_value_is_written_as_icalendar_types_it_from_python(
    pufa_state: Pufa, settings: Settings
) -> None:
    # The renderer hands icalendar typed values (vText, vDatetime, vDate …) to skip its
    # type inference; a wrong type (a DATE without VALUE=DATE, say) would show up here.
    with pufa_state.db.sessions() as session:
        for name in ("孙丽", "王建国", "郑洁"):
            content = load_content(session, FeedOwner("person", person(session, name).id))
            assert content is not None
            calendar = parse(render_feed(content, NOW, settings.timezone))
            for event in events(calendar) + list(calendar.walk("VALARM")):
                for key, value in event.property_items(recursive=False)[1:-1]:
                    inferred = Event()
                    inferred.add(key, event.decoded(key))
                    assert inferred.content_lines()[1] == event.content_line(key, value), name


@pytest.mark.usefixtures("demo")
def test_dtstamp_is_the_rows_update_time(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    calendar = parse(feed_of(client, pufa_state, settings, "孙丽"))
    assert {prop(e, "DTSTAMP").dt for e in events(calendar)} == {NOW}


def test_until_becomes_utc_and_a_count_survives_a_later_dtstart(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    with pufa_state.db.transaction() as session:
        session.add(Person(name="孙丽", mobile="+8613900000002"))
        until = add_schedule(
            session,
            title="冬季值班",
            starts_at=shanghai(2026, 12, 1, 9).astimezone(UTC),
            rrule="FREQ=DAILY;UNTIL=20261231",
        )
        counted = add_schedule(
            session,
            title="长期培训",
            starts_at=shanghai(2024, 1, 1, 9).astimezone(UTC),
            rrule="FREQ=WEEKLY;COUNT=200",
        )
        ids = until.id, counted.id
    calendar = parse(feed_of(client, pufa_state, settings, "孙丽"))
    # A DATE UNTIL means through that local day; with a TZID DTSTART it must be UTC.
    assert master(calendar, f"schedule-{ids[0]}@pufa")["RRULE"].to_ical() == (
        b"FREQ=DAILY;UNTIL=20261231T155959Z"
    )
    weekly = master(calendar, f"schedule-{ids[1]}@pufa")
    # The master starts within 12 months back, so COUNT becomes the last occurrence's UNTIL.
    assert prop(weekly, "DTSTART").dt.date() >= date(2025, 11, 26) - timedelta(days=16)
    last = shanghai(2024, 1, 1, 9) + timedelta(weeks=199)
    assert weekly["RRULE"].to_ical() == (
        b"FREQ=WEEKLY;UNTIL=" + last.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ").encode()
    )


@pytest.mark.usefixtures("demo")
def test_the_feed_is_byte_for_byte_what_icalendar_writes(
    pufa_state: Pufa, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    owners: list[tuple[OwnerKind, str]] = [
        ("person", "孙丽"),
        ("person", "王建国"),
        ("department", "党政办"),
    ]
    with pufa_state.db.sessions() as session:
        for kind, name in owners:
            row = person(session, name) if kind == "person" else department(session, name)
            content = load_content(session, FeedOwner(kind, row.id))
            assert content is not None
            written = render_feed(content, NOW, settings.timezone)
            with monkeypatch.context() as patch:
                patch.setattr(render, "IcalWriter", IcalendarsOwnWriter)
                patch.setattr(render, "VEventWriter", IcalendarsOwnWriter)
                assert written == render_feed(content, NOW, settings.timezone), name


@pytest.mark.usefixtures("demo")
def test_shared_schedule_blocks_give_the_same_bytes_as_writing_everything(
    pufa_state: Pufa, settings: Settings
) -> None:
    blocks = ByteCache()
    owners: list[tuple[OwnerKind, str]] = [
        ("person", "孙丽"),
        ("person", "王建国"),
        ("person", "郑洁"),
        ("department", "党政办"),
    ]
    with pufa_state.db.sessions() as session:
        for kind, name in owners * 2:  # the second round is served from the blocks
            row = person(session, name) if kind == "person" else department(session, name)
            content = load_content(session, FeedOwner(kind, row.id))
            assert content is not None
            shared = render_feed(content, NOW, settings.timezone, blocks)
            assert shared == render_feed(content, NOW, settings.timezone), name
    # 王建国 (no speaker) and 党政办 share the lecture; 孙丽 and 郑洁 each have their own.
    lectures = [key for key in blocks._entries if isinstance(key, tuple) and key[1] == 1]
    assert len(lectures) == 3


@pytest.mark.usefixtures("demo")
def test_one_broken_schedule_is_left_out_and_the_rest_is_served(
    client: FlaskClient, pufa_state: Pufa, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with pufa_state.db.transaction() as session:
        broken = add_schedule(session, title="坏数据", rrule="FREQ=SOMETIMES")
        broken_id = broken.id
    calendar = parse(feed_of(client, pufa_state, settings, "孙丽"))
    assert events(calendar, f"schedule-{broken_id}@pufa") == []
    assert master(calendar, LECTURE)
    assert any(r.getMessage() == "schedule left out of a feed" for r in caplog.records)
