"""ETag and Last-Modified: cheap to compute, changed by what the feed shows, and 304s."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select, text
from werkzeug.http import http_date

from service.context import Pufa
from service.feeds import routes, validators
from service.feeds.validators import change_mark
from service.models import (
    Base,
    Department,
    HolidayOverride,
    OccurrenceOverride,
    StudyConfirmation,
    StudyItem,
)
from service.models.changes import FEED_TABLES
from tests.support.feeds import NOW, add_schedule, fetch, person, seed_demo

pytestmark = pytest.mark.usefixtures("feed_day")


def etag_after(client: FlaskClient, feed_token: str) -> str:
    response = fetch(client, feed_token)
    assert response.status_code == 200
    value: str = response.headers["ETag"]
    return value


def test_a_full_answer_carries_a_strong_etag_and_last_modified(
    client: FlaskClient, feed_token: str
) -> None:
    response = fetch(client, feed_token)
    assert response.headers["ETag"].startswith('"')  # strong: no W/
    assert response.headers["Last-Modified"] == http_date(NOW)
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_if_none_match_gets_304_with_no_body(client: FlaskClient, feed_token: str) -> None:
    etag = fetch(client, feed_token).headers["ETag"]
    response = fetch(client, feed_token, **{"If-None-Match": etag})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag
    assert fetch(client, feed_token, **{"If-None-Match": '"other"'}).status_code == 200


def test_a_304_carries_the_validators_and_cache_control_only(
    client: FlaskClient, feed_token: str
) -> None:
    full = fetch(client, feed_token)
    response = fetch(client, feed_token, **{"If-None-Match": full.headers["ETag"]})
    assert response.status_code == 304
    for name in ("ETag", "Cache-Control"):
        assert response.headers[name] == full.headers[name]
    # What describes the body stays with the stored 200 (RFC 9110 §15.4.5).
    assert full.headers["Content-Disposition"] == 'inline; filename="pufa.ics"'
    for name in ("Content-Disposition", "Referrer-Policy", "X-Robots-Tag", "Last-Modified"):
        assert name not in response.headers


def test_if_modified_since_gets_304_unless_if_none_match_disagrees(
    client: FlaskClient, feed_token: str
) -> None:
    last_modified = fetch(client, feed_token).headers["Last-Modified"]
    assert fetch(client, feed_token, **{"If-Modified-Since": last_modified}).status_code == 304
    earlier = http_date(NOW - timedelta(days=1))
    assert fetch(client, feed_token, **{"If-Modified-Since": earlier}).status_code == 200
    # RFC 9110: If-None-Match wins over If-Modified-Since.
    both = {"If-Modified-Since": last_modified, "If-None-Match": '"stale"'}
    assert fetch(client, feed_token, **both).status_code == 200


def test_a_304_does_not_render_the_feed(
    client: FlaskClient, feed_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    etag = fetch(client, feed_token).headers["ETag"]

    def no_rendering(*_args: Any) -> bytes:
        raise AssertionError("the validator must not need the rendered feed")

    monkeypatch.setattr(routes, "render_feed", no_rendering)
    monkeypatch.setattr(routes, "load_content", no_rendering)
    assert fetch(client, feed_token, **{"If-None-Match": etag}).status_code == 304


def test_the_same_validator_serves_rendered_bytes_from_memory(
    client: FlaskClient, feed_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = fetch(client, feed_token).get_data()
    monkeypatch.setattr(routes, "render_feed", lambda *_args: b"rendered again")
    assert fetch(client, feed_token).get_data() == first


def test_changing_an_override_changes_the_etag(
    client: FlaskClient, feed_token: str, pufa_state: Pufa
) -> None:
    before = etag_after(client, feed_token)
    with pufa_state.db.transaction() as session:
        row = session.scalars(select(OccurrenceOverride).limit(1)).one()
        row.topic = "宪法修正案"
    after = etag_after(client, feed_token)
    assert after != before
    assert "宪法修正案" in fetch(client, feed_token).get_data(as_text=True)


@pytest.mark.parametrize(
    "change",
    ["new_schedule_for_everyone", "holiday", "my_confirmation", "speaker_renamed", "joined"],
)
def test_changes_to_what_the_feed_shows_change_the_etag(
    client: FlaskClient, feed_token: str, pufa_state: Pufa, change: str
) -> None:
    before = etag_after(client, feed_token)
    with pufa_state.db.transaction() as session:
        sun = person(session, "孙丽")
        if change == "new_schedule_for_everyone":
            add_schedule(session, title="全体大会")
        elif change == "holiday":
            session.add(HolidayOverride(day=NOW.date() + timedelta(days=10), is_workday=False))
        elif change == "my_confirmation":
            item = session.scalars(select(StudyItem).limit(1)).one()
            session.add(StudyConfirmation(item_id=item.id, person_id=sun.id))
        elif change == "speaker_renamed":
            person(session, "李法明").name = "李法明（司法所）"
        elif change == "joined":
            office = session.scalars(select(Department).where(Department.name == "司法所")).one()
            sun.departments.append(office)
    assert etag_after(client, feed_token) != before


@pytest.mark.parametrize("change", ["other_persons_confirmation", "others_campaign", "sms_off"])
def test_unrelated_changes_leave_the_etag_alone(
    client: FlaskClient, feed_token: str, pufa_state: Pufa, change: str
) -> None:
    before = etag_after(client, feed_token)
    with pufa_state.db.transaction() as session:
        if change == "other_persons_confirmation":
            item = session.scalars(select(StudyItem).limit(1)).one()
            session.add(StudyConfirmation(item_id=item.id, person_id=person(session, "郑洁").id))
        elif change == "others_campaign":  # 孙丽 is in 党政办 only
            add_schedule(
                session,
                title="派出所内部培训",
                is_for_everyone=False,
                departments=[
                    session.scalars(select(Department).where(Department.name == "派出所")).one()
                ],
            )
        elif change == "sms_off":  # not a speaker: the feed has no trace of 王建国
            person(session, "王建国").is_sms_enabled = False
    assert etag_after(client, feed_token) == before


def test_a_new_day_gives_a_new_etag(client: FlaskClient, feed_token: str) -> None:
    before = etag_after(client, feed_token)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        response = fetch(client, feed_token, **{"If-None-Match": before})
    assert response.status_code == 200
    assert response.headers["ETag"] != before


def test_while_no_feed_table_changes_a_304_needs_neither_token_lookup_nor_aggregates(
    client: FlaskClient, feed_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    etag = fetch(client, feed_token).headers["ETag"]

    def not_again(*_args: Any) -> None:
        raise AssertionError("remembered under the unchanged change mark")

    monkeypatch.setattr(routes, "find_owner", not_again)
    monkeypatch.setattr(routes, "feed_validator", not_again)
    assert fetch(client, feed_token, **{"If-None-Match": etag}).status_code == 304


def test_a_change_written_past_the_app_still_changes_the_etag(
    client: FlaskClient, feed_token: str, pufa_state: Pufa
) -> None:
    """Another process (the clock, a second web worker, a console) writes with its own
    connection: the database's triggers change the mark, so the remembered validator is
    not used."""
    before = etag_after(client, feed_token)
    with pufa_state.db.engine.begin() as conn:
        conn.execute(text("UPDATE schedules SET title = title || '（改）', version = version + 1"))
    assert etag_after(client, feed_token) != before


def test_the_marked_tables_are_the_ones_the_validator_reads() -> None:
    read = set()
    for kind in ("person", "department"):
        read |= set(re.findall(r"FROM (\w+)", str(validators._statement(kind))))
    assert read == set(FEED_TABLES)


def test_inserting_updating_or_deleting_any_row_a_feed_reads_changes_the_mark(
    pufa_state: Pufa,
) -> None:
    def mark() -> int | None:
        return change_mark(pufa_state.db)

    seed_demo(pufa_state)
    before = mark()
    with pufa_state.db.transaction() as session:  # a row in every table, by the ORM
        schedule = add_schedule(session, is_for_everyone=False)
        schedule.people.append(person(session, "孙丽"))
        session.add(OccurrenceOverride(schedule_id=schedule.id, original_start_at=NOW, topic="改"))
        session.add(HolidayOverride(day=NOW.date() + timedelta(days=10), is_workday=False))
        item = session.scalars(select(StudyItem).limit(1)).one()
        session.add(StudyConfirmation(item_id=item.id, person_id=person(session, "孙丽").id))
    assert mark() != before
    for table in (t for t in Base.metadata.sorted_tables if t.name in FEED_TABLES):
        keys = table.primary_key.columns.keys()
        with pufa_state.db.engine.begin() as conn:
            row = conn.execute(text(f"SELECT {', '.join(keys)} FROM {table.name}")).first()
        assert row is not None, f"no row in {table.name}"
        before = mark()
        with pufa_state.db.engine.begin() as conn:
            where = " AND ".join(f"{name} = :{name}" for name in keys)
            statement = f"UPDATE {table.name} SET {keys[0]} = {keys[0]} WHERE {where}"
            conn.execute(text(statement), dict(row._mapping))
        assert mark() != before, f"an update of {table.name} left the mark"
    before = mark()
    with pufa_state.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM holiday_overrides"))
    assert mark() != before
    # The same DDL made the insert, update and delete triggers of every table.
    with pufa_state.db.engine.begin() as conn:
        if pufa_state.db.is_postgresql:
            triggers: Sequence[Sequence[Any]] = conn.exec_driver_sql(
                "SELECT event_object_table, lower(event_manipulation) "
                "FROM information_schema.triggers WHERE trigger_name LIKE 'feed_changes_%%'"
            ).all()
        else:
            triggers = [
                (table_name, name.rsplit("_", 1)[1])
                for table_name, name in conn.exec_driver_sql(
                    "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
                )
            ]
    for table_name in FEED_TABLES:
        events = {event for name, event in triggers if name == table_name}
        assert events == {"insert", "update", "delete"}, table_name


def test_writes_elsewhere_leave_the_mark_alone(pufa_state: Pufa) -> None:
    seed_demo(pufa_state)
    before = change_mark(pufa_state.db)
    with pufa_state.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(text("UPDATE api_tokens SET name = name"))
    assert change_mark(pufa_state.db) == before
