"""Helpers shared by the feed tests: demo data, a frozen clock, tokens, parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from icalendar import Calendar, Component, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.context import Pufa
from service.feeds.fast.vevent import VEvent
from service.feeds.tokens import issue_token
from service.models import Department, Person, Schedule
from service.seed import load_demo_file, seed
from service.settings import Settings

# Thursday 26 November 2026, 10:00 in Shanghai: the demo lecture rota runs to Dec 2027.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def seed_demo(state: Pufa) -> None:
    with state.db.transaction() as session:
        seed(session, load_demo_file())


def person(session: Session, name: str) -> Person:
    row = session.scalar(select(Person).where(Person.name == name))
    assert row is not None, name
    return row


def department(session: Session, name: str) -> Department:
    row = session.scalar(select(Department).where(Department.name == name))
    assert row is not None, name
    return row


def schedule(session: Session, title: str) -> Schedule:
    row = session.scalar(select(Schedule).where(Schedule.title == title))
    assert row is not None, title
    return row


def token_for(state: Pufa, settings: Settings, model: Any, name: str) -> str:
    """Issue a feed token directly (the API tests issue theirs through the API)."""
    with state.db.transaction() as session:
        row = session.scalar(select(model).where(model.name == name))
        assert row is not None, name
        return issue_token(session, settings.secret_key, row)


def prop(component: Component, name: str) -> Any:
    """``component[name]`` as the value it is (a date, a trigger, an integer): icalendar
    types every property as the union of all property types."""
    value: Any = component[name]
    return value


def fetch(client: FlaskClient, token: str, **headers: str) -> Any:
    return client.get(f"/calendar/{token}.ics", headers=headers)


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def events(calendar: Calendar, uid: str | None = None) -> list[Event]:
    found = calendar.walk("VEVENT")
    return [e for e in found if isinstance(e, Event) and (uid is None or str(e["UID"]) == uid)]


def master(calendar: Calendar, uid: str) -> Event:
    [found] = [e for e in events(calendar, uid) if "RECURRENCE-ID" not in e]
    return found


def overrides(calendar: Calendar, uid: str) -> list[Event]:
    return [e for e in events(calendar, uid) if "RECURRENCE-ID" in e]


def add_schedule(session: Session, **fields: Any) -> Schedule:
    values: dict[str, Any] = {
        "kind": "meeting",
        "title": "例会",
        "timezone": "Asia/Shanghai",
        "starts_at": NOW + timedelta(days=7),
        "duration_minutes": 60,
        "is_for_everyone": True,
    }
    values.update(fields)
    row = Schedule(**values)
    session.add(row)
    session.flush()
    return row


def person_id(state: Pufa, name: str) -> int:
    """Read in a session of its own: on SQLite an open transaction would block the app."""
    with state.db.sessions() as session:
        return person(session, name).id


def department_id(state: Pufa, name: str) -> int:
    with state.db.sessions() as session:
        return department(session, name).id


def icalendar_event(event: VEvent) -> Event:
    """The VEVENT made the plain icalendar way, with ``Component.add`` typing each value:
    what ``VEventWriter`` must write, byte for byte."""
    component = Event()
    component.add("UID", event.uid)
    component.add("DTSTAMP", event.stamp)
    component.add("LAST-MODIFIED", event.stamp)
    component.add("SEQUENCE", event.sequence)
    component.add("DTSTART", event.start)
    component.add("DTEND", event.end)
    if event.recurrence_id is not None:
        component.add("RECURRENCE-ID", event.recurrence_id)
    if event.rrule is not None:
        component.add("RRULE", event.rrule)
    if event.exdates is not None:
        component.add("EXDATE", event.exdates)
    component.add("SUMMARY", event.summary)
    if event.description:
        component.add("DESCRIPTION", event.description)
    if event.location:
        component.add("LOCATION", event.location)
    if event.is_transparent:
        component.add("TRANSP", "TRANSPARENT")
    for alarm in event.alarms:
        component.add_component(alarm)
    return component


class IcalendarsOwnWriter:
    """Writes what ``VEventWriter`` and ``IcalWriter`` write, the slow, obvious way:
    each event made with ``icalendar_event``, each component by its own ``to_ical``."""

    def write(self, event: VEvent) -> bytes:
        return bytes(icalendar_event(event).to_ical())

    def to_ical(self, component: Component) -> bytes:
        return bytes(component.to_ical())
