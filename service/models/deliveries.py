"""The SMS outbox: one row per (occurrence, rule, person), and its audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .people import Person
from .schedules import ReminderRule, Schedule


class DeliveryStatus(StrEnum):
    """Where an outbox row stands. A ``str``: stored, compared and sent as its value.

    pending -> sending -> sent -> delivered | undelivered | failed;
    pending -> expired | retracted; sending -> unknown (a crash, and the provider cannot
    be asked).
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    RETRACTED = "retracted"


STATUSES = tuple(status.value for status in DeliveryStatus)
FINAL_STATUSES = (
    DeliveryStatus.DELIVERED,
    DeliveryStatus.UNDELIVERED,
    DeliveryStatus.FAILED,
    DeliveryStatus.EXPIRED,
    DeliveryStatus.RETRACTED,
)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("schedule_id", "original_start_at", "rule_id", "person_id"),
        # A change notice (no rule) is sent once per change and person, whatever clock
        # writes it: ``notice`` names the change.
        UniqueConstraint("schedule_id", "original_start_at", "person_id", "notice"),
        # A request's re-plan of one schedule reads its pending rows (migration 0017).
        Index("ix_deliveries_schedule_id_status", "schedule_id", "status"),
        # The lists read newest first (due_at DESC, id DESC), whole or by status, person
        # or schedule; the dashboard reads the latest changes (0018_delivery_lists).
        Index("ix_deliveries_due_at_id", "due_at", "id"),
        Index("ix_deliveries_status_due_at_id", "status", "due_at", "id"),
        Index("ix_deliveries_person_due_at_id", "person_id", "due_at", "id"),
        Index("ix_deliveries_schedule_due_at_id", "schedule_id", "due_at", "id"),
        Index("ix_deliveries_updated_at", "updated_at"),
        Index("ix_deliveries_status_updated_at", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a message about no occurrence (a staff member's page link, sent from the
    # console).
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    original_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None for a change notice (变更通知), which no reminder rule makes.
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("reminder_rules.id", ondelete="CASCADE"))
    notice: Mapped[str | None] = mapped_column(String(40))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # After this instant the reminder is no longer useful and is expired, not sent.
    useful_until: Mapped[datetime] = mapped_column(UTCDateTime)
    occurrence_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    to: Mapped[str] = mapped_column(String(20), default="")
    body: Mapped[str] = mapped_column(Text)
    segments: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    schedule: Mapped[Schedule | None] = relationship()
    rule: Mapped[ReminderRule | None] = relationship()
    person: Mapped[Person] = relationship()
