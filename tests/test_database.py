from datetime import datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from psycopg.pq import TransactionStatus
from sqlalchemy import event, text

from service import migrate
from service.app import Pufa, db_session
from service.models import Base, Department


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
