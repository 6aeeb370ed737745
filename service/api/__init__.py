"""The JSON API under ``/api/v1``: one blueprint per resource, validated by pydantic
schemas that also generate the OpenAPI document (flask-openapi3).

Access policy, enforced before any validation: every ``/api/v1`` request needs a token;
reading (GET, HEAD) needs the ``viewer`` role, anything else ``admin``.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from flask import Response, jsonify, request
from flask_openapi3.openapi import OpenAPI
from pydantic import ValidationError

from ..auth import FailedAuthThrottle, authenticate
from ..errors import BadRequest, Forbidden

PREFIX = "/api/v1"
BEARER: dict[str, Any] = {"bearer": {"type": "http", "scheme": "bearer"}}
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]
_PUBLIC = (f"{PREFIX}/openapi.json", f"{PREFIX}/swagger", f"{PREFIX}/redoc", f"{PREFIX}/scalar")
_READ_METHODS = ("GET", "HEAD", "OPTIONS")
_UPLOAD_PATHS = ("/attachments",)


def validation_error_response(error: ValidationError) -> Response:
    """pydantic's errors in the project's error body (guarantee 6)."""
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "body"
        fields.setdefault(location, item["msg"])
    first = next(iter(fields.items()), ("body", "invalid"))
    response = jsonify({"error": "invalid", "message": f"{first[0]}: {first[1]}", "fields": fields})
    response.status_code = 422
    return response


def _guard_api() -> None:
    path = request.path
    if not path.startswith(PREFIX + "/") or path.startswith(_PUBLIC) or path == PREFIX:
        return
    role = authenticate()
    if request.method not in _READ_METHODS and role != "admin":
        raise Forbidden("Changing data needs the admin role; this token is a viewer's.")
    _check_json_body()


def _check_json_body() -> None:
    """Malformed JSON and a wrong content type are 400s, not validation errors."""
    if request.method in _READ_METHODS or not request.content_length:
        return
    if request.mimetype == "multipart/form-data" and request.path.endswith(_UPLOAD_PATHS):
        return  # file uploads: the route reads the form
    if not request.is_json:
        raise BadRequest(
            "The request body must be JSON (Content-Type: application/json).",
            code="unsupported_content_type",
        )
    try:
        json.loads(request.get_data(cache=True))
    except ValueError as error:
        raise BadRequest(
            f"The request body is not valid JSON: {error}", code="malformed_json"
        ) from None
    except RecursionError:
        raise BadRequest(
            "The request body is not valid JSON: nested too deeply.", code="malformed_json"
        ) from None


def register_api(app: OpenAPI) -> None:
    app.extensions["pufa_auth_throttle"] = FailedAuthThrottle(db=app.extensions["pufa"].db)
    app.before_request(_guard_api)
    # One module per resource; each exports ``bp``.
    for name in API_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        app.register_api(module.bp)


API_MODULES = [
    "people",
    "schedules",
    "overrides",
    "study",
    "holidays",
    "tokens",
    "audit",
    "occurrences",
    "workdays",
    "sms",
    "rota",
    "study_progress",
    "ledger",
    "deliveries",
    "feed_tokens",
    "attendance",
    "attachments",
    "reports",
]
