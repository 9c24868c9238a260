"""The spool's writer, a process of its own (``store.spool`` starts one per job).

A thread in the job's process could not do this job: Python drivers bind each row's parameters
holding the GIL (the sqlite3 module lets go of it only while SQLite stores the row), so a writer
thread and the validating thread took turns at the GIL a million times, each wait up to a switch
interval. A process has its own interpreter. The job sends batches of rows as msgpack frames
(one C call per batch on its side); this process decodes them, encodes the JSON columns as text
and writes them, on the second core, while validation goes on:

- ``sqlite``: into a table of a scratch SQLite file, one transaction;
- ``postgresql``: with ``COPY`` into an unlogged table of the workspace.

It runs as a script, not as ``python -m labelport…``: importing the package would cost a second
before the first row. So it imports nothing of ours, and :func:`stored` is the one definition of
a stored row's JSON text, which the job's process imports from here too.

A job whose rows fit in one batch writes it itself with the same functions (:data:`WRITERS`):
starting a process would cost more than the rows.

Protocol on stdin: frames of an 8-byte little-endian length and a msgpack array of rows. End of
input commits. Exit status 0 means every row is written; otherwise stderr says why.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import msgspec
import orjson


def stored(
    row: Sequence[Any], json_columns: Sequence[int], dumps: Callable[[Any], bytes] = orjson.dumps
) -> tuple[Any, ...]:
    """A row as stored: its JSON columns as text (None stays NULL; an empty list needs no
    encoder; a string is text its sender encoded already, see ``store.spool._encode``)."""
    out = list(row)
    for i in json_columns:
        v = out[i]
        if v is not None and type(v) is not str:
            out[i] = "[]" if v == [] else dumps(v).decode()
    return tuple(out)


Batches = Iterable[list[tuple[Any, ...]]]


def from_stdin(json_columns: Sequence[int]) -> Iterator[list[tuple[Any, ...]]]:
    """The job's frames, as stored rows."""
    decode = msgspec.msgpack.Decoder(list[list[Any]]).decode
    read = sys.stdin.buffer.read
    while head := read(8):
        size = int.from_bytes(head, "little")
        data = read(size)
        if len(data) != size:
            raise EOFError(f"a batch was cut short: {len(data)} of {size} bytes")
        yield [stored(r, json_columns) for r in decode(data)]


def to_sqlite(path: str, table: str, columns: Sequence[str], batches: Batches) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")  # a scratch file, deleted whatever happens to the job
    db.execute("PRAGMA synchronous=OFF")
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    db.execute("BEGIN")  # one transaction for all: a commit per batch costs a file sync each
    for batch in batches:
        db.executemany(insert, batch)
    db.execute("COMMIT")
    db.close()


def to_postgresql(url: str, table: str, columns: Sequence[str], batches: Batches) -> None:
    import psycopg  # only this target needs it

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for batch in batches:
                for row in batch:
                    copy.write_row(row)
        conn.commit()


WRITERS: dict[str, Callable[[str, str, Sequence[str], Batches], None]] = {
    "sqlite": to_sqlite,
    "postgresql": to_postgresql,
}


TARGET_ENV = "LABELPORT_SPOOL_TARGET"  # the file or database URL: in the environment, since a
# URL's password in the arguments would be shown to anyone who lists the machine's processes

if __name__ == "__main__":
    _, _kind, _table, _columns, _json = sys.argv
    try:
        WRITERS[_kind](
            os.environ[TARGET_ENV],
            _table,
            _columns.split(","),
            from_stdin([int(i) for i in _json.split(",")]),
        )
    except Exception as exc:  # one line for the job's error: what failed and why
        print(f"{type(exc).__name__}: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(1)
