"""``/calendar/<token>.ics``: a person's or a department's feed, with 304 answers."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.http import http_date

from ..app import db_session, pufa
from ..errors import NotFound
from ..models import utcnow
from .cache import ByteCache
from .content import FeedOwner, load_content
from .render import day_start, render_feed
from .tokens import find_owner
from .validators import Validator, feed_validator

CONTENT_TYPE = "text/calendar; charset=utf-8"
bp = Blueprint("feeds", __name__)


def register_feeds(app: Flask) -> None:
    app.extensions["pufa_feed_cache"] = ByteCache()
    # Schedules' VEVENTs, shared between feeds: many small entries (render.block_key).
    app.extensions["pufa_feed_blocks"] = ByteCache(max_entries=4096)
    app.register_blueprint(bp)


def feed_cache() -> ByteCache:
    cache: ByteCache = current_app.extensions["pufa_feed_cache"]
    return cache


def block_cache() -> ByteCache:
    cache: ByteCache = current_app.extensions["pufa_feed_blocks"]
    return cache


# GET (and HEAD, which Flask derives from it) only: anything else is 405, OPTIONS too.
@bp.route("/calendar/<token>.ics", methods=["GET"], provide_automatic_options=False)
def calendar_feed(token: str) -> Response:
    settings = pufa().settings
    session = db_session()
    owner = find_owner(session, settings.secret_key, token)
    if owner is None:
        # The same answer for unknown, revoked and malformed tokens: no hint either way.
        raise NotFound("No calendar at this address.")
    now = utcnow()
    validator = feed_validator(session, owner, day_start(now, settings.zone))
    headers = _validator_headers(validator)
    if _is_not_modified(validator):
        session.close()
        return Response(status=304, headers=headers)
    key = _cache_key(owner, validator)
    body = feed_cache().get(key)
    if body is None:
        # Loaded in the validator's transaction, so the bytes match the key they are
        # stored under.
        content = load_content(session, owner)
        if content is None:  # the person left (is_active false) after the lookup
            raise NotFound("No calendar at this address.")
        # End the transaction before the slow part: an open read transaction holds a
        # connection of the pool and (on SQLite) keeps the WAL from being checkpointed.
        session.close()
        body = feed_cache().put(key, render_feed(content, now, settings.timezone, block_cache()))
    session.close()
    return Response(body, status=200, headers=headers, content_type=CONTENT_TYPE)


def _cache_key(owner: FeedOwner, validator: Validator) -> tuple[str, int, str]:
    return (owner.kind, owner.id, validator.etag)


def _validator_headers(validator: Validator) -> dict[str, str]:
    return {
        "ETag": f'"{validator.etag}"',
        "Last-Modified": http_date(validator.last_modified),
        # The URL is a secret: no shared cache may keep it; clients revalidate each time.
        "Cache-Control": "private, no-cache",
        "Content-Disposition": 'inline; filename="pufa.ics"',
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
    }


def _is_not_modified(validator: Validator) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; If-Modified-Since otherwise."""
    if "If-None-Match" in request.headers:
        return request.if_none_match.contains_weak(validator.etag)
    since = request.if_modified_since
    return since is not None and validator.last_modified <= since
