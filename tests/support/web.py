"""Helpers for the web tests: CSRF tokens, an admin account, signing in."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from service.context import Pufa
from service.web.accounts import create_account

ADMIN_USERNAME = "fazhiban"
ADMIN_PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/admin/login") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def make_admin(state: Pufa, username: str = ADMIN_USERNAME) -> None:
    with state.db.transaction() as session:
        create_account(session, username, ADMIN_PASSWORD)


def sign_in(client: FlaskClient, state: Pufa) -> None:
    make_admin(state)
    response = client.post(
        "/admin/login",
        data={
            "username": ADMIN_USERNAME,
            "password": ADMIN_PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def post_form(
    client: FlaskClient, page: str, action: str, data: Mapping[str, object]
) -> TestResponse:
    """Open ``page`` (as a user would), then post ``data`` with that page's token."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(action, data={**data, "csrf_token": token})


def make_sessions_idle(state: Pufa) -> None:
    """Every console session was last seen just over the idle limit ago."""
    from datetime import timedelta

    from sqlalchemy import update

    from service.models import ConsoleSession, utcnow
    from service.web.console_sessions import IDLE

    with state.db.transaction() as session:
        session.execute(
            update(ConsoleSession).values(seen_at=utcnow() - IDLE - timedelta(seconds=1))
        )
