"""Console sessions end on the server: logout, a new password, a disabled account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.context import Pufa
from service.models import AdminAccount, Department
from tests.support.web import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    csrf_from,
    csrf_token,
    make_admin,
    sign_in,
)

DEPARTMENT_PAGE = "/admin/people/departments/new"


def copied(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def departments(state: Pufa) -> int:
    with state.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Department)) or 0


def test_a_cookie_copied_before_logout_opens_nothing_after_it(
    app: Flask, client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    thief = copied(app, client)
    form_token = csrf_from(thief.get(DEPARTMENT_PAGE).get_data(as_text=True))

    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})

    assert thief.get("/admin/").status_code == 302
    created = thief.post(DEPARTMENT_PAGE, data={"name": "妇联", "csrf_token": form_token})
    assert created.status_code == 302 and "/admin/login" in created.headers["Location"]
    assert departments(pufa_state) == 0


def test_signing_out_in_one_browser_leaves_the_other_signed_in(
    app: Flask, pufa_state: Pufa
) -> None:
    first, second = app.test_client(), app.test_client()
    sign_in(first, pufa_state)
    for client in (second,):  # the same account, signed in separately
        token = csrf_token(client)
        client.post(
            "/admin/login",
            data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "csrf_token": token},
        )
    first.post("/admin/logout", data={"csrf_token": csrf_token(first, "/admin/")})
    assert first.get("/admin/").status_code == 302
    assert second.get("/admin/").status_code == 200


def test_reset_password_signs_the_account_out_everywhere(
    app: Flask, client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    thief = copied(app, client)
    result = app.test_cli_runner().invoke(
        args=["admin", "reset-password", "--username", ADMIN_USERNAME],
        input="another-long-password\nanother-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "1 session(s) ended" in result.output
    assert client.get("/admin/").status_code == 302
    assert thief.get("/admin/").status_code == 302
    token = csrf_token(client)
    old = client.post(
        "/admin/login",
        data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert old.status_code == 400
    new = client.post(
        "/admin/login",
        data={
            "username": ADMIN_USERNAME,
            "password": "another-long-password",
            "csrf_token": token,
        },
    )
    assert new.status_code == 302


def test_disabling_an_account_ends_its_sessions_and_its_sign_ins(
    app: Flask, client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["admin", "disable", "--username", ADMIN_USERNAME])
    assert result.exit_code == 0, result.output
    assert client.get("/admin/").status_code == 302
    token = csrf_token(client)
    again = client.post(
        "/admin/login",
        data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert again.status_code == 400

    assert runner.invoke(args=["admin", "enable", "--username", ADMIN_USERNAME]).exit_code == 0
    assert client.get("/admin/").status_code == 302  # enabling brings no session back


def test_admin_list_shows_accounts_their_state_and_live_sessions(
    app: Flask, client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    make_admin(pufa_state, "dangzhengban")
    runner = app.test_cli_runner()
    runner.invoke(args=["admin", "disable", "--username", "dangzhengban"])
    result = runner.invoke(args=["admin", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("dangzhengban\tdisabled\tsessions=0\tlast_sign_in=never")
    assert lines[1].startswith(f"{ADMIN_USERNAME}\tactive\tsessions=1\tlast_sign_in=20")


def test_the_cli_names_an_unknown_account(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["admin", "disable", "--username", "nobody"])
    assert result.exit_code != 0 and "no account 'nobody'" in result.output


@pytest.mark.parametrize(
    "cookie",
    [
        {"admin_id": 1, "signed_in_at": "abc", "seen_at": "abc"},
        {"admin_id": 1, "signed_in_at": float("nan"), "seen_at": float("nan")},
        {"admin_id": 1, "signed_in_at": 4.0e12, "seen_at": 4.0e12},
        {"admin_id": 10**30, "signed_in_at": 0, "seen_at": 0},
        {"admin_id": "1e400"},
        {"console": 12345},
        {"console": ["a", "b"]},
        {"console": "x" * 5000},
        {"console": ""},
    ],
    ids=["text", "nan", "future", "huge-id", "float-id", "number", "list", "long", "empty"],
)
def test_a_forged_or_malformed_session_cookie_is_signed_out_never_a_500(
    client: FlaskClient, pufa_state: Pufa, cookie: dict[str, object]
) -> None:
    make_admin(pufa_state)  # account 1 exists and is active
    with client.session_transaction() as session:
        session.update(cookie)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login")


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, pufa_state)
        for _hour in range(11):
            clock.shift(timedelta(hours=1))
            assert client.get("/admin/").status_code == 200
        clock.shift(timedelta(hours=1, seconds=1))
        response = client.get("/admin/")
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "登录已过期" in page


def test_an_idle_session_is_noted_at_most_once_a_minute_and_lapses_after_two_hours(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        sign_in(client, pufa_state)
        clock.shift(timedelta(hours=1, minutes=59))
        assert client.get("/admin/").status_code == 200
        clock.shift(timedelta(hours=1, minutes=59))
        assert client.get("/admin/").status_code == 200
        clock.shift(timedelta(hours=2, seconds=1))
        assert client.get("/admin/").status_code == 302


def test_no_password_or_secret_is_kept_in_the_cookie_or_the_table(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    with client.session_transaction() as session:
        secret = session["console"]
        assert set(session) <= {"console", "_flashes", "csrf_token", "_permanent"}
    with pufa_state.db.sessions() as db:
        from service.models import ConsoleSession

        row = db.scalars(select(ConsoleSession)).one()
        assert secret not in row.token_hash
        account = db.scalars(select(AdminAccount)).one()
        assert row.account_id == account.id and row.ended_at is None


def change_password(client: FlaskClient, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/admin/password/")
    return client.post(
        "/admin/password/",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if again is None else again,
            "csrf_token": token,
        },
    )


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(
    app: Flask, client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    thief = copied(app, client)
    response = change_password(client, ADMIN_PASSWORD, "a-brand-new-password")
    assert response.status_code == 302
    assert thief.get("/admin/").status_code == 302
    assert client.get("/admin/").status_code == 200
    fresh = app.test_client()
    token = csrf_token(fresh)
    old = fresh.post(
        "/admin/login",
        data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert old.status_code == 400


@pytest.mark.parametrize(
    ("current", "new", "again", "field"),
    [
        ("wrong password", "a-brand-new-password", None, "current_password-error"),
        (ADMIN_PASSWORD, "short", None, "new_password-error"),
        (ADMIN_PASSWORD, "a-brand-new-password", "another-new-password", "confirm_password-error"),
    ],
)
def test_a_refused_password_change_says_why_and_ends_nothing(
    app: Flask,
    client: FlaskClient,
    pufa_state: Pufa,
    current: str,
    new: str,
    again: str | None,
    field: str,
) -> None:
    sign_in(client, pufa_state)
    other = copied(app, client)
    response = change_password(client, current, new, again)
    assert response.status_code == 400
    assert f'id="{field}"' in response.get_data(as_text=True)
    assert other.get("/admin/").status_code == 200
