"""The proof of "nothing silently skipped" (DESIGN §2): the clock stops for an hour.
``tests/test_guarantees.py`` runs it for a few people, ``benchmarks/sms_downtime.py`` for
many.

A weekly lecture (Monday 16:00, Asia/Shanghai) has six reminder rules for everyone.
The clock runs until 14:40, is down until 15:40, then runs again. Time is frozen and
moved with time-machine, and the real clock ticks (plan, reconcile, dispatch) run. Every
message due while it was down must be sent late if still useful, or expired with its
reason; none may stay pending or vanish.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import time_machine
from sqlalchemy import select

from jobs import clock
from service.context import Pufa
from service.models import Delivery, ReminderRule
from service.sms.dispatcher import Dispatcher
from tests.support.sms_fakes import RecordingGateway
from tests.support.sms_world import World, local

# name: (minutes before 16:00, window in minutes or None)
RULES = {
    "sent before the outage (14:30)": (90, None),
    "due in the outage, useful until 16:00 (14:45)": (75, None),
    "due in the outage, window 15 min (14:50)": (70, 15),
    "due in the outage, useful until 16:00 (15:15)": (45, None),
    "due in the outage, useful until 16:00 (15:30)": (30, None),
    "due after the restart (15:50)": (10, None),
}
RUNNING = local(2026, 12, 7, 14, 30)
RESTART = local(2026, 12, 7, 15, 40)
LATER = local(2026, 12, 7, 15, 50)


def run(state: Pufa, people: int) -> dict[str, Any]:
    with state.db.transaction() as session:
        world = World(session)
        for i in range(people):
            world.person(f"职工{i}")
        lecture = world.lecture()
        for name, (lead, window) in RULES.items():
            rule = world.rule(lecture, lead, "lecture_audience", window_minutes=window)
            rule.name = name
    gateway = RecordingGateway()
    dispatcher = Dispatcher(state.db, gateway, state.settings)
    try:
        _ticks(state, dispatcher, RUNNING, plan=True)
        _ticks(state, dispatcher, RESTART, plan=True)
        _ticks(state, dispatcher, LATER, plan=False)
    finally:
        dispatcher.close()
    with state.db.sessions() as session:
        rows = session.execute(
            select(ReminderRule.name, Delivery.status, Delivery.sent_at, Delivery.reason).join(
                ReminderRule, ReminderRule.id == Delivery.rule_id
            )
        ).all()
    outcome: dict[str, Counter[str]] = {name: Counter() for name in RULES}
    for name, status, sent_at, reason in rows:
        when = f" at {_local(sent_at)}" if sent_at else f": {reason}"
        outcome[name][f"{status}{when}"] += 1
    return {
        "people": people,
        "messages": len(rows),
        "sent_at_provider": len(gateway.outbox),
        "duplicated": len(gateway.outbox) - len({s.delivery_id for s in gateway.outbox}),
        "left_pending_or_sending": sum(1 for r in rows if r.status in ("pending", "sending")),
        "by_rule": {name: dict(counts) for name, counts in outcome.items()},
    }


def _ticks(state: Pufa, dispatcher: Dispatcher, at: datetime, *, plan: bool) -> None:
    with time_machine.travel(at, tick=False):
        if plan:
            clock.plan_tick(state)
        clock.reconcile_tick(dispatcher, state)
        clock.dispatch_tick(dispatcher, state)


def _local(instant: datetime) -> str:
    return instant.astimezone(RUNNING.tzinfo).strftime("%H:%M")
