"""Signing in and out of the console, and the guard every console page sits behind.

The Flask session (a signed cookie: HttpOnly, SameSite=Lax, Secure in production) holds
one random secret naming a server-side console session (``console_sessions``); its row
holds the account and both ages, so logging out, a new password or a disabled account
ends it on every box, and nothing in the cookie can keep it alive.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from ..context import db_session, pufa
from ..models import AdminAccount, utcnow
from ..throttle import FailedAuthThrottle
from . import console_sessions, messages
from .accounts import authenticate
from .blueprints import web_blueprint
from .forms import FormState, posted

IDLE_SECONDS = int(console_sessions.IDLE.total_seconds())
ABSOLUTE_SECONDS = int(console_sessions.ABSOLUTE.total_seconds())
_COOKIE_KEY = "console"

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
    token = session.get(_COOKIE_KEY)
    expired = False
    if token is not None or session.get("admin_id") is not None:
        dbs = db_session()
        now = utcnow()
        live, expired = console_sessions.find(dbs, token, now)
        if live is not None:
            if live.is_stale_seen:
                _note_seen(dbs, live.row.id, now)
            g.admin = live.account
            g.actor = f"web:{live.account.username}"
            return None
        session.clear()
    flash(messages.SESSION_EXPIRED if expired else messages.SIGN_IN_REQUIRED, "info")
    return redirect(url_for("web_signin.sign_in", next=_wanted_page()))


def _note_seen(dbs: Session, session_id: int, now: datetime) -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        # A writing request's session already holds (on SQLite) the write lock: note it
        # there, committed with the page's own work.
        console_sessions.note_seen(dbs, session_id, now)
        return
    with pufa().db.transaction() as writer:  # a reading request's session only reads
        console_sessions.note_seen(writer, session_id, now)


def _wanted_page() -> str | None:
    if request.method == "GET":
        return safe_next(request.full_path.rstrip("?"))
    # A form posted after the session lapsed cannot be replayed; go back to its page.
    return referrer_path()


def referrer_path() -> str | None:
    """The path (and query) of the Referer if it is a page of this site, else None."""
    referrer = urlsplit(request.referrer or "")
    if referrer.scheme not in ("", "http", "https"):
        return None
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
        throttle: FailedAuthThrottle | None = current_app.extensions.get("pufa_auth_throttle")
        keys = (f"addr:{request.remote_addr or 'unknown'}", f"account:{username.strip().lower()}")
        if state.is_valid and throttle is not None:
            # Counted before the password is checked, and given back if it was right:
            # however many sign-ins race, no more than the limit are ever checked, per
            # address and per account (the API's throttle, shared with every box).
            wait = throttle.attempt(*keys)
            if wait is not None:
                state.add("__all__", messages.TOO_MANY_ATTEMPTS.format(seconds=wait))
                return render_template("admin/login.html", form=state, next=target), 429
        if state.is_valid:
            dbs = db_session()
            account = authenticate(dbs, username, password)
            if account is None:
                dbs.commit()
                state.add("__all__", messages.SIGN_IN_FAILED)
            else:
                begin_session(dbs, account)
                dbs.commit()
                if throttle is not None:
                    throttle.succeeded(*keys)
        if account is not None:
            flash(messages.SIGNED_IN, "success")
            return redirect(target)
    status = 200 if state.is_valid else 400
    return render_template("admin/login.html", form=state, next=target), status


def begin_session(dbs: Session, account: AdminAccount) -> None:
    """A new console session for ``account`` in this browser (the caller commits)."""
    secret = console_sessions.start(dbs, account, utcnow())
    session.clear()  # a fresh cookie: nothing survives from before
    session.permanent = True
    session[_COOKIE_KEY] = secret


@bp.post("/logout")
def sign_out() -> ResponseReturnValue:
    token = session.get(_COOKIE_KEY)
    if token is not None:
        dbs = db_session()
        console_sessions.end(dbs, token, utcnow())
        dbs.commit()
    session.clear()
    flash(messages.SIGNED_OUT, "info")
    return redirect(url_for("web_signin.sign_in"))
