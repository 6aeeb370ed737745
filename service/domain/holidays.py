"""Holiday overrides: an admin's word on one day (a holiday or a make-up workday)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import record, snapshot
from ..errors import Conflict
from ..models import HolidayOverride, utcnow
from ..occurrences.workdays import FIRST_YEAR, LAST_YEAR
from ..sms.affected import replan_holiday_moves
from .common import Day, InputModel, Label, check_version, delete_audited, validated


class HolidayOverrideIn(InputModel):
    day: Day
    is_workday: bool
    name: Label = ""

    @field_validator("day")
    @classmethod
    def _supported_year(cls, value: date) -> date:
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"the workday calendar covers {FIRST_YEAR}–{LAST_YEAR}")
        return value


def _apply(session: Session, row: HolidayOverride, data: HolidayOverrideIn) -> None:
    taken = session.scalar(
        select(HolidayOverride.id).where(
            HolidayOverride.day == data.day, HolidayOverride.id != row.id
        )
    )
    if taken is not None:
        raise Conflict(
            f"{data.day} already has an override ({taken}).", fields={"day": "duplicate"}
        )
    row.day, row.is_workday, row.name = data.day, data.is_workday, data.name


def create_holiday_override(
    session: Session, actor: str, data: HolidayOverrideIn
) -> HolidayOverride:
    row = HolidayOverride()
    _apply(session, row, data)
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        resource="holiday_override",
        resource_id=row.id,
        before=None,
        after=snapshot(row),
    )
    replan_holiday_moves(session, utcnow())
    return row


def update_holiday_override(
    session: Session,
    actor: str,
    row: HolidayOverride,
    changes: dict[str, Any],
    expected: int | None,
) -> HolidayOverride:
    check_version(row, expected)
    current = {"day": row.day, "is_workday": row.is_workday, "name": row.name}
    data = validated(HolidayOverrideIn, {**current, **changes})
    before = snapshot(row)
    _apply(session, row, data)
    session.flush()
    record(
        session,
        actor=actor,
        action="update",
        resource="holiday_override",
        resource_id=row.id,
        before=before,
        after=snapshot(row),
    )
    replan_holiday_moves(session, utcnow())
    return row


def delete_holiday_override(
    session: Session, actor: str, row: HolidayOverride, expected: int | None
) -> None:
    delete_audited(session, actor, row, expected, "holiday_override")
    replan_holiday_moves(session, utcnow())
