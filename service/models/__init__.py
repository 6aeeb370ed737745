"""The data model. Import from here; the submodules group tables by concern."""

from .accounts import AdminAccount
from .audit import AuditEntry
from .base import MAX_ID, Base, UTCDateTime, utcnow
from .changes import FeedChange
from .clock import ClockHeartbeat, ClockState
from .deliveries import FINAL_STATUSES, STATUSES, Delivery, DeliveryStatus
from .holidays import HolidayOverride
from .people import ROLES, Department, Person, person_departments
from .records import (
    Attachment,
    AttachmentKind,
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    OccurrenceNote,
)
from .schedules import (
    HOLIDAY_POLICIES,
    KINDS,
    RECIPIENTS,
    OccurrenceOverride,
    ReminderRule,
    Schedule,
    has_reminders,
    schedule_departments,
    schedule_people,
)
from .security import AuthFailure, ConsoleSession
from .study import StudyConfirmation, StudyItem, StudyPlan
from .tokens import TOKEN_ROLES, ApiToken

__all__ = [
    "FINAL_STATUSES",
    "HOLIDAY_POLICIES",
    "KINDS",
    "MAX_ID",
    "RECIPIENTS",
    "ROLES",
    "STATUSES",
    "TOKEN_ROLES",
    "AdminAccount",
    "ApiToken",
    "Attachment",
    "AttachmentKind",
    "Attendance",
    "AttendanceSource",
    "AttendanceStatus",
    "AuditEntry",
    "AuthFailure",
    "Base",
    "ClockHeartbeat",
    "ClockState",
    "ConsoleSession",
    "Delivery",
    "DeliveryStatus",
    "Department",
    "FeedChange",
    "HolidayOverride",
    "OccurrenceNote",
    "OccurrenceOverride",
    "Person",
    "ReminderRule",
    "Schedule",
    "StudyConfirmation",
    "StudyItem",
    "StudyPlan",
    "UTCDateTime",
    "has_reminders",
    "person_departments",
    "schedule_departments",
    "schedule_people",
    "utcnow",
]
