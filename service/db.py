"""Engine and sessions: the same code runs on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import json
import select
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

# CPython 3.11 can free memory still in use when a collection starts while it turns an
# object's inline attributes into a dict, and the collection runs a weakref callback
# that sets an attribute on that same object. SQLAlchemy's InstanceState is such an
# object: closing or flushing a session sets attributes on every state it holds, while
# the collector may free the states' objects, whose callbacks (``_cleanup``) set
# attributes on them. A county-scale run crashed this way (docs/performance.md,
# "Where issue 22's targets stood ... session 10"); 3.12 does not. So on 3.11 the
# collector waits while a session detaches or registers its states; it runs after.
_COLLECTOR_RACE = sys.version_info < (3, 12)
_paused = 0
_paused_lock = threading.Lock()
_enabled_before = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection in this process until the block ends (nested, and from
    several threads at once, it resumes when the last one ends)."""
    global _paused, _enabled_before
    with _paused_lock:
        if _paused == 0:
            _enabled_before = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _enabled_before:
                gc.enable()


class PufaSession(Session):
    """A session whose closing and flushing keep the collector out on CPython 3.11."""

    if _COLLECTOR_RACE:

        def expunge_all(self) -> None:  # close() detaches every state through here
            with collector_paused():
                super().expunge_all()

        def flush(self, objects: Sequence[Any] | None = None) -> None:
            with collector_paused():
                super().flush(objects)


class Database:
    """One engine and one session factory, owned by the app (see ``create_app``)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessions = sessionmaker(self.engine, class_=PufaSession, expire_on_commit=False)
        # Sessions of requests that only read. On PostgreSQL they run in autocommit: at
        # its READ COMMITTED level each statement reads its own snapshot anyway, so a
        # transaction only added BEGIN and ROLLBACK, two round trips a request (Django
        # reads this way by default). On SQLite a reader's BEGIN DEFERRED holds one
        # snapshot for all its statements at no round-trip cost, so it stays.
        reader = self.engine
        if self.is_postgresql:
            reader = reader.execution_options(isolation_level="AUTOCOMMIT")
        self.read_sessions = sessionmaker(reader, class_=PufaSession, expire_on_commit=False)
        # Sessions that will write: on SQLite each of their transactions takes the write
        # lock up front (BEGIN IMMEDIATE). Same pool; elsewhere the option is ignored.
        writer = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self.write_sessions = sessionmaker(writer, class_=PufaSession, expire_on_commit=False)

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self.write_sessions() as session, session.begin():
            yield session

    def read_scalar(self, sql: str) -> Any:
        """The first value of one read-only statement without parameters, run outside
        any transaction on a pooled driver connection: for a lookup on every request,
        SQLAlchemy's statement handling and BEGIN and ROLLBACK would cost more than the
        query itself. (pysqlite is in autocommit already; psycopg is put in it for the
        statement, so that it opens no transaction, and the pool's rollback on return
        has nothing to send.)"""
        connection = self.engine.raw_connection()
        driver: Any = connection.dbapi_connection
        try:
            if self.is_postgresql:
                driver.autocommit = True
            try:
                cursor = connection.cursor()
                cursor.execute(sql)
                row = cursor.fetchone()
                cursor.close()
            finally:
                if self.is_postgresql and not driver.closed:  # a dead one raised already
                    driver.autocommit = False
        finally:
            connection.close()  # back to the pool, which rolls back what the driver began
        return None if row is None else row[0]

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # Take over pysqlite's transaction handling. Readers begin DEFERRED and never
        # block each other (WAL); a transaction that will write begins IMMEDIATE
        # because a deferred one that reads and then writes can fail
        # with SQLITE_BUSY at once instead of waiting for busy_timeout.
        # (``Database.write_sessions`` carries the option.)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(
        url, echo=echo, pool_size=10, max_overflow=10, json_deserializer=_json_loads
    )
    event.listen(engine, "connect", _in_utc)
    event.listen(engine, "checkout", _replace_if_ended_by_server)
    return engine


def _in_utc(dbapi_connection: Any, _record: Any) -> None:
    """Each new connection's session in UTC, the zone every instant is stored and read
    in: psycopg then gives them in UTC already, with ``datetime.UTC``, and reading a row
    needs no conversion (``models.base.UTCDateTime``). One statement a connection."""
    was_autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # no transaction left open by the SET
    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.autocommit = was_autocommit


_JSON = json.JSONDecoder()


def _json_loads(data: bytes) -> Any:
    """``json.loads`` for psycopg's JSON columns, minus its guessing at the encoding
    (PostgreSQL sends UTF-8), which cost more than the parsing of a short value
    (a schedule's ``exdates``, read with every row of a list)."""
    return _JSON.decode(data.decode("utf-8", "surrogatepass"))


def _replace_if_ended_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Checked on every check-out from the pool, instead of SQLAlchemy's pre-ping, which
    is a round trip (a third of a list request's, and the database server's work too).
    A server that ends a session (a restart, ``pg_terminate_backend``, an idle timeout)
    says so and closes the socket, so an idle pooled connection it ended has something
    to read, and a live one has nothing (Pufa never LISTENs): one ``poll`` on the
    socket, no round trip. The pool replaces a connection found ended, as after a failed
    ping, so the first request after a database restart does not fail. (Neither check
    sees a server host that vanished without closing its sockets: the ping would wait
    for TCP to give up, as the request's own query does.)"""
    if dbapi_connection.closed:
        raise DisconnectionError("the connection was closed")
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server ended this idle connection")


_BEGIN_OPTION = "pufa_sqlite_begin"


def _sqlite_begin(conn: Connection) -> None:
    # Through SQLAlchemy, not the driver's connection, though that would be cheaper: a
    # BEGIN IMMEDIATE that times out on the write lock must raise SQLAlchemy's
    # OperationalError, which callers turn into a 503 ("try again").
    conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get(_BEGIN_OPTION, 'DEFERRED')}")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
