"""Holiday overrides: an admin's word on one day, over the published calendar."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Timestamped


class HolidayOverride(Timestamped, Base):
    """An admin's word on one day: a holiday or a (make-up) workday. Wins over data."""

    __tablename__ = "holiday_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")
