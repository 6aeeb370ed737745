"""The planner: keeps the outbox equal to what ``desired`` computes for the horizon.

It inserts missing messages (``INSERT … ON CONFLICT DO NOTHING``, so two clocks planning
at once cannot duplicate a row), re-renders or re-times PENDING ones whose occurrence,
text or number changed, retracts PENDING ones that no longer apply and brings back
retracted ones that apply again. Rows already claimed or sent are never touched: every
change is a compare-and-set on the status. Running it twice writes nothing the second time.

Call ``replan_schedule`` after editing a schedule, override, rule or confirmation, and
``retract_for_person`` after disabling a person or their SMS; the clock's plan tick
reconciles everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Table, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import Delivery, DeliveryStatus
from . import clockstate
from .desired import Key, Planned, PlanRun, group_triples

log = logging.getLogger("pufa.sms.planner")

DEFAULT_HORIZON = timedelta(hours=48)
# Messages that fell due while the clock was down this long ago are still planned: sent
# late if useful, otherwise recorded as expired. Nothing is silently skipped. After a
# longer outage the plan tick reaches back to where the last plan ended (the
# planned-through mark), but never more than MAX_CATCH_UP.
LOOKBACK = timedelta(hours=24)
MAX_CATCH_UP = timedelta(days=30)
_TABLE: Table = Delivery.__table__  # type: ignore[assignment]
_KEY_COLUMNS = ("schedule_id", "original_start_at", "rule_id", "person_id")
_PLANNED_FIELDS = ("to", "due_at", "useful_until", "occurrence_start_at", "body", "segments")
# Statements are built once: a request's re-plan runs a handful of small queries, and
# building each statement and its cache key again cost as much as running it.
_IDS: BindParameter[int] = bindparam("ids", expanding=True)
# Plain rows, not ORM objects: the horizon can hold tens of thousands.
_PENDING = select(
    Delivery.id, *(getattr(Delivery, c) for c in (*_KEY_COLUMNS, *_PLANNED_FIELDS))
).where(
    Delivery.status == DeliveryStatus.PENDING,
    Delivery.rule_id.is_not(None),  # change notices are no rule's: not the plan's
)
_PENDING_OF_SCHEDULES = _PENDING.where(Delivery.schedule_id.in_(_IDS))
_EXISTING = select(
    Delivery.id, Delivery.status, *(getattr(Delivery, c) for c in _KEY_COLUMNS)
).where(
    Delivery.schedule_id.in_(_IDS),
    Delivery.original_start_at.between(bindparam("first"), bindparam("last")),
)


@dataclass
class PlanResult:
    inserted: int = 0
    inserted_expired: int = 0
    updated: int = 0
    retracted: int = 0
    reactivated: int = 0

    @property
    def writes(self) -> int:
        return (
            self.inserted + self.inserted_expired + self.updated + self.retracted + self.reactivated
        )


def plan_tick(
    session: Session, now: datetime, *, horizon: timedelta = DEFAULT_HORIZON
) -> PlanResult:
    """Plan everything, from where the last plan ended if that is further back than
    LOOKBACK (the clock was down), then move the planned-through mark to the horizon.

    Messages due in the gap get rows: pending if still useful, otherwise ``expired``
    with the reason. Only an outage longer than MAX_CATCH_UP loses anything, and that
    is logged as an error naming the window.
    """
    due_from = now - LOOKBACK
    planned_through = clockstate.mark(session, clockstate.PLANNED_THROUGH)
    if planned_through is not None and planned_through < due_from:
        floor = now - MAX_CATCH_UP
        if planned_through < floor:
            log.error(
                "the planner was stopped longer than it may catch up: reminders due in this "
                "window get no delivery row",
                extra={"from": planned_through.isoformat(), "to": floor.isoformat()},
            )
        due_from = max(planned_through, floor)
        log.warning(
            "planning the gap the clock left",
            extra={"from": due_from.isoformat(), "lookback_from": (now - LOOKBACK).isoformat()},
        )
    result = plan_deliveries(session, now, horizon=horizon, due_from=due_from)
    clockstate.advance_mark(session, clockstate.PLANNED_THROUGH, now + horizon, now)
    return result


def plan_deliveries(
    session: Session,
    now: datetime,
    *,
    horizon: timedelta = DEFAULT_HORIZON,
    schedule_ids: Iterable[int] | None = None,
    due_from: datetime | None = None,
    strict: bool = False,
) -> PlanResult:
    """Bring the outbox in line with the schedules for messages due in
    ``[due_from, now + horizon]`` (``due_from`` defaults to ``now - LOOKBACK``).

    Flushes but does not commit: the caller owns the transaction.
    """
    ids = None if schedule_ids is None else list(schedule_ids)
    if ids is None:
        rows = session.execute(_PENDING)
    else:
        rows = session.execute(_PENDING_OF_SCHEDULES, {"ids": ids})
    pending = {_key(row): row for row in rows}
    run = PlanRun(session, ids, strict=strict)
    start = now - LOOKBACK if due_from is None else due_from
    desired = {p.key: p for p in run.plan(start, now + horizon, group_triples(pending))}
    existing = existing_rows(session, desired.values())
    result = PlanResult()

    fresh = [p for key, p in desired.items() if key not in existing]
    result.inserted, result.inserted_expired = _insert(session, fresh, now)
    changes, revivals = [], []
    for key, planned in desired.items():
        row_id, status = existing.get(key, (None, None))
        if status == DeliveryStatus.PENDING and _differs(pending[key], planned):
            changes.append(_fields(planned, row_id))
        elif status == DeliveryStatus.RETRACTED and planned.useful_until > now:
            revivals.append(_fields(planned, row_id))
    result.updated = _cas_update(session, changes, DeliveryStatus.PENDING, now)
    result.reactivated = _cas_update(
        session, revivals, DeliveryStatus.RETRACTED, now, status=DeliveryStatus.PENDING
    )
    gone = [
        {"b_id": row.id, "b_reason": run.explain(key[:3], key[3])[:500]}
        for key, row in pending.items()
        if key not in desired and key[0] not in run.failed
    ]
    result.retracted = _cas_update(
        session, gone, DeliveryStatus.PENDING, now, status=DeliveryStatus.RETRACTED
    )
    return result


def replan_schedule(
    session: Session, schedule_id: int, now: datetime, horizon: timedelta = DEFAULT_HORIZON
) -> PlanResult:
    """Re-plan one schedule after an edit (schedule, override, rule, confirmation)."""
    return plan_deliveries(session, now, horizon=horizon, schedule_ids=[schedule_id])


def retract_for_person(session: Session, person_id: int, reason: str, now: datetime) -> int:
    """Retract every PENDING message to a person (disabled, SMS off, opted out).

    If they can receive messages again later, the plan tick brings still-useful ones back.
    """
    statement = (
        update(Delivery)
        .where(Delivery.person_id == person_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.RETRACTED, reason=reason[:500], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _key(row: Any) -> Key:
    return (row.schedule_id, row.original_start_at, row.rule_id, row.person_id)


def existing_rows(session: Session, planned: Iterable[Planned]) -> dict[Key, tuple[int, str]]:
    """Id and status of every outbox row that shares a key with ``planned``."""
    planned = list(planned)
    if not planned:
        return {}
    originals = [p.original_start_at for p in planned]
    values = {
        "ids": sorted({p.schedule_id for p in planned}),
        "first": min(originals),
        "last": max(originals),
    }
    rows = session.execute(_EXISTING, values)
    return {(s, o, r, p): (row_id, status) for row_id, status, s, o, r, p in rows}


def _insert(session: Session, fresh: list[Planned], now: datetime) -> tuple[int, int]:
    if not fresh:
        return 0, 0
    rows = []
    for p in fresh:
        useful = p.useful_until > now
        rows.append(
            {
                **{c: getattr(p, c) for c in (*_KEY_COLUMNS, *_PLANNED_FIELDS)},
                "status": DeliveryStatus.PENDING if useful else DeliveryStatus.EXPIRED,
                "reason": "" if useful else "planned after it stopped being useful (clock down?)",
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE).on_conflict_do_nothing(index_elements=list(_KEY_COLUMNS))
    for start in range(0, len(rows), 1000):
        session.execute(statement, rows[start : start + 1000])
    expired = sum(1 for r in rows if r["status"] == DeliveryStatus.EXPIRED)
    return len(rows) - expired, expired


def _differs(row: Any, planned: Planned) -> bool:
    return any(getattr(row, f) != getattr(planned, f) for f in _PLANNED_FIELDS)


def _fields(planned: Planned, row_id: int | None) -> dict[str, Any]:
    return {"b_id": row_id, **{f"b_{f}": getattr(planned, f) for f in _PLANNED_FIELDS}}


def _cas_update(
    session: Session,
    params: list[dict[str, Any]],
    expected: str,
    now: datetime,
    status: str | None = None,
) -> int:
    """UPDATE … WHERE id = ? AND status = ``expected``, for many rows: a row the
    dispatcher claimed meanwhile is left alone."""
    if not params:
        return 0
    values: dict[str, Any] = {k[2:]: bindparam(k) for k in params[0] if k != "b_id"}
    values["updated_at"] = now
    if status is not None:
        values["status"] = status
        values.setdefault("reason", "")
    statement = (
        _TABLE.update()
        .where(and_(_TABLE.c.id == bindparam("b_id"), _TABLE.c.status == expected))
        .values(**values)
    )
    result = session.connection().execute(statement, params)
    return int(result.rowcount)
