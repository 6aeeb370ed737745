import gc
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.pool import NullPool

from service import migrate
from service.context import Pufa, db_session
from service.models import Base, Department
from tests.support.feeds import seed_demo as seed


def test_migrated_schema_equals_the_models(pufa_state: Pufa) -> None:
    with pufa_state.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert migrate.current_revision(conn) == migrate.head_revision()


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(pufa_state: Pufa) -> None:
    if pufa_state.db.is_postgresql:
        pytest.skip("SQLite pragmas")
    with pufa_state.db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_naive_datetimes_are_refused(pufa_state: Pufa) -> None:
    from sqlalchemy.exc import StatementError

    with (
        pytest.raises(StatementError, match="naive datetime"),
        pufa_state.db.transaction() as session,
    ):
        session.add(Department(name="x", created_at=datetime(2026, 1, 1)))


def test_instants_come_back_aware_in_utc(pufa_state: Pufa) -> None:
    with pufa_state.db.transaction() as session:
        session.add(Department(name="司法所"))
    with pufa_state.db.sessions() as session:
        department = session.query(Department).one()
        assert department.created_at.utcoffset() is not None
        assert department.version == 1


@pytest.mark.parametrize(
    ("stored", "instant"),
    [
        ("2026-03-08 01:30:00.000000", datetime(2026, 3, 8, 1, 30, tzinfo=UTC)),  # as written
        ("2026-03-08 01:30:00", datetime(2026, 3, 8, 1, 30, tzinfo=UTC)),  # CURRENT_TIMESTAMP
        ("2026-03-08", datetime(2026, 3, 8, tzinfo=UTC)),  # a date alone
    ],
)
def test_sqlite_instants_in_any_stored_form_read_back_as_utc(
    pufa_state: Pufa, stored: str, instant: datetime
) -> None:
    if pufa_state.db.is_postgresql:
        pytest.skip("SQLite stores instants as text")
    with pufa_state.db.transaction() as session:
        session.add(Department(name="司法所"))
    with pufa_state.db.transaction() as session:
        session.execute(text("UPDATE departments SET created_at = :at"), {"at": stored})
    with pufa_state.db.sessions() as session:
        created = session.query(Department).one().created_at
        assert created == instant and created.tzinfo is UTC


