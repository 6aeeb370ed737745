"""The failed-auth throttle: counted atomically, shared by every web process through the
database, per address and per account, and not escaped by a forged X-Forwarded-For."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from service.app import create_app
from service.context import Pufa
from service.settings import Settings
from tests.support.web import ADMIN_PASSWORD, ADMIN_USERNAME, csrf_token, make_admin

WRONG = {"Authorization": "Bearer pufa_guessguessguessguess"}
START = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _counts_emptied_after(app: Flask) -> None:
    """The ``app`` fixture empties every table, the counts too, after each test."""


@pytest.fixture
def second_app(settings: Settings) -> Iterator[Flask]:
    """Another web process (or box) on the same database."""
    other = create_app(settings)
    other.config["TESTING"] = True
    yield other
    other.extensions["pufa"].db.dispose()


def test_racing_bad_tokens_get_no_more_than_ten_401s(app: Flask) -> None:
    def attempt(_: int) -> int:
        return app.test_client().get("/api/v1/people", headers=WRONG).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = Counter(pool.map(attempt, range(24)))
    assert statuses == {401: 10, 429: 14}


def test_failures_are_counted_across_web_processes(
    client: FlaskClient, second_app: Flask, admin_headers: dict[str, str]
) -> None:
    other = second_app.test_client()
    with time_machine.travel(START, tick=False):
        first = [client.get("/api/v1/people", headers=WRONG).status_code for _ in range(5)]
        then = [other.get("/api/v1/people", headers=WRONG).status_code for _ in range(5)]
        assert first + then == [401] * 10
        assert client.get("/api/v1/people", headers=admin_headers).status_code == 429
        assert other.get("/api/v1/people", headers=admin_headers).status_code == 429


def sign_in_attempt(client: FlaskClient, password: str, address: str) -> int:
    token = csrf_token(client)
    return client.post(
        "/admin/login",
        data={"username": ADMIN_USERNAME, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


def test_sign_ins_to_one_account_are_throttled_whatever_address_they_come_from(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    make_admin(pufa_state)
    with time_machine.travel(START, tick=False):
        statuses = [sign_in_attempt(client, "wrong", f"198.51.100.{n}") for n in range(11)]
        assert statuses == [400] * 10 + [429]
        assert sign_in_attempt(client, ADMIN_PASSWORD, "198.51.100.200") == 429


def test_racing_sign_ins_check_no_more_passwords_than_the_limit(
    app: Flask, pufa_state: Pufa
) -> None:
    make_admin(pufa_state)

    def attempt(n: int) -> int:
        return sign_in_attempt(app.test_client(), "wrong", f"198.51.100.{n}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = Counter(pool.map(attempt, range(16)))
    assert statuses == {400: 10, 429: 6}


def test_a_right_password_is_not_counted_against_the_account(
    client: FlaskClient, pufa_state: Pufa
) -> None:
    make_admin(pufa_state)
    with time_machine.travel(START, tick=False):
        for _ in range(12):
            assert sign_in_attempt(client, ADMIN_PASSWORD, "198.51.100.1") == 302
        assert sign_in_attempt(client, "wrong", "198.51.100.1") == 400


def proxied(settings: Settings, proxy_count: int) -> Flask:
    app = create_app(replace(settings, proxy_count=proxy_count))
    app.config["TESTING"] = True
    return app


@pytest.mark.parametrize(
    ("proxy_count", "peer"),
    [
        (0, "127.0.0.1"),  # no proxy: X-Forwarded-For means nothing
        (1, "203.0.113.7"),  # a proxy is configured, but the client went around it
    ],
)
def test_a_rotating_x_forwarded_for_does_not_escape_the_throttle(
    settings: Settings, proxy_count: int, peer: str
) -> None:
    app = proxied(settings, proxy_count)
    client = app.test_client()
    try:
        with time_machine.travel(START, tick=False):
            statuses = [
                client.get(
                    "/api/v1/people",
                    headers={**WRONG, "X-Forwarded-For": f"192.0.2.{n}"},
                    environ_base={"REMOTE_ADDR": peer},
                ).status_code
                for n in range(11)
            ]
    finally:
        app.extensions["pufa"].db.dispose()
    assert statuses == [401] * 10 + [429]


def test_more_proxies_configured_than_there_are_does_not_let_the_client_choose(
    settings: Settings,
) -> None:
    # PUFA_PROXY_COUNT=2, one real proxy on loopback: it appends the client's address
    # to whatever X-Forwarded-For the client sent.
    app = proxied(settings, 2)
    client = app.test_client()
    try:
        with time_machine.travel(START, tick=False):
            statuses = [
                client.get(
                    "/api/v1/people",
                    headers={**WRONG, "X-Forwarded-For": f"192.0.2.{n}, 198.51.100.7"},
                ).status_code
                for n in range(11)
            ]
    finally:
        app.extensions["pufa"].db.dispose()
    assert statuses == [401] * 10 + [429]


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(settings: Settings) -> None:
    app = proxied(settings, 1)
    client = app.test_client()
    try:
        with time_machine.travel(START, tick=False):
            for _ in range(10):
                headers = {**WRONG, "X-Forwarded-For": "198.51.100.7"}
                assert client.get("/api/v1/people", headers=headers).status_code == 401
            other = {**WRONG, "X-Forwarded-For": "198.51.100.8"}
            assert client.get("/api/v1/people", headers=other).status_code == 401
            again = {**WRONG, "X-Forwarded-For": "198.51.100.7"}
            assert client.get("/api/v1/people", headers=again).status_code == 429
    finally:
        app.extensions["pufa"].db.dispose()
