"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when
``PUFA_TEST_DATABASE=postgresql`` (a fresh database per run, dropped at the end)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from service.app import create_app
from service.context import Pufa
from service.models import Person
from service.settings import Settings
from tests.support.database import TEST_SECRET, api_token, backend, fresh_database, truncate_all
from tests.support.fake_twilio import FakeTwilio
from tests.support.feeds import NOW, seed_demo, token_for


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database(backend()) as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        instance_dir=tmp_path / "instance",
        database_url=database_url,
        secret_key=TEST_SECRET,
        public_base_url="https://pufa.example.test",
        log_level="WARNING",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    state: Pufa = app.extensions["pufa"]
    truncate_all(state)
    state.db.dispose()


@pytest.fixture
def pufa_state(app: Flask) -> Pufa:
    state: Pufa = app.extensions["pufa"]
    return state


@pytest.fixture
def session(pufa_state: Pufa) -> Iterator[Session]:
    """A session for arranging and asserting; commit what the app must see."""
    with pufa_state.db.sessions() as session:
        yield session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin_headers(pufa_state: Pufa) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(pufa_state, 'admin')}"}


@pytest.fixture
def viewer_headers(pufa_state: Pufa) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(pufa_state, 'viewer')}"}


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to reach beyond this machine (no real SMS, ever)."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
                raise RuntimeError(f"test tried to connect to {address!r}; only loopback")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A started fake Twilio on an ephemeral loopback port, stopped at teardown."""
    with FakeTwilio(seed=1234, hang_seconds=2.0) as fake:
        yield fake


@pytest.fixture
def feed_day() -> Iterator[None]:
    """The clock stopped at ``tests.support.feeds.NOW``: the feed tests' today."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def feed_token(pufa_state: Pufa, settings: Settings, feed_day: None) -> str:
    """The demo data, written on the feed tests' today, and the token of 孙丽's feed
    (党政办; she speaks in the rota)."""
    seed_demo(pufa_state)
    return token_for(pufa_state, settings, Person, "孙丽")
