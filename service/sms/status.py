"""Applying what the provider says about a message to its Delivery row.

Statuses only move forward: pending → sending (or unknown) → sent → delivered |
undelivered | failed, the last three final. Each change is one compare-and-set UPDATE,
so two callbacks racing on two web workers (``sent`` and ``delivered`` arrive together)
can never move a row backwards. The status callback (and the dispatcher, after a
send returns) both go through ``apply_status``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..models import Delivery, DeliveryStatus, Person
from .optout import SmsStop, stop_sms
from .twilio_gateway import OPTED_OUT_CODE

log = logging.getLogger("pufa.sms.status")

# Twilio's message statuses, in our words. Anything Twilio has taken is "sent" until
# the carrier's receipt says more; "read" (RCS/WhatsApp) implies delivered.
PROVIDER_STATUSES = {
    "accepted": DeliveryStatus.SENT,
    "scheduled": DeliveryStatus.SENT,
    "queued": DeliveryStatus.SENT,
    "sending": DeliveryStatus.SENT,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}
# ``unknown`` is "sending, but we lost track": a late callback may still settle it.
# ``expired`` and ``retracted`` rows were never handed to the provider and stay put.
_RANK: dict[str, int] = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.SENDING: 1,
    DeliveryStatus.UNKNOWN: 1,
    DeliveryStatus.SENT: 2,
}
_FINAL = (DeliveryStatus.DELIVERED, DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED)
for _status in _FINAL:
    _RANK[_status] = 3


@dataclass(frozen=True)
class StatusUpdate:
    """What ``apply_status`` did. ``outcome`` is one of: ``applied`` (the row moved),
    ``duplicate`` (already there), ``stale`` (would go backwards or sideways),
    ``unknown_message`` (no row for the sid/id), ``unknown_status`` (not a Twilio
    status), ``mismatch`` (the delivery id names a row with another sid)."""

    outcome: str
    delivery_id: int | None = None
    status: str | None = None
    person_opted_out: bool = False


def status_callback_url(public_base_url: str, delivery_id: int) -> str:
    """The StatusCallback to give the provider: it carries the delivery id, so a row
    left ``sending`` by a crash (no sid recorded) is settled by its callback."""
    return f"{public_base_url.rstrip('/')}/webhooks/twilio/status?delivery={delivery_id}"


def apply_status(
    session: Session,
    delivery_id: int | None,
    sid: str,
    provider_status: str,
    error_code: str | None,
    now: datetime,
) -> StatusUpdate:
    """Apply one provider report; flushes, the caller commits. Idempotent by sid.

    ``error_code`` 21610 (recipient opted out) also marks the person opted out.
    """
    error_code = (error_code or "").strip()[:20] or None
    new = PROVIDER_STATUSES.get(provider_status.strip().lower())
    delivery = _find(session, delivery_id, sid)
    if delivery is None:
        log.info("status for an unknown message", extra={"sid": sid, "delivery": delivery_id})
        return StatusUpdate("unknown_message", delivery_id)
    if delivery.provider_sid not in (None, sid):
        log.warning(
            "status callback names a delivery that has another sid",
            extra={"sid": sid, "delivery": delivery.id, "recorded_sid": delivery.provider_sid},
        )
        return StatusUpdate("mismatch", delivery.id, delivery.status)
    opted_out = error_code == OPTED_OUT_CODE and _opt_out(session, delivery.person_id, now)
    if new is None:
        log.warning("unknown provider status", extra={"sid": sid, "status": provider_status})
        return StatusUpdate("unknown_status", delivery.id, delivery.status, opted_out)
    if delivery.status == new:
        if error_code and not delivery.error_code:
            delivery.error_code = error_code
        if sid and delivery.provider_sid is None:
            delivery.provider_sid = sid
        session.flush()
        return StatusUpdate("duplicate", delivery.id, new, opted_out)
    if _RANK.get(delivery.status, 99) >= _RANK[new]:
        log.info(
            "status would go backwards; ignored",
            extra={"sid": sid, "delivery": delivery.id, "from": delivery.status, "to": new},
        )
        return StatusUpdate("stale", delivery.id, delivery.status, opted_out)
    moved = _compare_and_set(session, delivery, sid, new, error_code, now)
    if not moved:
        # Someone moved it first (another callback, the dispatcher); re-read and report.
        session.refresh(delivery)
        log.info("status overtaken", extra={"sid": sid, "delivery": delivery.id, "to": new})
        return StatusUpdate("stale", delivery.id, delivery.status, opted_out)
    session.refresh(delivery)
    log.info("delivery status", extra={"sid": sid, "delivery": delivery.id, "status": new})
    return StatusUpdate("applied", delivery.id, new, opted_out)


def _find(session: Session, delivery_id: int | None, sid: str) -> Delivery | None:
    if sid:
        found = session.scalar(select(Delivery).where(Delivery.provider_sid == sid))
        if found is not None:
            if delivery_id is not None and found.id != delivery_id:
                log.warning(
                    "status callback delivery id disagrees with its sid; trusting the sid",
                    extra={"sid": sid, "delivery": delivery_id, "found": found.id},
                )
            return found
    if delivery_id is None:
        return None
    return session.get(Delivery, delivery_id)


def _compare_and_set(
    session: Session,
    delivery: Delivery,
    sid: str,
    new: str,
    error_code: str | None,
    now: datetime,
) -> bool:
    lower = [status for status, rank in _RANK.items() if rank < _RANK[new]]
    values: dict[str, object] = {
        "status": new,
        "updated_at": now,
        "sent_at": func.coalesce(Delivery.sent_at, now),
    }
    if sid:
        values["provider_sid"] = sid
    if error_code:
        values["error_code"] = error_code
    if new in (DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED):
        values["reason"] = f"provider reported {new}" + (
            f" (error {error_code})" if error_code else ""
        )
    statement = (
        update(Delivery)
        .where(
            Delivery.id == delivery.id,
            Delivery.status.in_(lower),
            # Never overwrite a sid: a row settled by one message stays with it.
            or_(Delivery.provider_sid.is_(None), Delivery.provider_sid == sid),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]


def _opt_out(session: Session, person_id: int, now: datetime) -> bool:
    """Twilio 21610: the carrier says this number opted out; stop planning SMS for it."""
    person = session.get(Person, person_id)
    if person is None:
        return False
    return stop_sms(
        session, person, SmsStop.OPTED_OUT, actor="twilio:21610", now=now, note="运营商错误 21610"
    )
