"""How every web blueprint is made: CSRF checked, friendly error pages, and for the
console the sign-in guard. Made once per blueprint at import time."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from ..budget import BudgetExceeded
from ..errors import PufaError
from . import messages

log = logging.getLogger(__name__)


class BlueprintCsrf(CSRFProtect):  # type: ignore[misc]  # flask-wtf has no type hints
    """Flask-WTF's CSRF protection, checked only by the blueprints ``web_blueprint`` makes.

    ``init_app`` also adds an app-wide ``before_request`` hook, which with
    ``WTF_CSRF_CHECK_DEFAULT`` off (see ``register_web``) returns at once; feed polls,
    API calls and webhooks would still each pay for calling it, so it is taken out.
    """

    def init_app(self, app: Flask) -> None:
        before = list(app.before_request_funcs.get(None, []))
        super().init_app(app)
        if app.config.get("WTF_CSRF_CHECK_DEFAULT", True):
            return  # checking every request was asked for: the hook does it
        hooks = app.before_request_funcs[None]
        (added,) = [hook for hook in hooks if hook not in before]  # the one, or fail
        hooks.remove(added)


csrf = BlueprintCsrf()


def web_blueprint(name: str, import_name: str, url_prefix: str, *, admin: bool) -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    if admin:
        from .signin import require_admin

        # First: a lapsed session goes to sign-in (changing nothing) rather than to a
        # CSRF error, since its token may have gone with the session.
        bp.before_request(require_admin)
    bp.before_request(csrf.protect)
    bp.register_error_handler(CSRFError, _csrf_error)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(PufaError, _pufa_error)
    bp.register_error_handler(Exception, _unexpected)
    return bp


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    return render_template("error.html", status=400, reason="csrf"), 400


def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    return render_template("error.html", status=status, reason=str(status)), status


def _pufa_error(error: PufaError) -> ResponseReturnValue:
    message = messages.TOO_SLOW if isinstance(error, BudgetExceeded) else error.message
    page = render_template("error.html", status=error.status, reason="service", message=message)
    return page, error.status, error.headers


def _unexpected(error: Exception) -> ResponseReturnValue:
    log.exception("unhandled error in a web page")
    return render_template("error.html", status=500, reason="500"), 500
