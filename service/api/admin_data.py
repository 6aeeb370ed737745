"""Routes: /api/v1/holiday-overrides, /api/v1/tokens and /api/v1/audit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field

from ..admin import holidays, tokens
from ..admin.common import Day, Id, InputModel, Instant, Label, committed, get_or_404
from ..admin.holidays import HolidayOverrideIn
from ..admin.queries import find_holiday_overrides, find_tokens
from ..admin.tokens import TokenIn
from ..app import db_session
from ..audit import AuditFilter, find_entries
from ..errors import Invalid
from ..models import ApiToken, HolidayOverride
from .common import (
    IfMatch,
    OutModel,
    PageMeta,
    PageQuery,
    actor,
    answer,
    blueprint_options,
    expected_version,
    no_content,
)

bp = APIBlueprint("admin_data", __name__, **blueprint_options("administration"))


class HolidayOverrideOut(OutModel):
    id: int
    day: date
    is_workday: bool
    name: str
    version: int
    created_at: datetime
    updated_at: datetime


class HolidayOverridePatch(InputModel):
    day: Day | None = None
    is_workday: bool | None = None
    name: Label | None = None


class HolidayQuery(PageQuery):
    year: int | None = Field(default=None, ge=2000, le=2100)
    from_date: Day | None = None
    to_date: Day | None = None


class HolidayPage(PageMeta):
    items: list[HolidayOverrideOut]


class HolidayPath(BaseModel):
    override_id: Id


@bp.get("/holiday-overrides", responses={200: HolidayPage})
def list_holiday_overrides(query: HolidayQuery) -> Response:
    from_date, to_date = query.from_date, query.to_date
    if query.year is not None:
        from_date, to_date = date(query.year, 1, 1), date(query.year, 12, 31)
    rows, total = find_holiday_overrides(
        db_session(), query.window, from_date=from_date, to_date=to_date
    )
    items = [HolidayOverrideOut.of(r) for r in rows]
    return answer(HolidayPage(items=items, total=total, page=query.page, per_page=query.per_page))


@bp.post("/holiday-overrides", responses={201: HolidayOverrideOut})
def create_holiday_override(body: HolidayOverrideIn) -> Response:
    """Declare a day a holiday (is_workday false) or a make-up workday (调休, true).
    Wins over the published data; one per day (409 otherwise)."""
    with committed(db_session()) as session:
        row = holidays.create_holiday_override(session, actor(), body)
    location = f"/api/v1/holiday-overrides/{row.id}"
    return answer(HolidayOverrideOut.of(row), 201, row=row, location=location)


@bp.get("/holiday-overrides/<int:override_id>", responses={200: HolidayOverrideOut})
def get_holiday_override(path: HolidayPath) -> Response:
    row = get_or_404(db_session(), HolidayOverride, path.override_id, "Holiday override")
    return answer(HolidayOverrideOut.of(row), row=row)


@bp.patch("/holiday-overrides/<int:override_id>", responses={200: HolidayOverrideOut})
def update_holiday_override(
    path: HolidayPath, body: HolidayOverridePatch, header: IfMatch
) -> Response:
    with committed(db_session()) as session:
        row = get_or_404(session, HolidayOverride, path.override_id, "Holiday override")
        changes = body.model_dump(exclude_unset=True)
        holidays.update_holiday_override(session, actor(), row, changes, expected_version())
    return answer(HolidayOverrideOut.of(row), row=row)


@bp.delete("/holiday-overrides/<int:override_id>", responses={204: None})
def delete_holiday_override(path: HolidayPath, header: IfMatch) -> Response:
    with committed(db_session()) as session:
        row = get_or_404(session, HolidayOverride, path.override_id, "Holiday override")
        holidays.delete_holiday_override(session, actor(), row, expected_version())
    return no_content()


class TokenOut(OutModel):
    id: int
    name: str
    role: str
    prefix: str = Field(description="The first characters, to tell tokens apart")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, never again")


class TokensQuery(PageQuery):
    include_revoked: bool = False


class TokensPage(PageMeta):
    items: list[TokenOut]


class TokenPath(BaseModel):
    token_id: Id


@bp.get("/tokens", responses={200: TokensPage})
def list_tokens(query: TokensQuery) -> Response:
    """API tokens (never the token itself)."""
    rows, total = find_tokens(db_session(), query.window, include_revoked=query.include_revoked)
    items = [TokenOut.of(r) for r in rows]
    return answer(TokensPage(items=items, total=total, page=query.page, per_page=query.per_page))


@bp.post("/tokens", responses={201: NewTokenOut})
def create_token(body: TokenIn) -> Response:
    """Create a token; the answer carries the token once (only its hash is kept)."""
    with committed(db_session()) as session:
        row, plaintext = tokens.create_token(session, actor(), body)
    location = f"/api/v1/tokens/{row.id}"
    return answer(NewTokenOut.of(row, token=plaintext), 201, location=location)


@bp.get("/tokens/<int:token_id>", responses={200: TokenOut})
def get_token(path: TokenPath) -> Response:
    return answer(TokenOut.of(get_or_404(db_session(), ApiToken, path.token_id, "Token")))


@bp.delete("/tokens/<int:token_id>", responses={204: None})
def revoke_token(path: TokenPath) -> Response:
    """Revoke a token; it stops working at once. Revoking is final and idempotent, so
    no If-Match is needed."""
    with committed(db_session()) as session:
        row = get_or_404(session, ApiToken, path.token_id, "Token")
        tokens.revoke_token(session, actor(), row)
    return no_content()


class AuditOut(OutModel):
    id: int
    at: datetime
    actor: str
    action: str
    resource: str
    resource_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditQuery(PageQuery):
    resource: (
        Literal[
            "person",
            "department",
            "schedule",
            "occurrence_override",
            "reminder_rule",
            "study_plan",
            "study_item",
            "holiday_override",
            "api_token",
        ]
        | None
    ) = None
    resource_id: Label | None = None
    actor: Label | None = Field(default=None, description="Token name")
    since: Instant | None = Field(default=None, description="At or after (naive means UTC)")
    until: Instant | None = Field(default=None, description="Before (naive means UTC)")


class AuditPage(PageMeta):
    items: list[AuditOut]


@bp.get("/audit", responses={200: AuditPage})
def list_audit(query: AuditQuery) -> Response:
    """Who changed what and when, newest first, with before and after."""
    since, until = _utc(query.since), _utc(query.until)
    if since and until and until < since:
        raise Invalid("until is before since.", fields={"until": "before since"})
    where = AuditFilter(query.resource, query.resource_id, query.actor, since, until)
    rows, total = find_entries(
        db_session(), where, offset=query.window.offset, limit=query.window.limit
    )
    items = [AuditOut.of(r) for r in rows]
    return answer(AuditPage(items=items, total=total, page=query.page, per_page=query.per_page))


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
