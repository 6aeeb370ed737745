"""Feeds in four zones, read by two independent parsers, say what the API says.

Schedules are created through ``POST /api/v1/schedules`` with the RFC 5545 forms the
console and calendar apps write (UNTIL in UTC, a date UNTIL for all-day series, names
in lower case, a trailing ``;``) in Asia/Shanghai, America/New_York, Europe/Berlin and
Australia/Lord_Howe (a 30-minute DST shift). The served feed must pass vobject's strict
validation, its VTIMEZONEs must give zoneinfo's offsets at every instant up to years
past the feed's horizon, and recurring-ical-events must expand it to exactly what
``GET /api/v1/occurrences`` lists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
import vobject
from dateutil.relativedelta import relativedelta
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import Person, Schedule
from service.settings import Settings
from tests.support.feeds import NOW, fetch, parse, prop, seed_demo, token_for

API = "/api/v1"
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe"]
START = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
END = START + relativedelta(years=2)
Seen = set[tuple[int, datetime, datetime]]

pytestmark = pytest.mark.usefixtures("feed_day")


def _series(zone: str) -> list[dict[str, Any]]:
    """Timed and all-day series in ``zone`` written as calendar apps write them."""
    base = {"kind": "meeting", "timezone": zone, "is_for_everyone": True}
    return [
        {
            **base,
            "title": f"{zone} 每周例会",
            "start": "2026-01-05T09:00",
            "rrule": "freq=weekly;byday=mo;until=20290105T000000Z;",
        },
        {
            **base,
            "title": f"{zone} 每月三会",
            "start": "2026-01-02T02:30",
            "rrule": "FREQ=MONTHLY;BYDAY=3MO,WE,FR",
            "duration_minutes": 45,
        },
        {
            **base,
            "title": f"{zone} 年度月末",
            "start": "2026-03-29T10:00",
            "rrule": "FREQ=YEARLY;BYMONTHDAY=29",
        },
        {
            **base,
            "title": f"{zone} 全天值守",
            "start": "2026-10-02",
            "is_all_day": True,
            "rrule": "FREQ=WEEKLY;BYDAY=FR;UNTIL=20280101",
            # Admin exceptions, and holidays skipped (1 Jan 2027, Spring Festival):
            # both are EXDATEs in the feed.
            "exdates": ["2026-12-04", "2027-01-08"],
            "holiday_policy": "skip",
        },
    ]


@pytest.fixture
def four_zones(client: FlaskClient, admin_headers: dict[str, str], pufa_state: Pufa) -> None:
    seed_demo(pufa_state)
    for zone in ZONES:
        for body in _series(zone):
            response = client.post(f"{API}/schedules", json=body, headers=admin_headers)
            assert response.status_code == 201, response.get_json()


def _api_says(client: FlaskClient, headers: dict[str, str], person_id: int, ids: set[int]) -> Seen:
    seen: Seen = set()
    query = {"person_id": person_id, "from": START.isoformat(), "to": END.isoformat()}
    after: dict[str, str] = {}
    for _ in range(40):
        response = client.get(
            f"{API}/occurrences",
            query_string={**query, "per_page": 500, **after},
            headers=headers,
        )
        assert response.status_code == 200, response.get_json()
        answer = response.get_json()
        for item in answer["items"]:
            if item["schedule"]["id"] in ids and item["status"] != "holiday_skipped":
                start, end = (datetime.fromisoformat(item[key]) for key in ("start", "end"))
                seen.add((item["schedule"]["id"], start.astimezone(UTC), end.astimezone(UTC)))
        if answer["next"] is None:
            return seen
        after = {"after": answer["next"]}
    raise AssertionError("too many pages")


def _feed_says(body: bytes, zones: dict[int, ZoneInfo], ids: set[int]) -> Seen:
    seen: Seen = set()
    for event in recurring_ical_events.of(parse(body)).between(START, END):
        schedule_id = int(str(event["UID"]).removeprefix("schedule-").removesuffix("@pufa"))
        if schedule_id not in ids:
            continue
        moments = []
        for key in ("DTSTART", "DTEND"):
            value = event[key].dt
            if not isinstance(value, datetime):
                value = datetime.combine(value, datetime.min.time(), zones[schedule_id])
            moments.append(value.astimezone(UTC))
        seen.add((schedule_id, moments[0], moments[1]))
    return seen


@pytest.mark.usefixtures("four_zones")
def test_the_feed_passes_vobject_and_lists_what_the_api_lists(
    client: FlaskClient, pufa_state: Pufa, settings: Settings, viewer_headers: dict[str, str]
) -> None:
    body = fetch(client, token_for(pufa_state, settings, Person, "孙丽")).get_data()
    vobject.readOne(body.decode(), validate=True)  # raises on anything strict parsers refuse
    with pufa_state.db.sessions() as session:
        rows = list(session.scalars(select(Schedule).where(Schedule.timezone.in_(ZONES))))
        ids = {s.id for s in rows if s.title.split(" ")[0] in ZONES}
        zones = {s.id: ZoneInfo(s.timezone) for s in rows}
        sun_id = session.scalars(select(Person.id).where(Person.name == "孙丽")).one()
        stored = {s.title: s.rrule for s in rows}
    # What the write layer stored: the canonical RFC 5545 text.
    assert stored["America/New_York 每周例会"] == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20290105T000000Z"
    assert stored["Europe/Berlin 年度月末"] == "FREQ=YEARLY;BYMONTHDAY=29;BYMONTH=3"
    assert stored["Asia/Shanghai 全天值守"] == "FREQ=WEEKLY;BYDAY=FR;UNTIL=20280101"
    expected = _api_says(client, viewer_headers, sun_id, ids)
    assert _feed_says(body, zones, ids) == expected
    shown = {schedule_id for schedule_id, *_ in expected}
    # Every series of every zone is in the comparison.
    assert sorted(s.title for s in rows if s.id in ids and s.id not in shown) == []


@pytest.mark.usefixtures("four_zones")
def test_all_day_exdates_are_dates_like_their_dtstart(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    calendar = parse(fetch(client, token_for(pufa_state, settings, Person, "孙丽")).get_data())
    all_day = [
        event
        for event in calendar.walk("VEVENT")
        if "全天值守" in str(event["SUMMARY"]) and "RRULE" in event
    ]
    assert len(all_day) == len(ZONES)
    for event in all_day:
        exdates = event["EXDATE"]
        for value in exdates if isinstance(exdates, list) else [exdates]:
            assert value.params["VALUE"] == "DATE"
            assert "TZID" not in value.params
            assert b"T" not in value.to_ical()


@pytest.mark.usefixtures("four_zones")
def test_every_vtimezone_gives_the_zones_offsets_past_the_horizon(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    body = fetch(client, token_for(pufa_state, settings, Person, "孙丽")).get_data()
    calendar = vobject.readOne(body.decode())
    written = {tz.tzid.value: tz.gettzinfo() for tz in calendar.contents["vtimezone"]}
    assert set(written) == set(ZONES)
    for name, tzinfo in written.items():
        zone = ZoneInfo(name)
        # Every 6 hours from the feed's first day to ten years on: the series run on.
        moment = START - relativedelta(months=12)
        while moment < START + relativedelta(years=10):
            local = moment.astimezone(zone).replace(tzinfo=None)
            wall = moment.astimezone(tzinfo).replace(tzinfo=None)
            assert wall == local, (name, moment)
            moment += timedelta(hours=6)


@pytest.mark.usefixtures("four_zones")
def test_observances_start_at_the_local_time_before_the_change(
    client: FlaskClient, pufa_state: Pufa, settings: Settings
) -> None:
    calendar = parse(fetch(client, token_for(pufa_state, settings, Person, "孙丽")).get_data())
    onsets = {
        (tz.tz_name, sub.name): (
            prop(sub, "DTSTART").dt.time().isoformat(),
            prop(sub, "RRULE").to_ical(),
        )
        for tz in calendar.timezones
        for sub in tz.subcomponents
        if "RRULE" in sub
    }
    assert onsets[("America/New_York", "DAYLIGHT")] == (
        "02:00:00",
        b"FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
    )
    assert onsets[("America/New_York", "STANDARD")] == (
        "02:00:00",
        b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
    )
    assert onsets[("Australia/Lord_Howe", "STANDARD")] == (
        "02:00:00",
        b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=4",
    )
    # No observance lists several onsets in one RDATE (ical.js misreads those).
    assert all("RDATE" not in sub for tz in calendar.timezones for sub in tz.subcomponents)
