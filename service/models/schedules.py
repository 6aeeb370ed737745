"""Schedules, their per-occurrence overrides and their reminder rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Exists,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    exists,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, UTCDateTime
from .people import Department, Person

KINDS = ("lecture", "campaign", "deadline", "meeting")
HOLIDAY_POLICIES = ("keep", "skip", "next_workday", "previous_workday")
RECIPIENTS = ("audience", "speaker", "unconfirmed", "overdue_heads")

schedule_departments = Table(
    "schedule_departments",
    Base.metadata,
    Column("schedule_id", ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="RESTRICT"), primary_key=True),
)

schedule_people = Table(
    "schedule_people",
    Base.metadata,
    Column("schedule_id", ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
)


class Schedule(Timestamped, Base):
    """A series (or a single event) in its own timezone.

    ``starts_at`` is the first occurrence as a UTC instant; recurrence is evaluated in
    wall-clock time of ``timezone`` so a 09:00 series stays at 09:00 across DST. An
    all-day schedule starts at local midnight and lasts ``duration_days`` days.
    """

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        CheckConstraint(f"holiday_policy IN {HOLIDAY_POLICIES!r}", name="holiday_policy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    is_all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    duration_days: Mapped[int] = mapped_column(Integer, default=1)
    rrule: Mapped[str | None] = mapped_column(String(500))
    # Local wall-clock starts (ISO strings) excluded from the series, as RFC 5545 EXDATE.
    exdates: Mapped[list[str]] = mapped_column(JSON, default=list)
    holiday_policy: Mapped[str] = mapped_column(String(20), default="keep")
    is_for_everyone: Mapped[bool] = mapped_column(Boolean, default=False)
    # The default speaker and topic of a lecture; the rota overrides them per week.
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    topic: Mapped[str] = mapped_column(String(200), default="")
    # Whether people already reminded of an occurrence get a 变更通知 when it is moved,
    # cancelled or gets another speaker (on by default for lectures and meetings).
    change_notices: Mapped[bool] = mapped_column(Boolean, default=False)

    departments: Mapped[list[Department]] = relationship(secondary=schedule_departments)
    people: Mapped[list[Person]] = relationship(secondary=schedule_people)
    speaker: Mapped[Person | None] = relationship(foreign_keys=[speaker_id])
    overrides: Mapped[list[OccurrenceOverride]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", passive_deletes=True
    )
    rules: Mapped[list[ReminderRule]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def has_reminders(self) -> bool:
        """Some reminder rule is enabled; without one nobody gets an SMS about it."""
        return any(rule.is_enabled for rule in self.rules)


class OccurrenceOverride(Timestamped, Base):
    """A change to one occurrence, keyed by its original start (RFC 5545 RECURRENCE-ID)."""

    __tablename__ = "occurrence_overrides"
    __table_args__ = (UniqueConstraint("schedule_id", "original_start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    original_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    moved_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moved_duration_minutes: Mapped[int | None] = mapped_column(Integer)
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    topic: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(500), default="")

    schedule: Mapped[Schedule] = relationship(back_populates="overrides")
    speaker: Mapped[Person | None] = relationship(foreign_keys=[speaker_id])


class ReminderRule(Timestamped, Base):
    """When (lead time before the occurrence), what (a template) and to whom."""

    __tablename__ = "reminder_rules"
    __table_args__ = (CheckConstraint(f"recipients IN {RECIPIENTS!r}", name="recipients"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # Minutes before the occurrence starts; negative means after (e.g. overdue notices).
    lead_minutes: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(100))
    recipients: Mapped[str] = mapped_column(String(20), default="audience")
    # Routine reminders wait out quiet hours; urgent ones do not.
    is_routine: Mapped[bool] = mapped_column(Boolean, default=True)
    # How long after its due time a late reminder is still worth sending; None means
    # until the occurrence starts.
    window_minutes: Mapped[int | None] = mapped_column(Integer)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    schedule: Mapped[Schedule] = relationship(back_populates="rules")


def has_reminders() -> Exists:
    """``Schedule.has_reminders`` in SQL, correlated to the query's schedule."""
    return exists().where(ReminderRule.schedule_id == Schedule.id, ReminderRule.is_enabled)
