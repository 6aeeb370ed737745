"""Feed polls that are 304s, answered in front of Flask; and what a process remembers
about a feed (``Known``), which both this and the route use.

Calendar apps poll a feed every hour and nearly every poll is answered 304. Once the
route has identified a token (``routes._identify``), the process remembers its owner and
validator under the feed tables' change mark and the day. A conditional GET or HEAD of
that feed, while the mark and the day are the same and the client holds the current
validator, gets its 304 here, with the same headers and the same access line, without
the framework's request context, routing and hooks, which cost a poll more than all the
work of answering it.

Anything else goes on to Flask unchanged: a token not remembered (unknown, revoked,
malformed, or not yet asked for in this process), a stale validator, another method, an
error reading the mark. So revoking a token or changing what a feed shows takes effect
on the next poll, as in the route, and the route stays the one definition of the feed's
answers; this only skips the work for the commonest one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from werkzeug.http import parse_date, parse_etags

from ...db import Database
from ...logs import log_request, request_id_for
from ...models import utcnow
from ..content import FeedOwner
from ..render import day_start
from ..tokens import token_digests
from ..validators import Validator, change_mark
from .cache import LruCache

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

FEED_ROUTE = "/calendar/<token>.ics"
# The route's own pattern: <token> is werkzeug's default converter, anything but "/".
_FEED_PATH = re.compile(r"/calendar/([^/]+)\.ics")
_NOT_MODIFIED = "304 NOT MODIFIED"  # werkzeug's status line for a 304


@dataclass(frozen=True)
class Known:
    """Whose feed a token opened and its validator, as of one change mark and day."""

    mark: int | None  # None: no mark yet (an empty database); never remembered
    day: datetime
    owner: FeedOwner
    validator: Validator
    # The responses' headers, made once: most polls answer 304.
    headers: dict[str, str]
    not_modified_headers: dict[str, str]


def remembered(
    cache: LruCache[Known], digest: str, mark: int | None, day: datetime
) -> Known | None:
    """What the route found for ``digest`` under this change mark and day, if it did."""
    known = cache.get(digest)
    return known if known is not None and known.mark == mark and known.day == day else None


def is_not_modified(
    validator: Validator, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; If-Modified-Since otherwise."""
    if if_none_match is not None:
        return parse_etags(if_none_match).contains_weak(validator.etag)
    try:
        since = parse_date(if_modified_since)
    except OverflowError:  # a year werkzeug cannot hold: no date, as RFC 9110 says
        since = None  # of an invalid one (§13.1.3: the field is then ignored)
    return since is not None and validator.last_modified <= since


class FeedPolls:
    """WSGI middleware around the app: see the module's docstring."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        db: Database,
        secret_keys: Sequence[str],
        zone: ZoneInfo,
        known: LruCache[Known],
    ) -> None:
        self.app = app
        self.db = db
        self.secret_keys = tuple(secret_keys)
        self.zone = zone
        self.known = known

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        try:
            known = self._not_modified(environ)
        except Exception:  # whatever it is (the mark unreadable), the route meets it again,
            known = None  # and answers and logs it
        if known is None:
            return self.app(environ, start_response)
        request_id = request_id_for(environ.get("HTTP_X_REQUEST_ID"))
        start_response(
            _NOT_MODIFIED, [*known.not_modified_headers.items(), ("X-Request-Id", request_id)]
        )
        log_request(
            request_id=request_id,
            method=environ["REQUEST_METHOD"],
            route=FEED_ROUTE,
            path=environ["PATH_INFO"],
            status=304,
            started=started,
        )
        return []

    def _not_modified(self, environ: WSGIEnvironment) -> Known | None:
        """What the process remembers of the polled feed, if the poll is answered 304."""
        known = self._remembered(environ)
        if known is None or not is_not_modified(
            known.validator,
            environ.get("HTTP_IF_NONE_MATCH"),
            environ.get("HTTP_IF_MODIFIED_SINCE"),
        ):
            return None
        return known

    def _remembered(self, environ: WSGIEnvironment) -> Known | None:
        """The remembered owner and validator of a conditional poll's feed, or None."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if "HTTP_IF_NONE_MATCH" not in environ and "HTTP_IF_MODIFIED_SINCE" not in environ:
            return None
        path = _FEED_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if path is None:
            return None
        digests = token_digests(self.secret_keys, path.group(1))
        if not digests:
            return None
        mark = change_mark(self.db)
        day = day_start(utcnow(), self.zone)
        for digest in digests:
            known = remembered(self.known, digest, mark, day)
            if known is not None:
                return known
        return None
