"""The one seam between the workflows and the SMS planner.

A rota change or a study confirmation must re-plan the affected reminders at once, not
at the next clock tick.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Delivery, DeliveryStatus, ReminderRule
from ..sms.affected import replan_schedules


def replan_schedule(session: Session, schedule_id: int, now: datetime) -> None:
    """Bring the schedule's pending deliveries up to date at once, not at the next tick.
    Tests replace this function to observe the calls."""
    replan_schedules(session, [schedule_id], now)


def retract_pending(
    session: Session,
    *,
    schedule_id: int,
    recipients: str,
    reason: str,
    now: datetime,
    person_id: int | None = None,
    original_starts: dict[datetime, int | None] | None = None,
) -> int:
    """Retract pending deliveries of ``recipients`` rules that no longer apply.

    With ``person_id``: that person's rows. With ``original_starts`` (original start ->
    the occurrence's speaker now): rows of those occurrences whose person is no longer
    the speaker. Compare-and-set on ``status='pending'`` so a row the dispatcher has just
    claimed is left alone. The planner re-plans too; doing this narrow part here keeps
    the rule true whatever the planner's state.
    """
    query = (
        select(Delivery.id, Delivery.person_id, Delivery.original_start_at)
        .join(ReminderRule, ReminderRule.id == Delivery.rule_id)
        .where(
            Delivery.schedule_id == schedule_id,
            Delivery.status == DeliveryStatus.PENDING,
            ReminderRule.recipients == recipients,
        )
    )
    if person_id is not None:
        query = query.where(Delivery.person_id == person_id)
    ids = [
        row_id
        for row_id, row_person, original in session.execute(query)
        if original_starts is None or original_starts.get(original, row_person) != row_person
    ]
    if not ids:
        return 0
    result = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.RETRACTED, reason=reason[:500], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
