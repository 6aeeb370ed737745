"""Opting a person out of (or back into) SMS, with an audit entry for the 台账."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from ..models import AuditEntry, Person

log = logging.getLogger("pufa.sms.optout")


def set_opted_out(
    session: Session, person: Person, opted_out: bool, *, actor: str, now: datetime
) -> bool:
    """Set ``Person.is_sms_opted_out``; True when it changed. Flushes, the caller commits."""
    if person.is_sms_opted_out == opted_out:
        return False
    person.is_sms_opted_out = opted_out
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action="update",
            resource="person",
            resource_id=str(person.id),
            before={"is_sms_opted_out": not opted_out},
            after={"is_sms_opted_out": opted_out},
        )
    )
    session.flush()
    log.info(
        "sms opt-out changed",
        extra={"person": person.id, "opted_out": opted_out, "actor": actor},
    )
    return True
