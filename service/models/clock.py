"""What the clock processes share through the database: heartbeats and state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


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
