"""Accepted annotations parked between validation and commit.

Validation writes nothing to the workspace's tables: a SQLite workspace would otherwise hold
its write lock for the whole pass and nobody could watch the job. The accepted rows wait in a
spool instead, an unindexed table the commit copies into ``annotations`` with one
``INSERT … SELECT`` inside the database, in its one short transaction. Getting a million rows'
parameters from Python into a database costs more than that copy; it happens during validation,
in a writer process on the second core (``store.spool_writer``). Each engine has its spool:

- SQLite: a table in a scratch SQLite file, which the commit attaches.
- PostgreSQL: an unlogged table in the workspace's schema, filled by ``COPY``.

Rows are added in their stored form (``model.stored.Accepted``: validation makes them so,
and ``store.spool_writer`` says why that form) and read back (:meth:`_Scratch.selected`) as
``(owner, uid, feature_pk, kind, geometry, classifications, frame, frame_end, page, message_id,
track_id, extra)``, the JSON columns as text.

Only the annotations of rows whose label exists wait there. Those of a row that has no label
yet go straight to ``annotations`` (:class:`DirectSpool`, written by the same kind of process),
owned by the id of the label the commit will make (``model.stored``): nothing reaches them until
the commit makes it, and the commit has no copy to make of them. On SQLite that copy and the
checkpoint of its pages were most of a large commit (4 s and 2.3 s of 8 s at a million boxes).
"""

from __future__ import annotations

import abc
import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa

from labelport.model.errors import StorageError
from labelport.model.stored import PLACE, Accepted
from labelport.store import spool_writer
from labelport.store.pipes import widen
from labelport.store.spool_writer import WIRE_COLUMNS

# rows per frame to the writer: as the reader's frames (jobs.reader), small enough that neither side
# works on more than its cache holds (1M COCO boxes: the job's CPU 6.6-6.9 s at 10,000 rows,
# 6.1 s at 2,500; SQLite's writer commits every 2,500 rows anyway)
_BATCH = 2_500
SPOOL_COLUMNS = (
    "owner",  # a data row's pk here: rows of new labels are not spooled (see the module)
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
_JSON = ("geometry", "classifications", "extra")  # stored as JSON text
_frame = msgspec.msgpack.Encoder().encode


class _ProcessSpool:
    """Rows gathered into batches that go to a writer process (``store.spool_writer``), started
    by the first full batch and waited for by :meth:`flush`."""

    dialect = ""
    table = ""
    job_id = 0  # the job whose annotations a direct spool writes
    _target = ""  # the writer's: a file path or a database URL

    def __init__(self) -> None:
        self._batch: list[Accepted] = []
        self.count = 0
        # the distinct feature pks, for the commit's parent check: complete once flushed
        self.features: set[int] = set()
        self._writer: subprocess.Popen[bytes] | None = None
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()

    def add(self, row: Accepted) -> None:
        self.extend([row])

    def extend(self, rows: Sequence[Accepted]) -> None:
        """Rows in order, a record's at a time: this call is once per record, so all it does is
        keep them and count them; their features are noted once per batch (:meth:`_take`)."""
        self._batch += rows
        self.count += len(rows)
        if len(self._batch) >= _BATCH:
            self._store_batch()

    def _take(self) -> list[Accepted]:
        """The rows kept so far, their features noted, and the batch emptied."""
        batch, self._batch = self._batch, []
        self.features.update([r.feature_pk for r in batch])
        return batch

    def _store_batch(self) -> None:
        if not self._batch:
            return
        data = _encode(self._take())
        if self._writer is None:
            script = str(Path(spool_writer.__file__))
            self._writer = subprocess.Popen(
                [sys.executable, script, self.dialect, self.table, str(self.job_id)],
                stdin=subprocess.PIPE,
                stderr=self._errors,
                env={**os.environ, spool_writer.TARGET_ENV: self._target},
            )
            assert self._writer.stdin is not None
            widen(self._writer.stdin.fileno())
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
            said = self._errors.read().decode(errors="replace").strip()[-2000:] or "no message"
            raise _failed(f"(exit {code}) {said}")

    def flush(self) -> None:
        """Everything added so far is written, readable by the commit's connection."""
        if self._writer is None and self._batch:  # all in one batch: no process for so little
            try:
                # through the writer's own decoder: what it would refuse, this refuses the same way
                rows = spool_writer.decode(_encode(self._take()))
                spool_writer.WRITERS[self.dialect](self._target, self.table, self.job_id, [rows])
            except Exception as exc:  # what the writer process would have said, said the same way
                raise _failed(f"{type(exc).__name__}: {' '.join(str(exc).split())}") from exc
            return
        self._store_batch()
        self._wait()

    def close(self) -> None:
        if self._writer is not None:  # a job that stopped before its commit: nothing to keep
            self._writer.kill()
            self._writer.wait()
            if self._writer.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    self._writer.stdin.close()
            self._writer = None
        self._errors.close()


class _Scratch(_ProcessSpool, abc.ABC):
    """A spool of its own table, which the commit reads back."""

    order = ""  # the column that keeps the rows' order

    def selected(self, alias: str) -> list[str]:
        """The spool's rows as SQL that reads them as stored (JSON columns as text), in the
        order of :data:`SPOOL_COLUMNS`."""
        text = self._text
        read = {c: f"NULLIF({text(f'{alias}.{c}')}, 'null')" for c in _JSON}
        place = f"NULLIF({text(f'{alias}.place')}, '')"
        for i, c in enumerate(PLACE):
            read[c] = self._element(place, i, "TEXT" if c in ("message_id", "track_id") else "INTEGER")
        return [read.get(c, f"{alias}.{c}") for c in SPOOL_COLUMNS]

    @staticmethod
    @abc.abstractmethod
    def _text(column: str) -> str:
        """SQL reading a JSON column of the spool's table as text."""

    @staticmethod
    @abc.abstractmethod
    def _element(array: str, i: int, sql_type: str) -> str:
        """SQL reading element ``i`` of a JSON array (text, maybe NULL) as ``sql_type``."""


class SqliteSpool(_Scratch):
    """Rows in a table of a scratch SQLite file, which the commit attaches (see the module)."""

    dialect = "sqlite"
    table = "spool"
    order = "rowid"

    def __init__(self) -> None:
        super().__init__()
        fd, self.path = tempfile.mkstemp(prefix="labelport-spool-", suffix=".db")
        os.close(fd)
        self._target = self.path
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute(f"CREATE TABLE spool ({', '.join(WIRE_COLUMNS)})")

    @staticmethod
    def _text(column: str) -> str:
        return f"CAST({column} AS TEXT)"  # the writer binds JSON text as the BLOB of its bytes

    @staticmethod
    def _element(array: str, i: int, sql_type: str) -> str:
        return f"json_extract({array}, '$[{i}]')"

    def __iter__(self) -> Iterator[Sequence[Any]]:
        self.flush()
        yield from self._db.execute(f"SELECT {', '.join(self.selected('s'))} FROM spool s ORDER BY rowid")

    def close(self) -> None:
        super().close()
        self._db.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class PostgresSpool(_Scratch):
    """Rows in an unlogged table of the workspace's own schema, written by the writer's ``COPY``
    while validation runs; the commit copies them into ``annotations`` inside PostgreSQL. The
    table is not the job's transaction's, so it is dropped by :meth:`close` whatever happens."""

    dialect = "postgresql"
    order = "seq"

    def __init__(self, engine: sa.Engine, job_id: int = 0) -> None:
        super().__init__()
        self._engine = engine
        self.table = f"lp_spool_{job_id}_{uuid.uuid4().hex[:12]}"
        self._target = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with engine.begin() as conn:
            # a crashed attempt of the same job left its table behind: the job runs again now
            left = conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename LIKE %(p)s",
                {"p": f"lp\\_spool\\_{job_id}\\_%"},
            ).scalars()
            for name in list(left):
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
            conn.exec_driver_sql(
                f"CREATE UNLOGGED TABLE {self.table} (seq bigint GENERATED ALWAYS AS IDENTITY, "
                "owner bigint, uid text, feature_pk bigint, kind text, geometry text, "
                "classifications text, extra text, place text)"
            )

    @staticmethod
    def _text(column: str) -> str:
        return column

    @staticmethod
    def _element(array: str, i: int, sql_type: str) -> str:
        return f"CAST(({array})::json->>{i} AS {sql_type})"

    def __iter__(self) -> Iterator[Sequence[Any]]:
        self.flush()
        with self._engine.connect() as conn:
            q = f"SELECT {', '.join(self.selected('s'))} FROM {self.table} s ORDER BY seq"
            yield from conn.exec_driver_sql(q)

    def close(self) -> None:
        super().close()
        with self._engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.table}")


