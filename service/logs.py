"""Structured logging: one JSON line per event, with secrets and numbers masked."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from functools import lru_cache
from typing import Any

from flask import Flask, Response, g, request

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
# One pass over the text for both secrets (it runs on every request's log line):
# personal tokens in feed and page URLs keep a short prefix only (group 1); anything that
# looks like a phone number (10+ digits or spaces, optional +) keeps its last 4 (group 2).
_SECRETS = re.compile(r"(/(?:calendar|me)/[A-Za-z0-9_-]{6})[A-Za-z0-9_-]+|\+?\d[\d ]{5,}(\d{4})")


def mask_phone(number: str | None) -> str:
    if not number:
        return ""
    return f"***{number[-4:]}"


def mask_text(text: str) -> str:
    return _SECRETS.sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    token_prefix, phone_tail = match.groups()
    return f"{token_prefix}…" if token_prefix else f"***{phone_tail}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line. It formats every request's access line, so the encoder
    and each second's timestamp are made once."""

    _encode = json.JSONEncoder(ensure_ascii=False, default=str).encode

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": _timestamp(int(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": mask_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = mask_text(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._encode(entry)


@lru_cache(maxsize=4)
def _timestamp(second: int) -> str:
    """Local time with its offset, as logging's own formatTime gives it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(second))


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # werkzeug's own access lines would repeat ours, unmasked.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def install_request_logging(app: Flask) -> None:
    log = logging.getLogger("pufa.http")

    @app.before_request
    def _start() -> None:
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16]
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        duration_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        response.headers["X-Request-Id"] = g.get("request_id", "")
        log.info(
            "request",
            extra={
                "request_id": g.get("request_id", ""),
                "method": request.method,
                "route": request.url_rule.rule if request.url_rule else request.path,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration_ms, 2),
            },
        )
        return response
