"""What every administrative change shares: field types, lookups, version checks and the
one transaction that turns database refusals into the API's errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..audit import record, snapshot
from ..errors import Conflict, Invalid, NotFound, PreconditionFailed, PufaError
from ..models import MAX_ID, Base, utcnow

RowT = TypeVar("RowT", bound=Base)
ModelT = TypeVar("ModelT", bound=BaseModel)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200


# C0 control characters other than tab and line breaks (a pasted Word line break is
# \x0b): a worksheet cannot hold them and iCalendar text must not carry them.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(value: str) -> str:
    """``value``, if it holds no NUL (PostgreSQL refuses it: say so instead of failing
    on write) and no other control character but tab and line breaks; else ValueError."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


NoNul = AfterValidator(plain_text)
# Stripped strings no longer than their column.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), NoNul]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]
Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoNul]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), NoNul]


def plausible_day(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _day(value: Any) -> date:
    """A date as an ISO string ('2026-03-08'), nothing looser (not a number, not a time)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return plausible_day(value)
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return plausible_day(day)
    raise ValueError("expected a date like 2026-03-08")


def _when(value: Any) -> datetime | date:
    """A date ('2026-03-08') or a date and time, with or without an offset."""
    if isinstance(value, datetime | date):
        result: datetime | date = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                result = date.fromisoformat(text)
            else:
                result = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                "expected a date (2026-03-08) or a date and time (2026-03-08T09:00)"
            ) from None
    else:
        raise ValueError("expected a date or a date and time as a string")
    plausible_day(result if not isinstance(result, datetime) else result.date())
    return result


def _instant(value: Any) -> datetime:
    result = _when(value)
    if not isinstance(result, datetime):
        return datetime.combine(result, time(0))
    return result


_WHEN_SCHEMA = {
    "anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]
}
# One validator for the whole union, so errors name the field, not a union branch.
When = Annotated[datetime | date, PlainValidator(_when), WithJsonSchema(_WHEN_SCHEMA)]
Instant = Annotated[
    datetime, PlainValidator(_instant), WithJsonSchema({"type": "string", "format": "date-time"})
]
Day = Annotated[date, PlainValidator(_day), WithJsonSchema({"type": "string", "format": "date"})]
IdList = Annotated[list[Id], Field(max_length=200)]


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused rather than silently ignored, and
    JSON types are taken as they are (0 is not false, "5" is not 5)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def validated(model: type[ModelT], data: dict[str, Any]) -> ModelT:
    """Validate merged data (current values plus a patch) into ``model``; 422 on failure."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as error:
        fields = {
            ".".join(str(part) for part in item["loc"]) or "body": item["msg"]
            for item in error.errors(include_url=False)
        }
        first = next(iter(fields.items()))
        raise Invalid(f"{first[0]}: {first[1]}", fields=fields) from None


def get_or_404(session: Session, model: type[RowT], row_id: int, what: str) -> RowT:
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} {row_id} does not exist.")
    return row


def existing(session: Session, model: type[RowT], ids: Sequence[int], field: str) -> list[RowT]:
    """The rows for ``ids`` in the given order; 422 naming ``field`` if any is unknown."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {row.id: row for row in session.scalars(select(model).where(model.id.in_(wanted)))}  # type: ignore[attr-defined]
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise Invalid(
            f"{field}: unknown id {', '.join(missing)}",
            fields={field: f"unknown id {', '.join(missing)}"},
        )
    return [found[i] for i in wanted]


def check_version(row: Any, expected: int | None) -> None:
    """Refuse to change a row someone else changed since the caller read it.

    ``expected`` None means the caller explicitly accepts any version (If-Match: *).
    The ORM's version column repeats the check in the UPDATE itself, which covers a
    change that lands between this comparison and the write.
    """
    if expected is not None and row.version != expected:
        raise PreconditionFailed(
            f"It was changed by someone else (now version {row.version}, "
            f"you sent {expected}); reload it and try again.",
            fields={"If-Match": f"current version is {row.version}"},
        )


_BOOKKEEPING = ("version", "updated_at")


def versioned(
    session: Session, row: Any, before: dict[str, Any], current: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Flush a change and make sure it moved the row's version; the snapshot after it.

    A change only to a list (department_ids, person_ids) writes no column of the row
    itself, so the ORM would leave its version (and ETag) as they were and a concurrent
    change with the same If-Match would not be refused. Writing ``updated_at`` makes
    the UPDATE, and with it the version check and bump, happen.
    """
    session.flush()
    after = current()
    if row.version == before.get("version") and _content(after) != _content(before):
        row.updated_at = utcnow()
        session.flush()
        after = current()
    return after


def _content(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in _BOOKKEEPING}


def delete_audited(
    session: Session, actor: str, row: Any, expected: int | None, resource: str
) -> None:
    """Delete a row the caller has seen at version ``expected``, with its audit entry."""
    check_version(row, expected)
    before = snapshot(row)
    session.delete(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="delete",
        resource=resource,
        resource_id=before["id"],
        before=before,
        after=None,
    )


@contextmanager
def committed(session: Session) -> Iterator[Session]:
    """The one transaction style of a change made by a request (API, console, staff page,
    webhook): committed on success, rolled back on any error, with the database's
    refusals turned into HTTP errors by ``refusal``. Clock jobs, which answer no one,
    use ``Database.transaction`` instead."""
    try:
        yield session
        session.commit()
    except (IntegrityError, StaleDataError, DataError) as error:
        session.rollback()
        raise refusal(error) from error
    except BaseException:
        session.rollback()
        raise


def refusal(error: IntegrityError | StaleDataError | DataError) -> PufaError:
    """The one mapping of a database refusal to an HTTP error.

    - a unique key or a reference still in use: 409 ``conflict``;
    - a row version (``Timestamped.version``) that moved between the read and the write,
      i.e. a concurrent change: 409 ``concurrent_change`` (an ``If-Match`` that is stale
      already when the request reads the row is a 412, from ``check_version``);
    - a value the column cannot hold: 422.
    """
    if isinstance(error, StaleDataError):
        return Conflict(
            "Someone else changed these rows at the same time; reload and try again.",
            code="concurrent_change",
        )
    if isinstance(error, DataError):
        return Invalid("A value is out of range for the database.")
    return Conflict(
        "The change conflicts with existing data (a duplicate, or a row still in use).",
        code="conflict",
    )
