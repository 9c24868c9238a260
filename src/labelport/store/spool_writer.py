"""The spool's writer, a process of its own (``store.spool`` starts one per job).

A thread in the job's process could not do this job: Python drivers bind each row's parameters
holding the GIL (the sqlite3 module lets go of it only while SQLite stores the row), so a writer
thread and the validating thread took turns at the GIL a million times, each wait up to a switch
interval. A process has its own interpreter. The job sends batches of rows as JSON frames (one C
call per batch on its side); this process decodes them with the JSON columns left as raw slices
of the frame, and writes them while validation goes on:

- ``sqlite``: into a table of a scratch SQLite file, one transaction, no Python per row;
- ``postgresql``: with ``COPY`` into an unlogged table of the workspace.

JSON rather than msgpack, because the JSON columns are stored as JSON text: with msgpack this
process rebuilt every geometry as Python lists and encoded it again, which cost it more than
everything else it does (19 s of CPU at a million rows; 12 s now, mostly SQLite's own).

It runs as a script, not as ``python -m labelport…``, and imports nothing of ours: it starts in
a tenth of a second. :func:`stored` is the one definition of a stored row's JSON text for a job
that writes its rows itself: a job whose rows fit in one batch does, with the same functions
(:data:`WRITERS`), since starting a process would cost more than the rows.

Protocol on stdin: frames of an 8-byte little-endian length and a JSON array of rows. End of
input commits. Exit status 0 means every row is written; otherwise stderr says why.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import msgspec


def stored(row: Sequence[Any], json_columns: Sequence[int]) -> tuple[Any, ...]:
    """A row as the job's own process stores it: its JSON columns as text (None stays NULL),
    encoded as the job encodes a batch for this process (msgspec: integers of any size)."""
    out = list(row)
    for i in json_columns:
        v = out[i]
        if v is not None:
            out[i] = "[]" if v == [] else msgspec.json.encode(v).decode()
    return tuple(out)


Batches = Iterable[Sequence[Sequence[Any]]]


def from_stdin(width: int, json_columns: Sequence[int]) -> Iterator[list[tuple[Any, ...]]]:
    """The job's frames, each a JSON array of rows. The JSON columns are not decoded: each is
    taken as the raw slice of the frame that holds it, so no value is rebuilt in Python and
    encoded again, and the text stored is the text the job encoded."""
    row = tuple.__class_getitem__(tuple(msgspec.Raw if i in json_columns else Any for i in range(width)))
    decode = msgspec.json.Decoder(list[row]).decode  # type: ignore[valid-type]
    read = sys.stdin.buffer.read
    while head := read(8):
        size = int.from_bytes(head, "little")
        data = read(size)
        if len(data) != size:
            raise EOFError(f"a batch was cut short: {len(data)} of {size} bytes")
        yield decode(data)


def as_text(rows: Sequence[Sequence[Any]], json_columns: Sequence[int]) -> Iterator[tuple[Any, ...]]:
    """Rows with their raw JSON columns as text, JSON null as NULL (what needs text: COPY)."""
    for row in rows:
        out = list(row)
        for i in json_columns:
            v = out[i]
            if type(v) is msgspec.Raw:
                b = bytes(v)
                out[i] = None if b == b"null" else b.decode()
        yield tuple(out)


def to_sqlite(
    path: str, table: str, columns: Sequence[str], json_columns: Sequence[int], batches: Batches
) -> None:
    """Raw JSON slices are bound as they are (a BLOB of the text); readers of the spool take
    them back as text with ``NULLIF(CAST(column AS TEXT), 'null')`` (``store.spool``)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")  # a scratch file, deleted whatever happens to the job
    db.execute("PRAGMA synchronous=OFF")
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    db.execute("BEGIN")  # one transaction for all: a commit per batch costs a file sync each
    for batch in batches:
        db.executemany(insert, batch)
    db.execute("COMMIT")
    db.close()


def to_postgresql(
    url: str, table: str, columns: Sequence[str], json_columns: Sequence[int], batches: Batches
) -> None:
    import psycopg  # only this target needs it

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for batch in batches:
                for row in as_text(batch, json_columns):
                    copy.write_row(row)
        conn.commit()


WRITERS: dict[str, Callable[[str, str, Sequence[str], Sequence[int], Batches], None]] = {
    "sqlite": to_sqlite,
    "postgresql": to_postgresql,
}


TARGET_ENV = "LABELPORT_SPOOL_TARGET"  # the file or database URL: in the environment, since a
# URL's password in the arguments would be shown to anyone who lists the machine's processes

if __name__ == "__main__":
    _, _kind, _table, _columns, _json = sys.argv
    _names, _json_columns = _columns.split(","), [int(i) for i in _json.split(",")]
    with contextlib.suppress(OSError):
        os.nice(5)  # the job's own process is the longest chain: it gets the core when both want it
    try:
        WRITERS[_kind](
            os.environ[TARGET_ENV],
            _table,
            _names,
            _json_columns,
            from_stdin(len(_names), _json_columns),
        )
    except Exception as exc:  # one line for the job's error: what failed and why
        print(f"{type(exc).__name__}: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(1)
