"""Accepted annotations parked between validation and commit.

Validation writes nothing to the workspace: a SQLite workspace would otherwise hold its write
lock for the whole pass and nobody could watch the job. The accepted rows wait in a spool
instead, and the commit replays them inside one short transaction. Each engine gets the spool
its commit reads fastest:

- SQLite: a scratch SQLite file with one unindexed table. The commit attaches it and copies it
  into ``annotations`` with one ``INSERT … SELECT``, which runs entirely inside SQLite: binding a
  million rows' parameters from Python, twice the cost of the copy itself, happens during
  validation into a table with no indexes, and the write lock is held only for the copy.
- PostgreSQL: msgpack batches, in memory up to a limit and on disk beyond it, streamed into
  ``COPY``.

Rows are ``(row_pk, uid, feature_pk, kind, geometry, classifications, frame, frame_end, page,
message_id, track_id, extra)`` with JSON already encoded as text.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec

_LIMIT = 64 << 20
_BATCH = 10_000
SPOOL_COLUMNS = (
    "row_pk",
    "uid",
    "feature_pk",
    "kind",
    "geometry",
    "classifications",
    "frame",
    "frame_end",
    "page",
    "message_id",
    "track_id",
    "extra",
)


class _Batched:
    """Rows gathered into batches; each spool stores a full batch its own way."""

    batch_size = _BATCH

    def __init__(self) -> None:
        self._batch: list[Sequence[Any]] = []
        self.count = 0
        self.features: set[int] = set()  # the distinct feature pks, for the commit's parent check

    def add(self, row: Sequence[Any]) -> None:
        self._batch.append(row)
        self.count += 1
        self.features.add(row[2])
        if len(self._batch) >= self.batch_size:
            self._store_batch()

    def _store_batch(self) -> None:
        raise NotImplementedError


class MsgpackSpool(_Batched):
    """Rows as msgpack batches in a spooled temporary file."""

    batch_size = 5000

    def __init__(self) -> None:
        super().__init__()
        self._file = tempfile.SpooledTemporaryFile(max_size=_LIMIT)  # noqa: SIM115 - closed in close()
        self._enc = msgspec.msgpack.Encoder()
        self._dec = msgspec.msgpack.Decoder(list[list[Any]])

    def _store_batch(self) -> None:
        if self._batch:
            data = self._enc.encode(self._batch)
            self._file.write(len(data).to_bytes(8, "little"))
            self._file.write(data)
            self._batch = []

    def __iter__(self) -> Iterator[Sequence[Any]]:
        self._store_batch()
        self._file.seek(0)
        while head := self._file.read(8):
            yield from self._dec.decode(self._file.read(int.from_bytes(head, "little")))
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()


class SqliteSpool(_Batched):
    """Rows in a table of a scratch SQLite file, which the commit attaches (see the module).

    A thread of its own writes the batches: SQLite lets go of the GIL while it stores a row, so
    that part of the spool's cost overlaps validation on a second core."""

    def __init__(self) -> None:
        super().__init__()
        fd, self.path = tempfile.mkstemp(prefix="labelport-spool-", suffix=".db")
        os.close(fd)
        # a scratch file: no journal, no syncing; it is deleted whatever happens to the job
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(f"CREATE TABLE spool ({', '.join(SPOOL_COLUMNS)})")
        self._insert = f"INSERT INTO spool VALUES ({', '.join('?' for _ in SPOOL_COLUMNS)})"
        self._queue: queue.Queue[list[Sequence[Any]] | None] = queue.Queue(maxsize=4)
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _store_batch(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._thread is None:
            self._thread = threading.Thread(target=self._writer, name="labelport-spool", daemon=True)
            self._thread.start()
        self._queue.put(self._batch)
        self._batch = []

    def _writer(self) -> None:
        try:
            self._db.execute("BEGIN")  # one transaction for all: a commit per row is 5x slower
            while (batch := self._queue.get()) is not None:
                self._db.executemany(self._insert, batch)
            self._db.execute("COMMIT")
        except BaseException as exc:  # handed to the job's thread at its next add or flush
            self._failure = exc
            while self._queue.get() is not None:  # unblock the producer until it stops
                pass

    def flush(self) -> None:
        """Everything added so far is in the file, readable by a connection that attaches it."""
        if self._batch:
            self._store_batch()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if self._failure is not None:
            raise self._failure

    def __iter__(self) -> Iterator[Sequence[Any]]:
        self.flush()
        yield from self._db.execute(f"SELECT {', '.join(SPOOL_COLUMNS)} FROM spool ORDER BY rowid")

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._db.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


Spool = MsgpackSpool | SqliteSpool


def for_dialect(dialect: str) -> Spool:
    """The spool the commit on this engine reads fastest."""
    return SqliteSpool() if dialect == "sqlite" else MsgpackSpool()


__all__ = ["SPOOL_COLUMNS", "MsgpackSpool", "Spool", "SqliteSpool", "for_dialect"]
