"""Checking ``X-Twilio-Signature``: an HMAC of the URL Twilio called plus the form fields,
keyed with the auth token. A request that fails it is refused with 403 before anything
is read from it."""

from __future__ import annotations

import logging

from flask import request
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from werkzeug.datastructures import MultiDict

from ..context import pufa
from ..errors import Forbidden

log = logging.getLogger("pufa.webhooks")


def signed_url() -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL plus this request's path and query. Never
    the Host or X-Forwarded-* the request names: a signature made (with our token, for a
    request sent to us once) for another address must not be accepted here."""
    query = request.query_string.decode("latin-1")
    return pufa().settings.public_base_url + request.path + (f"?{query}" if query else "")


def verified_form() -> MultiDict[str, str]:
    """The request's form fields, or Forbidden when the signature does not match."""
    token = pufa().settings.twilio_auth_token
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not token:
        log.warning("webhook refused: TWILIO_AUTH_TOKEN is not set", extra={"path": request.path})
        raise Forbidden("Webhook signatures cannot be checked: no Twilio auth token configured.")
    if not signature:
        log.warning("webhook refused: unsigned", extra={"path": request.path})
        raise Forbidden("The request carries no X-Twilio-Signature.")
    form = request.form
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    validator = RequestValidator(token)
    if not validator.validate(signed_url(), form, signature, algorithm):
        log.warning("webhook refused: bad signature", extra={"path": request.path})
        raise Forbidden("The X-Twilio-Signature does not match this request.")
    return form
