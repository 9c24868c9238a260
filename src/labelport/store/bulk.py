"""Bulk inserts through each engine's fast path: batched ``executemany`` on SQLite, ``COPY`` on
PostgreSQL. The one other engine-specific write is an import's annotations on SQLite, copied from
the attached spool by one ``INSERT … SELECT`` (``store.spool``, ``store.imports._copy_spool``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa


def insert(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    if conn.dialect.name == "postgresql":
        return _copy(conn, table.name, columns, rows)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    it, n = iter(rows), 0
    # batches, not one list: a million rows held at once would cost hundreds of MB for no speed
    while batch := list(itertools.islice(it, 10_000)):
        conn.exec_driver_sql(sql, batch)
        n += len(batch)
    return n


def _copy(conn: sa.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    raw = conn.connection.driver_connection
    n = 0
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)
            n += 1
    return n
