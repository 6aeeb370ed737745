"""A staff member's personal page link, sent by SMS from the console.

It goes through the outbox like every other message (claimed once, retried, its status
recorded, shown in the SMS records): a row without a rule (so quiet hours do not hold
it) and without a schedule, keyed by the link (``notice``) so the same link is queued
once however often the button is pressed. The audit entry names the row, never the link;
once sent, the row's body no longer holds it either (``outbox.LINK_SCRUBBED``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..logs import mask_phone
from ..models import Delivery, DeliveryStatus, Person
from .texts import count_segments, render_sms

TEMPLATE = "staff_link"
USEFUL_FOR = timedelta(days=2)


# Marks a page link's row apart from a schedule's change notice that outlived its
# schedule (also a row without a schedule).
LINK_PREFIX = "link-"


def is_page_link(delivery: Delivery) -> bool:
    return is_page_link_row(delivery.schedule_id, delivery.notice)


def is_page_link_row(schedule_id: int | None, notice: str | None) -> bool:
    """``is_page_link`` of a delivery read as columns."""
    return schedule_id is None and (notice or "").startswith(LINK_PREFIX)


def link_key(link: str) -> str:
    return LINK_PREFIX + hashlib.sha256(link.encode()).hexdigest()[:35]


def queue_page_link(
    session: Session, person: Person, link: str, *, actor: str, now: datetime
) -> Delivery | None:
    """Queue the SMS with ``link`` to ``person``; None if this link is already queued
    or sent. The caller checks that the person can receive SMS and commits."""
    assert person.mobile is not None
    key = link_key(link)
    queued = session.scalar(
        select(Delivery.id).where(
            Delivery.person_id == person.id,
            Delivery.schedule_id.is_(None),
            Delivery.notice == key,
        )
    )
    if queued is not None:
        return None
    body = render_sms(TEMPLATE, {"name": person.name, "link": link})
    row = Delivery(
        schedule_id=None,
        original_start_at=now,
        rule_id=None,
        person_id=person.id,
        notice=key,
        to=person.mobile,
        due_at=now,
        useful_until=now + USEFUL_FOR,
        occurrence_start_at=now,
        body=body,
        segments=count_segments(body),
        status=DeliveryStatus.PENDING,
        reason="",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="send_page_link",
        resource="person",
        resource_id=person.id,
        before=None,
        after={"delivery_id": row.id, "to": mask_phone(person.mobile)},
        now=now,
    )
    return row
