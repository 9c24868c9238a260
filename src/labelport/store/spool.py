"""Accepted annotations parked between validation and commit.

Validation writes nothing to the workspace: a SQLite workspace would otherwise hold its write
lock for the whole pass and nobody could watch the job. The accepted rows wait in a spool
instead, and the commit replays them inside one short transaction. Each engine gets the spool
its commit reads fastest:

- SQLite: a scratch SQLite file with one unindexed table. The commit attaches it and copies it
  into ``annotations`` with one ``INSERT … SELECT``, which runs entirely inside SQLite: binding a
  million rows' parameters from Python, twice the cost of the copy itself, happens during
  validation into a table with no indexes, in a writer process on the second core
  (``store.spool_writer``), and the write lock is held only for the copy.
- PostgreSQL: msgpack batches, in memory up to a limit and on disk beyond it, streamed into
  ``COPY``.

Rows are ``(row_pk, uid, feature_pk, kind, geometry, classifications, frame, frame_end, page,
message_id, track_id, extra)``. They are added with the JSON columns as values (lists, dicts)
and come back with them as text, as stored: the encoding is done off the validating thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from labelport.store import spool_writer
from labelport.store.spool_writer import stored

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
JSON_COLUMNS = (4, 5, 11)  # geometry, classifications, extra: given as values, stored as JSON text
_ENCODER = msgspec.msgpack.Encoder()


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
    """Rows as msgpack batches in a spooled temporary file; JSON columns become text as they are
    read back for the commit."""

    batch_size = 5000

    def __init__(self) -> None:
        super().__init__()
        self._file = tempfile.SpooledTemporaryFile(max_size=_LIMIT)  # noqa: SIM115 - closed in close()
        self._dec = msgspec.msgpack.Decoder(list[list[Any]])

    def _store_batch(self) -> None:
        if self._batch:
            data = _encode(self._batch)
            self._file.write(len(data).to_bytes(8, "little"))
            self._file.write(data)
            self._batch = []

    def __iter__(self) -> Iterator[Sequence[Any]]:
        self._store_batch()
        self._file.seek(0)
        while head := self._file.read(8):
            for row in self._dec.decode(self._file.read(int.from_bytes(head, "little"))):
                yield stored(row, JSON_COLUMNS)
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()


class SqliteSpool(_Batched):
    """Rows in a table of a scratch SQLite file, which the commit attaches (see the module).

    A process of its own (``store.spool_writer``) writes the batches, on the second core, while
    validation goes on; it is started by the first batch and waited for by :meth:`flush`."""

    def __init__(self) -> None:
        super().__init__()
        fd, self.path = tempfile.mkstemp(prefix="labelport-spool-", suffix=".db")
        os.close(fd)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute(f"CREATE TABLE spool ({', '.join(SPOOL_COLUMNS)})")
        self._writer: subprocess.Popen[bytes] | None = None
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()

    def _store_batch(self) -> None:
        if not self._batch:
            return
        data = _encode(self._batch)
        self._batch = []
        if self._writer is None:
            self._writer = subprocess.Popen(
                [
                    sys.executable,
                    str(Path(spool_writer.__file__)),
                    self.path,
                    "spool",
                    ",".join(SPOOL_COLUMNS),
                    ",".join(map(str, JSON_COLUMNS)),
                ],
                stdin=subprocess.PIPE,
                stderr=self._errors,
            )
            _widen(self._writer)
        assert self._writer.stdin is not None
        try:
            self._writer.stdin.write(len(data).to_bytes(8, "little"))
            self._writer.stdin.write(data)
        except BrokenPipeError:
            self._wait()  # raises with what the writer said
            raise

    def _wait(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        assert writer.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            writer.stdin.close()
        code = writer.wait()
        if code != 0:
            self._errors.seek(0)
            said = self._errors.read().decode(errors="replace").strip().splitlines()
            raise SpoolError(f"the spool's writer failed (exit {code}): {said[-1] if said else 'no message'}")

    def flush(self) -> None:
        """Everything added so far is in the file, readable by a connection that attaches it."""
        self._store_batch()
        self._wait()

    def __iter__(self) -> Iterator[Sequence[Any]]:
        self.flush()
        yield from self._db.execute(f"SELECT {', '.join(SPOOL_COLUMNS)} FROM spool ORDER BY rowid")

    def close(self) -> None:
        if self._writer is not None:
            self._writer.kill()
            self._writer.wait()
            self._writer = None
        self._db.close()
        self._errors.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class SpoolError(RuntimeError):
    """The spool could not keep the rows (its writer died, or the disk is full)."""


def _encode(batch: list[Sequence[Any]]) -> bytes:
    """A batch as msgpack. msgpack has no integers beyond 64 bits (JSON does, and msgspec decodes
    them): a row holding one has its JSON columns encoded as text here instead."""
    try:
        return _ENCODER.encode(batch)
    except OverflowError:
        return _ENCODER.encode([_as_text(r) for r in batch])


def _as_text(row: Sequence[Any]) -> Sequence[Any]:
    try:
        _ENCODER.encode(row)
        return row
    except OverflowError:
        return stored(row, JSON_COLUMNS, msgspec.json.encode)


def _widen(proc: subprocess.Popen[bytes]) -> None:
    """A 1 MB pipe (Linux): fewer wake-ups of either side than the default 64 KB."""
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setpipe is not None and proc.stdin is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(proc.stdin.fileno(), setpipe, 1 << 20)


Spool = MsgpackSpool | SqliteSpool


def for_dialect(dialect: str) -> Spool:
    """The spool the commit on this engine reads fastest."""
    return SqliteSpool() if dialect == "sqlite" else MsgpackSpool()


__all__ = [
    "JSON_COLUMNS",
    "SPOOL_COLUMNS",
    "MsgpackSpool",
    "Spool",
    "SpoolError",
    "SqliteSpool",
    "for_dialect",
]
