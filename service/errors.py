"""One small exception hierarchy, turned into JSON by one handler.

Body: ``{"error": code, "message": …, "fields": {field: reason}}`` (docs/architecture.md,
guarantee 6).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class PufaError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "fields": self.fields}


class BadRequest(PufaError):
    status, code = 400, "bad_request"


class Unauthorized(PufaError):
    status, code = 401, "unauthorized"


class Forbidden(PufaError):
    status, code = 403, "forbidden"


class NotFound(PufaError):
    status, code = 404, "not_found"


class Conflict(PufaError):
    status, code = 409, "conflict"


class PreconditionFailed(PufaError):
    status, code = 412, "precondition_failed"


class PreconditionRequired(PufaError):
    status, code = 428, "precondition_required"


class PayloadTooLarge(PufaError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(PufaError):
    status, code = 415, "unsupported_media_type"


class Invalid(PufaError):
    """Well-formed but semantically wrong input (bad RRULE, unknown timezone, …)."""

    status, code = 422, "invalid"


class TooManyRequests(PufaError):
    status, code = 429, "too_many_requests"


def error_response(error: PufaError) -> tuple[Response, int]:
    response = jsonify(error.to_dict())
    response.headers.update(error.headers)
    return response, error.status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PufaError)
    def _pufa_error(error: PufaError) -> tuple[Response, int]:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        response = error.get_response()
        if not _wants_json():
            # A person in a browser: the console's Chinese error page, not werkzeug's
            # English one. Redirects and the like pass through as they are.
            if (error.code or 500) < 400:
                return response
            status = error.code or 500
            return render_template("error.html", status=status, reason=str(status)), status
        code = (error.name or "error").lower().replace(" ", "_")
        body = {"error": code, "message": error.description or error.name, "fields": {}}
        json_response = jsonify(body)
        json_response.status_code = error.code or 500
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response.headers:
                json_response.headers[header] = response.headers[header]
        return json_response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error", extra={"route": request.path})
        return jsonify(
            {"error": "internal", "message": "An unexpected error occurred.", "fields": {}}
        ), 500


def _wants_json() -> bool:
    path = request.path
    return path.startswith(("/api/", "/webhooks/", "/healthz", "/calendar/"))
