"""Writing many rows fast: executemany batches of 10,000, and COPY on PostgreSQL for the
two tables that hold most of them (attendance and deliveries)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, text

from ..models import Base

BATCH = 10_000


def table_of(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def insert_rows(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """Core ``insert()`` in executemany batches; returns how many rows were written."""
    written = 0
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        conn.execute(insert(table), batch)
        written += len(batch)
    return written


def copy_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Rows as tuples in ``columns`` order: COPY on PostgreSQL, else ``insert_rows``."""
    if conn.dialect.name != "postgresql":
        return insert_rows(conn, table, (dict(zip(columns, row, strict=True)) for row in rows))
    names = ", ".join(f'"{c}"' for c in columns)
    written = 0
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """Rows written with explicit ids leave PostgreSQL's sequences behind: move them on."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:  # names from the metadata, not from input
        sql = (
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
            f"coalesce(max(id), 0) + 1, false) FROM {table.name}"
        )
        conn.execute(text(sql))
