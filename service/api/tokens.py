"""Routes: /api/v1/tokens, the API tokens admins make and revoke."""

from __future__ import annotations

from datetime import datetime

from flask import Response
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field

from ..context import db_session
from ..domain import tokens
from ..domain.common import Id, committed, get_or_404
from ..domain.queries import find_tokens
from ..domain.tokens import TokenIn
from ..models import ApiToken
from .common import (
    OutModel,
    PageMeta,
    PageQuery,
    actor,
    answer,
    blueprint_options,
    no_content,
)

bp = APIBlueprint("tokens", __name__, **blueprint_options("administration"))


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
