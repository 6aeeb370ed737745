"""Stopping (and resuming) SMS to a person: one function for every way it happens.

The admin API and console (``is_sms_enabled``), the staff page, an inbound STOP, the
carrier's 21610 on a send, a status callback or a test message all call ``stop_sms``:
it sets the flag, writes the audit entry for the 台账 and withdraws every pending message
in the same transaction. ``resume_sms`` clears the flag and re-plans at once, so the
still-useful messages come back without waiting for the clock.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from ..models import AuditEntry, Person
from .affected import replan_people
from .planner import retract_for_person

log = logging.getLogger("pufa.sms.optout")


class SmsStop(StrEnum):
    """Which switch stops SMS to a person: their own (or an admin's) choice, or an
    opt-out the person sent or the carrier reported."""

    TURNED_OFF = "is_sms_enabled"
    OPTED_OUT = "is_sms_opted_out"


# The retraction reason shown in the console (短信记录).
WITHDRAWN = {
    SmsStop.TURNED_OFF: "收件人已关闭短信提醒",
    SmsStop.OPTED_OUT: "收件人已退订短信",
}


def _stopped(person: Person, how: SmsStop) -> bool:
    return person.is_sms_opted_out if how is SmsStop.OPTED_OUT else not person.is_sms_enabled


def _set(
    session: Session, person: Person, how: SmsStop, stop: bool, actor: str, now: datetime
) -> bool:
    if _stopped(person, how) == stop:
        return False
    before = getattr(person, how.value)
    setattr(person, how.value, not before)
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action="update",
            resource="person",
            resource_id=str(person.id),
            before={how.value: before},
            after={how.value: not before},
        )
    )
    session.flush()
    log.info("sms switched", extra={"person": person.id, "switch": how.value, "stop": stop})
    return True


def stop_sms(
    session: Session, person: Person, how: SmsStop, *, actor: str, now: datetime, note: str = ""
) -> bool:
    """Flag, audit, withdraw: True when the flag changed. Pending messages are retracted
    even when it was set already (a second STOP finds nothing left to send). Flushes;
    the caller commits."""
    changed = _set(session, person, how, True, actor, now)
    reason = f"{WITHDRAWN[how]}（{note}）" if note else WITHDRAWN[how]
    retract_for_person(session, person.id, reason, now)
    return changed


def resume_sms(
    session: Session, person: Person, how: SmsStop, *, actor: str, now: datetime
) -> bool:
    """Clear the flag (audited) and bring still-useful messages back at once."""
    changed = _set(session, person, how, False, actor, now)
    if changed:
        replan_people(session, [person.id], now)
    return changed
