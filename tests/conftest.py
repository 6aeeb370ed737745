"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when
``PUFA_TEST_DATABASE=postgresql`` (a fresh database per run, dropped at the end)."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from service import migrate
from service.app import create_app
from service.context import Pufa
from service.models import Base, Person
from service.settings import Settings
from service.tokens import create_api_token
from tests.fake_twilio import fake_twilio  # noqa: F401 - the fake Twilio server fixture
from tests.feeds_support import NOW, seed_demo, token_for

PG_SERVER_URL = os.environ.get(
    "PUFA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production"


def _backend() -> str:
    return os.environ.get("PUFA_TEST_DATABASE", "sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if _backend() == "postgresql":
        name = f"pufa_test_{uuid.uuid4().hex[:10]}"
        server = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
        migrate.upgrade(url)
        yield url
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'pufa.sqlite3'}"
        migrate.upgrade(url)
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
    _truncate_all(state)
    state.db.dispose()


def _truncate_all(state: Pufa) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with state.db.engine.begin() as conn:
        if state.db.is_postgresql:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


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


def _token(state: Pufa, role: str) -> str:
    with state.db.transaction() as session:
        _row, plaintext = create_api_token(session, name=f"test {role}", role=role)
    return plaintext


@pytest.fixture
def admin_headers(pufa_state: Pufa) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(pufa_state, 'admin')}"}


@pytest.fixture
def viewer_headers(pufa_state: Pufa) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(pufa_state, 'viewer')}"}


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
def feed_day() -> Iterator[None]:
    """The clock stopped at ``feeds_support.NOW``: the feed tests' today."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def feed_token(pufa_state: Pufa, settings: Settings, feed_day: None) -> str:
    """The demo data, written on the feed tests' today, and the token of 孙丽's feed
    (党政办; she speaks in the rota)."""
    seed_demo(pufa_state)
    return token_for(pufa_state, settings, Person, "孙丽")
