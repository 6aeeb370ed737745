"""Throw-away databases for the suite and the proofs: SQLite by default, PostgreSQL when
``PUFA_TEST_DATABASE=postgresql`` (a fresh database on the server at ``PUFA_TEST_PG_URL``,
dropped at the end)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from service import migrate
from service.context import Pufa
from service.models import Base
from service.tokens import create_api_token

PG_SERVER_URL = os.environ.get(
    "PUFA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production"


def backend() -> str:
    """The database the suite runs on: ``sqlite`` or ``postgresql``."""
    return os.environ.get("PUFA_TEST_DATABASE", "sqlite")


@contextmanager
def fresh_database(kind: str, *, migrated: bool = True) -> Iterator[str]:
    """A migrated (or with ``migrated=False`` a blank), empty database that is dropped
    afterwards."""
    if kind == "postgresql":
        name = f"pufa_test_{uuid.uuid4().hex[:10]}"
        server = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
        try:
            if migrated:
                migrate.upgrade(url)
            yield url
        finally:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            server.dispose()
    else:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/pufa.sqlite3"
            if migrated:
                migrate.upgrade(url)
            yield url


def truncate_all(state: Pufa) -> None:
    """Empty every table, so the next test starts from the migrated, empty database."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with state.db.engine.begin() as conn:
        if state.db.is_postgresql:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


def api_token(state: Pufa, role: str) -> str:
    """A fresh API token's plaintext for ``role``."""
    with state.db.transaction() as session:
        _row, plaintext = create_api_token(session, name=f"test {role}", role=role)
    return plaintext
