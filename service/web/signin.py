"""Signing in and out of the console, and the guard every console page sits behind.

The Flask session (a signed cookie: HttpOnly, SameSite=Lax, Secure in production) holds
the account id, when the admin signed in and when they were last seen. The server
checks both ages itself rather than trusting the cookie's expiry.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from ..context import db_session
from . import messages
from .accounts import active_account, authenticate
from .blueprints import web_blueprint
from .forms import FormState, posted

IDLE_SECONDS = 2 * 3600
ABSOLUTE_SECONDS = 12 * 3600

bp = web_blueprint("web_signin", __name__, "/admin", admin=False)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def require_admin() -> ResponseReturnValue | None:
    """``before_request`` of console blueprints: the signed-in account, or a redirect."""
    account_id = session.get("admin_id")
    now = time.time()
    expired = False
    if account_id is not None:
        signed_in = float(session.get("signed_in_at", 0))
        seen = float(session.get("seen_at", 0))
        expired = now - signed_in > ABSOLUTE_SECONDS or now - seen > IDLE_SECONDS
        account = None if expired else active_account(db_session(), int(account_id))
        if account is not None:
            session["seen_at"] = now
            g.admin = account
            g.actor = f"web:{account.username}"
            return None
        session.clear()
    flash(messages.SESSION_EXPIRED if expired else messages.SIGN_IN_REQUIRED, "info")
    return redirect(url_for("web_signin.sign_in", next=_wanted_page()))


def _wanted_page() -> str | None:
    if request.method == "GET":
        return safe_next(request.full_path.rstrip("?"))
    # A form posted after the session lapsed cannot be replayed; go back to its page.
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return None
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


@bp.route("/login", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    target = safe_next(request.values.get("next")) or url_for("web_admin.dashboard")
    state = FormState()
    if request.method == "POST":
        state = posted()
        username = str(state.value("username"))
        password = request.form.get("password", "")
        if not username:
            state.add("username", messages.REQUIRED)
        if not password:
            state.add("password", messages.REQUIRED)
        account = None
        throttle = current_app.extensions.get("pufa_auth_throttle")
        address = request.remote_addr or "unknown"
        wait = throttle.retry_after(address) if throttle is not None else None
        if wait is not None:
            # The API's failed-auth throttle, shared: guessing passwords is as slow
            # as guessing tokens.
            state.add("__all__", messages.TOO_MANY_ATTEMPTS.format(seconds=wait))
            return render_template("admin/login.html", form=state, next=target), 429
        if state.is_valid:
            dbs = db_session()
            account = authenticate(dbs, username, password)
            dbs.commit()
            if account is None:
                state.add("__all__", messages.SIGN_IN_FAILED)
                if throttle is not None:
                    throttle.failed(address)
        if account is not None:
            session.clear()  # a fresh session: nothing survives from before sign-in
            session.permanent = True
            now = time.time()
            session.update(admin_id=account.id, signed_in_at=now, seen_at=now)
            flash(messages.SIGNED_IN, "success")
            return redirect(target)
    status = 200 if state.is_valid else 400
    return render_template("admin/login.html", form=state, next=target), status


@bp.post("/logout")
def sign_out() -> ResponseReturnValue:
    session.clear()
    flash(messages.SIGNED_OUT, "info")
    return redirect(url_for("web_signin.sign_in"))
