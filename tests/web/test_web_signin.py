"""Signing in to the console: hashed passwords, CSRF, sessions that expire, ``next``."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.context import Pufa
from service.models import AdminAccount
from service.settings import Settings
from service.web.signin import safe_next
from tests.support.web import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    csrf_token,
    make_admin,
    make_sessions_idle,
    sign_in,
)


def test_console_pages_send_a_stranger_to_sign_in_and_remember_where_they_were_going(
    client: FlaskClient,
) -> None:
    response = client.get("/admin/people/?q=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")
    assert response.headers["Location"].endswith("next=/admin/people/?q%3Dx")


def test_signing_in_goes_back_to_the_page_the_admin_wanted(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    make_admin(pufa_state)
    token = csrf_token(client, "/admin/login?next=/admin/people/")
    response = client.post(
        "/admin/login",
        data={
            "username": ADMIN_USERNAME,
            "password": ADMIN_PASSWORD,
            "next": "/admin/people/",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/people/"
    assert client.get("/admin/people/").status_code == 200


def test_csrf_adds_no_hook_to_requests_outside_the_web_pages(app: Flask) -> None:
    app_wide = app.before_request_funcs.get(None, [])
    assert not [hook for hook in app_wide if "csrf" in hook.__qualname__.lower()]
    assert app.config["WTF_CSRF_CHECK_DEFAULT"] is False  # what that hook would have read


def test_a_request_that_never_touches_the_session_sets_no_cookie(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_next_must_be_a_local_path(target: str) -> None:
    assert safe_next(target) is None


def test_an_open_redirect_is_replaced_by_the_dashboard(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    make_admin(pufa_state)
    response = client.post(
        "/admin/login",
        data={
            "username": ADMIN_USERNAME,
            "password": ADMIN_PASSWORD,
            "next": "//evil.example/",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.headers["Location"] == "/admin/"


def test_a_wrong_password_is_refused_and_the_username_kept(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    make_admin(pufa_state)
    response = client.post(
        "/admin/login",
        data={"username": ADMIN_USERNAME, "password": "nope", "csrf_token": csrf_token(client)},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "用户名或密码不正确" in html
    assert f'value="{ADMIN_USERNAME}"' in html
    assert client.get("/admin/").status_code == 302


def test_empty_fields_are_flagged_next_to_the_field(client: FlaskClient) -> None:
    response = client.post("/admin/login", data={"csrf_token": csrf_token(client)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="username-error"' in html and 'id="password-error"' in html


def test_a_disabled_account_cannot_sign_in(client: FlaskClient, pufa_state: Pufa) -> None:
    make_admin(pufa_state)
    with pufa_state.db.transaction() as session:
        session.scalars(select(AdminAccount)).one().is_active = False
    response = client.post(
        "/admin/login",
        data={
            "username": ADMIN_USERNAME,
            "password": ADMIN_PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 400


def test_passwords_are_stored_hashed(pufa_state: Pufa) -> None:
    make_admin(pufa_state)
    with pufa_state.db.sessions() as session:
        stored = session.scalars(select(AdminAccount)).one().password_hash
    assert ADMIN_PASSWORD not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


def test_a_post_without_a_csrf_token_is_refused(client: FlaskClient, pufa_state: Pufa) -> None:
    make_admin(pufa_state)
    response = client.post(
        "/admin/login", data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_signed_in_console_forms_need_the_csrf_token_too(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    assert client.post("/admin/logout").status_code == 400
    assert client.get("/admin/").status_code == 200


def test_the_json_api_is_exempt_from_csrf(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    # No cookie session there: a bearer token authenticates, so no CSRF token is asked.
    response = client.post("/api/v1/nowhere", json={}, headers=admin_headers)
    assert response.status_code in (404, 405)
    assert response.is_json


def test_signing_out_ends_the_session(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    response = client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_an_idle_session_expires_and_asks_to_sign_in_again(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    make_sessions_idle(pufa_state)
    response = client.get("/admin/people/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("next=/admin/people/")
    assert "登录已过期" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_production_session_cookie_is_secure(app: Flask) -> None:
    from service.app import create_app

    production = create_app(pufa_settings(app), env="production")
    assert production.config["SESSION_COOKIE_SECURE"] is True
    production.extensions["pufa"].db.dispose()


def pufa_settings(app: Flask) -> Settings:
    settings: Settings = app.extensions["pufa"].settings
    return settings


def test_admin_create_prompts_for_the_password_twice(app: Flask, pufa_state: Pufa) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["admin", "create", "--username", "dangzhengban"],
        input="a-long-password\na-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a-long-password" not in result.output.replace("Password", "")
    with pufa_state.db.sessions() as session:
        assert session.scalar(select(AdminAccount.username)) == "dangzhengban"


def test_admin_create_refuses_a_short_password_and_a_taken_name(
    app: Flask, pufa_state: Pufa
) -> None:
    runner = app.test_cli_runner()
    short = runner.invoke(args=["admin", "create", "--username", "x1"], input="short\nshort\n")
    assert short.exit_code != 0 and "at least" in short.output
    make_admin(pufa_state)
    taken = runner.invoke(
        args=["admin", "create", "--username", ADMIN_USERNAME],
        input="a-long-password\na-long-password\n",
    )
    assert taken.exit_code != 0 and "taken" in taken.output


def test_a_form_posted_after_the_session_lapsed_returns_to_its_page_after_sign_in(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    sign_in(client, pufa_state)
    token = csrf_token(client, "/admin/people/")
    make_sessions_idle(pufa_state)
    response = client.post(
        "/admin/people/1/page-link",
        data={"csrf_token": token},
        headers={"Referer": "http://localhost/admin/people/"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("next=/admin/people/")


def test_a_foreign_referrer_is_not_used_as_next(client: FlaskClient, pufa_state: Pufa) -> None:
    sign_in(client, pufa_state)
    token = csrf_token(client, "/admin/people/")
    make_sessions_idle(pufa_state)
    response = client.post(
        "/admin/people/1/page-link",
        data={"csrf_token": token},
        headers={"Referer": "https://evil.example/admin/people/"},
    )
    assert response.headers["Location"] == "/admin/login"


def test_repeated_wrong_passwords_are_throttled(client: FlaskClient, pufa_state: Pufa) -> None:
    make_admin(pufa_state)
    token = csrf_token(client)
    statuses = [
        client.post(
            "/admin/login",
            data={"username": ADMIN_USERNAME, "password": "wrong", "csrf_token": token},
        ).status_code
        for _ in range(12)
    ]
    assert statuses[0] == 400 and statuses[-1] == 429
    right = client.post(
        "/admin/login",
        data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert right.status_code == 429
    assert "尝试次数过多" in right.get_data(as_text=True)
