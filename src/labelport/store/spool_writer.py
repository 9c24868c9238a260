"""The SQLite spool's writer, a process of its own (``store.spool.SqliteSpool`` starts it).

A thread in the job's process could not do this job: the sqlite3 module binds each row's
parameters holding the GIL and lets go of it only while SQLite stores the row, so a writer thread
and the validating thread took turns at the GIL a million times, each wait up to a switch
interval. A process has its own interpreter. The job sends batches of rows as msgpack frames
(one C call per batch on its side); this process decodes them, encodes the JSON columns as text
and inserts them, on the second core.

It runs as a script, not as ``python -m labelport…``: importing the package would cost a second
before the first row. So it imports nothing of ours, and :func:`stored` is the one definition of
a stored row's JSON text, which the job's process imports from here too.

Protocol on stdin: frames of an 8-byte little-endian length and a msgpack array of rows. End of
input commits. Exit status 0 and nothing on stderr means every row is in the file.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import orjson


def stored(
    row: Sequence[Any], json_columns: Sequence[int], dumps: Callable[[Any], bytes] = orjson.dumps
) -> tuple[Any, ...]:
    """A row as stored: its JSON columns as text (None stays NULL; an empty list needs no
    encoder; a string is text its sender encoded already, see ``SqliteSpool``)."""
    out = list(row)
    for i in json_columns:
        v = out[i]
        if v is not None and type(v) is not str:
            out[i] = "[]" if v == [] else dumps(v).decode()
    return tuple(out)


def main(path: str, table: str, columns: Sequence[str], json_columns: Sequence[int]) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")  # a scratch file, deleted whatever happens to the job
    db.execute("PRAGMA synchronous=OFF")
    insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    decode = msgspec.msgpack.Decoder(list[list[Any]]).decode
    read = sys.stdin.buffer.read
    db.execute("BEGIN")  # one transaction for all: a commit per batch costs a file sync each
    while head := read(8):
        size = int.from_bytes(head, "little")
        data = read(size)
        if len(data) != size:
            raise EOFError(f"a batch was cut short: {len(data)} of {size} bytes")
        db.executemany(insert, [stored(r, json_columns) for r in decode(data)])
    db.execute("COMMIT")
    db.close()


if __name__ == "__main__":
    _, _path, _table, _columns, _json = sys.argv
    main(_path, _table, _columns.split(","), [int(i) for i in _json.split(",")])