class DirectSpool(_ProcessSpool):
    """The annotations of rows that get a new label, written to ``annotations`` itself while the
    job validates: on SQLite in short transactions (the job writes its progress between them), on
    PostgreSQL in one. They are owned by labels that do not exist yet, so nothing reads them until
    the commit; a job that stops before it deletes them (``store.imports.discard_unowned``)."""

    table = "annotations"

    def __init__(self, engine: sa.Engine, job_id: int) -> None:
        super().__init__()
        self.job_id = job_id
        if engine.dialect.name == "sqlite":
            self.dialect = "sqlite-direct"
            self._target = str(engine.url.database)
        else:
            self.dialect = "postgresql-direct"
            self._target = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _failed(said: str) -> StorageError:
    return StorageError(
        f"the spool's writer failed: {said}",
        hint="the accepted annotations wait in a scratch table before the commit; "
        "check the space in the temporary directory (SQLite) or the database",
    )


def _encode(batch: list[Accepted]) -> bytes:
    """A batch as the writer reads it: a msgpack array of rows in their stored form."""
    return _frame(batch)


Spool = SqliteSpool | PostgresSpool


def for_engine(engine: sa.Engine, job_id: int = 0) -> Spool:
    """The spool the commit on this engine reads fastest (``job_id`` names a PostgreSQL spool's
    table, so that the job run again after a crash drops what the crashed attempt left)."""
    return SqliteSpool() if engine.dialect.name == "sqlite" else PostgresSpool(engine, job_id)


__all__ = [
    "SPOOL_COLUMNS",
    "WIRE_COLUMNS",
    "DirectSpool",
    "PostgresSpool",
    "Spool",
    "SqliteSpool",
    "for_engine",
]
