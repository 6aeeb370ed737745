"""Staff and the township's departments (站所)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped

person_departments = Table(
    "person_departments",
    Base.metadata,
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="RESTRICT"), primary_key=True),
)

ROLES = ("staff", "head", "leader")


class Department(Timestamped, Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL", use_alter=True), index=True
    )
    # HMAC of the department's calendar-feed token, and the seed it is derived from with
    # the secret key (see service/feeds/tokens.py).
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    feed_token_seed: Mapped[str | None] = mapped_column(String(64))

    head: Mapped[Person | None] = relationship(foreign_keys=[head_id])
    members: Mapped[list[Person]] = relationship(
        secondary=person_departments, back_populates="departments"
    )


class Person(Timestamped, Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    role: Mapped[str] = mapped_column(String(20), default="staff")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_sms_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when the carrier reports the number opted out (Twilio 21610) or STOP arrives.
    is_sms_opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # HMACs of the personal secrets (feed and staff page); the tokens themselves are
    # never stored. The feed token is derived from its seed with the secret key, so it
    # can be shown again (service/feeds/tokens.py); the page token is shown once.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    feed_token_seed: Mapped[str | None] = mapped_column(String(64))
    page_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    departments: Mapped[list[Department]] = relationship(
        secondary=person_departments, back_populates="members"
    )

    @property
    def can_receive_sms(self) -> bool:
        return (
            self.is_active
            and self.is_sms_enabled
            and not self.is_sms_opted_out
            and self.mobile is not None
        )
