"""The HTML side of Pufa: the admin console (``/admin``) and the staff page (``/me``).

Pages call the same service functions as the JSON API; nothing here re-states a rule.
Every form carries a CSRF token, checked by the web blueprints only: the JSON API
(bearer tokens) and the Twilio webhooks (signatures) are not cookie-authenticated, so
CSRF does not apply to them and they stay exempt.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request, Response, redirect, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue

from .blueprints import csrf
from .filters import register_filters
from .headers import protect


def register_web(app: Flask) -> None:
    from . import admin, check_in, password, signin, staff
    from .commands import admin_group

    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # only the web blueprints check
    # The token lives as long as the session that carries it: a staff page left open
    # for an afternoon should still accept a tap.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(seconds=signin.ABSOLUTE_SECONDS))
    app.session_interface = CookieSessions()
    csrf.init_app(app)
    register_filters(app)
    app.add_template_global(admin.console_menu, "console_menu")
    for bp in (signin.bp, password.bp, check_in.bp, staff.bp, *admin.blueprints()):
        app.register_blueprint(bp)
    app.cli.add_command(admin_group)
    app.add_url_rule("/", "home", _home)
    app.after_request(protect)


def _home() -> ResponseReturnValue:
    """A visitor at the bare address is on their way to the console (staff arrive by
    their personal link, which never needs this page)."""
    return redirect(url_for("web_admin.dashboard"))


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus their work on requests that have no session:
    API clients and calendar apps, nearly all requests, carry no session cookie."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()  # no signer to build
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # Flask's own would read seven settings and then do nothing: an empty session
        # that was never read or changed adds no cookie and no "Vary: Cookie".
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)