def test_sessions_flush_and_close_with_the_collector_paused_on_python_3_11(
    pufa_state: Pufa, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CPython 3.11 can crash when a collection runs a weakref callback of an ORM
    object's state while that state's attributes are being set (db.py): so flushing and
    closing keep the collector out there, and it runs again after."""
    detaching: list[bool] = []
    detach = InstanceState._detach_states.__func__  # type: ignore[attr-defined]

    def record(cls: type, states: Any, session: Session, to_transient: bool = False) -> None:
        detaching.append(gc.isenabled())
        detach(cls, states, session, to_transient)

    monkeypatch.setattr(InstanceState, "_detach_states", classmethod(record))
    flushing: list[bool] = []
    with pufa_state.db.transaction() as session:
        event.listen(session, "after_flush", lambda *_: flushing.append(gc.isenabled()))
        session.add(Department(name="司法所"))
    with pufa_state.db.sessions() as session:
        assert [d.name for d in session.query(Department)] == ["司法所"]
    paused = sys.version_info < (3, 12)
    assert flushing and all(enabled is not paused for enabled in flushing)
    assert detaching and all(enabled is not paused for enabled in detaching)
    assert gc.isenabled()


def test_read_requests_on_postgresql_run_in_autocommit_and_writes_in_a_transaction(
    app: Flask, pufa_state: Pufa
) -> None:
    # READ COMMITTED gives each statement its own snapshot anyway: a transaction around
    # a read request only cost BEGIN and ROLLBACK. SQLite readers keep theirs (one
    # snapshot across statements, at no cost).
    def in_transaction(method: str) -> bool:
        with app.test_request_context("/", method=method):
            connection = db_session().connection()
            connection.exec_driver_sql("SELECT 1")
            dbapi: Any = connection.connection.dbapi_connection
            if pufa_state.db.is_postgresql:
                return bool(dbapi.info.transaction_status != TransactionStatus.IDLE)
            return bool(dbapi.in_transaction)

    reads_in_a_transaction = not pufa_state.db.is_postgresql
    assert in_transaction("GET") is reads_in_a_transaction
    assert in_transaction("HEAD") is reads_in_a_transaction
    assert in_transaction("POST") is True
    assert in_transaction("DELETE") is True


def test_the_change_mark_read_opens_no_transaction_and_leaves_the_connection_as_it_was(
    pufa_state: Pufa,
) -> None:
    # Every feed poll makes this read: a transaction would cost PostgreSQL a ROLLBACK
    # round trip when the connection goes back to the pool.
    db = pufa_state.db
    found: list[bool] = []

    def in_transaction(dbapi: Any, *_: Any) -> None:
        if db.is_postgresql:
            found.append(dbapi.info.transaction_status != TransactionStatus.IDLE)
        else:
            found.append(bool(dbapi.in_transaction))

    event.listen(db.engine, "reset", in_transaction)
    try:
        assert db.read_scalar("SELECT 1") == 1
    finally:
        event.remove(db.engine, "reset", in_transaction)
    assert found == [False]
    with db.engine.connect() as connection:  # the same pooled connection, as it was
        dbapi: Any = connection.connection.dbapi_connection
        assert (dbapi.autocommit if db.is_postgresql else dbapi.isolation_level) in (False, None)


def test_migrations_go_down_and_up_again_without_losing_rows(pufa_state: Pufa) -> None:
    seed(pufa_state)
    config = migrate.alembic_config(pufa_state.db.url)
    pufa_state.db.dispose()

    def counts() -> dict[str, int]:
        with pufa_state.db.engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("people", "departments", "person_departments", "schedules")
            }

    before = counts()
    assert before["person_departments"] > 0
    command.downgrade(config, "0010_feed_changes")
    assert counts() == before
    command.upgrade(config, "head")
    assert counts() == before


def test_upgrading_cleans_control_characters_stored_before_they_were_refused(
    pufa_state: Pufa,
) -> None:
    seed(pufa_state)
    with pufa_state.db.engine.begin() as connection:  # as the API took them before
        connection.execute(
            text("UPDATE people SET name = :name WHERE name = '孙丽'"), {"name": "孙\x0b丽\x07"}
        )
    config = migrate.alembic_config(pufa_state.db.url)
    pufa_state.db.dispose()
    command.downgrade(config, "0011_feed_token_seed")
    command.upgrade(config, "head")
    with pufa_state.db.engine.connect() as connection:
        names = connection.execute(text("SELECT name FROM people")).scalars().all()
    assert "孙\n丽" in names
    assert not any(ch in name for name in names for ch in "\x0b\x07")


def test_requests_after_the_database_ended_the_pooled_connections_succeed(
    pufa_state: Pufa, client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    # As after a restart of PostgreSQL: every connection the pool holds was ended by the
    # server. The pool notices on check-out (without a round trip) and connects anew.
    if not pufa_state.db.is_postgresql:
        pytest.skip("PostgreSQL sessions")
    for _ in range(3):
        assert client.get("/api/v1/schedules", headers=admin_headers).status_code == 200
    assert end_the_other_sessions(pufa_state.db.url)
    for _ in range(3):
        assert client.get("/api/v1/schedules", headers=admin_headers).status_code == 200
    created = client.post("/api/v1/departments", json={"name": "司法所"}, headers=admin_headers)
    assert created.status_code == 201


def end_the_other_sessions(url: str) -> list[int]:
    """End the server's other sessions of this database, waiting until each is gone
    (PostgreSQL 14+); their pids."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            others = connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            pids = list(others)
            for pid in pids:
                ended = text("SELECT pg_terminate_backend(:pid, 5000)")
                assert connection.execute(ended, {"pid": pid}).scalar() is True
            return pids
    finally:
        engine.dispose()
