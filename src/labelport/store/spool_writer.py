"""The spool's writer, a process of its own (``store.spool`` starts one per job).

A thread in the job's process could not do this job: Python drivers bind each row's parameters
holding the GIL (the sqlite3 module lets go of it only while SQLite stores the row), so a writer
thread and the validating thread took turns at the GIL a million times, each wait up to a switch
interval. A process has its own interpreter. The job sends batches of rows as msgpack frames (one
C call per batch on its side) and this process writes them while validation goes on:

- ``sqlite``: into a table of a scratch SQLite file, one transaction, no Python per row;
- ``postgresql``: with ``COPY`` into an unlogged table of the workspace;
- ``sqlite-direct`` and ``postgresql-direct``: into the workspace's ``annotations`` itself, for
  the rows whose owner is a label the commit will make (``model.stored``). SQLite's rows go in
  transactions of a few thousand, since the job writes its progress and issues between them.

A row arrives in its stored form (:data:`Wire`): integers, strings and the JSON columns as the
UTF-8 bytes of their JSON text, decoded as ``bytearray``. That form is chosen for the sqlite3
module: it binds ``int``, ``str`` and ``bytearray`` directly, but anything else (``None``,
``bytes``, msgspec's ``Raw``) first goes through its adapter lookup, which fails slowly. With
rows of twelve columns, five of them usually ``None`` and three ``Raw``, binding was two thirds
of this process's 7 s at a million rows; the stored form binds in a third of that. So a row has
no ``None``: a JSON column holds ``null``, and the five columns of where an annotation sits in
its asset (frame, frame end, page, message, track), null for nearly every annotation, are one
JSON array, or empty when all five are null (``store.spool`` reads them back). PostgreSQL's
binary ``COPY`` sends the JSON columns' bytes as they are (:data:`WIRE_TYPES`).

It runs as a script, not as ``python -m labelport…``, and imports nothing of ours: it starts in
a tenth of a second. A job whose rows fit in one batch writes them itself, with the same
functions (:data:`WRITERS`, :func:`decode`), since starting a process would cost more than the
rows.

Arguments: the kind, the table and the job's id (the direct kinds' ``annotations.job_id``).
Protocol on stdin: frames of an 8-byte little-endian length and a msgpack array of rows. End of
input commits. Exit status 0 means every row is written; otherwise stderr says why.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import itemgetter

import msgspec

# owner, uid, feature_pk, kind, geometry, classifications, extra, place (see the module)
Wire = tuple[int, str, int, str, bytearray, bytearray, bytearray, bytearray]
WIRE_COLUMNS = ("owner", "uid", "feature_pk", "kind", "geometry", "classifications", "extra", "place")
decode = msgspec.msgpack.Decoder(list[Wire]).decode

Batches = Iterable[Sequence[Wire]]


def from_stdin() -> Iterator[list[Wire]]:
    """The job's frames, each a msgpack array of rows in their stored form."""
    read = sys.stdin.buffer.read
    while head := read(8):
        size = int.from_bytes(head, "little")
        data = read(size)
        if len(data) != size:
            raise EOFError(f"a batch was cut short: {len(data)} of {size} bytes")
        yield decode(data)


