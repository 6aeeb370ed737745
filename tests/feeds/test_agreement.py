"""The feed and the occurrence engine agree: expanding the served feed with an independent
iCalendar expander (recurring-ical-events) lists exactly the occurrences that
``GET /api/v1/occurrences`` gives for that person (or department) over the next 12
months — same starts, same ends, same cancellations.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from dateutil.relativedelta import relativedelta
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import Department, OccurrenceOverride, Person, Schedule
from service.settings import Settings
from tests.support.feeds import NOW, add_schedule, fetch, parse, person, seed_demo, token_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
START = datetime.combine(NOW.astimezone(SHANGHAI).date(), time(0), tzinfo=SHANGHAI)
END = START + relativedelta(months=12)

# (schedule id, start, end, is cancelled), instants in UTC
Seen = set[tuple[int, datetime, datetime, bool]]


pytestmark = pytest.mark.usefixtures("feed_day")


@pytest.fixture
def demo_and_more(pufa_state: Pufa, feed_day: None) -> None:
    """The demo data plus the awkward cases: admin moves and cancellations, a skipping
    series, a COUNT that started long ago, a date UNTIL, a Berlin series across DST."""
    seed_demo(pufa_state)
    with pufa_state.db.transaction() as session:
        rota = {
            o.original_start_at: o
            for o in session.scalars(select(OccurrenceOverride).order_by(OccurrenceOverride.id))
        }
        rota[datetime(2026, 12, 14, 8, tzinfo=UTC)].is_cancelled = True
        moved = rota[datetime(2027, 1, 11, 8, tzinfo=UTC)]
        moved.moved_start_at = datetime(2027, 1, 13, 1, 30, tzinfo=UTC)
        moved.moved_duration_minutes = 90
        # Moved from the far future into the window, and from the window far away.
        rota[datetime(2027, 12, 13, 8, tzinfo=UTC)].moved_start_at = datetime(
            2027, 3, 3, 2, tzinfo=UTC
        )
        rota[datetime(2027, 2, 1, 8, tzinfo=UTC)].moved_start_at = datetime(
            2028, 1, 5, 2, tzinfo=UTC
        )
        add_schedule(
            session,
            title="周一例会",
            starts_at=datetime(2026, 9, 7, 1, tzinfo=UTC),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            holiday_policy="skip",
            exdates=["2026-12-21T09:00:00"],
        )
        add_schedule(
            session,
            title="周五学习",
            starts_at=datetime(2026, 1, 2, 7, tzinfo=UTC),
            rrule="FREQ=WEEKLY;BYDAY=FR",
            holiday_policy="previous_workday",
        )
        add_schedule(
            session,
            title="长期培训",
            starts_at=datetime(2024, 1, 3, 1, tzinfo=UTC),
            rrule="FREQ=WEEKLY;COUNT=200",
        )
        add_schedule(
            session,
            title="冬季值班",
            starts_at=datetime(2026, 12, 1, 2, tzinfo=UTC),
            rrule="FREQ=DAILY;UNTIL=20270115",
            duration_minutes=30,
        )
        add_schedule(
            session,
            title="柏林交流会",
            timezone="Europe/Berlin",
            starts_at=datetime(2026, 3, 2, 9, tzinfo=BERLIN),
            rrule="FREQ=WEEKLY;BYDAY=MO;INTERVAL=2",
        )
        add_schedule(
            session,
            title="年终总结会",
            starts_at=datetime(2027, 1, 20, 6, tzinfo=UTC),
            duration_minutes=120,
        )


def engine_says(client: FlaskClient, headers: dict[str, str], kind: str, owner_id: int) -> Seen:
    """What ``GET /api/v1/occurrences`` lists for the owner over the next 12 months."""
    seen: Seen = set()
    query = {
        f"{kind}_id": owner_id,
        "from": START.isoformat(),
        "to": END.isoformat(),
        "per_page": 500,
    }
    after: dict[str, str] = {}
    for _ in range(20):
        response = client.get(
            "/api/v1/occurrences", query_string={**query, **after}, headers=headers
        )
        assert response.status_code == 200, response.json
        answer = response.get_json()
        for item in answer["items"]:
            if item["status"] == "holiday_skipped":  # not in the feed: an EXDATE
                continue
            seen.add(
                (
                    item["schedule"]["id"],
                    datetime.fromisoformat(item["start"]).astimezone(UTC),
                    datetime.fromisoformat(item["end"]).astimezone(UTC),
                    item["status"] == "cancelled",
                )
            )
        if answer["next"] is None:
            return seen
        after = {"after": answer["next"]}
    raise AssertionError("too many pages")


def feed_says(body: bytes, zones: dict[int, ZoneInfo]) -> Seen:
    seen: Seen = set()
    for event in recurring_ical_events.of(parse(body)).between(START, END):
        schedule_id = int(str(event["UID"]).removeprefix("schedule-").removesuffix("@pufa"))
        start, end = (_instant(event[key].dt, zones[schedule_id]) for key in ("DTSTART", "DTEND"))
        cancelled = str(event["SUMMARY"]).startswith("【已取消】")
        seen.add((schedule_id, start, end, cancelled))
    return seen


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)


@pytest.mark.usefixtures("demo_and_more")
@pytest.mark.parametrize(
    ("kind", "name"),
    [("person", "孙丽"), ("person", "李法明"), ("person", "宋涛"), ("department", "司法所")],
)
def test_the_feed_lists_exactly_what_the_engine_expands_for_the_next_year(
    client: FlaskClient,
    pufa_state: Pufa,
    settings: Settings,
    viewer_headers: dict[str, str],
    kind: str,
    name: str,
) -> None:
    model = Person if kind == "person" else Department
    response = fetch(client, token_for(pufa_state, settings, model, name))
    assert response.status_code == 200
    with pufa_state.db.sessions() as session:
        zones = {s.id: ZoneInfo(s.timezone) for s in session.scalars(select(Schedule))}
        owner_id = session.scalars(select(model.id).where(model.name == name)).one()
    expected = engine_says(client, viewer_headers, kind, owner_id)
    served = feed_says(response.get_data(), zones)
    assert served == expected
    # The comparison is not vacuous: it covers cancellations, moves and all-day events.
    assert any(cancelled for *_, cancelled in expected)
    assert len(expected) > 50


@pytest.mark.usefixtures("demo_and_more")
def test_the_awkward_cases_are_really_in_the_comparison(
    client: FlaskClient, pufa_state: Pufa, viewer_headers: dict[str, str]
) -> None:
    with pufa_state.db.sessions() as session:
        sun_id = person(session, "孙丽").id
    expected = engine_says(client, viewer_headers, "person", sun_id)
    starts = {start for _id, start, _end, _c in expected}
    assert datetime(2027, 1, 13, 1, 30, tzinfo=UTC) in starts  # moved by an admin
    assert datetime(2027, 3, 3, 2, tzinfo=UTC) in starts  # moved in from far away
    assert datetime(2026, 12, 21, 1, tzinfo=UTC) not in starts  # an EXDATE
    assert datetime(2027, 3, 29, 7, tzinfo=UTC) in starts  # Berlin after the DST change
    assert datetime(2027, 3, 15, 8, tzinfo=UTC) in starts  # Berlin before it
    assert datetime(2027, 1, 20, 6, tzinfo=UTC) in starts  # a single event
    assert timedelta(minutes=90) in {end - start for _i, start, end, _c in expected}
