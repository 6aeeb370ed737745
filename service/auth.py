"""Bearer-token authentication for the admin API (roles ``admin`` and ``viewer``)."""

from __future__ import annotations

from flask import g, request

from .app import db_session
from .errors import Unauthorized
from .tokens import find_api_token


def authenticate() -> str:
    """Check the request's token; set ``g.actor`` and ``g.role``; return the role."""
    header = request.headers.get("Authorization", "")
    scheme, _, plaintext = header.partition(" ")
    if scheme.lower() != "bearer" or not plaintext.strip():
        raise Unauthorized("An API token is required: Authorization: Bearer <token>.")
    session = db_session()
    token = find_api_token(session, plaintext.strip())
    if token is None:
        raise Unauthorized("The API token is unknown or revoked.")
    session.commit()  # last_used_at
    g.actor, g.role = token.name, token.role
    return token.role
