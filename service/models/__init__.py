"""The data model. Import from here; the submodules group tables by concern."""

from .admin import (
    TOKEN_ROLES,
    ApiToken,
    AuditEntry,
    ClockHeartbeat,
    ClockState,
    HolidayOverride,
)
from .base import MAX_ID, Base, UTCDateTime, utcnow
from .changes import FeedChange
from .deliveries import FINAL_STATUSES, STATUSES, Delivery
from .people import ROLES, Department, Person, person_departments
from .schedules import (
    HOLIDAY_POLICIES,
    KINDS,
    RECIPIENTS,
    OccurrenceOverride,
    ReminderRule,
    Schedule,
    schedule_departments,
    schedule_people,
)
from .security import AuthFailure, ConsoleSession
from .study import StudyConfirmation, StudyItem, StudyPlan
from .web import AdminAccount

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
    "AuditEntry",
    "AuthFailure",
    "Base",
    "ClockHeartbeat",
    "ClockState",
    "ConsoleSession",
    "Delivery",
    "Department",
    "FeedChange",
    "HolidayOverride",
    "OccurrenceOverride",
    "Person",
    "ReminderRule",
    "Schedule",
    "StudyConfirmation",
    "StudyItem",
    "StudyPlan",
    "UTCDateTime",
    "person_departments",
    "schedule_departments",
    "schedule_people",
    "utcnow",
]
