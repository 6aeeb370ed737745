"""Leave requests the clerk should see: asked for by staff on their page, for
occurrences from yesterday on."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Attendance, AttendanceSource, AttendanceStatus

RECENT = timedelta(days=1)


def leave_requests(session: Session, now: datetime, limit: int = 30) -> list[Attendance]:
    query = (
        select(Attendance)
        .where(
            Attendance.source == AttendanceSource.LEAVE_REQUEST,
            Attendance.status == AttendanceStatus.LEAVE,
            Attendance.original_start_at >= now - RECENT,
        )
        .order_by(Attendance.original_start_at, Attendance.id)
        .limit(limit)
    )
    return list(session.scalars(query))
