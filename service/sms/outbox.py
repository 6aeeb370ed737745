"""State changes of outbox rows. Each is a compare-and-set on ``status`` and takes ``now``.

pending -> sending (claim) -> sent (provider accepted) -> delivered | undelivered | failed
pending -> expired (no longer useful) | retracted (no longer applies)
sending -> pending (transient error) | failed
sending (no provider id, wait over) -> sent | pending | unknown: see ``reconcile``
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from ..models import (
    Delivery,
    DeliveryStatus,
    OccurrenceOverride,
    Person,
    ReminderRule,
    UTCDateTime,
)
from ..settings import QuietHours
from .gateway import SmsError
from .link_message import LINK_PREFIX
from .optout import SmsStop, stop_sms

# The request may have reached the provider: never resend at once (guarantee 1).
AMBIGUOUS_CODES = frozenset({"timeout", "read_timeout"})
OPTED_OUT = "21610"
BACKOFF_CAP = timedelta(minutes=30)


@dataclass(frozen=True)
class Claimed:
    id: int
    to: str
    body: str
    attempts: int


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        Delivery.status == DeliveryStatus.PENDING,
        Delivery.due_at <= now,
        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
    )


def expire_useless(session: Session, now: datetime) -> int:
    """Pending rows whose usefulness ended are expired with the reason, not sent."""
    reason = case(
        (Delivery.attempts > 0, "retries did not succeed before it stopped being useful"),
        else_="not sent before it stopped being useful (clock down, or held by quiet hours)",
    )
    statement = (
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.useful_until <= now)
        .values(status=DeliveryStatus.EXPIRED, reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def quiet_hours_end(now: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours ``now`` falls in end (UTC), or None outside quiet hours."""
    local = now.astimezone(zone)
    if not quiet.contains(local.timetz().replace(tzinfo=None)):
        return None
    end = datetime.combine(local.date(), quiet.end, tzinfo=zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=zone)
    return end.astimezone(UTC)


