"""What happened at an occurrence: attendance, evidence files and the lecture's notes.

Every row is keyed by (schedule, original start), the occurrence's RECURRENCE-ID, so a
record stays with its occurrence when the occurrence is moved.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from .base import Base, Timestamped, UTCDateTime, utcnow
from .people import Person


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"  # 出席
    LEAVE = "leave"  # 请假
    ABSENT = "absent"  # 缺席


class AttendanceSource(enum.StrEnum):
    ROLL_CALL = "roll_call"  # the clerk, in the console or the API
    CHECK_IN = "check_in"  # the staff member scanned the occurrence's QR code
    LEAVE_REQUEST = "leave_request"  # asked for leave on their page before the event


class AttachmentKind(enum.StrEnum):
    EVIDENCE = "evidence"  # photos, scans of paper sign-in sheets, slides
    MATERIAL = "material"  # the speaker's 讲稿


def _values(kind: type[enum.StrEnum]) -> str:
    return "(" + ", ".join(f"'{member.value}'" for member in kind) + ")"


class Attendance(Timestamped, Base):
    """One person's attendance at one occurrence: whichever way in, one row."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("schedule_id", "original_start_at", "person_id"),
        CheckConstraint(f"status IN {_values(AttendanceStatus)}", name="status"),
        CheckConstraint(f"source IN {_values(AttendanceSource)}", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    original_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")  # e.g. the reason for leave

    person: Mapped[Person] = relationship()


class Attachment(Base):
    """A file kept as evidence of an occurrence, in the database so that every web box
    and every backup has it. The bytes are deferred: listing never loads them."""

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_occurrence", "schedule_id", "original_start_at"),
        CheckConstraint(f"kind IN {_values(AttachmentKind)}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    original_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20), default=AttachmentKind.EVIDENCE)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    thumbnail: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class OccurrenceNote(Timestamped, Base):
    """The summary (内容摘要) of what was said or done at one occurrence."""

    __tablename__ = "occurrence_notes"
    __table_args__ = (UniqueConstraint("schedule_id", "original_start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    original_start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text, default="")
