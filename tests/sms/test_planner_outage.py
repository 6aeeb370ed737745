"""After the clock was down for days, every reminder due meanwhile still gets its row:
sent late if still useful, otherwise ``expired`` with the reason. Nothing is skipped."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs import clock
from service.context import Pufa
from service.models import Delivery, ReminderRule, Schedule
from service.settings import Settings
from service.sms import clockstate
from service.sms.dispatcher import Dispatcher
from tests.support.sms_fakes import RecordingGateway
from tests.support.sms_world import SHANGHAI, World, local

STOPPED = local(2026, 12, 7, 12)  # Monday noon: the last plan tick before the outage
RESTARTED = STOPPED + timedelta(days=3)  # Thursday noon
HORIZON_HOURS = 24  # shorter than the outage plus the 24 h look-back: a gap opens


@pytest.fixture
def short_horizon(pufa_state: Pufa, settings: Settings) -> Iterator[Pufa]:
    original = pufa_state.settings
    pufa_state.settings = replace(settings, plan_horizon_hours=HORIZON_HOURS)
    yield pufa_state
    pufa_state.settings = original


@pytest.fixture
def daily_meeting(session: Session) -> Schedule:
    """A 10:00 meeting every day, with a reminder an hour before (useful until it starts)
    and one two days before (useful for two days)."""
    world = World(session)
    world.person("周伟")
    meeting = Schedule(
        kind="meeting",
        title="每日碰头会",
        starts_at=local(2026, 12, 1, 10).astimezone(UTC),
        duration_minutes=30,
        rrule="FREQ=DAILY",
        is_for_everyone=True,
    )
    session.add(meeting)
    session.flush()
    world.rule(meeting, 60, "lecture_audience").name = "an hour before"
    world.rule(meeting, 2 * 1440, "lecture_audience").name = "two days before"
    session.commit()
    return meeting


def ticks(state: Pufa, dispatcher: Dispatcher, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        clock.plan_tick(state)
        clock.reconcile_tick(dispatcher, state)
        clock.dispatch_tick(dispatcher, state)


def outcomes(session: Session) -> dict[tuple[str, str], tuple[str, str]]:
    """(rule, due, local time) -> (status, reason or send time)."""
    rows = session.execute(
        select(
            ReminderRule.name, Delivery.due_at, Delivery.status, Delivery.reason, Delivery.sent_at
        ).join(ReminderRule, ReminderRule.id == Delivery.rule_id)
    ).all()
    session.commit()
    return {
        (rule, due.astimezone(SHANGHAI).strftime("%a %H:%M")): (
            status,
            sent_at.astimezone(SHANGHAI).strftime("sent %a %H:%M") if sent_at else reason,
        )
        for rule, due, status, reason, sent_at in rows
    }


def test_after_three_days_down_every_missed_reminder_is_expired_or_sent_late(
    short_horizon: Pufa, session: Session, settings: Settings, daily_meeting: Schedule
) -> None:
    gateway = RecordingGateway()
    dispatcher = Dispatcher(short_horizon.db, gateway, short_horizon.settings)
    try:
        ticks(short_horizon, dispatcher, STOPPED)
        ticks(short_horizon, dispatcher, RESTARTED)
    finally:
        dispatcher.close()

    seen = outcomes(session)
    late = "not sent before it stopped being useful (clock down, or held by quiet hours)"
    missed = "planned after it stopped being useful (clock down?)"
    # Every reminder due while the clock was down, Monday 12:00 to Thursday 12:00:
    expected = {
        # planned before the outage, found useless at the restart
        ("an hour before", "Tue 09:00"): ("expired", late),
        ("two days before", "Tue 10:00"): ("expired", late),
        # beyond the last plan's horizon and the restart's 24 h look-back: planned from
        # the planned-through mark, useless by now, so recorded as expired
        ("an hour before", "Wed 09:00"): ("expired", missed),
        # ... or still useful (the meeting is Friday): sent late, at the restart
        ("two days before", "Wed 10:00"): ("sent", "sent Thu 12:00"),
        ("an hour before", "Thu 09:00"): ("expired", missed),
        ("two days before", "Thu 10:00"): ("sent", "sent Thu 12:00"),
    }
    assert {key: seen.get(key) for key in expected} == expected
    assert len(gateway.outbox) == len({s.delivery_id for s in gateway.outbox})


def test_the_planned_through_mark_follows_the_horizon_and_never_moves_back(
    short_horizon: Pufa, session: Session, daily_meeting: Schedule
) -> None:
    gateway = RecordingGateway()
    dispatcher = Dispatcher(short_horizon.db, gateway, short_horizon.settings)
    try:
        ticks(short_horizon, dispatcher, STOPPED)
        ticks(short_horizon, dispatcher, STOPPED - timedelta(hours=1))  # another clock, behind
    finally:
        dispatcher.close()

    mark = clockstate.mark(session, clockstate.PLANNED_THROUGH)
    assert mark == STOPPED + timedelta(hours=HORIZON_HOURS)


def test_an_outage_beyond_thirty_days_is_caught_up_for_thirty_days_and_logged_loudly(
    short_horizon: Pufa,
    session: Session,
    daily_meeting: Schedule,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = RecordingGateway()
    dispatcher = Dispatcher(short_horizon.db, gateway, short_horizon.settings)
    restarted = STOPPED + timedelta(days=40)
    try:
        ticks(short_horizon, dispatcher, STOPPED)
        with caplog.at_level(logging.ERROR, logger="pufa.sms.planner"):
            ticks(short_horizon, dispatcher, restarted)
    finally:
        dispatcher.close()

    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "longer than it may catch up" in error.getMessage()
    dues = session.scalars(
        select(Delivery.due_at).join(ReminderRule).where(ReminderRule.name == "an hour before")
    ).all()
    session.commit()
    earliest_caught_up = min(d for d in dues if d > STOPPED + timedelta(hours=HORIZON_HOURS))
    assert earliest_caught_up >= restarted - timedelta(days=30)
    assert earliest_caught_up < restarted - timedelta(days=29)
