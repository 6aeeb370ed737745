"""Structured logging: one JSON line per event, with secrets and numbers masked."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import orjson
from flask import Flask, Request, Response, request

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
# One pass over the text for both secrets (it runs on every request's log line):
# personal tokens in feed and page URLs keep a short prefix only (group 1); a phone
# number keeps its last 4 (group 2 or 3). A phone number is one that starts with "+"
# (E.164, as Twilio sends them; spaces allowed), or a Chinese mobile: 11 digits from
# 13-19, perhaps after 86 or split 3-4-4. Digits glued to other text are masked too
# (%2B86…, \n139… in a repr, tel%3A…). Other integers (an id, 2147483647, a timestamp)
# are left alone: they are what a log is searched for.
_SECRETS = re.compile(
    r"(/(?:calendar|me)/[A-Za-z0-9_-]{6})[A-Za-z0-9_-]+"
    r"|\+\d[\d ]{5,}(\d{4})"
    r"|(?<!\d)(?:86)?1[3-9]\d ?\d{4} ?(\d{4})(?!\d)"
)


def mask_phone(number: str | None) -> str:
    if not number:
        return ""
    return f"***{number[-4:]}"


def mask_text(text: str) -> str:
    return _SECRETS.sub(_masked, text)


# A Twilio SID (SM…, MM…, AC…: two letters, 32 hex digits) often holds ten digits in a
# row; it is the provider's id, never a phone number, and is logged to be searched for.
_PROVIDER_SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


def _field(value: object) -> object:
    """A logged field: text masked, unless it is a provider's SID."""
    if not isinstance(value, str) or _PROVIDER_SID.fullmatch(value):
        return value
    return mask_text(value)


def _masked(match: re.Match[str]) -> str:
    token_prefix, e164_tail, mobile_tail = match.groups()
    return f"{token_prefix}…" if token_prefix else f"***{e164_tail or mobile_tail}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line. It formats every request's access line, so the encoder
    is orjson (far faster than the json module for such a line) and each second's
    timestamp is made once."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": _timestamp(int(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": mask_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = _field(value)
        if record.exc_info:
            # A traceback quotes values (a URL, a number) as freely as a message does.
            entry["exception"] = mask_text(self.formatException(record.exc_info))
        return _json_line(entry)


# Dates, times and dataclasses go through str(), as with the json module, rather than
# orjson's own forms; dict keys need not be strings.
_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _json_line(entry: dict[str, Any]) -> str:
    try:
        return orjson.dumps(entry, default=str, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:  # what orjson refuses (an int past 64 bits, a lone
        # surrogate) the json module still writes: a line is never lost to its encoding
        return json.dumps(entry, ensure_ascii=False, default=str)


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


class TimedRequest(Request):
    """Flask's request, stamped with the time it was made: the request context makes it
    first thing, so the access line's duration needs no ``before_request`` hook, whose
    call through Flask every request would pay for."""

    def __init__(
        self, environ: WSGIEnvironment, populate_request: bool = True, shallow: bool = False
    ) -> None:
        super().__init__(environ, populate_request, shallow)
        self.started = time.perf_counter()


def install_request_logging(app: Flask) -> None:
    """One access line per request, and its id in ``X-Request-Id`` (the caller's, if it
    sent one)."""
    app.request_class = TimedRequest

    @app.after_request
    def _finish(response: Response) -> Response:
        # The request itself, not the ``request`` proxy: each field read through that
        # looks the request up again.
        current = cast(TimedRequest, request._get_current_object())  # type: ignore[attr-defined]
        request_id = request_id_for(current.headers.get("X-Request-Id"))
        response.headers["X-Request-Id"] = request_id
        log_request(
            request_id=request_id,
            method=current.method,
            route=current.url_rule.rule if current.url_rule else current.path,
            path=current.path,
            status=response.status_code,
            started=current.started,
        )
        return response


_access = logging.getLogger("pufa.http")


def request_id_for(sent: str | None) -> str:
    """The caller's request id (cut to 64 characters), or a new one: 16 URL-safe
    characters, in which a run of ten digits, which the log would mask as a phone
    number, comes up about once in ten million ids (in 16 hex digits: 3 in 100)."""
    return (sent or "")[:64] or secrets.token_urlsafe(12)


def log_request(
    *, request_id: str, method: str, route: str, path: str, status: int, started: float
) -> None:
    """The access line of a request that began at ``started`` (``time.perf_counter``)."""
    duration_ms = (time.perf_counter() - started) * 1000
    _access.info(
        "request",
        extra={
            "request_id": request_id,
            "method": method,
            "route": route,
            "path": path,
            "status": status,
            "duration_ms": round(duration_ms, 2),
        },
    )
