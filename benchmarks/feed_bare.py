"""The benchmark's yardstick: a bare Flask endpoint serving a feed's bytes from memory,
with the same ETag/304 handling as the real one but no database and no token lookup.

Run by ``feed_bench.py`` under gunicorn; reads the bytes from ``FEED_BARE_FILE``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, Response, request

BODY = Path(os.environ["FEED_BARE_FILE"]).read_bytes()
ETAG = hashlib.sha256(BODY).hexdigest()[:32]
LAST_MODIFIED = "Thu, 26 Nov 2026 02:00:00 GMT"

app = Flask(__name__)


@app.get("/calendar/<token>.ics")
def feed(token: str) -> Response:
    headers = {"ETag": f'"{ETAG}"', "Last-Modified": LAST_MODIFIED}
    if request.if_none_match.contains_weak(ETAG):
        return Response(status=304, headers=headers)
    return Response(BODY, headers=headers, content_type="text/calendar; charset=utf-8")