def hold_for_quiet_hours(session: Session, now: datetime, quiet: QuietHours, zone: ZoneInfo) -> int:
    """Hold due routine reminders until quiet hours end; expire those useless by then."""
    end = quiet_hours_end(now, quiet, zone)
    if end is None:
        return 0
    routine = Delivery.rule_id.in_(select(ReminderRule.id).where(ReminderRule.is_routine))
    held = session.execute(
        update(Delivery)
        .where(_due(now), routine, Delivery.useful_until > end)
        .values(next_attempt_at=end, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    local_end = end.astimezone(zone).strftime("%H:%M")
    session.execute(
        update(Delivery)
        .where(_due(now), routine, Delivery.useful_until <= end)
        .values(
            status=DeliveryStatus.EXPIRED,
            reason=f"quiet hours until {local_end}; no longer useful by then",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(held)


def claim(session: Session, now: datetime, limit: int, *, skip_locked: bool) -> list[Claimed]:
    """Mark up to ``limit`` due rows ``sending``; commit before sending any of them.

    The UPDATE's ``status = 'pending'`` condition is the compare-and-set: if two clocks
    pick the same row, only one update matches it. On PostgreSQL ``SKIP LOCKED`` makes
    them pick different rows in the first place.
    """
    candidates = (
        select(Delivery.id)
        .where(_due(now), Delivery.useful_until > now)
        .order_by(Delivery.due_at, Delivery.id)
        .limit(limit)
    )
    if skip_locked:
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.scalars(candidates))
    if not ids:
        return []
    stale = no_longer_qualifying(session, ids, now)
    ids = [i for i in ids if i not in stale]
    if not ids:
        return []
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.PENDING)
        .values(
            status=DeliveryStatus.SENDING,
            claimed_at=now,
            attempts=Delivery.attempts + 1,
            updated_at=now,
        )
        .returning(Delivery.id, Delivery.to, Delivery.body, Delivery.attempts)
        .execution_options(synchronize_session=False)
    )
    return [Claimed(*row) for row in session.execute(statement)]


def no_longer_qualifying(session: Session, ids: list[int], now: datetime) -> set[int]:
    """The last check before a claim: rows whose person or occurrence stopped qualifying
    since they were planned (a change that did not go through a re-plan) are retracted
    with the reason instead of being sent. Returns their ids."""
    cancelled = and_(
        OccurrenceOverride.schedule_id == Delivery.schedule_id,
        OccurrenceOverride.original_start_at == Delivery.original_start_at,
        OccurrenceOverride.is_cancelled,
    )
    reason = case(
        (~Person.is_active, "发送前复核：收件人已停用"),
        (Person.is_sms_opted_out, "发送前复核：收件人已退订短信"),
        (~Person.is_sms_enabled, "发送前复核：收件人已关闭短信提醒"),
        (
            or_(Person.mobile.is_(None), Person.mobile != Delivery.to),
            "发送前复核：收件人的手机号码已变更",
        ),
        (~ReminderRule.is_enabled, "发送前复核：提醒规则已停用"),
        else_="发送前复核：该场次已取消",
    )
    query = (
        select(Delivery.id, reason)
        .join(Person, Person.id == Delivery.person_id)
        .join(ReminderRule, ReminderRule.id == Delivery.rule_id)
        .where(Delivery.id.in_(ids))
        .where(
            or_(
                ~Person.is_active,
                Person.is_sms_opted_out,
                ~Person.is_sms_enabled,
                Person.mobile.is_(None),
                Person.mobile != Delivery.to,
                ~ReminderRule.is_enabled,
                exists().where(cancelled),
            )
        )
    )
    stale = {row_id: why for row_id, why in session.execute(query)}
    if stale:
        params = [{"b_id": i, "b_reason": why, "b_at": now} for i, why in stale.items()]
        session.connection().execute(_RETRACT, params)
    return set(stale)


def release(session: Session, delivery_id: int, now: datetime) -> None:
    """Give back a claimed row that was never handed to the provider (shutdown)."""
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.SENDING)
        .values(
            status=DeliveryStatus.PENDING,
            claimed_at=None,
            attempts=Delivery.attempts - 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


_TABLE: Table = Delivery.__table__  # type: ignore[assignment]
_RETRACT = (
    _TABLE.update()
    .where(and_(_TABLE.c.id == bindparam("b_id"), _TABLE.c.status == DeliveryStatus.PENDING))
    .values(
        status=DeliveryStatus.RETRACTED, reason=bindparam("b_reason"), updated_at=bindparam("b_at")
    )
)
# A message about no schedule carries a staff page link, a secret the database otherwise
# keeps only as an HMAC: once the provider has it, the row keeps this instead.
LINK_SCRUBBED = "（个人页面链接短信，已发出；链接不保存在记录里）"
_IS_PAGE_LINK = and_(_TABLE.c.schedule_id.is_(None), _TABLE.c.notice.startswith(LINK_PREFIX))
_RECORD_SENT = (
    _TABLE.update()
    .where(_TABLE.c.id == bindparam("b_id"))
    .values(
        # Written out rather than IN (…): an expanding IN cannot run as executemany.
        # "pending": a send so slow to be recorded that reconcile requeued it meanwhile.
        status=case(
            (
                or_(
                    *(
                        _TABLE.c.status == s
                        for s in (
                            DeliveryStatus.SENDING,
                            DeliveryStatus.UNKNOWN,
                            DeliveryStatus.PENDING,
                        )
                    )
                ),
                DeliveryStatus.SENT,
            ),
            else_=_TABLE.c.status,
        ),
        provider_sid=func.coalesce(_TABLE.c.provider_sid, bindparam("b_sid")),
        body=case((_IS_PAGE_LINK, LINK_SCRUBBED), else_=_TABLE.c.body),
        sent_at=bindparam("b_at"),
        error_code=None,
        reason="",
        updated_at=bindparam("b_at"),
    )
)


def record_sent(session: Session, accepted: list[tuple[int, str]], now: datetime) -> None:
    """The provider accepted these (delivery id, provider sid). A status callback may
    already have moved a row further; statuses only move forward."""
    if accepted:
        params = [{"b_id": i, "b_sid": sid, "b_at": now} for i, sid in accepted]
        session.connection().execute(_RECORD_SENT, params)


def backoff(attempts: int, base: timedelta, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter (half fixed, half random) so clocks do not align."""
    delay: timedelta = min(base * 2 ** max(0, attempts - 1), BACKOFF_CAP)
    return delay * (0.5 + rng.random() / 2)


def record_failure(
    session: Session,
    claimed: Claimed,
    error: SmsError,
    now: datetime,
    *,
    base: timedelta,
    rng: random.Random,
) -> str:
    """Record a refused send; returns the row's new status."""
    where = (Delivery.id == claimed.id, Delivery.status == DeliveryStatus.SENDING)
    values: dict[str, object]
    detail = f"{error.code}: {error.message}".rstrip(": ")[:400]
    if error.permanent:
        values = {"status": DeliveryStatus.FAILED, "reason": f"refused: {detail}"}
        if error.code == OPTED_OUT:
            _opt_out(session, claimed.id, now)
    elif error.code in AMBIGUOUS_CODES:
        # Stays ``sending``: its status callback settles it, or reconcile asks the provider.
        values = {"reason": f"{detail}; the provider may have it, waiting for its callback"}
    else:
        delay = backoff(claimed.attempts, base, rng)
        if error.retry_after is not None:
            delay = max(delay, timedelta(seconds=error.retry_after))
        useful_until = session.scalar(select(Delivery.useful_until).where(*where))
        if useful_until is not None and now + delay < useful_until:
            values = {
                "status": DeliveryStatus.PENDING,
                "next_attempt_at": now + delay,
                "reason": detail,
            }
        else:
            gave_up = f"gave up after attempt {claimed.attempts} ({detail})"
            values = {
                "status": DeliveryStatus.EXPIRED,
                "reason": f"{gave_up}: no longer useful by the next try",
            }
    statement = update(Delivery).where(*where).values(error_code=error.code[:20], updated_at=now)
    session.execute(statement.values(**values).execution_options(synchronize_session=False))
    return str(values.get("status", DeliveryStatus.SENDING))


def _opt_out(session: Session, delivery_id: int, now: datetime) -> None:
    person_id = session.scalar(select(Delivery.person_id).where(Delivery.id == delivery_id))
    person = None if person_id is None else session.get(Person, person_id)
    if person is not None:
        stop_sms(
            session,
            person,
            SmsStop.OPTED_OUT,
            actor="twilio:21610",
            now=now,
            note="运营商错误 21610",
        )


def next_due_at(session: Session) -> datetime | None:
    """The earliest instant a pending row becomes sendable (for a prompt wake-up)."""
    when = func.coalesce(Delivery.next_attempt_at, Delivery.due_at)
    query = select(type_coerce(func.min(when), UTCDateTime)).where(
        Delivery.status == DeliveryStatus.PENDING
    )
    return session.scalar(query)


RETRYABLE = (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN)


def retry(session: Session, delivery: Delivery, now: datetime) -> str | None:
    """Put a failed or unknown message back in the queue; the reason it cannot be, or None.

    Retrying an ``unknown`` one is an admin's decision: it may have been sent already.
    """
    if delivery.status not in RETRYABLE:
        return f"only failed or unknown messages can be retried; this one is {delivery.status}"
    if delivery.useful_until <= now:
        return f"no longer useful (it was useful until {delivery.useful_until.isoformat()})"
    if not delivery.person.can_receive_sms:
        return "the recipient cannot receive SMS now (inactive, SMS off or opted out)"
    changed = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.status == delivery.status)
        .values(
            status=DeliveryStatus.PENDING,
            next_attempt_at=None,
            claimed_at=None,
            reason=f"retried by an admin after {delivery.status}",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return None if changed else "the message changed meanwhile; reload and try again"
