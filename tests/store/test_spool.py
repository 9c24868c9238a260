"""The two spools keep every row, in order, and a failure in the SQLite spool's writer thread
reaches the job instead of being lost with the thread."""

from __future__ import annotations

import os
import sqlite3

import pytest

from labelport.store.spool import SPOOL_COLUMNS, MsgpackSpool, SqliteSpool, for_dialect


def _rows(n: int) -> list[tuple[object, ...]]:
    return [
        (i // 7, f"uid-{i}", 3, "bbox", f"[{i},1,2,3]", "[]", None, None, None, None, None, None)
        for i in range(n)
    ]


@pytest.mark.parametrize("kind", [MsgpackSpool, SqliteSpool])
def test_every_row_comes_back_in_order_and_can_be_read_twice(kind: type[MsgpackSpool | SqliteSpool]) -> None:
    rows = _rows(25_003)  # more than two batches and a remainder
    spool = kind()
    try:
        for r in rows:
            spool.add(r)
        assert spool.count == len(rows)
        assert [tuple(r) for r in spool] == rows
        assert [tuple(r) for r in spool] == rows
    finally:
        spool.close()


def test_the_sqlite_spool_is_a_file_another_connection_can_read_and_is_deleted_after() -> None:
    spool = SqliteSpool()
    for r in _rows(12_345):
        spool.add(r)
    spool.flush()
    other = sqlite3.connect(spool.path)
    assert other.execute("SELECT count(*), max(uid) FROM spool").fetchone() == (12_345, "uid-9999")
    assert [d[1] for d in other.execute("PRAGMA table_info(spool)")] == list(SPOOL_COLUMNS)
    other.close()
    spool.close()
    assert not os.path.exists(spool.path)


def test_a_writer_failure_is_raised_in_the_job_thread() -> None:
    spool = SqliteSpool()
    try:
        for r in _rows(10_000):
            spool.add(r)
        spool.add((*_rows(1)[0], "one value too many"))  # a row the table cannot take
        with pytest.raises(sqlite3.ProgrammingError):
            for r in _rows(30_000):
                spool.add(r)
            spool.flush()
    finally:
        spool.close()


def test_each_engine_gets_its_spool() -> None:
    for dialect, kind in (("sqlite", SqliteSpool), ("postgresql", MsgpackSpool)):
        spool = for_dialect(dialect)
        assert isinstance(spool, kind)
        spool.close()
