"""``/calendar/<token>.ics``: a person's or a department's feed, with 304 answers."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.http import http_date

from ..context import db_session, pufa
from ..errors import NotFound
from ..models import utcnow
from .content import FeedOwner, load_content
from .fast.cache import ByteCache, LruCache
from .fast.polls import FEED_ROUTE, FeedPolls, Known, is_not_modified, remembered
from .render import day_start, render_feed
from .tokens import find_owner, token_digests
from .validators import Validator, change_mark, feed_validator

CONTENT_TYPE = "text/calendar; charset=utf-8"
bp = Blueprint("feeds", __name__)


def register_feeds(app: Flask) -> None:
    app.extensions["pufa_feed_cache"] = ByteCache()
    # Per token (by its HMAC): owner and validator under the current change mark.
    known = app.extensions["pufa_known_feeds"] = LruCache[Known](max_entries=8192)
    # Schedules' VEVENTs, shared between feeds: many small entries (fast.blocks.block_key).
    app.extensions["pufa_feed_blocks"] = ByteCache(max_entries=4096)
    app.register_blueprint(bp)
    # Polls that are 304s are answered in front of Flask (fast/polls.py).
    state = app.extensions["pufa"]
    app.wsgi_app = FeedPolls(  # type: ignore[method-assign]
        app.wsgi_app,
        db=state.db,
        secret_keys=state.settings.secret_keys,
        zone=state.settings.zone,
        known=known,
    )


def known_feeds() -> LruCache[Known]:
    cache: LruCache[Known] = current_app.extensions["pufa_known_feeds"]
    return cache


def feed_cache() -> ByteCache:
    cache: ByteCache = current_app.extensions["pufa_feed_cache"]
    return cache


def block_cache() -> ByteCache:
    cache: ByteCache = current_app.extensions["pufa_feed_blocks"]
    return cache


# GET (and HEAD, which Flask derives from it) only: anything else is 405, OPTIONS too.
@bp.route(FEED_ROUTE, methods=["GET"], provide_automatic_options=False)
def calendar_feed(token: str) -> Response:
    settings = pufa().settings
    now = utcnow()
    known = None
    for digest in token_digests(settings.secret_keys, token):
        known = _identify(digest, day_start(now, settings.zone))
        if known is not None:
            break
    if known is None:
        # The same answer for unknown, revoked and malformed tokens: no hint either way.
        raise NotFound("No calendar at this address.")
    if is_not_modified(
        known.validator,
        request.headers.get("If-None-Match"),
        request.headers.get("If-Modified-Since"),
    ):
        return Response(status=304, headers=known.not_modified_headers)
    key = _cache_key(known.owner, known.validator)
    body = feed_cache().get(key)
    if body is None:
        # Nothing in the owner's feed changed since the validator was computed, or the
        # change mark would have moved; if something changes meanwhile, these bytes are
        # newer than their key, and the next request, seeing the new mark, gets a new one.
        session = db_session()
        content = load_content(session, known.owner)
        if content is None:  # the person left (is_active false) after the lookup
            raise NotFound("No calendar at this address.")
        # End the transaction before the slow part: an open read transaction holds a
        # connection of the pool and (on SQLite) keeps the WAL from being checkpointed.
        session.close()
        body = feed_cache().put(key, render_feed(content, now, settings.timezone, block_cache()))
    return Response(body, status=200, headers=known.headers, content_type=CONTENT_TYPE)


def _identify(digest: str, day: datetime) -> Known | None:
    """The owner and validator of the feed behind the token with ``digest``, or None.

    Remembered per process under the feed tables' change mark: while none of those rows
    changed, a request costs one primary-key read, outside any transaction, instead of
    the token lookup and the validator's aggregate query. Revoking or rotating a token
    changes the mark, so the old token takes the same path as an unknown one at once.
    """
    mark = change_mark(pufa().db)
    known = remembered(known_feeds(), digest, mark, day)
    if known is not None:
        return known
    session = db_session()
    owner = find_owner(session, digest)
    if owner is None:
        return None
    validator = feed_validator(session, owner, day)
    headers = _feed_headers(validator)
    known = Known(mark, day, owner, validator, headers, _not_modified_headers(headers))
    return known if mark is None else known_feeds().put(digest, known)


def _cache_key(owner: FeedOwner, validator: Validator) -> tuple[str, int, str]:
    return (owner.kind, owner.id, validator.etag)


def _feed_headers(validator: Validator) -> dict[str, str]:
    return {
        "ETag": f'"{validator.etag}"',
        "Last-Modified": http_date(validator.last_modified),
        # The URL is a secret: no shared cache may keep it; clients revalidate each time.
        "Cache-Control": "private, no-cache",
        "Content-Disposition": 'inline; filename="pufa.ics"',
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
    }


# RFC 9110 §15.4.5: a 304 carries what updates the client's stored response (the ETag,
# Cache-Control), not the rest of the 200's metadata, which the client keeps (werkzeug
# drops Last-Modified from a 304 itself). Each header costs a poll measurable time in
# werkzeug, and polls are nearly all 304s.
_NOT_MODIFIED_FIELDS = ("ETag", "Cache-Control")


def _not_modified_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in _NOT_MODIFIED_FIELDS}
