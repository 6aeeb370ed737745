"""The yearly study plan (学法计划), its items and each person's confirmations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, UTCDateTime, utcnow
from .people import Person
from .schedules import Schedule


class StudyPlan(Timestamped, Base):
    __tablename__ = "study_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    is_closed: Mapped[bool] = mapped_column(Boolean, default=False)

    items: Mapped[list[StudyItem]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StudyItem.due_on",
    )


class StudyItem(Timestamped, Base):
    """One law or topic to study by a deadline.

    Its deadline is a ``deadline`` schedule (all-day on ``due_on``) so that the feed,
    the reminders and the audience work exactly as for every other schedule.
    """

    __tablename__ = "study_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("study_plans.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    material: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="RESTRICT"), unique=True
    )

    plan: Mapped[StudyPlan] = relationship(back_populates="items")
    schedule: Mapped[Schedule] = relationship()
    confirmations: Mapped[list[StudyConfirmation]] = relationship(
        back_populates="item", cascade="all, delete-orphan", passive_deletes=True
    )


class StudyConfirmation(Base):
    __tablename__ = "study_confirmations"
    __table_args__ = (UniqueConstraint("item_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("study_items.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")  # 学习笔记

    item: Mapped[StudyItem] = relationship(back_populates="confirmations")
    person: Mapped[Person] = relationship()
