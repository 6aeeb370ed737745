"""``/admin/password``: an admin changes their own password; every other session of the
account ends (a stolen cookie dies with the old password), this browser stays in."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.security import check_password_hash

from ..context import db_session
from ..models import AdminAccount
from ..throttle import FailedAuthThrottle
from . import messages
from .accounts import MIN_PASSWORD_LENGTH, set_password
from .blueprints import web_blueprint
from .forms import FormState
from .signin import begin_session

bp = web_blueprint("web_password", __name__, "/admin/password", admin=True)


@bp.route("/", methods=["GET", "POST"])
def change() -> ResponseReturnValue:
    state = FormState()
    if request.method == "GET":
        return render_template("admin/password.html", form=state)
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    if not current:
        state.add("current_password", messages.REQUIRED)
    if len(new) < MIN_PASSWORD_LENGTH:
        state.add("new_password", messages.PASSWORD_TOO_SHORT.format(length=MIN_PASSWORD_LENGTH))
    if new != request.form.get("confirm_password", ""):
        state.add("confirm_password", messages.PASSWORDS_DIFFER)
    if not state.is_valid:
        return render_template("admin/password.html", form=state), 400
    session = db_session()
    account = session.get(AdminAccount, g.admin.id)
    assert account is not None  # require_admin found it a moment ago
    throttle: FailedAuthThrottle | None = current_app.extensions.get("pufa_auth_throttle")
    key = f"account:{account.username.lower()}"
    if throttle is not None:
        wait = throttle.retry_after(key)
        if wait is not None:
            state.add("__all__", messages.TOO_MANY_ATTEMPTS.format(seconds=wait))
            return render_template("admin/password.html", form=state), 429
    if not check_password_hash(account.password_hash, current):
        session.rollback()  # the count's own transaction needs SQLite's write lock
        if throttle is not None:
            throttle.failed(key)
        state.add("current_password", messages.PASSWORD_WRONG)
        return render_template("admin/password.html", form=state), 400
    set_password(session, account, new)
    begin_session(session, account)
    session.commit()
    flash(messages.PASSWORD_CHANGED, "success")
    return redirect(url_for("web_admin.dashboard"))
