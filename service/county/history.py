"""Three years of what happened: study confirmations, attendance at past lectures, and
the SMS history (deliveries sent, delivered, failed, expired, retracted).

The deliveries are the planner's own messages (``PlanRun``) for the past, so their keys,
recipients, texts and due times are what the service would have written; a seeded
selection keeps exactly the number asked for.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ..models import (
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    Delivery,
    DeliveryStatus,
    StudyConfirmation,
)
from ..occurrences.expand import Window, expand
from ..occurrences.specs import schedule_spec
from ..sms.desired import Planned, PlanRun
from . import words
from .bulk import copy_rows, table_of
from .structure import Built

PLAN_STEP = timedelta(days=30)
COMPLETE = timedelta(days=2)  # more than the planner looks back
DELIVERY_COLUMNS = (
    "schedule_id", "original_start_at", "rule_id", "person_id", "status", "due_at",
    "useful_until", "occurrence_start_at", "to", "body", "segments", "attempts", "claimed_at",
    "sent_at", "provider_sid", "error_code", "reason", "created_at", "updated_at",
)  # fmt: skip
# (cumulative share, status, error code, reason): how three years of sends ended.
OUTCOMES = (
    (0.900, DeliveryStatus.DELIVERED, None, ""),
    (0.930, DeliveryStatus.SENT, None, ""),
    (0.955, DeliveryStatus.FAILED, "30003", ""),
    (0.965, DeliveryStatus.UNDELIVERED, "30005", ""),
    (0.975, DeliveryStatus.EXPIRED, None, "not sent before it stopped being useful"),
    (1.000, DeliveryStatus.RETRACTED, None, "person turned SMS off"),
)
SENT = {DeliveryStatus.DELIVERED, DeliveryStatus.SENT, DeliveryStatus.FAILED}


def confirmations(session: Session, rng: random.Random, built: Built, until: datetime) -> int:
    zone_today = until.date()
    rows = []
    for item_id, due in built.study_items:
        share = 0.9 if due < zone_today else 0.4
        for person in built.active:
            if rng.random() < share:
                at = datetime.combine(due - timedelta(days=rng.randint(1, 60)), time(2), UTC)
                rows.append((item_id, person, min(at, until - timedelta(hours=1)), ""))
    columns = ("item_id", "person_id", "confirmed_at", "note")
    return copy_rows(session.connection(), table_of(StudyConfirmation), columns, rows)


def attendance(
    session: Session, rng: random.Random, built: Built, since: datetime, until: datetime
) -> int:
    run = PlanRun(session, built.lectures)
    audience = {
        s.id: [p for d in s.departments for p in built.members[d.id]]
        for s in run.schedules.values()
    }
    active = set(built.active)
    statuses = list(AttendanceStatus)

    def rows() -> Iterator[tuple[Any, ...]]:
        for schedule in run.schedules.values():
            for occurrence in expand(schedule_spec(schedule), Window(since, until), run.workdays):
                if not occurrence.is_happening or occurrence.end > until:
                    continue
                original = occurrence.original_start.astimezone(UTC)
                for person in audience[schedule.id]:
                    if person not in active:
                        continue
                    draw, note = rng.random(), ""
                    status, source = statuses[0], AttendanceSource.ROLL_CALL
                    if draw > 0.96:
                        status = statuses[2]
                    elif draw > 0.88:
                        status, source = statuses[1], AttendanceSource.LEAVE_REQUEST
                        note = rng.choice(words.LEAVE_NOTES)
                    yield (schedule.id, original, person, status, source, note, since, since, 1)

    columns = ("schedule_id", "original_start_at", "person_id", "status", "source", "note",
               "created_at", "updated_at", "version")  # fmt: skip
    return copy_rows(session.connection(), table_of(Attendance), columns, rows())


def deliveries(
    session: Session, rng: random.Random, target: int, since: datetime, until: datetime
) -> int:
    """Exactly ``target`` past messages (fewer only if the past holds fewer): every one of
    the last two days, as a running clock leaves them (so the first plan tick finds no
    gap to fill), and before that a selection with equal chance among every message the
    planner would have written since ``since``."""
    run = PlanRun(session, strict=True)
    cutoff = max(since, until - COMPLETE)
    windows = []
    start = since
    while start < cutoff:
        end = min(start + PLAN_STEP, cutoff)
        windows.append((start, end - timedelta(microseconds=1)))
        start = end
    recent = run.plan(cutoff, until - timedelta(microseconds=1))[:target]
    natural = sum(len(run.plan(a, b)) for a, b in windows)
    chosen = {"left": min(target - len(recent), natural), "among": natural, "sid": 0}

    def rows() -> Iterator[tuple[Any, ...]]:
        for a, b in windows:
            for planned in run.plan(a, b):
                keep = rng.random() * chosen["among"] < chosen["left"]
                chosen["among"] -= 1
                if keep:
                    chosen["left"] -= 1
                    yield _history_row(planned, rng, chosen)
        for planned in recent:
            yield _history_row(planned, rng, chosen)

    columns = DELIVERY_COLUMNS
    return copy_rows(session.connection(), table_of(Delivery), columns, rows())


def _history_row(planned: Planned, rng: random.Random, counter: dict[str, int]) -> tuple[Any, ...]:
    draw = rng.random()
    status, code, reason = next((s, c, r) for share, s, c, r in OUTCOMES if draw < share)
    sent_at = claimed_at = sid = None
    attempts = 0
    if status in SENT or status == DeliveryStatus.UNDELIVERED:
        claimed_at = planned.due_at + timedelta(seconds=rng.randint(0, 50))
        sent_at = claimed_at + timedelta(milliseconds=rng.randint(80, 900))
        counter["sid"] += 1
        sid, attempts = f"SM{counter['sid']:032x}", 1
    settled = (sent_at or planned.due_at) + timedelta(seconds=rng.randint(3, 120))
    return (
        planned.schedule_id, planned.original_start_at, planned.rule_id, planned.person_id,
        status.value, planned.due_at, planned.useful_until, planned.occurrence_start_at,
        planned.to, planned.body, planned.segments, attempts, claimed_at, sent_at, sid, code,
        reason, planned.due_at - timedelta(days=2), settled,
    )  # fmt: skip
