"""Routes: /api/v1/audit, who changed what and when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from pydantic import Field

from ..audit import AuditFilter, find_entries
from ..context import db_session
from ..domain.common import Instant, Label
from ..errors import Invalid
from .common import (
    OutModel,
    PageMeta,
    PageQuery,
    answer,
    blueprint_options,
)

bp = APIBlueprint("audit", __name__, **blueprint_options("administration"))


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
