"""Accepted annotations parked between validation and commit.

Validation writes nothing to the database: a SQLite workspace would otherwise hold its write lock
for the whole pass and nobody could watch the job. The accepted rows wait here instead, as msgpack
batches in memory up to a limit and on disk beyond it, and the commit replays them (twice when
rows are replaced) inside one short transaction.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec

_LIMIT = 64 << 20


class Spool:
    def __init__(self) -> None:
        self._file = tempfile.SpooledTemporaryFile(max_size=_LIMIT)  # noqa: SIM115 - closed in close()
        self._enc = msgspec.msgpack.Encoder()
        self._dec = msgspec.msgpack.Decoder(list[list[Any]])
        self._batch: list[Sequence[Any]] = []
        self.count = 0

    def add(self, row: Sequence[Any]) -> None:
        self._batch.append(row)
        self.count += 1
        if len(self._batch) >= 5000:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            data = self._enc.encode(self._batch)
            self._file.write(len(data).to_bytes(8, "little"))
            self._file.write(data)
            self._batch = []

    def __iter__(self) -> Iterator[list[Any]]:
        self._flush()
        self._file.seek(0)
        while head := self._file.read(8):
            yield from self._dec.decode(self._file.read(int.from_bytes(head, "little")))
        self._file.seek(0, 2)

    def close(self) -> None:
        self._file.close()
