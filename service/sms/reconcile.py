"""Settling rows left ``sending`` with no provider id: ask the provider, never guess.

A row is left so by a crash between the claim and recording the provider's answer, or by
a send that timed out (the provider may have taken it). Once its wait is over (``grace``
after a crash, ``settle`` after a timeout) the provider is asked whether it has the
message (``Gateway.find``):

- it has it: its sid and status are recorded, nothing is sent again;
- it has no such message: it was never sent, so the row goes back to ``pending`` and
  is sent normally (logged, and counted for ``/metrics``);
- it cannot answer now (a 5xx, a timeout): asked again on the next ticks, for up to
  ``LOOKUP_PATIENCE`` after the claim, so a provider outage settles by itself;
- it cannot be asked (a backend without history, a refused lookup, or no answer within
  that patience): ``unknown``, reported for an admin to check; a late status callback
  can still settle it.

Every change is a compare-and-set on the claim seen before asking (status, no sid, the
same ``claimed_at``), so a row that was settled or claimed again meanwhile is left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import Database
from ..models import Delivery, DeliveryStatus
from . import clockstate
from .gateway import Gateway, SendResult, SmsError
from .outbox import AMBIGUOUS_CODES
from .status import apply_status

log = logging.getLogger("pufa.sms.reconcile")

COUNTER_PREFIX = "sms.reconciled."
# The provider's clock and ours may disagree a little; look a bit before the claim.
LOOKUP_MARGIN = timedelta(minutes=2)
# How long after the claim a lookup that failed for a passing reason is tried again
# before the row is given up as ``unknown``.
LOOKUP_PATIENCE = timedelta(hours=2)
BATCH = 200


@dataclass(frozen=True)
class Stuck:
    id: int
    to: str
    body: str
    claimed_at: datetime


@dataclass
class ReconcileResult:
    found: int = 0  # the provider had it: sid and status recorded
    requeued: int = 0  # the provider never had it: back to pending, sent normally
    unknown: int = 0  # the provider could not be asked: for an admin to check

    @property
    def total(self) -> int:
        return self.found + self.requeued + self.unknown


def stuck_sending(
    session: Session, now: datetime, *, grace: timedelta, settle: timedelta, limit: int = BATCH
) -> list[Stuck]:
    """Rows ``sending`` with no provider id whose wait is over, oldest claim first."""
    timed_out = Delivery.error_code.in_(AMBIGUOUS_CODES)
    crashed = or_(Delivery.error_code.is_(None), Delivery.error_code.not_in(AMBIGUOUS_CODES))
    query = (
        select(Delivery.id, Delivery.to, Delivery.body, Delivery.claimed_at)
        .where(Delivery.status == DeliveryStatus.SENDING, Delivery.provider_sid.is_(None))
        .where(
            or_(
                and_(timed_out, Delivery.claimed_at <= now - settle),
                and_(crashed, Delivery.claimed_at <= now - grace),
            )
        )
        .order_by(Delivery.claimed_at, Delivery.id)
        .limit(limit)
    )
    return [
        Stuck(row_id, to, body, claimed_at)
        for row_id, to, body, claimed_at in session.execute(query)
        if claimed_at is not None  # always set with ``sending``; the filter above needs it
    ]


def reconcile_stuck(
    db: Database, gateway: Gateway, now: datetime, *, grace: timedelta, settle: timedelta
) -> ReconcileResult:
    """Ask the provider about each stuck row and settle it (see the module docstring)."""
    result = ReconcileResult()
    with db.transaction() as session:
        stuck = stuck_sending(session, now, grace=grace, settle=settle)
    for row in stuck:
        try:
            found = gateway.find(row.to, row.body, row.claimed_at - LOOKUP_MARGIN)
        except SmsError as error:
            outcome = _after_failed_lookup(db, row, error, now)
        except Exception as error:  # one bad lookup must not stop the others
            log.exception("provider lookup raised", extra={"delivery": row.id})
            failure = SmsError("lookup_failed", str(error)[:100], permanent=False)
            outcome = _after_failed_lookup(db, row, failure, now)
        else:
            outcome = _settle(db, row, found, None, now)
        if outcome:
            setattr(result, outcome, getattr(result, outcome) + 1)
    if result.total:
        with db.transaction() as session:
            for name in ("found", "requeued", "unknown"):
                clockstate.add_count(session, COUNTER_PREFIX + name, getattr(result, name), now)
    return result


def _after_failed_lookup(db: Database, row: Stuck, error: SmsError, now: datetime) -> str | None:
    if not error.permanent and now - row.claimed_at < LOOKUP_PATIENCE:
        log.warning(
            "provider lookup failed; asking again on the next tick",
            extra={"delivery": row.id, "code": error.code},
        )
        return None
    return _settle(db, row, None, error, now)


def _settle(
    db: Database,
    row: Stuck,
    found: list[SendResult] | None,
    error: SmsError | None,
    now: datetime,
) -> str | None:
    """Apply one lookup's answer; the outcome's name, or None if the row moved meanwhile."""
    try:
        with db.transaction() as session:
            if error is not None:
                return _mark_unknown(session, row, error, now)
            assert found is not None
            taken = set(
                session.scalars(
                    select(Delivery.provider_sid).where(
                        Delivery.provider_sid.in_([f.provider_sid for f in found]),
                        Delivery.id != row.id,
                    )
                )
            )
            mine = [f for f in found if f.provider_sid not in taken]
            if mine:
                return _record_found(session, row, mine[0], now)
            return _requeue(session, row, now)
    except IntegrityError:
        # Another clock recorded that sid on this row (or another) first: next tick.
        log.info("reconcile lost a race; trying again later", extra={"delivery": row.id})
        return None


def _same_claim(row: Stuck) -> tuple[object, ...]:
    return (
        Delivery.id == row.id,
        Delivery.status == DeliveryStatus.SENDING,
        Delivery.provider_sid.is_(None),
        Delivery.claimed_at == row.claimed_at,
    )


def _moved(session: Session, row: Stuck, **values: object) -> bool:
    statement = (
        update(Delivery)
        .where(*_same_claim(row))  # type: ignore[arg-type]
        .values(updated_at=values.pop("now"), **values)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]


def _record_found(session: Session, row: Stuck, found: SendResult, now: datetime) -> str | None:
    reason = f"found at the provider after the send went unrecorded ({found.provider_sid})"
    if not _moved(
        session,
        row,
        now=now,
        status=DeliveryStatus.SENT,
        provider_sid=found.provider_sid,
        sent_at=now,
        error_code=None,
        reason=reason,
    ):
        return None
    # Its later status (delivered, failed …) through the same forward-only path as callbacks.
    apply_status(session, row.id, found.provider_sid, found.status, None, now)
    log.warning(
        "stuck send found at the provider", extra={"delivery": row.id, "sid": found.provider_sid}
    )
    return "found"


def _requeue(session: Session, row: Stuck, now: datetime) -> str | None:
    reason = "claimed but never reached the provider (it has no such message): sending it now"
    if not _moved(
        session, row, now=now, status=DeliveryStatus.PENDING, next_attempt_at=now, reason=reason
    ):
        return None
    log.warning("stuck send never reached the provider; requeued", extra={"delivery": row.id})
    return "requeued"


def _mark_unknown(session: Session, row: Stuck, error: SmsError, now: datetime) -> str | None:
    reason = (
        f"claimed, then no provider id or callback, and the provider could not be asked "
        f"({error.code}): may or may not have been sent; check, then retry from the API"
    )
    if not _moved(session, row, now=now, status=DeliveryStatus.UNKNOWN, reason=reason[:500]):
        return None
    log.warning("stuck send left unknown", extra={"delivery": row.id, "code": error.code})
    return "unknown"
