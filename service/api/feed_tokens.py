"""Routes: the calendar-feed token of a person or a department.

``GET …/feed`` gives the feed's current URLs (https and webcal://), if it has a token;
``POST …/feed-token`` issues a new one (revoking the old one at once) and returns them;
``DELETE …/feed-token`` revokes it. The token is never stored: it is derived again from
its seed with the secret key (feeds/tokens.py).
"""

from __future__ import annotations

from typing import Literal

from flask import Response, g, jsonify
from flask_openapi3.blueprint import APIBlueprint
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..audit import record
from ..context import db_session, pufa
from ..domain.common import Id, committed, get_or_404
from ..feeds.tokens import current_token, feed_urls, issue_audited, revoke_token
from ..models import Department, Person
from .common import actor, blueprint_options, no_content

bp = APIBlueprint("feed_tokens", __name__, **blueprint_options("feeds"))


class PersonPath(BaseModel):
    person_id: Id


class DepartmentPath(BaseModel):
    department_id: Id


class FeedState(BaseModel):
    kind: Literal["person", "department"]
    id: int
    has_token: bool = Field(
        description="Whether a feed token is set (it opens nothing under another "
        "SECRET_KEY, nor for someone who left)"
    )
    url: str | None = Field(
        description="The feed's https URL, for admin tokens only (it is a secret); null "
        "without a token, or for one issued before URLs could be shown again (POST "
        "…/feed-token for a new one)"
    )
    webcal_url: str | None = Field(description="The same feed as webcal://")


class FeedToken(BaseModel):
    kind: Literal["person", "department"]
    id: int
    url: str = Field(description="https URL of the feed; the previous one no longer works")
    webcal_url: str = Field(description="The same feed as webcal://, for one-click subscribing")


@bp.get("/people/<int:person_id>/feed", responses={200: FeedState})
def person_feed(path: PersonPath) -> Response:
    """This person's current feed URLs, if they have a working one."""
    person = get_or_404(db_session(), Person, path.person_id, "Person")
    return _state("person", person)


@bp.post("/people/<int:person_id>/feed-token", responses={201: FeedToken})
def rotate_person_token(path: PersonPath) -> Response:
    """A new feed URL for this person; the old one answers 404 from now on."""
    return _rotate("person", Person, path.person_id)


@bp.delete("/people/<int:person_id>/feed-token", responses={204: None})
def revoke_person_token(path: PersonPath) -> Response:
    """Revoke this person's feed URL (it answers 404 from now on)."""
    return _revoke("person", Person, path.person_id)


@bp.get("/departments/<int:department_id>/feed", responses={200: FeedState})
def department_feed(path: DepartmentPath) -> Response:
    """This department's current feed URLs, if it has a working one."""
    department = get_or_404(db_session(), Department, path.department_id, "Department")
    return _state("department", department)


@bp.post("/departments/<int:department_id>/feed-token", responses={201: FeedToken})
def rotate_department_token(path: DepartmentPath) -> Response:
    """A new feed URL for this department; the old one answers 404 from now on."""
    return _rotate("department", Department, path.department_id)


@bp.delete("/departments/<int:department_id>/feed-token", responses={204: None})
def revoke_department_token(path: DepartmentPath) -> Response:
    """Revoke this department's feed URL (it answers 404 from now on)."""
    return _revoke("department", Department, path.department_id)


Kind = Literal["person", "department"]


def _state(kind: Kind, row: Person | Department) -> Response:
    settings = pufa().settings
    # The URL opens someone's calendar: admins may hand it out, viewers only see it exists.
    token = (
        current_token(settings.secret_key, row, settings.secret_key_fallbacks)
        if g.role == "admin"
        else None
    )
    urls = feed_urls(settings.public_base_url, token) if token is not None else None
    state = FeedState(
        kind=kind,
        id=row.id,
        has_token=row.feed_token_hash is not None,
        url=urls.https if urls else None,
        webcal_url=urls.webcal if urls else None,
    )
    response = jsonify(state.model_dump())
    # The body holds a secret: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _rotate(kind: Kind, model: type[Person] | type[Department], row_id: int) -> Response:
    settings = pufa().settings
    with committed(db_session()) as session:
        row = get_or_404(session, model, row_id, model.__name__)
        token = issue_audited(session, settings.secret_key, row, actor())
    urls = feed_urls(settings.public_base_url, token)
    body = FeedToken(kind=kind, id=row.id, url=urls.https, webcal_url=urls.webcal)
    response = jsonify(body.model_dump())
    response.status_code = 201
    # The body holds a secret: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


def _revoke(kind: Kind, model: type[Person] | type[Department], row_id: int) -> Response:
    with committed(db_session()) as session:
        row = get_or_404(session, model, row_id, model.__name__)
        if row.feed_token_hash is not None:
            revoke_token(session, row)
            _audit(session, "revoke_feed_token", kind, row.id)
    return no_content()


def _audit(session: Session, action: str, kind: Kind, row_id: int) -> None:
    # Neither the token nor its HMAC goes into the log: only that it changed.
    record(
        session,
        actor=actor(),
        action=action,
        resource=kind,
        resource_id=row_id,
        before=None,
        after=None,
    )
