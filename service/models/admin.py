"""Rows that serve administration: tokens, the audit log, holiday overrides, the clock."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped, UTCDateTime, utcnow

TOKEN_ROLES = ("admin", "viewer")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    # SHA-256 of the token; the token itself is printed once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, enough to tell tokens apart in lists and logs.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(20))  # create | update | delete | ...
    resource: Mapped[str] = mapped_column(String(50), index=True)
    resource_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HolidayOverride(Timestamped, Base):
    """An admin's word on one day: a holiday or a (make-up) workday. Wins over data."""

    __tablename__ = "holiday_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")


class ClockHeartbeat(Base):
    """The last tick of each clock job, for /healthz and /metrics."""

    __tablename__ = "clock_heartbeats"

    job: Mapped[str] = mapped_column(String(50), primary_key=True)
    ticked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ticks: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")


class ClockState(Base):
    """What the clock must remember between runs, shared by every clock process:
    how far the planner has planned (``at``), and running totals of outcomes worth a
    metric (``count``), one row per name."""

    __tablename__ = "clock_state"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