def to_sqlite(path: str, table: str, job_id: int, batches: Batches) -> None:
    """JSON columns are stored as they come, a BLOB of their text; readers of the spool take
    them back as text (``store.spool``)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")  # a scratch file, deleted whatever happens to the job
    db.execute("PRAGMA synchronous=OFF")
    marks = ", ".join("?" for _ in WIRE_COLUMNS)
    insert = f"INSERT INTO {table} ({', '.join(WIRE_COLUMNS)}) VALUES ({marks})"
    db.execute("BEGIN")  # one transaction for all: a commit per batch costs a file sync each
    for batch in batches:
        db.executemany(insert, batch)
    db.execute("COMMIT")
    db.close()


# The PostgreSQL types the binary COPY sends a spool's columns (store.spool) and the direct
# writer's as. The JSON columns are ``text``, whose binary form is its UTF-8 bytes, as ``bytea``'s
# is its bytes: sent as bytea, their bytes go as they came, where as text each was first decoded
# to a str for the driver to encode again. The server reads each field by its column's type, so it
# still checks the text is UTF-8.
WIRE_TYPES = ("int8", "text", "int8", "text", "bytea", "bytea", "bytea", "bytea")
DIRECT_TYPES = (
    "int4",
    "text",
    "int4",
    "text",
    "bytea",
    "bytea",
    "bytea",
    "int4",
    "int4",
    "int4",
    "text",
    "text",
    "int4",
)


def to_postgresql(url: str, table: str, job_id: int, batches: Batches) -> None:
    _copy(url, table, WIRE_COLUMNS, WIRE_TYPES, itertools.chain.from_iterable(batches))


def _copy(
    url: str, table: str, columns: Sequence[str], types: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """Every row with one binary ``COPY``, committed at the end of the input: the server reads
    binary rows in two thirds of the time it parses text ones (1M annotations: 2.9 s against
    4.1 s), and it is the server that competes with the job for the cores."""
    import psycopg  # only PostgreSQL's targets need it
    from psycopg.types.string import BytesBinaryDumper

    # UTF-8 whatever the URL asks: the JSON columns go as their UTF-8 bytes, which the server
    # reads in the client's encoding
    with psycopg.connect(url, client_encoding="UTF8") as conn:
        # bytea's binary dumper by type is otherwise the DB-API's ``Binary`` one, in Python (three
        # times as slow as a str's); this is psycopg's own, in C. Before the cursor: it copies them
        conn.adapters.register_dumper(bytearray, BytesBinaryDumper)
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        with conn.cursor() as cur, cur.copy(statement) as copy:
            copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)
        conn.commit()


# the annotations' columns a direct writer fills, in the order it binds them
DIRECT_COLUMNS = (
    "label_id",
    "uid",
    "feature_id",
    "kind",
    "geometry",
    "classifications",
    "extra",
    "frame",
    "frame_end",
    "page",
    "message_id",
    "track_id",
    "job_id",
)
_SQLITE_TRANSACTION = 2_500  # rows: the job's own writes wait for at most this many


def to_sqlite_direct(path: str, table: str, job_id: int, batches: Batches) -> None:
    """The JSON columns' bytes are read as text and ``null`` as NULL, and the place array split
    into its columns, in SQLite: as the commit's copy from a spool reads them. Each transaction
    records the ids it added (``annotation_ranges``, migration 0010). A batch in which
    no annotation has a place (most of them: images) is written by a statement that sets the
    five columns NULL instead of testing each row's empty array five times (1M rows: 0.3 s of
    this process's 3.3 s)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout=30000")
    db.execute("PRAGMA synchronous=NORMAL")  # as the workspace's own connections (store.db)
    place = "NULLIF(CAST(?8 AS TEXT), '')"
    stored = [
        "?1",
        "?2",
        "?3",
        "?4",
        *(f"NULLIF(CAST(?{i} AS TEXT), 'null')" for i in (5, 6, 7)),
    ]
    columns, job = ", ".join(DIRECT_COLUMNS), str(int(job_id))
    placed = [f"json_extract({place}, '$[{i}]')" for i in range(5)]
    # ?8 is bound whatever the statement, so it appears in both: here as a NULL of its own
    nowhere = ["NULL"] * 4 + ["NULLIF(?8, ?8)"]
    insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join([*stored, *placed, job])})"
    insert_nowhere = f"INSERT INTO {table} ({columns}) VALUES ({', '.join([*stored, *nowhere, job])})"
    where = itemgetter(7)
    top = TOP_ID.format(table=table)
    first = last = -1
    try:
        for batch in batches:
            for i in range(0, len(batch), _SQLITE_TRANSACTION):
                rows = batch[i : i + _SQLITE_TRANSACTION]
                db.execute("BEGIN IMMEDIATE")
                before = db.execute(top).fetchone()[0]
                db.executemany(insert if any(map(where, rows)) else insert_nowhere, rows)
                after = db.execute(top).fetchone()[0]
                start = run_start(before, after, len(rows))
                if before != last or start != before + 1:  # a run that continues the last extends it
                    first = start
                last = after
                db.execute(RECORD_RUN, (job_id, first, last))
                db.execute("COMMIT")
    finally:
        db.close()


# A SQLite job's rows are found by the runs of ids it wrote (migration 0010): whatever adds rows to
# ``annotations`` there records its run in the same transaction, holding the write lock
TOP_ID = "SELECT COALESCE(MAX(id), 0) FROM {table}"
RECORD_RUN = (
    "INSERT INTO annotation_ranges (job_id, first_id, last_id) VALUES (?, ?, ?) "
    "ON CONFLICT (job_id, first_id) DO UPDATE SET last_id = excluded.last_id"
)


def run_start(before: int, after: int, n: int) -> int:
    """The first id of the ``n`` rows a transaction added when the largest id went from
    ``before`` to ``after``: SQLite numbers each after the largest, so ``before + 1``; were they
    numbered otherwise, 1, a run that surely holds them (the job's id filters what else it holds)."""
    return before + 1 if after - before == n else 1


def to_postgresql_direct(url: str, table: str, job_id: int, batches: Batches) -> None:
    import orjson  # only this target needs it

    def rows(batch: Sequence[Wire]) -> Iterator[tuple[object, ...]]:
        # once per row, so no generator inside (one per row cost 0.6 s of CPU at a million rows),
        # and no starred place: a row nowhere (most of them) names its five Nones
        null = b"null"
        for owner, uid, feature, kind, geometry, classifications, extra, place in batch:
            if place:
                frame, frame_end, page, message, track = orjson.loads(place)
            else:
                frame = frame_end = page = message = track = None
            yield (
                owner,
                uid,
                feature,
                kind,
                None if geometry == null else geometry,
                None if classifications == null else classifications,
                None if extra == null else extra,
                frame,
                frame_end,
                page,
                message,
                track,
                job_id,
            )

    _copy(url, table, DIRECT_COLUMNS, DIRECT_TYPES, itertools.chain.from_iterable(map(rows, batches)))


WRITERS: dict[str, Callable[[str, str, int, Batches], None]] = {
    "sqlite": to_sqlite,
    "postgresql": to_postgresql,
    "sqlite-direct": to_sqlite_direct,
    "postgresql-direct": to_postgresql_direct,
}


TARGET_ENV = "LABELPORT_SPOOL_TARGET"  # the file or database URL: in the environment, since a
# URL's password in the arguments would be shown to anyone who lists the machine's processes

if __name__ == "__main__":
    _, _kind, _table, _job = sys.argv
    with contextlib.suppress(OSError):
        os.nice(5)  # the job's own process is the longest chain: it gets the core when both want it
    try:
        WRITERS[_kind](os.environ[TARGET_ENV], _table, int(_job), from_stdin())
    except Exception as exc:  # one line for the job's error: what failed and why
        print(f"{type(exc).__name__}: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(1)
