"""The app factory: the web and the clock both build Pufa through ``create_app``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask_openapi3.models.info import Info
from flask_openapi3.openapi import OpenAPI
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from . import budget
from .context import Pufa, close_session
from .db import Database
from .errors import register_error_handlers
from .logs import configure_logging, install_request_logging
from .models import MAX_ID
from .proxies import TrustedProxies
from .settings import Settings
from .template_folder import TEMPLATES


def create_app(settings: Settings | None = None, **overrides: Any) -> OpenAPI:
    """Build the app. Tests pass ``settings`` or field overrides (``database_url=…``)."""
    settings = settings or Settings.from_env()
    if overrides:
        settings = replace(settings, **overrides)
    configure_logging(settings.log_level)

    from .api import BEARER, register_api, validation_error_response

    app = OpenAPI(
        __name__,
        info=Info(title="Pufa API", version="1"),
        security_schemes=BEARER,
        validation_error_status=422,
        validation_error_callback=validation_error_response,
        doc_prefix="/api/v1",
        doc_url="/openapi.json",
        template_folder=str(TEMPLATES),
        static_folder="static",  # service/static
    )
    # Before any route: every <int:…> in a path is a row id (see RowId).
    app.url_map.converters["int"] = RowId
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # Cookies signed with a key being rotated out still open (docs/security.md).
        SECRET_KEY_FALLBACKS=list(settings.secret_key_fallbacks),
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["pufa"] = Pufa(settings=settings, db=Database(settings.database_url))

    register_error_handlers(app)
    budget.install(app)
    install_request_logging(app)
    app.teardown_appcontext(close_session)

    from .health import bp as health_bp

    app.register_blueprint(health_bp)

    from .metrics import bp as metrics_bp
    from .webhooks import bp as webhooks_bp

    app.register_blueprint(metrics_bp)
    app.register_blueprint(webhooks_bp)
    register_api(app)

    from .feeds.routes import register_feeds

    register_feeds(app)

    from .web import register_web

    register_web(app)

    from .cli import register_commands

    register_commands(app)
    if settings.proxy_count:  # outermost: everything inside sees the client's address
        app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
            app.wsgi_app, count=settings.proxy_count, trusted=settings.trusted_proxies
        )
    return app


class RowId(IntegerConverter):
    """``<int:…>`` in every route: a row id. Ids are 32-bit INTEGER columns, so a longer
    or larger number names no row: 404 at once, as for any unknown id, instead of the
    number overflowing in the database driver (a 500). (The converter's own ``max``
    would not do: werkzeug notes a route's methods before it converts the values, so
    some of those would be 405s.)"""

    def to_python(self, value: str) -> int:
        if len(value) > _MAX_ID_DIGITS:
            raise NotFound()
        number: int = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


_MAX_ID_DIGITS = len(str(MAX_ID))
