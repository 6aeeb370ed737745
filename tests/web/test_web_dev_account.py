"""``pufa up`` in development: a console account made once, so the console opens at once."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.context import Pufa
from service.models import AdminAccount
from service.web.dev_account import ensure_dev_account
from tests.support.web import csrf_token


def test_the_development_account_is_made_once_and_signs_in(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    instance = pufa_state.settings.instance_dir
    with pufa_state.db.transaction() as session:
        first = ensure_dev_account(session, instance)
    with pufa_state.db.transaction() as session:
        again = ensure_dev_account(session, instance)
        count = session.scalar(select(func.count()).select_from(AdminAccount))
    assert first == again and count == 1
    assert (instance / "console_account").stat().st_mode & 0o077 == 0
    username, password = first
    response = client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
