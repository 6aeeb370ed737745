"""Protective headers on every HTML page (console, staff page, sign-in, error pages).

The pages use no script and no inline style at all, so the policy can forbid both: an
injected ``<script>`` or ``onclick`` would not run even if escaping ever failed. Frames
are refused (clickjacking a "重发" or "生成新链接" button), types are never sniffed.
"""

from __future__ import annotations

from flask import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)


def protect(response: Response) -> Response:
    """``after_request`` of the app: nosniff on everything, the rest on HTML."""
    if response.status_code == 304:
        # No body to protect; and a feed's 304 must read the same whether the route or
        # the poll answerer in front of Flask (feeds/polls.py) gives it.
        return response
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        # Console URLs name people and searches: other sites see our origin at most.
        headers.setdefault("Referrer-Policy", "same-origin")
    return response


def no_store(response: Response) -> Response:
    """For a page that shows a secret (a new staff link, a feed URL): kept by no cache,
    shown again by no Back button."""
    response.headers["Cache-Control"] = "no-store"
    return response
